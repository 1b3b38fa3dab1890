# Two entry points, see README: `make run` and `make test`.
# Both create their own virtual environment (.venv) from pinned constraints.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: run demo test data train bench clean

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $@

# The service: migrations applied, then gunicorn on 127.0.0.1:8000 (SQLite under
# instance/ and the shipped model by default; DATABASE_URL for PostgreSQL).
run: $(VENV)/.installed
	$(VENV)/bin/flask --app api db upgrade
	$(VENV)/bin/gunicorn -c gunicorn.conf.py

# The same recommendation from the command line, no service needed.
demo: $(VENV)/.installed
	$(PY) -m recommender.recommend --ateco 23.31 --province MO --maturity-level 2 --customer b2b -k 10

test: $(VENV)/.installed
	$(PY) -m pytest

data: $(VENV)/.installed
	$(PY) -m recommender.data build

train: $(VENV)/.installed
	$(PY) -m recommender.train

clean:
	rm -rf $(VENV) .pytest_cache
