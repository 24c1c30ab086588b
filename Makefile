# Quick start: `make run` (set up, seed the demo, serve on SQLite) and `make test`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000

.DEFAULT_GOAL := help
.PHONY: help setup run test lint migrate seed python clean

help:
	@echo "make run    set up, migrate, seed the demo data and serve http://$(HOST):$(PORT)"
	@echo "make test   set up and run the whole test suite"
	@echo "make lint   ruff and bandit"
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

setup: $(STAMP)

migrate: setup
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(PY) manage.py migrate --noinput

seed: migrate
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(PY) manage.py seed_demo

run: seed
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(PY) manage.py runserver $(HOST):$(PORT)

test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/bandit -q -r cooperation portal -ll

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
