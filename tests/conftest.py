"""Shared test set-up: the tests mirror the sub-packages (``tests/<sub-package>/``); the naive
reference implementations in ``tests/_naive.py`` are importable from every folder."""

import sys
from pathlib import Path

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
