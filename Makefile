# Developer verbs. CI calls the same ones (.ci/run -> make test).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: screenshots run test test-sqlite test-postgres test-topology load lint fmt types imports migrate revision demo bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Reinstall only when the project's declared dependencies change.
$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e . || $(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test,postgres,redis]' || $(BIN)/pip install --quiet -e '.[test,postgres,redis]'
	touch $@ $(VENV)/.installed-run

run: $(VENV)/.installed-run
	$(BIN)/tandem migrate
	$(BIN)/tandem demo --if-empty
	$(BIN)/tandem serve --host $(HOST) --port $(PORT)

migrate: $(VENV)/.installed-run
	$(BIN)/tandem migrate

demo: $(VENV)/.installed-run
	$(BIN)/tandem demo

revision: $(VENV)/.installed-test
	@test -n "$(m)" || (echo 'usage: make revision m="what changed"' && exit 2)
	$(BIN)/alembic -c backend/migrations/alembic.ini revision --autogenerate -m "$(m)"

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt: $(VENV)/.installed-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

types: $(VENV)/.installed-test
	$(BIN)/mypy

imports: $(VENV)/.installed-test
	$(BIN)/lint-imports

test-sqlite: $(VENV)/.installed-test
	$(BIN)/pytest --db=sqlite

# Starts a throwaway PostgreSQL cluster (initdb/pg_ctl in a temp dir); skipped with a
# reason where PostgreSQL is not installed, and a failure in CI (CI=true).
test-postgres: $(VENV)/.installed-test
	$(BIN)/pytest --db=postgres

test: lint types imports test-sqlite test-postgres

# PostgreSQL, Redis, two app processes and nginx (TLS) on 127.0.0.1:18100-18199, started
# from deploy/'s own files; kills one process mid-stream, stops Redis (deploy/README.md).
# Needs Debian's postgresql, redis-server and nginx-light; .ci/run installs them.
test-topology: $(VENV)/.installed-test
	mkdir -p var
	TANDEM_TOPOLOGY=1 TANDEM_TOPOLOGY_REPORT=var/topology-last-run.txt \
		$(BIN)/pytest tests/deploy/test_topology.py -p no:cacheprovider

# The bounded load run against the topology and a single process (deploy/README.md).
load: $(VENV)/.installed-test
	$(BIN)/python -m bench.load

bench: $(VENV)/.installed-test
	$(BIN)/python -m bench.http

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache

# Refresh the phone-width screenshots in docs/screenshots (the browser tests take them).
screenshots: $(VENV)/.installed-test
	TANDEM_SCREENSHOTS=1 $(BIN)/pytest tests/browser -p no:cacheprovider -q
