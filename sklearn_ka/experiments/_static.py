"""Experiment 1: static comparison of trained and initial models (Tables I-III of the paper)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._utils import PAPER_PROTOCOL, Integers, observable_key, validate_params
from ..sweeps import sweep
from ._common import (
    PROTOCOL_CONSTRAINTS,
    check_frame,
    device_of,
    function_list,
    make_analyzer,
    protocol_grid,
    sequence_of,
)

__all__ = ["static_comparison", "static_tables"]

FUNCTIONS = ("xor", "linear", "random")
WIDTHS = PAPER_PROTOCOL.hidden_units

_CONSTRAINTS = {
    **PROTOCOL_CONSTRAINTS,
    "widths": sequence_of(Integers(1), owner="static_comparison"),
    "device": device_of("static_comparison"),
}


def static_comparison(
    functions: Sequence[str] = FUNCTIONS,
    widths: Sequence[int] = WIDTHS,
    seeds: Iterable[int] = range(PAPER_PROTOCOL.n_seeds),
    *,
    n_samples: int = PAPER_PROTOCOL.n_samples,
    batch_size: int = PAPER_PROTOCOL.batch_size,
    max_epochs: int = PAPER_PROTOCOL.max_epochs,
    patience: int = PAPER_PROTOCOL.patience,
    monitor: str = "test",
    analyzer: Any = None,
    measure: Callable[..., dict] | None = None,
    n_jobs: int | None = None,
    store: str | os.PathLike | None = None,
    verbose: int = 0,
    device: str = "cpu",
) -> pd.DataFrame:
    """Train every function x width x seed with the paper protocol and measure its KA geometry.

    The static comparison of the study [1]_ (its Tables I-III): xor, linear and random targets
    at widths 4 to 32, four seeds each. Each model is trained on ``n_samples`` examples with an
    independent test set of the same size, the early-stopping ``eval_set`` unless
    ``monitor="train"`` (the seed protocol of :func:`sklearn_ka.sweeps.sweep`), and scored by a
    :class:`~sklearn_ka.KAGeometryAnalyzer` against its own initialisation. See the user guide: :ref:`exp-static` (and
    :ref:`training-protocol` for the protocol).

    Parameters
    ----------
    functions : sequence of str, default=("xor", "linear", "random")
        Target functions (registered names).
    widths : sequence of int, default=(4, 8, 16, 32)
        Hidden widths ``m``.
    seeds : sequence of int, default=range(4)
        Sweep seeds.
    n_samples : int, default=1000
        Training-set size (the test set has the same size).
    batch_size : int, default=250
        Mini-batch size (must not exceed ``n_samples``).
    max_epochs : int, default=10000
        Maximum epochs.
    patience : int, default=50
        Early-stopping patience in epochs.
    monitor : {"test", "train"}, default="test"
        The loss early stopping monitors: the independent test set (the ``eval_set``) or the
        training loss (:ref:`early-stopping-monitor`).
    analyzer : KAGeometryAnalyzer, dict, None or False, default=None
        As in :func:`~sklearn_ka.sweeps.sweep` (``None``: the default analyzer, every observable
        for k = 1, 2, 3 and q1 in {1e-4, 1e-3, 1e-2}).
    measure : callable or None, default=None
        Extra per-model measurements ``measure(model, X, y) -> dict``.
    n_jobs : int or None, default=None
        Parallel tasks (joblib).
    store : path or None, default=None
        Sweep store directory: a rerun resumes where it stopped.
    verbose : int, default=0
        Progress bar when >= 1.
    device : str, default="cpu"
        Torch device that trains the models: ``"cpu"``, ``"cuda"`` or ``"cuda:N"`` (checked before
        any work). A device other than the CPU becomes an estimator parameter of the sweep (a
        ``device`` column, and another store definition).

    Returns
    -------
    pandas.DataFrame
        One row per model (columns of :func:`~sklearn_ka.sweeps.sweep`): ``function``,
        ``hidden_units``, ``seed``, ``train_r2``, ``test_r2``, ... and every analyzer key. Zero-row
        columns are fractions in [0, 1]; :func:`static_tables` turns them into the paper's tables.

    References
    ----------
    .. [1] M. Freedman and M. Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in
       Shallow MLPs", arXiv:2509.12326, 2025. https://arxiv.org/abs/2509.12326

    Examples
    --------
    >>> from sklearn_ka.experiments import static_comparison
    >>> df = static_comparison(["xor"], [4], [0], n_samples=40, batch_size=20, max_epochs=3,
    ...                        analyzer=False)
    >>> df[["function", "hidden_units", "seed"]].values.tolist()
    [['xor', 4, 0]]
    """
    p = validate_params(dict(widths=widths, n_samples=n_samples, max_epochs=max_epochs, patience=patience,
                             monitor=monitor, device=device), _CONSTRAINTS, owner="static_comparison")
    grid = protocol_grid(batch_size=batch_size, max_epochs=p["max_epochs"], patience=p["patience"],
                         device=p["device"], hidden_units=p["widths"])
    return sweep(grid, functions=function_list(functions), seeds=seeds, analyzer=make_analyzer(analyzer),
                 measure=measure, n_samples=p["n_samples"], n_jobs=n_jobs, store=store, verbose=verbose,
                 monitor=p["monitor"])


def _stats(values):
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    n = v.size
    mean = float(v.mean()) if n else np.nan
    std = float(v.std(ddof=1)) if n > 1 else np.nan
    return mean, std, n


def static_tables(
    frame: pd.DataFrame, width: int = max(WIDTHS),
    false_positive_rates: Sequence[float] = PAPER_PROTOCOL.false_positive_rates,
) -> pd.DataFrame:
    """Tables I-III of the paper from a :func:`static_comparison` frame, in tidy form.

    Table I is the training R^2 per function and width, Table II the size-3 zero rows and
    dependent zero rows at width ``width``, Table III the participation ratios, as in the
    study [1]_. See the user guide: :ref:`exp-static`.

    Parameters
    ----------
    frame : pandas.DataFrame
        The result of :func:`static_comparison` (needs ``function``, ``hidden_units``, ``seed``,
        ``train_r2`` and, for Tables II-III, the analyzer columns).
    width : int, default=32
        The width of Tables II and III.
    false_positive_rates : sequence of float, default=(1e-4, 1e-3, 1e-2)
        The q1 columns of Table II.

    Returns
    -------
    pandas.DataFrame
        One row per table cell: ``table`` ("I", "II", "III"), ``row`` (e.g. "xor" or "xor(32)"),
        ``quantity`` ("train_r2", "zero", "dependent(2)", "dependent(3)", "pr_k1", ...),
        ``column`` (the paper's column label, e.g. "m = 4", "q1 = 0.01%", "k = 1"), ``mean``,
        ``std`` (over seeds, ddof=1), ``count`` and ``unit`` ("" or "%"). Zero rows are in percent
        as in the paper. Table III has a row per function, ``initial(m)`` (the initial models,
        one per seed) and ``PR_max(m)``.

    References
    ----------
    .. [1] M. Freedman and M. Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in
       Shallow MLPs", arXiv:2509.12326, 2025. https://arxiv.org/abs/2509.12326
    """
    check_frame(frame, owner="static_tables")
    need = {"function", "hidden_units", "seed", "train_r2"}
    missing = need - set(frame.columns)
    if missing:
        raise ValueError(f"static_tables: frame lacks the column(s) {sorted(missing)}; pass the result of "
                         "static_comparison.")
    functions = list(dict.fromkeys(frame["function"]))
    at = frame[frame["hidden_units"] == width]
    rows = _table_1(frame, functions) + _table_2(frame, at, functions, width, false_positive_rates)
    rows += _table_3(frame, at, functions, width)
    return pd.DataFrame(rows, columns=["table", "row", "quantity", "column", "mean", "std", "count", "unit"])


def _cell(table, row, quantity, column, values, unit=""):
    return dict(table=table, row=row, quantity=quantity, column=column,
                **dict(zip(("mean", "std", "count"), _stats(values))), unit=unit)


def _table_1(frame, functions):
    """Training R^2 per function and width."""
    rows = []
    for f in functions:
        for m in sorted(frame["hidden_units"].unique()):
            sub = frame[(frame["function"] == f) & (frame["hidden_units"] == m)]
            if len(sub):
                rows.append(_cell("I", f, "train_r2", f"m = {m}", sub["train_r2"]))
    return rows


#: Table II: (quantity, observable, k) per row group.
_TABLE_2 = (("zero", "zero_rows", 3), ("dependent(2)", "dependent_zero_rows", 2),
            ("dependent(3)", "dependent_zero_rows", 3))


def _table_2(frame, at, functions, width, false_positive_rates):
    """Size-3 zero rows and dependent zero rows at ``width``, in percent."""
    rows = []
    if not (len(at) and observable_key("zero_rows", 3, false_positive_rates[0]) in frame.columns):
        return rows
    for f in functions:
        sub = at[at["function"] == f]
        if not len(sub):
            continue
        for quantity, name, k in _TABLE_2:
            for q in false_positive_rates:
                col = observable_key(name, k, q)
                if col in sub:
                    rows.append(_cell("II", f"{f}({width})", quantity, f"q1 = {100 * q:g}%", 100 * sub[col], "%"))
    return rows


def _table_3(frame, at, functions, width):
    """Participation ratios at ``width``: per function, of the initial models and the maximum."""
    rows = []
    if not (len(at) and observable_key("pr", 1) in frame.columns):
        return rows
    ks = [k for k in (1, 2, 3) if observable_key("pr", k) in frame.columns]
    for f in functions:
        sub = at[at["function"] == f]
        for k in ks:
            if len(sub):
                key = observable_key("pr", k)
                rows.append(_cell("III", f"{f}({width})", key, f"k = {k}", sub[key]))
    init = at.drop_duplicates("seed")  # same seed and width: the same initial network on the same X
    for k in ks:
        key = observable_key("pr_initial", k)
        rows.append(_cell("III", f"initial({width})", key, f"k = {k}", init[key]))
    for k in ks:
        key = observable_key("pr_max", k)
        rows.append(dict(table="III", row=f"PR_max({width})", quantity=key, column=f"k = {k}",
                         mean=float(at[key].iloc[0]), std=np.nan, count=1, unit=""))
    return rows
