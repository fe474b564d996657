# `make run` serves the UI; `make test` runs every test. Both set up .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint format bench loadtest clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# The CPU build of torch first: a plain `torch` requirement would pull a CUDA build of several GB.
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/qa-bot serve

test: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Our chain and the tutorial recipe on ../shared/squad-dev (or BENCH_ARGS="path/to/data").
bench: install
	$(BIN)/python benchmarks/bench.py $(BENCH_ARGS)

# 20 chat sessions for two minutes against a fresh app on 127.0.0.1 while an ingest runs; prints
# p50/p95 time to first token (docs/operations.md). E.g. LOAD_ARGS="--duration 300 --sessions 24"
loadtest: install
	$(BIN)/python -m benchmarks.loadtest $(LOAD_ARGS)

clean:
	rm -rf $(VENV) vectorstore/chroma.sqlite3 vectorstore/*-*-*-*-* vectorstore/keyword
