# gradbook: the two commands are `make lab` (open the course) and `make test` (run the tests).
# Everything lives in a virtual environment ($(VENV)); nothing is installed system-wide except
# the Graphviz `dot` program, which is installed with apt-get only when running as root.

PYTHON ?= python3
VENV ?= .venv
LAB_NOTEBOOK ?= course/01-why-gradients.ipynb
PYTEST_ARGS ?=

VPY := $(VENV)/bin/python
TEST_STAMP := $(VENV)/.gradbook-test.stamp
COURSE_STAMP := $(VENV)/.gradbook-course.stamp
BENCH_STAMP := $(VENV)/.gradbook-bench.stamp

.DEFAULT_GOAL := help
.PHONY: help venv install-test install-course install-bench graphviz chromium compiler test lab release bench speedups lint clean

help:
	@echo "make lab      install the course extras and open the course in JupyterLab"
	@echo "make release  regenerate course/ from solutions/ (gradbook release, then validate)"
	@echo "make test     install the test extras (with PyTorch as the oracle) and run the tests"
	@echo "make bench    run the benchmarks (tests/benchmarks), on the compiled engine"
	@echo "make speedups compile the engine's hot modules with Cython (optional; pure Python otherwise)"
	@echo "make lint     ruff check"
	@echo "make clean    remove build artifacts (keeps $(VENV))"

# --- the virtual environment ---------------------------------------------------------------

venv: $(VPY)

$(VPY):
	@if ! $(PYTHON) -m venv $(VENV); then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "python venv support is missing; installing python3-venv with apt-get"; \
	    rm -rf $(VENV); \
	    apt-get update -qq && apt-get install -y -qq python3-venv && $(PYTHON) -m venv $(VENV); \
	  else \
	    echo "Could not create $(VENV) with '$(PYTHON) -m venv'."; \
	    echo "On Debian/Ubuntu: sudo apt-get install python3-venv, then run make again."; \
	    exit 1; \
	  fi; \
	fi
	$(VPY) -m pip install --quiet --upgrade pip

# --- installs (re-run only when pyproject.toml changes) --------------------------------------

install-test: $(TEST_STAMP) graphviz chromium

$(TEST_STAMP): pyproject.toml | $(VPY)
	$(VPY) -m pip install --quiet -e ".[test,oracle]"
	@touch $@

install-course: $(COURSE_STAMP) graphviz

$(COURSE_STAMP): pyproject.toml | $(VPY)
	$(VPY) -m pip install --quiet -e ".[course,test]"
	@touch $@

install-bench: $(BENCH_STAMP) graphviz

$(BENCH_STAMP): pyproject.toml | $(VPY)
	$(VPY) -m pip install --quiet -e ".[test,oracle,bench]"
	@touch $@

# The Graphviz `dot` program draws the graph pictures. Installed with apt-get when we are root
# on Debian/Ubuntu; elsewhere we say how to install it and carry on (pictures still have their
# DOT source without it).
graphviz:
	@if command -v dot >/dev/null 2>&1; then \
	  :; \
	elif [ "$$(id -u 2>/dev/null)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "Installing Graphviz (the dot program) with apt-get..."; \
	  if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null; }; then \
	    echo "WARNING: apt-get could not install graphviz; graph pictures will not render."; \
	  fi; \
	else \
	  echo "NOTE: the Graphviz 'dot' program is not installed; graph pictures will not render."; \
	  echo "  macOS:          brew install graphviz"; \
	  echo "  Debian/Ubuntu:  sudo apt-get install graphviz"; \
	  echo "  conda:          conda install -c conda-forge graphviz"; \
	  echo "  Windows:        winget install graphviz   (or: choco install graphviz)"; \
	  echo "Continuing without it."; \
	fi

# The end-to-end test drives Debian's Chromium (Playwright's own browser download needs the
# internet). Installed with apt-get when we are root; elsewhere that one test is skipped and
# says how to install it.
chromium:
	@if command -v chromium >/dev/null 2>&1; then \
	  :; \
	elif [ "$$(id -u 2>/dev/null)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "Installing Chromium (for the end-to-end browser test) with apt-get..."; \
	  if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }; then \
	    echo "WARNING: apt-get could not install chromium; the browser test will be skipped."; \
	  fi; \
	else \
	  echo "NOTE: chromium is not installed; the end-to-end browser test will be skipped."; \
	  echo "  Debian/Ubuntu:  sudo apt-get install chromium"; \
	fi

# --- the two commands ------------------------------------------------------------------------

# Everything on the pure-Python engine (the reference the course teaches), then the engine's
# own suite and the quick benchmarks again on its compiled build (make speedups).
test: install-test
	GRADBOOK_PURE=1 $(VPY) -m pytest $(PYTEST_ARGS)
	$(MAKE) --no-print-directory speedups
	GRADBOOK_EXPECT_COMPILED=1 $(VPY) -m pytest -q tests/engine tests/benchmarks

# JupyterLab serves course/ (the notebooks students open) and opens $(LAB_NOTEBOOK) in it.
lab: install-course
	PATH="$(abspath $(VENV))/bin:$$PATH" $(VENV)/bin/jupyter lab --ServerApp.root_dir=course \
	  $$(if [ "$$(id -u)" = 0 ]; then echo --allow-root; fi) $(LAB_NOTEBOOK)

# --- the rest --------------------------------------------------------------------------------

release: install-test
	$(VENV)/bin/gradbook release
	$(VENV)/bin/gradbook validate

# The engine compiled with Cython, from the unchanged sources: engine/_compiled/ (ignored by
# git; loaded only while the sources are unchanged; GRADBOOK_PURE=1 turns it off). Skipped
# while the build is fresh; `python -m engine._compile` rebuilds regardless.
speedups: compiler | $(VPY)
	@$(VPY) -c "import Cython" 2>/dev/null || $(VPY) -m pip install --quiet -e ".[speedups]"
	$(VPY) -m engine._compile --if-stale

compiler:
	@if command -v cc >/dev/null 2>&1; then \
	  :; \
	elif [ "$$(id -u 2>/dev/null)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "Installing a C compiler (for make speedups) with apt-get..."; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gcc python3-dev >/dev/null; \
	else \
	  echo "make speedups needs a C compiler and the Python headers:"; \
	  echo "  Debian/Ubuntu:  sudo apt-get install gcc python3-dev"; \
	  echo "  macOS:          xcode-select --install"; \
	  exit 1; \
	fi

bench:
	@if [ -d tests/benchmarks ]; then \
	  $(MAKE) --no-print-directory install-bench speedups && $(VPY) -m tests.benchmarks \
	    && $(VPY) -m tests.benchmarks.grading; \
	else \
	  echo "There are no benchmarks yet (tests/benchmarks does not exist)."; \
	fi

lint: | $(VPY)
	@$(VPY) -m ruff --version >/dev/null 2>&1 || $(VPY) -m pip install --quiet -e ".[dev]"
	$(VPY) -m ruff check .

clean:
	rm -rf dist .pytest_cache .ruff_cache .hypothesis
	find . -path ./$(VENV) -prune -o -name '*.egg-info' -prune -exec rm -rf {} +
	find . -path ./$(VENV) -prune -o -name __pycache__ -prune -exec rm -rf {} +
	find . -path ./$(VENV) -prune -o -name .ipynb_checkpoints -prune -exec rm -rf {} +
	@if [ -d build ]; then find build -mindepth 1 -maxdepth 1 ! -name README.md -exec rm -rf {} +; fi
