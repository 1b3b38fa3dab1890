# Two entry points, see README: `make run` and `make test`.
# Both create their own virtual environment (.venv) from pinned constraints,
# install the Debian packages the PDF plan and the browser tests need
# (scripts/install-system-packages, when root) and compile the translations.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
CATALOGS := $(wildcard api/translations/*/LC_MESSAGES/messages.po)

.PHONY: run demo test lint data train bench clean system-packages translations translations-extract screenshots

$(VENV)/.installed: pyproject.toml constraints.txt
	scripts/install-system-packages
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $@

# Debian packages (Pango for WeasyPrint, Chromium for the browser tests): a no-op when present
system-packages:
	scripts/install-system-packages

# compiled catalogs (.mo) are built from the committed .po files, not committed
%.mo: %.po $(VENV)/.installed
	$(VENV)/bin/pybabel compile -i $< -o $@

translations: $(CATALOGS:.po=.mo)

# after changing user-facing strings: refresh the template and the catalogs, then translate the new entries
translations-extract: $(VENV)/.installed
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
	  --project export-recommender --version 0.1.0 -o api/translations/messages.pot .
	$(VENV)/bin/pybabel update -i api/translations/messages.pot -d api/translations --no-fuzzy-matching --no-wrap

# The service: migrations applied, then gunicorn on 127.0.0.1:8000 (SQLite under
# instance/ and the shipped model by default; DATABASE_URL for PostgreSQL),
# with one registry-scoring job worker beside it (JOBS_EMBEDDED_WORKERS).
# The web app for borsisti is at / (sign in), the API under /api/v1.
run: $(VENV)/.installed translations
	$(VENV)/bin/flask --app api db upgrade
	$(VENV)/bin/flask --app api welcome   # on an empty instance: how to create the first user and API key
	JOBS_EMBEDDED_WORKERS=$${JOBS_EMBEDDED_WORKERS:-1} $(VENV)/bin/gunicorn -c gunicorn.conf.py

# The same recommendation from the command line, no service needed.
demo: $(VENV)/.installed
	$(PY) -m recommender.recommend --ateco 23.31 --province MO --maturity-level 2 --customer b2b -k 10

test: system-packages $(VENV)/.installed translations lint
	$(PY) -m pytest

# pyflakes-class errors (unused and undefined names) and syntax errors, in everything that ships;
# then type errors in recommender/ (mypy, files and settings from [tool.mypy] in pyproject.toml)
lint: $(VENV)/.installed
	$(VENV)/bin/ruff check recommender api tests benchmarks scripts gunicorn.conf.py gunicorn_workers.py
	$(VENV)/bin/mypy

data: $(VENV)/.installed
	$(PY) -m recommender.data build

train: $(VENV)/.installed
	$(PY) -m recommender.train

# the README's screenshots (docs/screenshots/), Italian and English
screenshots: $(VENV)/.installed translations
	$(PY) scripts/docs-screenshots

clean:
	rm -rf $(VENV) .pytest_cache
