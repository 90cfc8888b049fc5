"""Argument types of the command line: parse and check one option value (standard library only).

Each raises :class:`argparse.ArgumentTypeError`, which argparse reports as
``error: argument --x: <message>`` with exit status 2, before any work starts.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable

__all__ = ["MIN_SEEDS", "device", "int_at_least", "n_jobs", "seeds"]

#: The report gives means and standard deviations over seeds: at least two are needed.
MIN_SEEDS = 2

_DEVICE = re.compile(r"cpu|cuda(:[0-9]+)?")


def _int(text: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None


def int_at_least(low: int, why: str = "") -> Callable[[str], int]:
    """An argument type accepting integers ``>= low``; ``why`` (e.g. "one mini-batch") explains the bound."""

    def parse(text: str) -> int:
        value = _int(text)
        if value < low:
            reason = f" ({why})" if why else ""
            raise argparse.ArgumentTypeError(f"must be an integer >= {low}{reason}, got {value}")
        return value

    parse.__name__ = f"integer >= {low}"
    return parse


def n_jobs(text: str) -> int:
    """Parallel tasks: a positive integer, or -1 for every CPU."""
    value = _int(text)
    if value == 0 or value < -1:
        raise argparse.ArgumentTypeError(f"must be a positive integer or -1 (all CPUs), got {value}")
    return value


def seeds(text: str) -> list[int]:
    """``N`` (the seeds 0, 1, ..., N-1) or a comma-separated list of distinct seeds >= 0, e.g. ``0,1,5``."""
    parts = text.split(",")
    if len(parts) == 1:
        count = _int(parts[0])
        if count < MIN_SEEDS:
            raise argparse.ArgumentTypeError(f"needs at least {MIN_SEEDS} seeds (the report gives the mean and "
                                             f"standard deviation over seeds), got {count}")
        return list(range(count))
    values = [_int(p) for p in parts]
    if any(v < 0 for v in values):
        raise argparse.ArgumentTypeError(f"seeds must be integers >= 0, got {text!r}")
    if len(set(values)) != len(values):
        raise argparse.ArgumentTypeError(f"seeds must be distinct, got {text!r}")
    return values


def device(text: str) -> str:
    """A torch device name: ``cpu``, ``cuda`` or ``cuda:N`` (checked for a GPU when the command runs)."""
    value = text.strip().lower()
    if not _DEVICE.fullmatch(value):
        raise argparse.ArgumentTypeError(f"must be 'cpu', 'cuda' or 'cuda:N', got {text!r}")
    return value
