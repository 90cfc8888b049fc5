"""Shared helpers of the experiments: argument constraints, the protocol grid, analyzer templates, stores."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pandas as pd

from .._utils import (
    Integers,
    InvalidParameterError,
    ObservableKey,
    Options,
    check_device,
    check_sequence,
    parse_observable_key,
)
from ..sweeps import MONITORS

__all__ = ["PROTOCOL_CONSTRAINTS", "sequence_of", "device_of", "observable_of", "substore", "protocol_grid",
           "make_analyzer", "analyzer_params", "measure_store", "function_list", "column_list", "check_frame"]


def sequence_of(item: Any, *, owner: str, unique: bool = True):
    """A :func:`~sklearn_ka._utils.validate_params` check: a non-empty sequence of ``item`` values."""

    def check(name, values):
        return check_sequence(name, values, item, unique=unique, owner=owner)

    return check


def device_of(owner: str):
    """A :func:`~sklearn_ka._utils.validate_params` check of a torch device name (``"cpu"``, ``"cuda[:N]"``)."""

    def check(name, value):
        return check_device(value, owner=owner, name=name)

    return check


#: Constraints of the training-protocol arguments shared by the experiments (``batch_size`` is
#: checked by the estimator grid of the sweep, which also accepts ``"auto"`` and ``None``;
#: ``monitor`` is the loss early stopping monitors, see :ref:`early-stopping-monitor`).
PROTOCOL_CONSTRAINTS: dict[str, Any] = {
    "n_samples": [Integers(2)],
    "hidden_units": [Integers(1)],
    "max_epochs": [Integers(1)],
    "patience": [Integers(1)],
    "monitor": [Options(*MONITORS)],
}


def observable_of(column: Any) -> ObservableKey | None:
    """The parsed observable key of a column name, or None for any other column."""
    if not isinstance(column, str) or "_k" not in column:  # cheap test first: most columns are no keys
        return None
    try:
        return parse_observable_key(column)
    except ValueError:
        return None


def substore(store, name):
    """``store/name`` as a string, or None when ``store`` is None."""
    if store is None:
        return None
    if not isinstance(store, (str, os.PathLike)):
        raise InvalidParameterError(f"store must be a directory path or None; got {type(store).__name__}.")
    return str(Path(store) / name)


def protocol_grid(*, batch_size, max_epochs, patience, device="cpu", **extra):
    """A one-point sweep ``param_grid`` with the training protocol and extra lists.

    The device enters the grid only when it is not the CPU (the estimator's default), so CPU
    sweeps keep their definitions, store hashes and columns.
    """
    grid = {"batch_size": [batch_size], "max_epochs": [max_epochs], "patience": [patience]}
    grid.update(extra)
    if device != "cpu":
        grid["device"] = [device]
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
    """The analyzer template of an experiment that needs one (``analyzer=False`` is refused)."""
    an = make_analyzer(analyzer)
    if an is False:
        raise ValueError("this experiment needs an analyzer; analyzer=False is not allowed here.")
    return an


def measure_store(store, name, config):
    """``store/name-<hash of config>``: runs with other measure settings get a store of their own.

    The sweep definition also records the measure's parameters (so a store is never mixed); the
    settings in the path let runs of several settings sit side by side instead of being refused.
    """
    if store is None:
        return None
    digest = hashlib.sha256(json.dumps(config, sort_keys=True, default=repr).encode()).hexdigest()[:10]
    return substore(store, f"{name}-{digest}")


def function_list(functions: Any) -> list:
    """``functions`` as a list: one name (or target, or callable) becomes a list of one, never its characters."""
    if isinstance(functions, (str, bytes)) or not hasattr(functions, "__iter__"):
        return [functions]
    return list(functions)


def column_list(value: Any, name: str, *, owner: str) -> list:
    """A column name or a sequence of column names, as a list."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple, pd.Index)) and all(isinstance(v, str) for v in value):
        return list(value)
    raise InvalidParameterError(f"{owner}: {name} must be a column name or a non-empty list of column names; got "
                                f"{value!r} (of type {type(value).__name__}).")


def check_frame(frame: Any, *, owner: str, what: str = "frame") -> pd.DataFrame:
    """``frame`` when it is a DataFrame; a clear error otherwise."""
    if not isinstance(frame, pd.DataFrame):
        raise InvalidParameterError(f"{owner}: {what} must be a pandas DataFrame; got {type(frame).__name__}.")
    return frame
