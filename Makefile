# Two commands set everything up on a fresh Debian machine (Python 3.11, root):
#   make run   -- install, then run the main job (python -m neat.train, built-in default)
#   make test  -- install, then run the test suite
PYTHON ?= python3
PIP = $(PYTHON) -m pip

.PHONY: install install-system run test test-slow bench

install:
	# torch 2.13.0 first: pip takes the CPU build from local disk (a bare "torch" pulls CUDA).
	$(PIP) install -q torch==2.13.0
	$(PIP) install -q -e ".[test,distributed]"

install-system:
	# ngspice: live SPICE comparison tests; Fashion-MNIST: the training pipeline's default data.
	apt-get update -qq && apt-get install -y -qq ngspice dataset-fashion-mnist >/dev/null

run: install install-system
	$(PYTHON) -m neat.train

test: install install-system
	$(PYTHON) -m pytest

test-slow: install install-system
	$(PYTHON) -m pytest -m slow

bench: install install-system
	$(PYTHON) benchmarks/solver_scaling.py
