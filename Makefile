# Two commands on a fresh clone:
#   make digest   set up (virtualenv + install) and build today's digest from seeds/ into out/
#   make test     set up and run the test suite
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: digest test setup bench clean

$(VENV)/.installed: pyproject.toml setup.py digest/_setchoice.c
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

setup: $(VENV)/.installed

# (No file name in the hint: the digest's day is today in the configured timezone, not the machine's.)
digest: $(VENV)/.installed
	$(VENV)/bin/digest build
	@echo "Open out/latest.html in a browser, or read the .txt digest beside it in out/"

test: $(VENV)/.installed
	$(PY) -m pytest -q

$(VENV)/.bench-installed: $(VENV)/.installed
	$(PY) -m pip install --quiet -e '.[test,bench]'
	touch $@

bench: $(VENV)/.bench-installed
	@for script in benchmarks/*.py; do echo "== $$script"; $(PY) $$script || exit 1; done

clean:
	rm -rf $(VENV) out .pytest_cache
