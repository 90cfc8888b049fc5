"""Experiment 1: static comparison of trained and initial models (Tables I-III of the paper)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..sweeps import sweep
from ._common import PAPER_PROTOCOL, check_int_sequence, make_analyzer, protocol_grid

__all__ = ["static_comparison", "static_tables"]

FUNCTIONS = ("xor", "linear", "random")
WIDTHS = (4, 8, 16, 32)


def static_comparison(
    functions: Sequence[str] = FUNCTIONS,
    widths: Sequence[int] = WIDTHS,
    seeds: Iterable[int] = range(4),
    *,
    n_samples: int = 1000,
    batch_size: int = PAPER_PROTOCOL["batch_size"],
    max_epochs: int = PAPER_PROTOCOL["max_epochs"],
    patience: int = PAPER_PROTOCOL["patience"],
    analyzer: Any = None,
    measure: Callable[..., dict] | None = None,
    n_jobs: int | None = None,
    store: str | os.PathLike | None = None,
    verbose: int = 0,
) -> pd.DataFrame:
    """Train every function x width x seed with the paper protocol and measure its KA geometry.

    The static comparison of the study [1]_ (its Tables I-III): xor, linear and random targets
    at widths 4 to 32, four seeds each. Each model is trained on ``n_samples`` examples with an
    independent test set of the same size as the early-stopping ``eval_set`` (the seed protocol
    of :func:`sklearn_ka.sweeps.sweep`), and scored by a :class:`~sklearn_ka.KAGeometryAnalyzer`
    against its own initialisation. See the user guide: :ref:`exp-static` (and
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
    widths = check_int_sequence("widths", widths)
    grid = protocol_grid(batch_size=batch_size, max_epochs=max_epochs, patience=patience, hidden_units=widths)
    return sweep(grid, functions=list(functions), seeds=seeds, analyzer=make_analyzer(analyzer), measure=measure,
                 n_samples=n_samples, n_jobs=n_jobs, store=store, verbose=verbose)


def _stats(values):
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    n = v.size
    mean = float(v.mean()) if n else np.nan
    std = float(v.std(ddof=1)) if n > 1 else np.nan
    return mean, std, n


def static_tables(
    frame: pd.DataFrame, width: int = 32, false_positive_rates: Sequence[float] = (1e-4, 1e-3, 1e-2)
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
    need = {"function", "hidden_units", "seed", "train_r2"}
    missing = need - set(frame.columns)
    if missing:
        raise ValueError(f"frame lacks the column(s) {sorted(missing)}; pass the result of static_comparison.")
    rows = []
    functions = list(dict.fromkeys(frame["function"]))
    for f in functions:
        for m in sorted(frame["hidden_units"].unique()):
            sub = frame[(frame["function"] == f) & (frame["hidden_units"] == m)]
            if len(sub):
                rows.append(dict(table="I", row=f, quantity="train_r2", column=f"m = {m}",
                                 **dict(zip(("mean", "std", "count"), _stats(sub["train_r2"]))), unit=""))
    at = frame[frame["hidden_units"] == width]
    if len(at) and f"zero_rows_k3_q{false_positive_rates[0]:g}" in frame.columns:
        for f in functions:
            sub = at[at["function"] == f]
            if not len(sub):
                continue
            for quantity, template in (("zero", "zero_rows_k3_q{q:g}"),
                                       ("dependent(2)", "dependent_zero_rows_k2_q{q:g}"),
                                       ("dependent(3)", "dependent_zero_rows_k3_q{q:g}")):
                for q in false_positive_rates:
                    col = template.format(q=q)
                    if col not in sub:
                        continue
                    rows.append(dict(table="II", row=f"{f}({width})", quantity=quantity, column=f"q1 = {100 * q:g}%",
                                     **dict(zip(("mean", "std", "count"), _stats(100 * sub[col]))), unit="%"))
    if len(at) and "pr_k1" in frame.columns:
        ks = [k for k in (1, 2, 3) if f"pr_k{k}" in frame.columns]
        for f in functions:
            sub = at[at["function"] == f]
            for k in ks:
                if len(sub):
                    rows.append(dict(table="III", row=f"{f}({width})", quantity=f"pr_k{k}", column=f"k = {k}",
                                     **dict(zip(("mean", "std", "count"), _stats(sub[f"pr_k{k}"]))), unit=""))
        init = at.drop_duplicates("seed")  # same seed and width: the same initial network on the same X
        for k in ks:
            rows.append(dict(table="III", row=f"initial({width})", quantity=f"pr_initial_k{k}", column=f"k = {k}",
                             **dict(zip(("mean", "std", "count"), _stats(init[f"pr_initial_k{k}"]))), unit=""))
        for k in ks:
            rows.append(dict(table="III", row=f"PR_max({width})", quantity=f"pr_max_k{k}", column=f"k = {k}",
                             mean=float(at[f"pr_max_k{k}"].iloc[0]), std=np.nan, count=1, unit=""))
    out = pd.DataFrame(rows, columns=["table", "row", "quantity", "column", "mean", "std", "count", "unit"])
    return out
