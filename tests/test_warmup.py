"""Gunicorn loads the portal once in its master, warms it up and forks the workers.

A worker replaced after ``GUNICORN_MAX_REQUESTS`` requests is then a fork of a
process that has imported, resolved and compiled everything already, instead of
spending about a second of CPU on that while requests wait behind it. What the
master must never do is open a database or cache connection a worker would inherit.
"""

import gc
import re
from unittest import mock

import pytest
from django.db import connections
from django.template import engines

from portal import warmup
from tests import servers

pytestmark = pytest.mark.django_db


def cached_template_names():
    loader = engines["django"].engine.template_loaders[0]
    return {
        template.origin.template_name
        for template in loader.get_template_cache.values()
        if hasattr(template, "origin")
    }


def test_warm_up_compiles_the_templates_and_leaves_no_connection_open():
    engines["django"].engine.template_loaders[0].reset()
    database = connections["default"]
    database.ensure_connection()
    try:
        with mock.patch.object(database, "close", wraps=database.close) as close:
            compiled = warmup.warm_up()
    finally:
        gc.unfreeze()
    # Closed (the test's own transaction keeps it open in fact).
    close.assert_called_once_with()
    assert compiled > 100
    names = cached_template_names()
    for name in (
        "base.html",
        "cooperation/initiative_list.html",
        "cooperation/meeting_detail.html",
        "admin/change_list.html",
    ):
        assert name in names


def test_a_template_that_does_not_compile_alone_does_not_stop_the_warm_up(
    tmp_path, settings
):
    (tmp_path / "broken.html").write_text("{% if %}", encoding="utf-8")
    (tmp_path / "fine.html").write_text("{{ value }}", encoding="utf-8")
    settings.TEMPLATES = [
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "DIRS": [tmp_path],
            "APP_DIRS": False,
        }
    ]
    assert warmup.compile_templates() == 1


@pytest.fixture(scope="module")
def replaced_workers(tmp_path_factory):
    """One worker replaced after every three requests, with the warm-up logged."""
    directory = tmp_path_factory.mktemp("gunicorn")
    log_path = directory / "gunicorn.log"
    environment = {
        "DATABASE_URL": f"sqlite:///{directory / 'db.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "tests.server_settings",
        "DJANGO_LOG_LEVEL": "INFO",
        "GUNICORN_MAX_REQUESTS": "3",
        "GUNICORN_MAX_REQUESTS_JITTER": "0",
    }
    with servers.gunicorn(environment, log_path) as port:
        yield port, log_path


def test_workers_forked_from_the_warmed_master_answer(replaced_workers):
    port, log_path = replaced_workers
    statuses = [
        servers.request(port, "GET", path)[0]
        for _ in range(6)
        for path in ("/healthz", "/accounts/login/")
    ]
    assert statuses == [200] * 12
    log = log_path.read_text()
    warmed = re.search(r"Warmed up before forking the workers: (\d+) templates", log)
    assert warmed and int(warmed.group(1)) > 100
    # Twelve requests, three per worker: the master forked new workers.
    assert len(re.findall(r"Booting worker with pid", log)) >= 4
    assert "Traceback" not in log
