# Nexus: `make run` starts the wiki, `make test` runs every test. Both set themselves up.
VENV   := .venv
PY     := $(VENV)/bin/python
FLASK  := $(VENV)/bin/flask --app wsgi
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: run serve test venv chromium redis clean vendor vendor-check

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

## Rebuild static/vendor/ from package-lock.json (npm ci in a scratch folder; tests/test_vendor.py
## checks the committed files against it).
vendor:
	python3 scripts/vendor.py

## Fail when the committed static/vendor/ differs from what package-lock.json pins.
vendor-check:
	python3 scripts/vendor.py --check

chromium:
	@scripts/ensure-chromium

redis:
	@scripts/ensure-redis

clean:
	rm -rf $(VENV) .pytest_cache
