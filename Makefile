# The two commands: `make run` (the whole system, embedded) and `make test` (the whole suite).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# tests/contract's TypeScript generator and compiler, pinned in its package-lock.json (Node 20+, npm).
CONTRACT := tests/contract
NPM_STAMP := $(CONTRACT)/node_modules/.installed

.PHONY: run test up down bench audit lint format migrate clean

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

$(NPM_STAMP): $(CONTRACT)/package.json $(CONTRACT)/package-lock.json
	npm ci --prefix $(CONTRACT) --no-audit --no-fund --loglevel=error
	@touch $(NPM_STAMP)

## make run: gateway and five services in one process on http://127.0.0.1:8000 (SQLite, demo data)
run: $(STAMP)
	$(BIN)/python -m gateway.embedded --host 127.0.0.1 --port 8000

## make test: the whole suite; starts PostgreSQL, RabbitMQ and Redis when down and installs Chromium when missing
test: $(STAMP) $(NPM_STAMP)
	bash deploy/test-services.sh
	$(BIN)/ruff check .
	$(BIN)/mypy
	REQUIRE_SERVICES=1 $(BIN)/pytest -q -n 2 --dist loadgroup --durations=25 --cov --cov-report=term

## make up / make down: each service and the gateway as its own process, PostgreSQL, RabbitMQ and Redis
## (`up` starts a local redis-server when none answers on 6379)
up: $(STAMP)
	$(BIN)/python deploy/stack.py up

down: $(STAMP)
	$(BIN)/python deploy/stack.py down

## make bench: throughput and latency of the distributed stack, printed as a table
bench: $(STAMP)
	$(BIN)/python deploy/bench.py
	$(BIN)/python deploy/bench_notifications.py

## make audit: known vulnerabilities in the pinned dependencies (pip-audit; needs PyPI's JSON API or OSV)
audit: $(STAMP)
	$(BIN)/pip install --quiet -c constraints.txt pip-audit
	$(BIN)/pip-audit --strict --disable-pip --no-deps -r constraints.txt $(AUDIT_FLAGS)

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format . && $(BIN)/ruff check --fix .

clean:
	rm -rf var .pytest_cache
