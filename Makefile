# Quick start: `make run` (set up, seed the demo, serve on SQLite) and `make test`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000

.DEFAULT_GOAL := help
.PHONY: help setup run test test-fast lint migrate seed python clean messages check-messages bench \
	serve worker scheduler cluster

help:
	@echo "make run    set up, migrate, seed the demo data and serve http://$(HOST):$(PORT)"
	@echo "make test   set up and run the whole test suite"
	@echo "make test-fast  the suite without its slow tiers (browser, catalogue, servers…)"
	@echo "make lint   ruff and bandit"
	@echo "make bench  benchmark the pages under gunicorn on PostgreSQL (see README: Benchmark)"
	@echo "make serve      collectstatic, migrate and gunicorn as in production (README: Running in production)"
	@echo "make worker     the task worker (DJANGO_TASKS_BACKEND=database)"
	@echo "make scheduler  send_reminders every minute, housekeeping once a day"
	@echo "make cluster    2 web replicas, a worker and the scheduler on PostgreSQL and Redis (honcho)"
	@echo "make messages        extract new strings into locale/*/django.po (needs GNU gettext)"
	@echo "make check-messages  fail if a catalogue has an untranslated or fuzzy entry"
	@echo "make clean  remove the virtual environment and the SQLite database"

# Print the Python 3.12+ the virtual environment is built from.
python:
	@scripts/find-python

# A virtual environment from a working Python 3.12+; rebuilt if its interpreter broke.
$(PY):
	@set -e; \
	py=$$(scripts/find-python); \
	echo "Creating $(VENV) with $$py"; \
	rm -rf $(VENV); \
	"$$py" -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	@$(PY) -c 'import sys; sys.exit(sys.version_info < (3, 12))' || { \
		echo "$(VENV) runs Python < 3.12; remove it with 'make clean' and retry." >&2; exit 1; }
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[test]"
	@touch $@

