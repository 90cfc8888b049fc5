"""Shared helpers of the experiments: argument checks, the paper protocol, analyzer templates."""

from __future__ import annotations

import numbers
import os
from pathlib import Path

import numpy as np

__all__ = ["PAPER_PROTOCOL", "check_positive_int", "check_int_sequence", "substore", "protocol_grid",
           "make_analyzer"]

#: The training protocol of the published runs (see :ref:`training-protocol`), as
#: ShallowMLPRegressor parameters.
PAPER_PROTOCOL: dict[str, int] = {"batch_size": 250, "max_epochs": 10000, "patience": 50}


def check_positive_int(name, value, low=1):
    """An integer >= ``low`` or a clear ``ValueError``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}; got {value!r}.")
    return int(value)


def check_int_sequence(name, values, low=1):
    """A non-empty sequence of distinct integers >= ``low``."""
    if isinstance(values, (str, bytes)) or not np.iterable(values):
        raise TypeError(f"{name} must be a sequence of integers >= {low}; got {values!r}.")
    out = [check_positive_int(name, v, low) for v in values]
    if not out:
        raise ValueError(f"{name} is empty; give at least one value.")
    if len(set(out)) != len(out):
        raise ValueError(f"{name} contains duplicates: {out}.")
    return out


def check_real_sequence(name, values):
    """A non-empty sequence of distinct finite floats."""
    if isinstance(values, (str, bytes)) or not np.iterable(values):
        raise TypeError(f"{name} must be a sequence of numbers; got {values!r}.")
    out = [float(v) for v in values]
    if not out:
        raise ValueError(f"{name} is empty; give at least one value.")
    if not all(np.isfinite(out)):
        raise ValueError(f"{name} must be finite; got {out}.")
    return out


def substore(store, name):
    """``store/name`` as a string, or None when ``store`` is None."""
    if store is None:
        return None
    if not isinstance(store, (str, os.PathLike)):
        raise TypeError(f"store must be a directory path or None; got {type(store).__name__}.")
    return str(Path(store) / name)


def protocol_grid(*, batch_size, max_epochs, patience, **extra):
    """A one-point sweep ``param_grid`` with the training protocol and extra lists."""
    grid = {"batch_size": [batch_size], "max_epochs": [check_positive_int("max_epochs", max_epochs)],
            "patience": [check_positive_int("patience", patience)]}
    grid.update(extra)
    return grid


def make_analyzer(analyzer):
    """An analyzer template for a sweep: None -> the default ``KAGeometryAnalyzer``; dict -> its parameters."""
    if analyzer is False:
        return False
    from ..analysis import KAGeometryAnalyzer

    if analyzer is None:
        return KAGeometryAnalyzer()
    if isinstance(analyzer, dict):
        return KAGeometryAnalyzer(**analyzer)
    return analyzer


def analyzer_params(analyzer):
    """The parameters (without random_state / n_jobs) of an analyzer template, for measures."""
    an = make_analyzer(analyzer)
    if an is False:
        raise ValueError("this experiment needs an analyzer; analyzer=False is not allowed here.")
    return an


def measure_store(store, name, config):
    """``store/name-<hash of config>``: the sweep definition names a measure only by its class,
    so measure settings go into the store path (another setting never reuses stale results)."""
    if store is None:
        return None
    import hashlib
    import json

    digest = hashlib.sha256(json.dumps(config, sort_keys=True, default=repr).encode()).hexdigest()[:10]
    return substore(store, f"{name}-{digest}")
