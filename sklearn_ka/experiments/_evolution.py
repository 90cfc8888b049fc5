"""Experiment 2: every observable along one training run, against training R^2."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone

from .._utils import PAPER_PROTOCOL, check_real, validate_params
from ..sweeps import RESULT_COLUMNS, sweep
from ._common import PROTOCOL_CONSTRAINTS, analyzer_params, device_of, protocol_grid

_CONSTRAINTS = {**PROTOCOL_CONSTRAINTS, "device": device_of("evolution")}

__all__ = ["evolution", "snapshot_levels"]


_FIRST_EPOCH = -1e12  # a level every first epoch reaches


def snapshot_levels(step: float = 0.05, start: float = 0.0, stop: float = 1.0) -> tuple[float, ...]:
    """Training-R^2 levels: a very low level (the first epoch) and ``start, start + step, ...`` up to ``stop``.

    Levels the first epoch already exceeds all give that epoch's parameters; :func:`evolution`
    keeps one snapshot per epoch, so the recorded points run from the first epoch's R^2 to the
    final one in steps of ``step``. See the user guide: :ref:`exp-evolution`.

    Parameters
    ----------
    step : float, default=0.05
        Spacing of the levels, in ``(0, 1]``.
    start : float, default=0.0
        First regular level.
    stop : float, default=1.0
        Last regular level (at most 1).

    Returns
    -------
    tuple of float
        The levels, for :class:`~sklearn_ka.ShallowMLPRegressor`'s ``snapshot_r2``.
    """
    step = check_real("step", step, 0, 1, low_open=True, owner="snapshot_levels")
    start = check_real("start", start, owner="snapshot_levels")
    stop = check_real("stop", stop, high=1, owner="snapshot_levels")
    if not start < stop:
        raise ValueError(f"snapshot_levels: need start < stop <= 1; got start={start!r}, stop={stop!r}.")
    levels = np.arange(start, stop + 1e-9, step)
    return (_FIRST_EPOCH,) + tuple(float(round(v, 10)) for v in levels if v <= 1)


def _to_float(v):
    return None if v is None or not np.isfinite(v) else float(v)


class SnapshotMeasure:
    """``measure`` of :func:`~sklearn_ka.sweeps.sweep`: analyse the initial model and every snapshot.

    Returns one JSON column ``evolution_json`` (a list of points: ``stage``, ``epoch``, ``level``,
    ``train_r2`` and every analyzer key), expanded into tidy rows by :func:`evolution`. See the
    user guide: :ref:`exp-evolution`.

    Parameters
    ----------
    analyzer : KAGeometryAnalyzer
        Analyzer template, cloned for each model (its ``random_state`` is set to the model's).
    """

    def __init__(self, analyzer: Any) -> None:
        self.analyzer = analyzer

    def __call__(self, model: Any, X: np.ndarray, y: np.ndarray) -> dict[str, str]:
        an = clone(self.analyzer)
        names = an.get_params(deep=False)
        an.set_params(**{k: v for k, v in (("random_state", model.random_state), ("n_jobs", 1)) if k in names})
        model0 = model.initial_model()
        an.fit(model0, X)
        points = [dict(stage="initial", epoch=0, level=None, train_r2=float(model0.score(X, y)), **an.score(model0, X))]
        seen = set()
        for i, snap in enumerate(getattr(model, "snapshots_", [])):
            if snap["epoch"] in seen:
                continue
            seen.add(snap["epoch"])
            sm = model.snapshot_model(i)
            points.append(dict(stage="snapshot", epoch=int(snap["epoch"]), level=float(snap["level"]),
                               train_r2=float(sm.score(X, y)), **an.score(sm, X)))
        clean = [{k: (_to_float(v) if isinstance(v, float) else v) for k, v in p.items()} for p in points]
        return {"evolution_json": json.dumps(clean)}


def evolution(
    function: str = "xor",
    hidden_units: int = max(PAPER_PROTOCOL.hidden_units),
    seeds: Iterable[int] = range(PAPER_PROTOCOL.n_seeds),
    *,
    r2_step: float = 0.05,
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
    **function_params: Any,
) -> pd.DataFrame:
    """Every KA observable at regular steps of training R^2 during one training run per seed.

    The evolution experiment of the study [1]_: the observables plotted against training R^2
    as the model learns. See the user guide: :ref:`exp-evolution`.

    The model records its parameters at the end of the first epoch whose training R^2 reaches
    each level ``0, r2_step, 2 r2_step, ...`` (``snapshot_r2``, plus a level that the first
    epoch always reaches); each distinct snapshot, the initial
    model and the final (best) model are analysed against the initialisation on the training data.

    Parameters
    ----------
    function : str, default="xor"
        Target function name.
    hidden_units : int, default=32
        Width ``m``.
    seeds : sequence of int, default=range(4)
    r2_step : float, default=0.05
        Spacing of the snapshot levels.
    n_samples, batch_size, max_epochs, patience :
        Training protocol (see :func:`static_comparison`).
    monitor : {"test", "train"}, default="test"
        The loss early stopping monitors: the independent test set (the ``eval_set``) or the
        training loss (:ref:`early-stopping-monitor`).
    analyzer : KAGeometryAnalyzer, dict or None, default=None
        Analyzer template (its ``random_state`` is set to the seed).
    n_jobs, store, verbose :
        As in :func:`~sklearn_ka.sweeps.sweep`.
    device : str, default="cpu"
        Torch device that trains the models (see :func:`static_comparison`).
    **function_params
        Family parameters of ``function``, e.g. ``lam=0.8`` for ``lambda_xor``.

    Returns
    -------
    pandas.DataFrame
        One row per (seed, point): ``function``, ``hidden_units``, ``seed``, ``monitor``, ``stage``
        ("initial", "snapshot" or "final"), ``epoch``, ``level`` (the R^2 level that triggered the
        snapshot; NaN otherwise), ``train_r2`` (of that point's parameters) and every analyzer key.

    References
    ----------
    .. [1] M. Freedman and M. Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in
       Shallow MLPs", arXiv:2509.12326, 2025. https://arxiv.org/abs/2509.12326

    Examples
    --------
    >>> from sklearn_ka.experiments import evolution
    >>> df = evolution(hidden_units=4, seeds=[0], n_samples=40, batch_size=20, max_epochs=5,
    ...                analyzer={"minor_sizes": (1,), "n_rotations": 8})
    >>> sorted(set(df["stage"]))
    ['final', 'initial', 'snapshot']
    """
    p = validate_params(dict(hidden_units=hidden_units, n_samples=n_samples, max_epochs=max_epochs, patience=patience,
                             monitor=monitor, device=device), _CONSTRAINTS, owner="evolution")
    an = analyzer_params(analyzer)
    levels = snapshot_levels(check_real("r2_step", r2_step, 0, 1, low_open=True, owner="evolution"))
    grid = protocol_grid(batch_size=batch_size, max_epochs=p["max_epochs"], patience=p["patience"], device=p["device"],
                         hidden_units=[p["hidden_units"]], snapshot_r2=[levels])
    fp = {function: {k: [v] for k, v in function_params.items()}} if function_params else None
    df = sweep(grid, functions=[function], function_params=fp, seeds=seeds, analyzer=an,
               measure=SnapshotMeasure(an), n_samples=p["n_samples"], n_jobs=n_jobs, store=store, verbose=verbose,
               monitor=p["monitor"])
    return _points(df, function_params)


def _points(df, function_params):
    """The sweep's rows expanded into one row per analysed point (initial, snapshots, final)."""
    keys = [c for c in df.attrs["sweep"]["result_columns"] if c not in ("evolution_json", "analysis_time")
            and c not in RESULT_COLUMNS]
    rows = []
    for _, r in df.iterrows():
        base = {"function": r["function"], **{k: r[k] for k in function_params}, "hidden_units": int(r["hidden_units"]),
                "seed": int(r["seed"]), "monitor": r["monitor"]}
        for p in json.loads(r["evolution_json"]):
            rows.append({**base, **p})
        rows.append({**base, "stage": "final", "epoch": int(r["best_epoch"]), "level": None,
                     "train_r2": float(r["train_r2"]), **{k: r[k] for k in keys}})
    out = pd.DataFrame(rows)
    out["level"] = out["level"].astype(float)
    for c in out.columns:
        if out[c].dtype == object and c not in ("function", "stage", "monitor"):
            out[c] = pd.to_numeric(out[c], errors="coerce")
    return out
