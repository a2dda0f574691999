# eplan-flow: the commands a newcomer runs. See README.md.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app wsgi
# The console script (pyproject [project.scripts]): `eplan CMD` is `flask --app wsgi eplan CMD`.
EPLAN := $(VENV)/bin/eplan
HOST ?= 127.0.0.1
PORT ?= 5000
# The app's own public address (its SSO issuer, the Host names it serves); never taken from requests.
EPLAN_BASE_URL ?= http://$(HOST):$(PORT)

.PHONY: run serve lint test worker install install-test install-lint translations services browser graphviz bench clean dist lock

## run: set up and serve the app on SQLite with demo data at http://127.0.0.1:5000
run: install translations graphviz
	EPLAN_BASE_URL=$(EPLAN_BASE_URL) $(EPLAN) setup
	EPLAN_BASE_URL=$(EPLAN_BASE_URL) $(FLASK) run --host $(HOST) --port $(PORT)

## lint: ruff (lint rules and format check), mypy and the import contract, as configured in pyproject.toml
lint: install-lint
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

## test: install the test extras and run the whole suite on the real PostgreSQL and Redis
test: install-test translations services browser graphviz
	PY=$(PY) bash scripts/test-suite.sh $(PYTEST_ARGS)

## worker: run background jobs from Redis (needs EPLAN_REDIS_URL), relay the outbox and schedule
## the recurring jobs, all in one process (production runs `eplan scheduler` once, workers without it)
worker: install translations
	$(EPLAN) worker --with-scheduler

## serve: the production web server as compose.yaml runs it: gunicorn (eplan_flow/gunicorn_conf.py) on
## EPLAN_BIND (127.0.0.1:8000), EPLAN_WEB_CONCURRENCY workers; needs the settings of README "Deployment"
serve: install translations
	$(VENV)/bin/gunicorn -c python:eplan_flow.gunicorn_conf eplan_flow.wsgi:app

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test
install-lint: $(VENV)/.installed-lint

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PY) -m pip install -q -e '.[test]'
	touch $@

$(VENV)/.installed-lint: $(VENV)/.installed
	$(PY) -m pip install -q -e '.[lint]'
	touch $@

## dist: build the sdist and, from it, the wheel into dist/ (the wheel carries the compiled .mo files)
dist: install-test
	rm -rf dist
	$(PY) -m build --installer uv --outdir dist .

## lock: re-resolve requirements/production.lock (pinned, hashed) from pyproject.toml's dependencies
lock: install
	$(PY) -m pip install -q 'uv>=0.9,<1'
	$(VENV)/bin/uv pip compile pyproject.toml --universal --python-version 3.11 --generate-hashes \
		--no-header --quiet -o requirements/production.lock

translations: install
	$(VENV)/bin/pybabel compile -d eplan_flow/translations
	$(VENV)/bin/pybabel compile -D admin -d eplan_flow/translations_admin

## services: make sure PostgreSQL and Redis answer on 127.0.0.1 (start them if they are down)
services:
	bash scripts/ensure-services.sh

## browser: make sure Debian's chromium is there for the end-to-end tests
browser:
	bash scripts/ensure-chromium.sh

## graphviz: make sure Debian's graphviz and a Thai font are there to draw the state diagrams
graphviz:
	bash scripts/ensure-graphviz.sh

bench: install-test services
	$(PY) bench/engine.py
	$(PY) bench/plans.py
	$(PY) bench/oversight.py

clean:
	rm -rf $(VENV) instance .pytest_cache .hypothesis .mypy_cache .ruff_cache .import_linter_cache
