# Two commands for a fresh clone:  make run  ·  make test
# Both create .venv, install the pinned requirements and set up what they need.

PY := .venv/bin/python
# Python for the commands that run before .venv exists.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint format bench docs schema checkpoints checkpoints-verify clean

# Nothing starts on a port that is taken; scripts/serve says what to open once it answers.
run:
	@$(PYTHON) scripts/port-free "$(HOST)" "$(PORT)"
	@scripts/setup runtime
	@$(PY) manage.py migrate --noinput -v 0
	@scripts/with-redis scripts/serve $(HOST):$(PORT)

# Tests run side by side, one worker per core (at most 4): most of their time
# is spent waiting on servers and browsers. TEST_WORKERS=0 runs them in one process.
TEST_WORKERS ?= auto
test: lint
	@scripts/with-redis $(PY) -m pytest -n $(TEST_WORKERS) --maxprocesses 4

lint:
	@scripts/setup dev
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy .

# The AsyncAPI document as the server serves it, committed as schema/asyncapi.yaml:
# a change to the wire format shows in review, and `make test` fails until it is made.
schema:
	@scripts/setup dev
	@$(PY) manage.py asyncapi

# The benchmarks (bench/), each printing its figures.
BENCHMARKS := bench.suite bench.answer_quality bench.uploads
bench:
	@scripts/setup dev
	@for benchmark in $(BENCHMARKS); do scripts/with-redis $(PY) -m $$benchmark || exit 1; done

# README.md and docs/ as a static site in docs/_build/html (docs/conf.py). Every
# warning fails it: a broken link, anchor or image. -E rereads every page, so an
# unchanged page's warnings are not skipped.
docs:
	@scripts/setup dev
	$(PY) -m sphinx -W --keep-going -n -E -q -b html -d docs/_build/doctrees docs docs/_build/html
	@echo "The site: docs/_build/html/index.html"

# Local branches cp0, cp1 ... one per part of the tutorial (docs/tutorial/), derived
# from this commit without touching the working tree.
checkpoints:
	@$(PYTHON) -m tutorial build

# Prove every checkpoint installs, migrates, runs and passes its own tests (CI runs this).
checkpoints-verify:
	@$(PYTHON) -m tutorial verify

format:
	@scripts/setup dev
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

clean:
	rm -rf .venv node_modules staticfiles media .run .mypy_cache .ruff_cache .pytest_cache
