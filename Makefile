# The portal's two everyday commands: `make run` and `make test`. Everything else supports them.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
MANAGE := $(PY) manage.py

.PHONY: drill run test property-nightly venv install install-dev migrate translations messages seed lint format bench check-deploy clean bench-recognition

run: install migrate translations seed ## start web, Celery worker and beat (and embedded Redis) on demo data
	$(PY) -m portal.launcher run

test: install-dev translations ## the whole test suite (PostgreSQL/Redis when DATABASE_URL/REDIS_URL are set)
	DJANGO_ALLOW_ASYNC_UNSAFE=true $(PY) -m portal.launcher exec -- $(PY) -m pytest $(PYTEST_ARGS)

property-nightly: install-dev translations ## the stateful property test of the charge run, large profile (~1 h)
	BILLING_PROPERTY_EXAMPLES=$${BILLING_PROPERTY_EXAMPLES:-300} BILLING_PROPERTY_STEPS=$${BILLING_PROPERTY_STEPS:-24} \
	DJANGO_ALLOW_ASYNC_UNSAFE=true $(PY) -m portal.launcher exec -- $(PY) -m pytest tests/billing/test_run_stateful.py -q

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

venv: $(PY)

$(VENV)/.installed: requirements.txt | $(PY)
	$(PIP) install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(PY)
	$(PIP) install --quiet -r requirements-dev.txt
	touch $(VENV)/.installed $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

migrate: install
	$(MANAGE) migrate --no-input

translations: install ## compile locale/*.po (pure Python, no GNU gettext needed)
	$(MANAGE) compile_translations

messages: install ## extract new strings into the catalogs (needs GNU gettext)
	$(MANAGE) makemessages --no-obsolete --no-location --no-wrap -l uk -l ru -l en --ignore=.venv --ignore=var --ignore=tests --ignore=bench
	$(MANAGE) makemessages --no-obsolete --no-location --no-wrap -d djangojs -l uk -l ru -l en --ignore=.venv --ignore=var --ignore=staticfiles

seed: migrate
	$(MANAGE) setup_periodic_tasks
	$(MANAGE) seed_demo

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

check-deploy: install ## `check --deploy` with production settings and throwaway values (valid checksums, not the demo's)
	DJANGO_SETTINGS_MODULE=portal.settings.production \
	SECRET_KEY=check-deploy-$$(date +%s)-a-long-random-looking-secret-value-for-the-check \
	DATABASE_URL=$${DATABASE_URL:-sqlite:///var/check.sqlite3} REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6379/0} \
	ALLOWED_HOSTS=portal.example.com PORTAL_URL=https://portal.example.com \
	SUPPLIER_LEGAL_NAME='ТОВ "Перевірка-Деплою"' SUPPLIER_CODE=40000006 SUPPLIER_IBAN=UA223052990000026001234567890 \
	SUPPLIER_BANK='АТ "Тестовий Банк"' SUPPLIER_ADDRESS='вул. Тестова, 1, Київ' SUPPLIER_PHONE='0 800 111 111' \
	$(MANAGE) check --deploy --fail-level WARNING

drill: install-dev ## the fault drill (bench/drill.py): own PostgreSQL, Redis, gunicorn, workers; results in docs/reliability.md
	$(PY) bench/drill.py $(DRILL_ARGS)

bench-recognition: install ## meter-photo reading: 500 generated drum + 500 LCD photos, accuracy and CPU per photo (bench/RESULTS.md)
	$(PY) bench/recognition.py $(BENCH_ARGS)

bench: install-dev
	$(PY) -m portal.launcher exec -- $(PY) bench/run.py
	$(PY) -m portal.launcher exec -- $(PY) bench/billing_run.py
	$(PY) -m portal.launcher exec -- $(PY) bench/invoices.py
	$(PY) -m portal.launcher exec -- $(PY) bench/invoice_pdf.py
	$(PY) -m portal.launcher exec -- $(PY) bench/reminders.py
	$(PY) -m portal.launcher exec -- $(PY) bench/api_load.py
	$(PY) -m portal.launcher exec -- $(PY) bench/submit_profile.py
	$(PY) -m portal.launcher exec -- $(PY) bench/import_readings.py

clean:
	rm -rf $(VENV) var staticfiles db.sqlite3
