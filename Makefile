# The project's front door. `make local` runs the local Kafka + Connect + connector; `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# Re-install only when the pinned requirements change.
REQ_HASH := $(shell cat requirements.txt requirements-dev.txt | sha256sum | cut -c1-12)
VENV_STAMP := $(VENV)/.installed-$(REQ_HASH)

.PHONY: setup lint test unit

setup: $(VENV_STAMP)

$(VENV_STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	rm -f $(VENV)/.installed-* && touch $@

lint: setup
	$(VENV)/bin/ruff check .

unit: setup
	$(PY) -m pytest -q -m "not integration"

test: setup lint
	$(PY) -m pytest -q