# Compiled catalogues (.mo) are build products: made from the committed .po files with
# Babel, so no system gettext is needed to run the portal.
PO := $(wildcard locale/*/LC_MESSAGES/django.po)
MO := $(PO:.po=.mo)

%.mo: %.po $(STAMP)
	$(VENV)/bin/pybabel compile --statistics -i $< -o $@

# Debian's Pango and fonts for the PDF briefings (scripts/system-packages installs
# them when missing and this user may; otherwise it says how).
setup: $(STAMP) $(MO)
	@scripts/system-packages pdf

# Extract the marked strings of the code and templates into the catalogues.
messages: setup
	DJANGO_DEBUG=1 $(PY) manage.py makemessages --all --add-location=file \
		--ignore=.venv --ignore=tests --ignore=static --ignore=staticfiles

# Every catalogue complete: GNU msgfmt's own check, plus no untranslated or fuzzy entry.
check-messages:
	@set -e; for po in $(PO); do \
		stats=$$(msgfmt --check --statistics -o /dev/null "$$po" 2>&1); \
		echo "$$po: $$stats"; \
		case "$$stats" in *untranslated*|*fuzzy*) exit 1;; esac; \
	done

migrate: setup
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(PY) manage.py migrate --noinput

seed: migrate
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(PY) manage.py seed_demo

run: seed
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(PY) manage.py runserver $(HOST):$(PORT)

test: setup
	@scripts/system-packages test
	$(PY) -m pytest $(PYTEST_ARGS)

# Daily work: every test but the slow tiers marked in tests/conftest.py (see README: Tests).
test-fast: setup
	$(PY) -m pytest -m "not slow" $(PYTEST_ARGS)

# Pages under gunicorn and wrk on the demo data and larger volumes (bench/run.py).
bench: setup
	$(PY) bench/run.py

# ---------------------------------------------------------------- as in production
# README: Running in production. Settings come from the environment; these targets add
# only what they must, and say in one line what is missing before Django would.

# With debug off the portal refuses to start without a secret key (portal/settings.py).
NEED_SECRET_KEY = case "$${DJANGO_DEBUG:-0}" in 1|true|True|yes|on) ;; *) \
	test -n "$$DJANGO_SECRET_KEY" || { echo "DJANGO_SECRET_KEY is not set: with debug \
	off the portal refuses to start without one. Generate one with: $(PY) -c \
	'import secrets; print(secrets.token_urlsafe(50))'" >&2; exit 1; };; esac
# With debug off and no DJANGO_ALLOWED_HOSTS the server would answer 400 to everything.
NEED_ALLOWED_HOSTS = test -n "$$DJANGO_ALLOWED_HOSTS" || { echo "DJANGO_ALLOWED_HOSTS \
	is not set: with debug off the portal answers no host name until it names them \
	(e.g. DJANGO_ALLOWED_HOSTS=portal.example.org,127.0.0.1)." >&2; exit 1; }
# The database in use, its password hidden; SQLite only when DATABASE_URL is unset.
SAY_DATABASE = if [ -n "$$DATABASE_URL" ]; then echo "Database: $$DATABASE_URL" \
	| sed -E 's|//([^:@/]*):[^@/]*@|//\1:***@|'; else echo "DATABASE_URL is not set: \
	using the SQLite file db.sqlite3 (production uses DATABASE_URL=postgres://...)."; fi

# The portal as in production: debug off, static files collected, migrated, gunicorn
# (gunicorn.conf.py, GUNICORN_* variables) on $(HOST):$(PORT) unless GUNICORN_BIND.
serve: setup
	@export DJANGO_DEBUG=0; $(NEED_SECRET_KEY); $(NEED_ALLOWED_HOSTS); $(SAY_DATABASE)
	DJANGO_DEBUG=0 $(PY) manage.py collectstatic --noinput -v0
	DJANGO_DEBUG=0 $(PY) manage.py migrate --noinput
	DJANGO_DEBUG=0 PORT=$(PORT) GUNICORN_BIND="$${GUNICORN_BIND:-$(HOST):$(PORT)}" \
		exec $(VENV)/bin/gunicorn -c gunicorn.conf.py portal.wsgi:application

# The worker of the database task backend (django-tasks-db): debug off unless
# DJANGO_DEBUG says otherwise. With the default immediate backend tasks run where
# they are enqueued and no worker is needed.
worker: setup
	@$(NEED_SECRET_KEY); $(SAY_DATABASE); \
	test "$$DJANGO_TASKS_BACKEND" = database || { echo "DJANGO_TASKS_BACKEND is \
	'$$DJANGO_TASKS_BACKEND', not 'database': tasks run where they are enqueued and \
	there is nothing for a worker to do. Set DJANGO_TASKS_BACKEND=database (on every \
	web server too)." >&2; exit 1; }
	DJANGO_DEBUG=$${DJANGO_DEBUG:-0} exec $(PY) manage.py db_worker

# send_reminders every DJANGO_SCHEDULER_INTERVAL seconds (60), housekeeping once a day.
scheduler: setup
	@$(NEED_SECRET_KEY); $(SAY_DATABASE)
	DJANGO_DEBUG=$${DJANGO_DEBUG:-0} exec $(PY) manage.py scheduler

# Several servers on one machine, from the Procfile (honcho): web.1 on $(PORT) and
# web.2 on $(PORT)+1 (honcho gives each replica its own PORT), the worker and the
# scheduler, on PostgreSQL and Redis with the database task backend. A rehearsal on
# plain HTTP at 127.0.0.1: no HTTPS redirect or secure-only cookies unless set, and a
# secret key made for this run unless DJANGO_SECRET_KEY is set. Ctrl-C stops them all.
CLUSTER_DATABASE_URL := postgres://postgres@127.0.0.1:5432/portal
CLUSTER_REDIS_URL := redis://127.0.0.1:6379/0

cluster: setup
	@set -e; \
	export DATABASE_URL="$${DATABASE_URL:-$(CLUSTER_DATABASE_URL)}" \
		REDIS_URL="$${REDIS_URL:-$(CLUSTER_REDIS_URL)}" \
		DJANGO_TASKS_BACKEND=database DJANGO_DEBUG=0 \
		DJANGO_ALLOWED_HOSTS="$${DJANGO_ALLOWED_HOSTS:-127.0.0.1,localhost}" \
		DJANGO_SECURE_SSL_REDIRECT="$${DJANGO_SECURE_SSL_REDIRECT:-0}" \
		DJANGO_SECURE_COOKIES="$${DJANGO_SECURE_COOKIES:-0}" \
		GUNICORN_WORKERS="$${GUNICORN_WORKERS:-2}" \
		PATH="$(CURDIR)/$(VENV)/bin:$$PATH"; \
	unset GUNICORN_BIND; \
	if [ -z "$$DJANGO_SECRET_KEY" ]; then \
		echo "DJANGO_SECRET_KEY is not set: using a key made for this run (sessions end with it)."; \
		export DJANGO_SECRET_KEY="$$(python -c 'import secrets; print(secrets.token_urlsafe(50))')"; \
	fi; \
	$(SAY_DATABASE); echo "Cache and sessions: $$REDIS_URL"; \
	python -c 'import os, redis; redis.Redis.from_url(os.environ["REDIS_URL"], socket_timeout=2).ping()' \
		2>/dev/null || { echo "No Redis answers at $$REDIS_URL: start redis-server or set REDIS_URL." >&2; exit 1; }; \
	python manage.py collectstatic --noinput -v0; \
	python manage.py migrate --noinput; \
	echo "web.1: http://127.0.0.1:$(PORT)/  web.2: http://127.0.0.1:$$(($(PORT) + 1))/"; \
	exec honcho start -f Procfile -p $(PORT) -c web=2

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/bandit -q -r cooperation portal -ll

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles $(MO)
