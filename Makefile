# The README's two commands are `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
RUN_STAMP  := $(VENV)/.run-installed
TEST_STAMP := $(VENV)/.test-installed
EVAL_STAMP := $(VENV)/.eval-installed

.PHONY: run test test-fast lint eval bench browser-deps clean

## run: set up, (re)index the corpus if it is missing or changed, open the chat on http://127.0.0.1:7860
run: $(RUN_STAMP)
	$(BIN)/assistant ingest
	$(BIN)/assistant serve

## test: set up with dev tools and run the whole test suite (what CI runs)
test: $(TEST_STAMP) browser-deps
	$(BIN)/python -m pytest -q

## test-fast: skip tests that load real models, start servers or drive a browser
test-fast: $(TEST_STAMP)
	$(BIN)/python -m pytest -q -m "not slow and not browser"

lint: $(TEST_STAMP)
	$(BIN)/ruff check assistant tests eval
	$(BIN)/ruff format --check assistant tests eval
	$(BIN)/mypy

## eval: answer-quality evaluation with report (and charts) under out/eval and the regression gate
eval: $(EVAL_STAMP)
	$(BIN)/assistant eval --out out/eval

## bench: retrieval and answer benchmarks (prints figures; not a test)
bench: $(TEST_STAMP)
	$(BIN)/python eval/bench.py

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(EVAL_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[eval]"
	touch $(RUN_STAMP) $@

# torch first, pinned, so pip takes the CPU build instead of resolving a CUDA one
$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e ".[dev,st]"
	touch $(RUN_STAMP) $(EVAL_STAMP) $@

# Debian's Chromium for the browser test; skipped (the test says why) where apt is not usable
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null) \
	      || echo "chromium could not be installed: the browser test will be skipped"; \
	  else echo "chromium missing and apt-get not usable: the browser test will be skipped"; fi; }

clean:
	rm -rf $(VENV) data out .pytest_cache
