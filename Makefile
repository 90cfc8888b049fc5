# sklearn-ka: `make demo` and `make test` set everything up from nothing (Python and pip).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Which torch: build_tools/select_torch.py installs TORCH_SPEC before the package. With TORCH_INDEX
# empty it decides: no NVIDIA GPU -> PyTorch's CPU wheel index when reachable, else the ordinary
# index; NVIDIA GPU -> the ordinary index. A non-empty TORCH_INDEX is used as the only index, e.g.
# make setup TORCH_INDEX=https://download.pytorch.org/whl/cu128
# A torch already importable in $(VENV) is kept.
TORCH_SPEC ?= torch==2.13.0
TORCH_INDEX ?=
STAMP := $(VENV)/.sklearn-ka-installed

.PHONY: setup demo test lint wheel-check bench docs clean

$(STAMP): pyproject.toml Makefile build_tools/select_torch.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python build_tools/select_torch.py --python $(BIN)/python --spec "$(TORCH_SPEC)" --index "$(TORCH_INDEX)"
	$(BIN)/python -m pip install -e ".[test]"
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m sklearn_ka demo

test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .

# Builds the sdist and wheel into dist/, installs the wheel into a fresh environment (torch chosen as
# above) and runs the command line and a small stored sweep there, from outside the source tree.
wheel-check: $(STAMP)
	PYTHON="$(PYTHON)" BUILD_PYTHON="$(BIN)/python" TORCH_SPEC="$(TORCH_SPEC)" TORCH_INDEX="$(TORCH_INDEX)" \
	    build_tools/check_wheel.sh

# The documentation: installs the docs extras into $(VENV), then builds with warnings as errors
# (the gallery in examples/ is executed). Output: docs/_build/html/index.html.
docs: $(STAMP)
	$(BIN)/python -m pip install -e ".[docs]"
	MPLBACKEND=Agg $(BIN)/sphinx-build -W --keep-going -b html docs docs/_build/html

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py --quick

clean:
	rm -rf $(VENV) build dist *.egg-info
