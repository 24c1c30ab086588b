"""Production settings for a server the tests start (tests/test_database_down.py).

The real settings, except that static file URLs come from the finders rather than
from the manifest that ``collectstatic`` writes in production, so that the pages
render without running it first.
"""

from portal.settings import *  # noqa: F403
from portal.settings import STORAGES

STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
