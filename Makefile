# The project's front door. `make local` runs the local Kafka + Connect + connector; `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# Re-install only when the pinned requirements or the project's packaging change.
REQ_HASH := $(shell cat requirements.txt requirements-dev.txt pyproject.toml | sha256sum | cut -c1-12)
VENV_STAMP := $(VENV)/.installed-$(REQ_HASH)

.PHONY: setup lint workflows pulumi-cli lambda-deps test unit mutate jars previous-jars local local-down bench

setup: $(VENV_STAMP)

$(VENV_STAMP): requirements.txt requirements-dev.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	# The project itself, for its `wms-ops` command (docs/operations.md).
	$(PY) -m pip install -q --disable-pip-version-check --no-deps -e .
	rm -f $(VENV)/.installed-* && touch $@

lint: setup
	$(VENV)/bin/ruff check .

# The tests that need no server run two at a time (one per core), a test file's tests together and in order.
UNIT_PYTEST := $(PY) -m pytest -q -m "not integration" -n 2 --dist loadfile

unit: setup
	$(UNIT_PYTEST)

# Mutation testing of the modules whose mistakes lose data or cross a boundary (devtools/mutation.py): prints each
# module's score and every survivor not listed in devtools/mutation_equivalents/, and fails while one is left. Its
# six minutes or so would take `make test` past its fifteen, so it is a target of its own.
mutate: setup
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-mutate.txt
	$(PY) -m devtools.mutation

# actionlint (built once from its pinned Go module into the tool cache) and zizmor on .github/workflows.
workflows: setup
	$(PY) -m devtools.workflow_lint

# The pinned Pulumi CLI for the engine tests: built once from its Go module (devtools/pulumi_cli/) into the tool
# cache; a second run finds it there and builds nothing.
pulumi-cli: setup
	$(PY) -m devtools.pulumi_engine

# The integration tests (real Kafka, Connect, Debezium, the Pulumi engine) one at a time: their servers and timing
# are theirs alone; then the rest, in parallel.
test: setup lint workflows jars previous-jars pulumi-cli lambda-deps
	$(PY) -m pytest -q -m integration
	$(UNIT_PYTEST)

# The Lambda archive's compiled libraries (python-oracledb and what it needs) for the Lambda's platform, installed
# once into a cache outside the repository; `pulumi up` installs them itself when they are missing.
lambda-deps: setup
	$(PY) -m components.lambda_package

# The pinned Kafka Connect / Debezium / JMX exporter / broker jars (connect-image/pom.xml), resolved with Maven into
# a cache outside the repository; a second run finds them there and downloads nothing.
jars: setup
	$(PY) -m devtools.connect_jars

# The jar set the stages ran before the current pins (connect-image/previous/pom.xml), for the upgrade test.
previous-jars: setup
	$(PY) -m devtools.connect_jars --previous

# A local KRaft broker + Connect worker on 127.0.0.1 (ports and directories: docs/local-development.md).
# `make local STANDIN=1` captures a stand-in PostgreSQL database started here instead of local.env's database.
local: setup jars
	$(PY) -m devtools.local up $(if $(STANDIN),--standin)

local-down: setup
	$(PY) -m devtools.local down

# Every benchmark script; each prints its figures.
bench: setup jars
	@set -e; for script in bench/bench_*.py; do echo "== $$script"; PYTHONPATH=. $(PY) "$$script"; done
