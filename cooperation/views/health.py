"""Health checks for the load balancer and the orchestrator: no login, no session."""

import logging

from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.http import HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from cooperation.middleware import database_check_exempt, database_outage

logger = logging.getLogger(__name__)
READINESS_KEY = "readyz"


@database_check_exempt
@login_not_required
@never_cache
@require_GET
def healthz(request):
    """Liveness: the process answers. Touches no database."""
    return HttpResponse("ok", content_type="text/plain")


@database_check_exempt
@login_not_required
@never_cache
@require_GET
def readyz(request):
    """Readiness: every configured dependency answers: the database a trivial query,
    the cache (shared Redis when ``REDIS_URL`` is set) a write and a read.

    Always asks the database, even while the pages answer 503 without asking (see
    DatabaseUnavailableMiddleware); the body names the dependency that failed, never
    the error.
    """
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as error:
        logger.exception("Readiness check failed: the database is unreachable")
        database_outage.record(error)
        return HttpResponse(
            "database: unavailable", status=503, content_type="text/plain"
        )
    database_outage.clear()
    try:
        cache.set(READINESS_KEY, "ok", timeout=10)
        answered = cache.get(READINESS_KEY) == "ok"
    except Exception:  # a cache server that is down or does not answer
        logger.exception("Readiness check failed: the cache is unreachable")
        answered = False
    if not answered:
        return HttpResponse("cache: unavailable", status=503, content_type="text/plain")
    return HttpResponse("ok", content_type="text/plain")
