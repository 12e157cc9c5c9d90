# One entry point for everything. `make run` and `make test` work on a fresh machine with Python 3.11+.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: install run test lint fmt bench messages migrate seed clean screenshots

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*; touch $@

install: $(STAMP)

migrate: install
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_demo --if-empty

# Web on 127.0.0.1:8000 + Celery worker + beat (Procfile), each under tools/respawn.py: one that dies
# is started again by itself (1 s, doubling to 30 s). Ctrl-C stops all three cleanly in ~2 s.
run: seed
	$(PY) manage.py collectstatic --noinput -v0
	$(VENV)/bin/honcho start -f Procfile

# The whole suite. DATABASE_URL / CELERY_BROKER_URL select PostgreSQL / Redis (CI does).
test: install
	$(PY) -m pytest $(PYTEST_ARGS)

# Refresh docs/screenshots/ from the browser tests (they write to var/screenshots/ otherwise).
screenshots: install
	LEADFLOW_SCREENSHOTS=$(CURDIR)/docs/screenshots $(PY) -m pytest -q -m browser

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports  # import boundaries: pyproject.toml [tool.importlinter]
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) manage.py check
	$(PY) manage.py validate_templates
	DJANGO_SETTINGS_MODULE=leadflow.settings.production SECRET_KEY=lint-only-$$(date +%s)-not-a-real-secret-key-0123456789abcdef \
		ALLOWED_HOSTS=crm.example.ru $(PY) manage.py check --deploy --fail-level WARNING

fmt: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: install
	$(PY) bench/run.py

# Russian UI strings: edit locale/ru/LC_MESSAGES/django.po, then `make messages` (needs gettext).
messages: install
	$(PY) manage.py makemessages -l ru --ignore=.venv --ignore=var
	$(PY) manage.py compilemessages --ignore=.venv

clean:
	rm -rf var/broker var/*.sqlite3* var/celerybeat-schedule*
