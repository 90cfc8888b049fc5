"""Experiment 3: KA geometry against target complexity (lambda-xor, G(lambda), SO(alpha)-xor)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._utils import PAPER_PROTOCOL, Options, Reals, check_sequence, validate_params
from ..sweeps import sweep
from ._common import PROTOCOL_CONSTRAINTS, device_of, make_analyzer, protocol_grid

__all__ = ["interpolation", "FAMILIES"]

#: Family name -> (parameter name, default values): the target families of the interpolation
#: experiment (see :ref:`exp-interpolation`).
FAMILIES: dict[str, tuple[str, tuple]] = {
    "lambda_xor": ("lam", tuple(np.round(np.linspace(0.5, 1.5, 11), 10))),
    "gaussian": ("lam", tuple(np.round(np.linspace(0.1, 1.0, 10), 10))),
    "so_xor": ("alpha", tuple(range(10))),
}

_CONSTRAINTS = {
    **PROTOCOL_CONSTRAINTS,
    "family": [Options(*FAMILIES)],
    "device": device_of("interpolation"),
}


def interpolation(
    family: str = "lambda_xor",
    values: Sequence[float] | None = None,
    hidden_units: int = max(PAPER_PROTOCOL.hidden_units),
    seeds: Iterable[int] = range(PAPER_PROTOCOL.n_seeds),
    *,
    n_samples: int = PAPER_PROTOCOL.n_samples,
    batch_size: int = PAPER_PROTOCOL.batch_size,
    max_epochs: int = PAPER_PROTOCOL.max_epochs,
    patience: int = PAPER_PROTOCOL.patience,
    monitor: str = "test",
    analyzer: Any = None,
    n_jobs: int | None = None,
    store: str | os.PathLike | None = None,
    verbose: int = 0,
    device: str = "cpu",
) -> pd.DataFrame:
    """Train a family of targets over its parameter and measure every observable per point.

    The interpolation experiment of the study [1]_: KA geometry against the complexity of the
    target, through lambda-xor (:ref:`target-lambda-xor`), G(lambda) (:ref:`target-gaussian`)
    and SO(alpha)-xor (:ref:`target-so-xor`). See the user guide: :ref:`exp-interpolation`.

    Parameters
    ----------
    family : {"lambda_xor", "gaussian", "so_xor"}, default="lambda_xor"
        ``lambda_xor``: prod sin(lambda pi x_i), lambda in [0.5, 1.5] (default 11 points);
        ``gaussian``: G(lambda), lambda in [0.1, 1.0] (10 points); ``so_xor``: xor in a Haar-rotated
        basis, alpha in 0..9.
    values : sequence of numbers or None, default=None
        The parameter values (``None``: the defaults above).
    hidden_units : int, default=32
    seeds : sequence of int, default=range(4)
    n_samples, batch_size, max_epochs, patience :
        Training protocol (see :func:`static_comparison`).
    monitor : {"test", "train"}, default="test"
        The loss early stopping monitors: the independent test set (the ``eval_set``) or the
        training loss (:ref:`early-stopping-monitor`).
    analyzer, n_jobs, store, verbose :
        As in :func:`~sklearn_ka.sweeps.sweep`.
    device : str, default="cpu"
        Torch device that trains the models (see :func:`static_comparison`).

    Returns
    -------
    pandas.DataFrame
        One row per (value, seed): the sweep columns (``function``, the family parameter ``lam``
        or ``alpha``, ``hidden_units``, ``seed``, ``train_r2``, ``test_r2``, every analyzer key) and
        ``parameter`` (the family parameter's name) and ``value`` (its value) for uniform plotting.

    References
    ----------
    .. [1] M. Freedman and M. Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in
       Shallow MLPs", arXiv:2509.12326, 2025. https://arxiv.org/abs/2509.12326

    Examples
    --------
    >>> from sklearn_ka.experiments import interpolation
    >>> df = interpolation("gaussian", [0.2, 0.5], hidden_units=4, seeds=[0], n_samples=40,
    ...                    batch_size=20, max_epochs=3, analyzer=False)
    >>> df["value"].tolist()
    [0.2, 0.5]
    """
    p = validate_params(dict(family=family, hidden_units=hidden_units, n_samples=n_samples, max_epochs=max_epochs,
                             patience=patience, monitor=monitor, device=device), _CONSTRAINTS, owner="interpolation")
    param, default = FAMILIES[family]
    values = list(default) if values is None else check_sequence("values", values, Reals(), owner="interpolation")
    if family == "so_xor":
        if any(v != int(v) or v < 0 for v in values):
            raise ValueError(f"interpolation: so_xor's alpha values must be integers >= 0; got {values}.")
        values = [int(v) for v in values]
    grid = protocol_grid(batch_size=batch_size, max_epochs=p["max_epochs"], patience=p["patience"],
                         device=p["device"], hidden_units=[p["hidden_units"]])
    df = sweep(grid, functions=[family], function_params={family: {param: values}}, seeds=seeds,
               analyzer=make_analyzer(analyzer), n_samples=p["n_samples"], n_jobs=n_jobs, store=store, verbose=verbose,
               monitor=p["monitor"])
    df.insert(1, "parameter", param)
    df.insert(2, "value", df[param].astype(float))
    return df
