# `make run` serves the UI; `make test` runs every test. Both set up .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint format bench bench-pdf bench-scale loadtest clean

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

# The same articles as text files and as PDFs (wrapped lines, page breaks), 1,500 questions;
# about 6 minutes.
bench-pdf: install
	$(BIN)/python benchmarks/bench_pdf.py $(BENCH_ARGS)

# Ingest and query at 10k and 100k chunks of Debian's documentation packages (see
# benchmarks/bench_scale.py), embedded and server, beside the tutorial recipe; about an hour on
# 2 CPU cores. A quick look: make bench-scale SCALE_ARGS="--chunks 2000 --checkpoint 500"
bench-scale: install
	test -d /usr/share/perl/5.36.0/pod -a -d /usr/share/doc/postgresql-doc-15 -a -d /usr/share/doc/git-doc -a -d /usr/share/doc/linux-doc/Documentation || (apt-get update -qq && apt-get install -y -qq python3-doc postgresql-doc-15 git-doc linux-doc perl-doc)
	$(BIN)/python benchmarks/bench_scale.py $(SCALE_ARGS)

# 20 chat sessions for two minutes against a fresh app on 127.0.0.1 while an ingest runs; prints
# p50/p95 time to first token (docs/operations.md). E.g. LOAD_ARGS="--duration 300 --sessions 24"
loadtest: install
	$(BIN)/python -m benchmarks.loadtest $(LOAD_ARGS)

clean:
	rm -rf $(VENV) vectorstore/chroma.sqlite3 vectorstore/*-*-*-*-* vectorstore/keyword
