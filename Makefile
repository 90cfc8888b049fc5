# sklearn-ka: `make demo` and `make test` set everything up from nothing (Python and pip).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The CPU build of torch. On a GPU machine: make TORCH_SPEC='torch==2.13.0' TORCH_INDEX='<a CUDA wheel index>'
# or install any recent CUDA build of torch into $(VENV) first (see the README).
TORCH_SPEC ?= torch==2.13.0
TORCH_INDEX ?=
STAMP := $(VENV)/.sklearn-ka-installed

.PHONY: setup demo test bench docs clean

$(STAMP): pyproject.toml Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -c "import torch" 2>/dev/null || \
	    $(BIN)/python -m pip install $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX)) "$(TORCH_SPEC)"
	$(BIN)/python -m pip install -e ".[test]"
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m sklearn_ka demo

test: $(STAMP)
	$(BIN)/python -m pytest -q

# The documentation: installs the docs extras into $(VENV), then builds with warnings as errors
# (the gallery in examples/ is executed). Output: docs/_build/html/index.html.
docs: $(STAMP)
	$(BIN)/python -m pip install -e ".[docs]"
	MPLBACKEND=Agg $(BIN)/sphinx-build -W --keep-going -b html docs docs/_build/html

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py --quick

clean:
	rm -rf $(VENV) build *.egg-info
