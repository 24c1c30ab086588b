"""Settings for the partner-nation coordination portal.

Everything that differs between a laptop and production comes from the environment:
``DATABASE_URL`` and the ``DJANGO_``-prefixed variables documented in README.md.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    return [
        item.strip()
        for item in os.environ.get(name, default).split(",")
        if item.strip()
    ]


DEBUG = env_bool("DJANGO_DEBUG", default=False)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off. Generate one with: "
            'python -c "import secrets; print(secrets.token_urlsafe(50))"'
        )
    # Debug only (the branch above refuses to start without a key otherwise).
    SECRET_KEY = "django-insecure-development-only-key-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else ""
)
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "portal.apps.PortalAdminConfig",  # django.contrib.admin with the portal's site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_filters",
    "simple_history",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    # The task results table of the database task backend (DJANGO_TASKS_BACKEND).
    "django_tasks_db",
    "cooperation",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "cooperation.middleware.DatabaseUnavailableMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After WhiteNoise (static files keep their long cache lifetime), before the
    # middleware that can answer on their own (login redirects, CSRF failures,
    # lockouts): every other response is ``Cache-Control: private, no-store``.
    "cooperation.middleware.PrivateCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "cooperation.middleware_input.MalformedInputMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "cooperation.middleware.UserPreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After the messages: an expired session is ended with a message on the login page.
    "cooperation.middleware.SessionExpiryMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes requires: turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Widgets rendered with Django's own Jinja2 widget templates: the same HTML as the
# Django-template ones at a fraction of the cost (a select renders a template per
# option; measured: 14.0 -> 12.4 CPU ms for the initiative list page). The admin's
# own widget templates still come from the Django engine.
FORM_RENDERER = "cooperation.forms.renderer.FormRenderer"

WSGI_APPLICATION = "portal.wsgi.application"
ASGI_APPLICATION = "portal.asgi.application"

# Database: an SQLite file in the project root unless DATABASE_URL says otherwise.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=0,
        conn_health_checks=False,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    _db_options = DATABASES["default"].setdefault("OPTIONS", {})
    # A server that does not answer (a dropped packet, not a refused connection) is
    # given up after this many seconds (anything below 2 counts as 2).
    _db_options.setdefault(
        "connect_timeout", int(os.environ.get("DJANGO_DB_CONNECT_TIMEOUT", "2"))
    )
    # No JIT compilation: it pays off for long analytical queries, while a page's
    # queries are short, and PostgreSQL starts compiling for any whose estimated cost
    # is high (measured: 18 ms of JIT on a 60 ms list query at 100k initiatives).
    _db_options["options"] = " ".join(
        filter(None, [_db_options.get("options", ""), "-c jit=off"])
    )
    # psycopg 3's connection pool; requires CONN_MAX_AGE = 0 (set above).
    _db_options["pool"] = {
        "min_size": int(os.environ.get("DJANGO_DB_POOL_MIN_SIZE", "2")),
        "max_size": int(os.environ.get("DJANGO_DB_POOL_MAX_SIZE", "10")),
        # How long a request waits for a connection. The pool connects in the
        # background and never hands its connection errors to a waiting request:
        # with PostgreSQL down, every request that needs the database waits this long
        # and then answers the 503 page (after which DatabaseUnavailableMiddleware
        # answers 503 at once for DJANGO_DB_RETRY_SECONDS). Under load a request
        # also waits when all max_size connections of its process are in use; a
        # gunicorn worker runs at most GUNICORN_THREADS requests at a time, so with
        # threads <= max_size (gunicorn.conf.py) it never runs out, and a wait that
        # does run out means that PostgreSQL does not accept new connections.
        "timeout": float(os.environ.get("DJANGO_DB_POOL_TIMEOUT", "2")),
        # The pool retries a failed connection with a doubling delay for this long,
        # then gives up and starts afresh when a request next asks: a database that
        # is back is used within seconds. With psycopg's default (5 minutes) the
        # delay grows to two minutes (measured: 48 s to notice a database back after
        # a 70 s outage, against under a second with 10 s).
        "reconnect_timeout": float(
            os.environ.get("DJANGO_DB_POOL_RECONNECT_TIMEOUT", "10")
        ),
    }
# Cache: the counts each page shows are kept per data generation (cooperation.counts),
# and with several processes (gunicorn workers, app servers) sessions too. They must
# share one cache, so that a change seen by one is seen by all: REDIS_URL=redis://
# host:6379/0 (DJANGO_CACHE_URL is read when REDIS_URL is unset). Then Django's Redis
# cache is the default cache and sessions are "cached_db" ones (read from Redis, kept
# in the database too, so a Redis restart signs nobody out). Without it, each process
# keeps its own memory cache and sessions live in the database, which suits
# `make run` (one process).
_cache_url = (
    os.environ.get("REDIS_URL", "").strip()
    or os.environ.get("DJANGO_CACHE_URL", "").strip()
)
if _cache_url:
    if not _cache_url.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured(
            "REDIS_URL (or DJANGO_CACHE_URL) must be a redis://, rediss:// or "
            "unix:// URL."
        )
    # Django's "cached_db", going on from the database when the cache fails.
    SESSION_ENGINE = "cooperation.session_store"
    CACHES = {
        "default": {
            "BACKEND": "portal.cache.RedisCache",
            "LOCATION": _cache_url,
            "KEY_PREFIX": "portal",
            # A cache that does not answer is skipped quickly (the counts are then
            # computed from the database), never waited for.
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "portal",
        }
    }
# How long a cached count is kept at most (a change replaces it at once anyway).
COUNT_CACHE_SECONDS = int(os.environ.get("DJANGO_COUNT_CACHE_SECONDS", "600"))
# Rendered fragments kept in the same cache under the data generation: a list's
# filter form and table, the dashboard's content (cooperation/views/common.py).
PAGE_FRAGMENT_CACHE = os.environ.get("DJANGO_PAGE_FRAGMENT_CACHE", "1") not in {
    "0",
    "false",
    "False",
    "no",
    "off",
}

# After a request found that the pool cannot connect, requests answer the 503 page at
# once for this many seconds instead of waiting for the pool (0: always wait).
PORTAL_DATABASE_RETRY_SECONDS = float(os.environ.get("DJANGO_DB_RETRY_SECONDS", "5"))

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "cooperation.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses any login attempt for an account and address that is locked out.
    "axes.backends.AxesStandaloneBackend",
    "cooperation.backends.NationAwareModelBackend",
]

# Argon2 for new and changed passwords; the others only check (and upgrade on the next
# login) hashes made before Argon2 was the default.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation."
        "UserAttributeSimilarityValidator"
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "cooperation:dashboard"
LOGOUT_REDIRECT_URL = "login"

# Brute-force protection (django-axes): 5 failed logins for the same account from the
# same address lock that pair out for 15 minutes; a successful login resets the count.
AXES_ENABLED = True
AXES_FAILURE_LIMIT = 5
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_COOLOFF_TIME = timedelta(
    minutes=int(os.environ.get("DJANGO_LOGIN_LOCKOUT_MINUTES", "15"))
)
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "cooperation.auth_log.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
# The client address is REMOTE_ADDR, which a client cannot forge; behind a proxy (see
# DJANGO_BEHIND_PROXY below) it is the address the proxy appended to X-Forwarded-For.
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]

# Sessions end after 30 minutes without a request and 12 hours after the login,
# whatever the activity (cooperation.middleware.SessionExpiryMiddleware).
PORTAL_SESSION_IDLE_TIMEOUT = timedelta(
    minutes=int(os.environ.get("DJANGO_SESSION_IDLE_MINUTES", "30"))
)
PORTAL_SESSION_MAX_AGE = timedelta(
    hours=int(os.environ.get("DJANGO_SESSION_MAX_HOURS", "12"))
)
SESSION_COOKIE_AGE = int(PORTAL_SESSION_MAX_AGE.total_seconds())

# The admin asks for a TOTP code (django-otp) on top of the password in production.
PORTAL_ADMIN_REQUIRE_OTP = not DEBUG
OTP_TOTP_ISSUER = "Partner Coordination Portal"

# Internationalisation: stored in UTC, shown in each user's own zone and language.
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("es", _("Spanish")),
    ("pt-br", _("Portuguese (Brazil)")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Documents (cooperation.models.documents): a private directory, never served as
# static or media files; an S3-compatible store (django-storages) when
# DJANGO_DOCUMENTS_S3_BUCKET is set (README: Documents).
PORTAL_DOCUMENTS_ROOT = os.environ.get(
    "DJANGO_DOCUMENTS_ROOT", str(BASE_DIR / "private" / "documents")
)
if os.environ.get("DJANGO_DOCUMENTS_S3_BUCKET"):
    DOCUMENTS_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ["DJANGO_DOCUMENTS_S3_BUCKET"],
            "endpoint_url": os.environ.get("DJANGO_DOCUMENTS_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("DJANGO_DOCUMENTS_S3_REGION") or None,
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
else:
    DOCUMENTS_STORAGE = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": PORTAL_DOCUMENTS_ROOT, "base_url": None},
    }
# The largest document a user may upload (DJANGO_DOCUMENT_MAX_MB, 25 MB by default).
# cooperation.uploads.DocumentSizeLimitHandler enforces it while the request is read:
# first among the upload handlers of every request, since the input middleware
# (cooperation.middleware_input) parses a multipart body before any view runs, so a
# view could no longer install a handler of its own (README: Documents).
PORTAL_DOCUMENT_MAX_BYTES = int(os.environ.get("DJANGO_DOCUMENT_MAX_MB", "25")) * (
    1024 * 1024
)
FILE_UPLOAD_HANDLERS = [
    "cooperation.uploads.DocumentSizeLimitHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "documents": DOCUMENTS_STORAGE,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"
# Filters offer "Any" rather than a row of dashes for "no choice".
FILTERS_EMPTY_CHOICE_LABEL = _("Any")

# Content Security Policy (Django's own middleware): nothing from outside the portal,
# no inline script without the per-request nonce.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", default=True)
    CSRF_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", default=True)
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
    if env_bool("DJANGO_BEHIND_PROXY", default=False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
        # One trusted proxy: the client is the address it appended, not what the
        # client itself put in X-Forwarded-For.
        AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]
        AXES_IPWARE_PROXY_COUNT = 1

# E-mail (Django 6.1's MAILERS): the console in development, SMTP otherwise.
# Seconds the SMTP connection waits for the server (DJANGO_EMAIL_TIMEOUT).
_mail_timeout = float(os.environ.get("DJANGO_EMAIL_TIMEOUT", "10"))
_mail_backend = os.environ.get(
    "DJANGO_EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
_mail_options = {}
if _mail_backend.endswith("smtp.EmailBackend"):
    _mail_options = {
        "host": os.environ.get("DJANGO_EMAIL_HOST", "localhost"),
        "port": int(os.environ.get("DJANGO_EMAIL_PORT", "25")),
        "username": os.environ.get("DJANGO_EMAIL_HOST_USER", ""),
        "password": os.environ.get("DJANGO_EMAIL_HOST_PASSWORD", ""),
        "use_tls": env_bool("DJANGO_EMAIL_USE_TLS", default=False),
        # Only the delivery task waits for the mail server, never a request.
        "timeout": _mail_timeout,
    }
elif os.environ.get("DJANGO_EMAIL_FILE_PATH"):
    # Django's file backend (or one built on it): the messages of each connection
    # go to a file in this directory (a staging server, the replica test).
    _mail_options = {"file_path": os.environ["DJANGO_EMAIL_FILE_PATH"]}
MAILERS = {"default": {"BACKEND": _mail_backend, "OPTIONS": _mail_options}}
# Outbox delivery (cooperation.tasks.deliver_emails): a message that fails is retried
# with exponential backoff, and marked failed (shown in the admin) after this many
# attempts. Sent messages are kept this many days as the record of what was sent.
PORTAL_EMAIL_MAX_ATTEMPTS = int(os.environ.get("DJANGO_EMAIL_MAX_ATTEMPTS", "5"))
# The first retry waits this long, each next one twice as long (at most 6 hours).
PORTAL_EMAIL_RETRY_BASE = timedelta(
    seconds=int(os.environ.get("DJANGO_EMAIL_RETRY_SECONDS", "60"))
)
# How long a batch a worker took belongs to it: if the worker dies, its unsent
# messages are due again after this (longer than a batch of 50 can take).
PORTAL_EMAIL_CLAIM_LEASE = timedelta(
    seconds=int(os.environ.get("DJANGO_EMAIL_CLAIM_LEASE_SECONDS", "900"))
)
PORTAL_OUTBOX_RETENTION_DAYS = int(os.environ.get("DJANGO_OUTBOX_RETENTION_DAYS", "90"))

# Briefings as PDF (cooperation.models.briefings): made by the task worker, tried up
# to DJANGO_BRIEFING_MAX_ATTEMPTS times, kept DJANGO_BRIEFING_RETENTION_DAYS days.
PORTAL_BRIEFING_MAX_ATTEMPTS = int(os.environ.get("DJANGO_BRIEFING_MAX_ATTEMPTS", "3"))
PORTAL_BRIEFING_RETRY = timedelta(
    seconds=int(os.environ.get("DJANGO_BRIEFING_RETRY_SECONDS", "30"))
)
# A worker that died while making one gives it back after this long.
PORTAL_BRIEFING_CLAIM_LEASE = timedelta(
    seconds=int(os.environ.get("DJANGO_BRIEFING_CLAIM_LEASE_SECONDS", "300"))
)
PORTAL_BRIEFING_RETENTION_DAYS = int(
    os.environ.get("DJANGO_BRIEFING_RETENTION_DAYS", "7")
)
# The office's own nation: first in a briefing's releasability marking.
PORTAL_HOST_NATION = os.environ.get("DJANGO_HOST_NATION", "US")

# Background tasks (django.tasks). "immediate" runs a task in the process that
# enqueues it, once the transaction commits (the quick start and the tests);
# "database" stores it for `manage.py db_worker` (django-tasks-db), so no request
# waits for the mail server: the production setting.
_tasks_backend = os.environ.get("DJANGO_TASKS_BACKEND", "immediate")
if _tasks_backend not in {"immediate", "database"}:
    raise ImproperlyConfigured(
        "DJANGO_TASKS_BACKEND must be 'immediate' or 'database', "
        f"not {_tasks_backend!r}."
    )
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend"
        if _tasks_backend == "database"
        else "django.tasks.backends.immediate.ImmediateBackend"
    }
}
DEFAULT_FROM_EMAIL = os.environ.get(
    "DJANGO_DEFAULT_FROM_EMAIL", "Partner Coordination Portal <noreply@localhost>"
)

# The address of the portal in e-mails and calendar invitations.
PORTAL_BASE_URL = os.environ.get("DJANGO_PORTAL_URL", "http://127.0.0.1:8000").rstrip(
    "/"
)
# How long before a meeting its attendees are reminded (send_reminders).
MEETING_REMINDER_LEAD = int(os.environ.get("DJANGO_MEETING_REMINDER_MINUTES", "1440"))
# Seconds between two send_reminders runs of `manage.py scheduler`.
PORTAL_SCHEDULER_INTERVAL = float(os.environ.get("DJANGO_SCHEDULER_INTERVAL", "60"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {
        "handlers": ["console"],
        "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO"),
    },
    # Login successes, failures and lockouts (cooperation/auth_log.py): always kept.
    "loggers": {"cooperation.auth": {"level": "INFO"}},
}
