# The two set-up commands of the README: `make demo` and `make test`.
# Each creates .venv when missing, installs the package (editable) with its extras, makes sure
# Graphviz's `dot` program exists, then runs the main example / the test suite. `make test` also
# makes sure a headless Chromium and its driver exist: the live view's page is tested in it.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test bench lint graphviz browser setup clean

setup: $(STAMP) graphviz

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "Python 3.10 or newer is needed")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev,examples]'
	touch $(STAMP)

graphviz:
	@if command -v dot >/dev/null 2>&1; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing Graphviz (the dot program) with apt-get..."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null; \
	else \
		echo "Graphviz's dot program is missing. Install it, then run make again:"; \
		echo "  Debian/Ubuntu: sudo apt-get install graphviz"; \
		echo "  macOS:         brew install graphviz"; \
		echo "  conda:         conda install -c conda-forge graphviz"; \
		exit 1; \
	fi

browser:
	@if command -v chromedriver >/dev/null 2>&1 && { command -v chromium >/dev/null 2>&1 || \
		command -v chromium-browser >/dev/null 2>&1; }; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing Chromium and its driver (for the live view's browser test) with apt-get..."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	else \
		echo "A headless Chromium and chromedriver are missing (make test drives the live view's page"; \
		echo "with them). Install them, then run make test again:"; \
		echo "  Debian/Ubuntu: sudo apt-get install chromium chromium-driver"; \
		echo "  macOS:         brew install --cask chromium chromedriver"; \
		exit 1; \
	fi

demo: setup
	$(PY) examples/quickstart.py

test: setup browser
	LIVE_BROWSER_REQUIRED=1 $(PY) -m pytest -q --doctest-modules tests autograd_lite nn

bench: setup
	$(PY) benchmarks/run.py
	$(PY) benchmarks/live_overhead.py

lint: setup
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) examples/out .pytest_cache .hypothesis
