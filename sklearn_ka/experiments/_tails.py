"""Experiment 6: tails of the size-k minors, trained vs initial (mean excess functions, quantile ratios)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._utils import PAPER_PROTOCOL, Integers, Reals, check_sequence, validate_params
from ..sweeps import check_analysis_memory, sweep
from ._common import PROTOCOL_CONSTRAINTS, device_of, function_list, measure_store, protocol_grid, sequence_of

_CONSTRAINTS = {
    **PROTOCOL_CONSTRAINTS,
    "minor_sizes": sequence_of(Integers(1), owner="tails"),
    "device": device_of("tails"),
}

__all__ = ["tails", "TailMeasure"]


def _tail_analyzer(minor_sizes):
    """The analyzer whose tail statistics :class:`TailMeasure` reads (its minors and thresholds only)."""
    from ..analysis import KAGeometryAnalyzer

    return KAGeometryAnalyzer(minor_sizes=minor_sizes, n_rotations=1, random_state=0, n_jobs=1)


class TailMeasure:
    """``measure`` of :func:`~sklearn_ka.sweeps.sweep`: mean excess functions of the size-k minors.

    Uses :meth:`KAGeometryAnalyzer.tail_statistics <sklearn_ka.KAGeometryAnalyzer.tail_statistics>`
    of a model against its initialisation on the training data; returns one JSON column
    ``tails_json`` expanded by :func:`tails`. See the user guide: :ref:`exp-tails` and
    :ref:`obs-tails`.

    Parameters
    ----------
    minor_sizes : sequence of int, default=(1, 2, 3)
        Minor sizes k (sizes above ``min(m, n)`` are dropped).
    quantile_ranks : sequence of float or None, default=None
        Ranks q of the thresholds ``u = Q(q)``; ``None``: 0.90, 0.91, ..., 0.99.
    high, low : float, default=0.99 and 0.01
        Quantile ranks of the quantile ratio.
    """

    def __init__(self, minor_sizes: Sequence[int] = (1, 2, 3), quantile_ranks: Sequence[float] | None = None,
                 high: float = 0.99, low: float = 0.01) -> None:
        self.minor_sizes = tuple(minor_sizes)
        self.quantile_ranks = None if quantile_ranks is None else [float(q) for q in quantile_ranks]
        self.high = high
        self.low = low

    def __call__(self, model: Any, X: np.ndarray, y: np.ndarray) -> dict[str, str]:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # sizes above min(n, m) are dropped
            an = _tail_analyzer(self.minor_sizes).fit(model.initial_model(), X)
        stats = an.tail_statistics(model, X, quantile_ranks=self.quantile_ranks, high=self.high, low=self.low)
        points = []
        for k, per in stats.items():
            for label, s in per.items():
                slope, intercept = s["fit"]
                for q, u, mef in zip(s["quantile_ranks"], s["thresholds"], s["mef"]):
                    points.append(dict(k=int(k), model=label, quantile_rank=float(q), threshold=float(u),
                                       mef=None if not np.isfinite(mef) else float(mef), fit_slope=slope,
                                       fit_intercept=intercept, quantile_ratio=s["quantile_ratio"]))
        return {"tails_json": json.dumps(points, default=lambda v: None)}


def tails(
    functions: Sequence[str] = ("xor", "linear", "random"),
    hidden_units: int = max(PAPER_PROTOCOL.hidden_units),
    seeds: Iterable[int] = range(PAPER_PROTOCOL.n_seeds),
    *,
    minor_sizes: Sequence[int] = (1, 2, 3),
    quantile_ranks: Sequence[float] | None = None,
    n_samples: int = PAPER_PROTOCOL.n_samples,
    batch_size: int = PAPER_PROTOCOL.batch_size,
    max_epochs: int = PAPER_PROTOCOL.max_epochs,
    patience: int = PAPER_PROTOCOL.patience,
    monitor: str = "test",
    n_jobs: int | None = None,
    store: str | os.PathLike | None = None,
    verbose: int = 0,
    device: str = "cpu",
) -> pd.DataFrame:
    """Mean excess functions of the pooled size-k minors of trained and initial models.

    The tails experiment of the study [1]_ (definitions: :ref:`obs-tails`). See the user
    guide: :ref:`exp-tails`.

    Parameters
    ----------
    functions : sequence of str, default=("xor", "linear", "random")
    hidden_units : int, default=32
    seeds : sequence of int, default=range(4)
    minor_sizes : sequence of int, default=(1, 2, 3)
    quantile_ranks : sequence of float or None, default=None
        Ranks q of the thresholds ``u = Q(q)``; ``None``: 0.90, 0.91, ..., 0.99.
    n_samples, batch_size, max_epochs, patience :
        Training protocol (see :func:`static_comparison`).
    monitor : {"test", "train"}, default="test"
        The loss early stopping monitors: the independent test set (the ``eval_set``) or the
        training loss (:ref:`early-stopping-monitor`).
    n_jobs, store, verbose :
        As in :func:`~sklearn_ka.sweeps.sweep`.
    device : str, default="cpu"
        Torch device that trains the models (see :func:`static_comparison`).

    Returns
    -------
    pandas.DataFrame
        One row per (function, seed, k, model, quantile rank): ``function``, ``hidden_units``,
        ``seed``, ``monitor``, ``train_r2``, ``k``, ``model`` ("trained" or "initial"), ``quantile_rank``,
        ``threshold`` (``u``), ``mef``, and per (function, seed, k, model) ``fit_slope``,
        ``fit_intercept`` (least squares MEF ~ slope q + intercept) and ``quantile_ratio`` (0.99 / 0.01
        quantile of the minors).

    References
    ----------
    .. [1] M. Freedman and M. Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in
       Shallow MLPs", arXiv:2509.12326, 2025. https://arxiv.org/abs/2509.12326

    Examples
    --------
    >>> from sklearn_ka.experiments import tails
    >>> df = tails(["xor"], hidden_units=4, seeds=[0], minor_sizes=(1,), n_samples=40, batch_size=20,
    ...            max_epochs=3)
    >>> sorted(set(df["model"]))
    ['initial', 'trained']
    """
    p = validate_params(dict(minor_sizes=minor_sizes, hidden_units=hidden_units, n_samples=n_samples,
                             max_epochs=max_epochs, patience=patience, monitor=monitor, device=device), _CONSTRAINTS,
                        owner="tails")
    minor_sizes = tuple(p["minor_sizes"])
    if quantile_ranks is not None:
        quantile_ranks = check_sequence("quantile_ranks", quantile_ranks, Reals(0, 1, high_open=True), owner="tails")
    check_analysis_memory(_tail_analyzer(minor_sizes), [p["hidden_units"]], PAPER_PROTOCOL.n_features, owner="tails")
    measure = TailMeasure(minor_sizes, quantile_ranks)
    grid = protocol_grid(batch_size=batch_size, max_epochs=p["max_epochs"], patience=p["patience"], device=p["device"],
                         hidden_units=[p["hidden_units"]])
    df = sweep(grid, functions=function_list(functions), seeds=seeds, analyzer=False, measure=measure,
               n_samples=p["n_samples"], n_jobs=n_jobs,
               store=measure_store(store, "tails", [minor_sizes, measure.quantile_ranks]), verbose=verbose,
               monitor=p["monitor"])
    return _points(df)


def _points(df):
    """The sweep's rows expanded into one row per (k, model, quantile rank)."""
    rows = []
    for _, r in df.iterrows():
        base = dict(function=r["function"], hidden_units=int(r["hidden_units"]), seed=int(r["seed"]),
                    monitor=r["monitor"], train_r2=float(r["train_r2"]))
        rows += [{**base, **p} for p in json.loads(r["tails_json"])]
    out = pd.DataFrame(rows)
    for c in ("mef", "fit_slope", "fit_intercept", "quantile_ratio"):
        out[c] = pd.to_numeric(out[c], errors="coerce").astype(float)
    return out
