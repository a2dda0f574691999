# eplan-flow: the commands a newcomer runs. See README.md.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000
# The app's own public address (its SSO issuer, the Host names it serves); never taken from requests.
EPLAN_BASE_URL ?= http://$(HOST):$(PORT)

.PHONY: run lint test worker install install-test install-lint translations services browser graphviz bench clean

## run: set up and serve the app on SQLite with demo data at http://127.0.0.1:5000
run: install translations graphviz
	EPLAN_BASE_URL=$(EPLAN_BASE_URL) $(FLASK) eplan setup
	EPLAN_BASE_URL=$(EPLAN_BASE_URL) $(FLASK) run --host $(HOST) --port $(PORT)

## lint: ruff (lint rules and format check), mypy and the import contract, as configured in pyproject.toml
lint: install-lint
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

## test: install the test extras and run the whole suite on the real PostgreSQL and Redis
test: install-test translations services browser graphviz
	$(PY) -m pytest $(PYTEST_ARGS)

## worker: run background jobs from Redis (needs EPLAN_REDIS_URL) and relay the outbox
worker: install translations
	$(FLASK) eplan worker

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
