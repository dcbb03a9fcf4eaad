# Nexus: `make run` starts the wiki, `make test` runs every test. Both set themselves up.
VENV   := .venv
PY     := $(VENV)/bin/python
FLASK  := $(VENV)/bin/flask --app wsgi
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: run serve test venv chromium redis clean

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

## Start the wiki on SQLite in instance/ at http://127.0.0.1:5000 (development server),
## with the starter pages of content/hub (docs/backup.md).
run: venv
	$(FLASK) db upgrade
	$(FLASK) load-starter
	$(FLASK) run --host $(HOST) --port $(PORT)

## Start the wiki under gunicorn, as in production.
serve: venv
	$(FLASK) db upgrade
	$(FLASK) load-starter
	$(VENV)/bin/gunicorn -c deploy/gunicorn.conf.py --bind $(HOST):$(PORT) wsgi:app

## Check the layer contracts (.importlinter), then run all tests (SQLite; PostgreSQL too when
## TEST_DATABASE_URL is set, the database created when missing; browser tests in Chromium;
## Redis tests on a private redis-server).
test: venv chromium redis
	$(VENV)/bin/lint-imports
	$(PY) -m pytest

chromium:
	@scripts/ensure-chromium

redis:
	@scripts/ensure-redis

clean:
	rm -rf $(VENV) .pytest_cache

## Front-end libraries: static/vendor/<package>-<version>/ rebuilt from the npm registry exactly as
## package-lock.json pins them (`npm ci`); `make vendor-check` fails when the committed bytes differ.
## Issue 19 (reading): axe-core (browser tests' accessibility checks) and Mermaid (diagrams).
.PHONY: vendor vendor-check
AXE_DIR     := static/vendor/axe-core-4.14.1
MERMAID_DIR := static/vendor/mermaid-12.3.0
vendor: node_modules/.package-lock.json
	mkdir -p $(AXE_DIR) $(MERMAID_DIR)
	cp node_modules/axe-core/axe.min.js node_modules/axe-core/LICENSE node_modules/axe-core/LICENSE-3RD-PARTY.txt $(AXE_DIR)/
	cp node_modules/mermaid/dist/mermaid.min.js node_modules/mermaid/LICENSE $(MERMAID_DIR)/

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund

vendor-check:
	$(PY) -m pytest -q tests/web/test_vendor.py
