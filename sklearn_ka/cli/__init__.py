"""Command line: ``python -m sklearn_ka <command>``."""

from ._main import main

__all__ = ["main"]
