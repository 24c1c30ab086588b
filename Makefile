# Quick start: `make run` (set up, seed the demo, serve on SQLite) and `make test`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000

.DEFAULT_GOAL := help
.PHONY: help setup run test test-fast lint migrate seed python clean messages check-messages bench

help:
	@echo "make run    set up, migrate, seed the demo data and serve http://$(HOST):$(PORT)"
	@echo "make test   set up and run the whole test suite"
	@echo "make test-fast  the suite without its slow tiers (browser, catalogue, servers…)"
	@echo "make lint   ruff and bandit"
	@echo "make bench  benchmark the pages under gunicorn on PostgreSQL (see README: Benchmark)"
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

setup: $(STAMP) $(MO)

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
	$(PY) -m pytest $(PYTEST_ARGS)

# Daily work: every test but the slow tiers marked in tests/conftest.py (see README: Tests).
test-fast: setup
	$(PY) -m pytest -m "not slow" $(PYTEST_ARGS)

# Pages under gunicorn and wrk on the demo data and larger volumes (bench/run.py).
bench: setup
	$(PY) bench/run.py

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/bandit -q -r cooperation portal -ll

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles $(MO)
