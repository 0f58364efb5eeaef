# make run  - install, migrate, load the demo company and serve http://127.0.0.1:8000
# make test - the whole suite against PostgreSQL and Redis (DATABASE_URL / REDIS_URL)
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
DATABASE_URL_TEST ?= postgres://postgres@127.0.0.1:5432/omc
REDIS_URL_TEST ?= redis://127.0.0.1:6379/15

.PHONY: run test install install-dev migrate demo lint docs bench clean messages catalogues loadtest

$(PY):
	@python="$$(scripts/find_python.sh)" && echo "Creating $(VENV) with $$python" && "$$python" -m venv $(VENV)
	@$(PY) -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed
	$(PY) -m pip install -q -e ".[dev]"
	@touch $@

install: $(VENV)/.installed catalogues
install-dev: $(VENV)/.installed-dev catalogues

# Translations (docs/i18n.md). The .po files are the source and are committed; the .mo files
# are built here, in pure Python (no GNU gettext needed to run). `make messages` re-extracts
# every string into the catalogues (needs gettext: scripts/ensure_system_packages.sh).
LANGS := vi it id th zh_Hant
catalogues: $(VENV)/.installed
	@$(PY) manage.py compile_catalogues
messages: $(VENV)/.installed
	@scripts/ensure_system_packages.sh
	$(PY) manage.py makemessages --no-obsolete --no-location --ignore=.venv --ignore=staticfiles --ignore=tests --ignore=bench $(foreach l,$(LANGS),-l $(l))
	$(PY) manage.py makemessages -d djangojs --no-obsolete --no-location --ignore=.venv --ignore=staticfiles --ignore=tests --ignore=bench --ignore=vendor $(foreach l,$(LANGS),-l $(l))
	$(PY) manage.py compile_catalogues

migrate: install
	$(PY) manage.py migrate --noinput

# The demo company; each step app's seed does nothing once its data exists. Mail and task
# logs stay quiet while seeding (the hand-offs it causes are history, not news).
demo: migrate
	$(PY) manage.py seed_demo --if-empty
	EMAIL_BACKEND=django.core.mail.backends.dummy.EmailBackend LOG_LEVEL=WARNING $(PY) manage.py seed_stock
	EMAIL_BACKEND=django.core.mail.backends.dummy.EmailBackend LOG_LEVEL=WARNING $(PY) manage.py seed_planning
	EMAIL_BACKEND=django.core.mail.backends.dummy.EmailBackend LOG_LEVEL=WARNING $(PY) manage.py scheduling_demo
	EMAIL_BACKEND=django.core.mail.backends.dummy.EmailBackend LOG_LEVEL=WARNING $(PY) manage.py seed_shipments
	EMAIL_BACKEND=django.core.mail.backends.dummy.EmailBackend LOG_LEVEL=WARNING $(PY) manage.py seed_billing
	EMAIL_BACKEND=django.core.mail.backends.dummy.EmailBackend LOG_LEVEL=WARNING $(PY) manage.py seed_returns
	$(PY) manage.py seed_service
	$(PY) manage.py score_orders
	EMAIL_BACKEND=django.core.mail.backends.dummy.EmailBackend LOG_LEVEL=WARNING $(PY) manage.py seed_portal

run: demo
	PY=$(PY) scripts/run_local.sh

test: install-dev
	@DATABASE_URL="$${DATABASE_URL:-$(DATABASE_URL_TEST)}" REDIS_URL="$${REDIS_URL:-$(REDIS_URL_TEST)}" $(PY) scripts/check_services.py
	@scripts/ensure_chromium.sh
	@scripts/ensure_system_packages.sh
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	DATABASE_URL="$${DATABASE_URL:-$(DATABASE_URL_TEST)}" REDIS_URL="$${REDIS_URL:-$(REDIS_URL_TEST)}" $(PY) -m pytest $(PYTEST_ARGS)

docs: install
	$(PY) manage.py states_doc > docs/states.md

bench: install-dev
	DATABASE_URL="$${DATABASE_URL:-$(DATABASE_URL_TEST)}" $(PY) bench/run.py $(BENCH_ARGS)

# 30 users for 5 minutes against gunicorn on a seeded database (docs/reliability.md), loopback only.
loadtest: install-dev
	LOADTEST_DATABASE_URL="$${LOADTEST_DATABASE_URL:-$${DATABASE_URL:?set LOADTEST_DATABASE_URL}}" scripts/loadtest.sh

clean:
	rm -rf $(VENV) staticfiles .pytest_cache
