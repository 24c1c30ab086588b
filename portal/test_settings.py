"""Settings for the test suite: the real settings, with test-only speed-ups.

The database still comes from DATABASE_URL, so the same suite runs on SQLite and
PostgreSQL.
"""

import atexit
import os
import shutil
import tempfile
from datetime import timedelta

os.environ.setdefault("DJANGO_SECRET_KEY", "insecure-key-for-the-test-suite-only")

from portal.settings import *  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
# Tests talk plain HTTP to the test client; production keeps the HTTPS redirect.
SECURE_SSL_REDIRECT = False
# Uploaded documents go to a directory of this test run's own, removed when it ends,
# never to the project's private/documents nor to an S3 bucket of the environment.
PORTAL_DOCUMENTS_ROOT = tempfile.mkdtemp(prefix="portal-test-documents-")
atexit.register(shutil.rmtree, PORTAL_DOCUMENTS_ROOT, ignore_errors=True)
STORAGES = {
    **STORAGES,
    "documents": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": PORTAL_DOCUMENTS_ROOT, "base_url": None},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Django's test client logs in (``client.login``) by calling authenticate() without a
# request, which django-axes refuses; the lockout tests in tests/test_auth.py turn it
# back on with override_settings(AXES_ENABLED=True) and log in through the real form.
AXES_ENABLED = False
# The admin tests sign a superuser in with force_login; tests/test_auth.py turns the
# TOTP requirement on and proves the admin refuses a user without a verified device.
PORTAL_ADMIN_REQUIRE_OTP = False
# Some tests travel in time (patching django.utils.timezone.now a day ahead) with a
# client signed in beforehand, which the 30-minute idle and 12-hour session limits
# would log out. The suite keeps the session middleware (and its once-a-minute stamp)
# on every request, with limits no test reaches; tests/test_auth.py restores the
# production limits.
PORTAL_SESSION_IDLE_TIMEOUT = PORTAL_SESSION_MAX_AGE = timedelta(days=14)
SESSION_COOKIE_AGE = int(PORTAL_SESSION_MAX_AGE.total_seconds())
