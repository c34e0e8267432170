# The course's two commands: `make book` and `make test`. Everything else is a step they call.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# nbgrader and jupyter-book call other entry points of the environment: keep its bin/ first on PATH.
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: book book-instructor translations test test-fast portability env mathjax lint check-outputs pytest bench clean system-deps

env: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[course]"
	touch $@

# MathJax is fetched once from the npm registry (pinned, checksummed) and served by the book itself.
MATHJAX := _vendor/mathjax/.version
mathjax: $(MATHJAX)
$(MATHJAX): tools/offline_mathjax.py | env
	$(BIN)/python tools/offline_mathjax.py
	touch $@

# The execution cache keys on a notebook's code cells, not on what the notebook imports or reads:
# forget it whenever a file under lib/ (code or shipped data) is newer than the last build. The solutions
# decide what the student edition hides (rnnbook.exercises).
EXEC_INPUTS := $(shell find lib -type f -not -path '*/__pycache__/*' -not -path '*.egg-info/*' \
                 2>/dev/null) pyproject.toml $(wildcard solutions/*/*.ipynb)
_build/.exec-inputs: $(EXEC_INPUTS)
	rm -rf _build/.jupyter_cache
	mkdir -p _build && touch $@

# --all re-reads every page (executed notebooks come from the cache), so that every warning of the whole
# book is reported on every build, not only those of the pages that changed.
# The student edition, the one to publish: no function a student writes in an exercise shows its body.
# Its Chinese edition follows, in _build/html/zh/: the same pages translated by the catalogues in
# locale/zh_CN/LC_MESSAGES, its configuration derived from _config.yml by tools/i18n.py (language, title, and
# the English build's execution cache, so that it executes nothing). A language has doctrees of its own: it is
# built in _build/zh and its HTML moved into place. The offline check reads both editions.
ZH := _build/zh
book: env mathjax _build/.exec-inputs
	RNNBOOK_EDITION=student $(BIN)/jupyter-book build --all . -W -n --keep-going
	$(BIN)/python tools/i18n.py config zh_CN $(ZH)
	RNNBOOK_EDITION=student $(BIN)/jupyter-book build --all . --config $(ZH)/_config.zh_CN.yml --path-output $(ZH) \
	    -W -n --keep-going
	rm -rf _build/html/zh
	mv $(ZH)/_build/html _build/html/zh
	$(BIN)/python tools/i18n.py share-mathjax _build/html _build/html/zh
	$(BIN)/python tools/check_offline_html.py _build/html

# The catalogues follow the English pages: the strings are extracted again (no execution, a few seconds) and
# merged into locale/<language>/LC_MESSAGES/ with every existing translation as a compendium (tools/i18n.py).
# Then translate what is untranslated or fuzzy, and check with `python tools/po_check.py`.
translations: env mathjax
	$(BIN)/python tools/i18n.py update
	@$(BIN)/python tools/i18n.py status --pot _build/i18n/_build/gettext || true

# The instructor edition, every function in full, in _build/instructor/html. The edition changes what cells
# print, so it has its own execution cache (_build/instructor/_build/.jupyter_cache): neither edition's pages
# may come from the other's cache.
INSTRUCTOR := _build/instructor
$(INSTRUCTOR)/.exec-inputs: $(EXEC_INPUTS)
	rm -rf $(INSTRUCTOR)/_build/.jupyter_cache
	mkdir -p $(INSTRUCTOR) && touch $@

book-instructor: env mathjax $(INSTRUCTOR)/.exec-inputs
	RNNBOOK_EDITION=instructor $(BIN)/jupyter-book build --all . --path-output $(INSTRUCTOR) -W -n --keep-going
	rm -rf $(INSTRUCTOR)/html
	mv $(INSTRUCTOR)/_build/html $(INSTRUCTOR)/html
	$(BIN)/python tools/check_offline_html.py $(INSTRUCTOR)/html

lint: env
	$(BIN)/ruff check lib tests benchmarks tools
	$(BIN)/python tools/lint_notebooks.py

check-outputs: env
	$(BIN)/python tools/check_no_outputs.py

pytest: env mathjax system-deps
	$(BIN)/python -m pytest

system-deps:
	tools/system_deps.sh

# Both editions are built (strictly) before the tests, which check the built pages: that the student edition
# shows no answer, and that the instructor edition, built from the same sources, does.
test: lint check-outputs book book-instructor pytest

# The quick loop: no book build, no grading of whole classes.
test-fast: lint check-outputs mathjax system-deps
	$(BIN)/python -m pytest -m "not book and not batch"

# Every chapter and the numerical tests under three OpenBLAS kernels (rounding differs between them, as it
# does between CPUs); one line per kernel. Too slow for every `make test`: run it when numbers may change.
portability: env mathjax system-deps
	$(BIN)/python tools/portability.py

# OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE may be set on this machine to protect old OpenBLAS builds; they force a
# slower kernel on the current one, so the benchmark runs without them (the kernel in use is printed).
bench: env
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE $(BIN)/python benchmarks/bench_lstm.py

clean:
	rm -rf _build
