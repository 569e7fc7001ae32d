VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: demo test lint bench clean

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[test]"
	touch $@

demo: $(VENV)/.installed
	$(VENV)/bin/bridgewatch demo --out demo

test: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/pytest

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .

bench: $(VENV)/.installed
	$(PY) -m pip install -q urlwatch  # the baseline, not a dependency
	$(PY) bench/refresh_1000.py
	$(PY) bench/figures_accuracy.py --quiet
	$(PY) bench/figures_speed.py
	$(PY) bench/realtext_accuracy.py --quiet   # needs the hydrated texts: tests/realtext/LABELLING.md

clean:
	rm -rf demo build *.egg-info
