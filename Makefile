# The course's two commands: `make book` and `make test`. Everything else is a step they call.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# nbgrader and jupyter-book call other entry points of the environment: keep its bin/ first on PATH.
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: book test env lint check-outputs pytest bench clean

env: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[course]"
	touch $@

book: env
	$(BIN)/jupyter-book build . -W -n --keep-going

lint: env
	$(BIN)/ruff check lib tests benchmarks

check-outputs: env
	$(BIN)/python tools/check_no_outputs.py

pytest: env
	$(BIN)/python -m pytest

test: lint check-outputs pytest

bench: env
	$(BIN)/python benchmarks/bench_lstm.py

clean:
	rm -rf _build
