"""Experiment 7: is an observable of trained models different from that of their initialisations?

For each observable, the per-seed paired difference ``trained - initial`` is summarised by a
bootstrap confidence interval of its mean and tested with a permutation test.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Sequence
from math import comb
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .._utils import (
    PAPER_PROTOCOL,
    InstanceOf,
    Integers,
    Reals,
    as_generator,
    check_memory,
    observable_key,
    parse_observable_key,
    validate_params,
)
from ..observables import induced_false_positive_rate
from ._common import check_frame, column_list, observable_of
from ._static import FUNCTIONS, WIDTHS, static_comparison

__all__ = ["significance", "paired_observables"]

#: Observables compared with the initial model's own value: name -> the initial value's name.
_INITIAL = {"pr": "pr_initial", "rotation_ratio": "rotation_ratio_initial", "column_entropy": "column_entropy_initial"}
#: Observables taken as absent at initialisation (reference 0).
_ZERO_AT_INITIALISATION = ("column_kl", "dependent_zero_rows", "consistent_zero_rows")

_CONSTRAINTS = {
    "confidence_level": [Reals(0, 1, low_open=True, high_open=True)],
    "n_resamples": [Integers(1)],
    "paired": [InstanceOf(bool, "True or False")],
}
#: Arrays of shape (n_resamples, n_seeds) alive at once in the bootstrap (indices, values, statistic's work).
_RESAMPLE_COPIES = 4


def paired_observables(columns: Iterable[str]) -> list[tuple[str, str | float]]:
    """Observables of a sweep frame and their initial-model reference.

    See the user guide: :ref:`exp-significance`.

    Parameters
    ----------
    columns : iterable of str
        Column names of a sweep frame (e.g. ``frame.columns``).

    Returns
    -------
    list of (observable, reference)
        ``reference`` is a column name (``pr_initial_k3`` for ``pr_k3``, ...), ``"q(k)"`` for zero
        rows (the initial model has the induced false-positive rate ``q(k)`` by construction of the
        threshold), or ``0.0`` for the column divergence (the initial model's KL to itself) and for
        dependent / consistently zero rows (treated as absent at initialisation, a slightly liberal
        reference: the initial model has a few of both).
    """
    cols = list(columns)
    out = []
    for c in cols:
        key = observable_of(c)
        if key is None:
            continue
        if key.name in _INITIAL and observable_key(_INITIAL[key.name], key.k) in cols:
            out.append((c, observable_key(_INITIAL[key.name], key.k)))
        if key.name == "zero_rows":
            out.append((c, "q(k)"))
        elif key.name in _ZERO_AT_INITIALISATION:
            out.append((c, 0.0))
    return out


def _reference(frame, ref, col):
    if isinstance(ref, str) and ref == "q(k)":
        key = parse_observable_key(col)
        return np.array([float(induced_false_positive_rate(key.q, int(m), key.k)) if key.k <= m else np.nan
                         for m in frame["hidden_units"]])
    if isinstance(ref, str):
        return frame[ref].to_numpy(dtype=float)
    return np.full(len(frame), float(ref))


def _mean_diff(x, y, axis=-1):
    return np.mean(x, axis=axis) - np.mean(y, axis=axis)


def _test(trained, initial, *, paired, n_resamples, confidence_level, rng):
    d = trained - initial
    n = d.size
    res = dict(n_seeds=n, mean_trained=np.nan, mean_initial=np.nan, mean_difference=np.nan, ci_low=np.nan,
               ci_high=np.nan, p_value=np.nan, min_p_value=np.nan)
    if n == 0:
        return res
    res.update(mean_trained=float(np.mean(trained)), mean_initial=float(np.mean(initial)),
               mean_difference=float(np.mean(d)))
    if n < 2:
        return res
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if np.ptp(d) > 0:
            data = (d,) if paired else (trained, initial)
            stat = np.mean if paired else _mean_diff
            ci = stats.bootstrap(data, stat, paired=False, vectorized=True, n_resamples=n_resamples,
                                 confidence_level=confidence_level, method="percentile", random_state=rng)
            res["ci_low"], res["ci_high"] = float(ci.confidence_interval.low), float(ci.confidence_interval.high)
        else:
            res["ci_low"] = res["ci_high"] = float(d[0])
        if paired:
            pt = stats.permutation_test((trained, initial), _mean_diff, permutation_type="samples",
                                        vectorized=True, n_resamples=n_resamples, random_state=rng)
            res["min_p_value"] = min(1.0, 2.0 / 2 ** n)
        else:
            pt = stats.permutation_test((trained, initial), _mean_diff, permutation_type="independent",
                                        vectorized=True, n_resamples=n_resamples, random_state=rng)
            res["min_p_value"] = min(1.0, 2.0 / comb(2 * n, n))
        res["p_value"] = float(pt.pvalue)
    return res


def significance(
    frame: pd.DataFrame | None = None,
    *,
    by: str | Sequence[str] = ("function", "hidden_units"),
    observables: str | Sequence[str] | None = None,
    paired: bool = True,
    confidence_level: float = 0.95,
    n_resamples: int = 9999,
    random_state: int | np.random.Generator | None = 0,
    functions: Sequence[str] = FUNCTIONS,
    widths: Sequence[int] = WIDTHS,
    seeds: Iterable[int] = range(PAPER_PROTOCOL.n_seeds),
    n_jobs: int | None = None,
    store: str | os.PathLike | None = None,
    verbose: int = 0,
    **static_params: Any,
) -> pd.DataFrame:
    """Trained vs initial for every observable: bootstrap CI of the mean difference and a permutation p-value.

    Whether an observable of trained models differs from that of their own initialisations,
    over the seeds of each group. See the user guide: :ref:`exp-significance`.

    Parameters
    ----------
    frame : pandas.DataFrame or None, default=None
        A :func:`static_comparison` (or any sweep) frame with analyzer columns. ``None``: run
        ``static_comparison(functions, widths, seeds, n_jobs=..., store=..., **static_params)``.
    by : sequence of str, default=("function", "hidden_units")
        Groups; each group's rows are the seeds.
    observables : sequence of str or None, default=None
        Observable columns (``None``: all that have a reference, see :func:`paired_observables`).
    paired : bool, default=True
        ``True``: the statistic is the mean over seeds of ``trained - initial`` (each model against
        its own initialisation); the test flips the sign of each seed's difference (exact with
        ``2**n_seeds`` sign patterns, so the smallest attainable two-sided p-value is
        ``2 / 2**n_seeds``: 0.125 with 4 seeds, 0.0078 with 8). ``False``: trained and initial values
        as two independent samples (difference of means; smallest p ``2 / C(2n, n)``), which ignores
        the pairing.
    confidence_level : float, default=0.95
    n_resamples : int, default=9999
        Bootstrap resamples and the permutation budget (the test is exact when fewer patterns exist).
    random_state : int, default=0
    functions, widths, seeds, n_jobs, store, verbose, **static_params :
        Passed to :func:`static_comparison` when ``frame`` is None (``static_params`` such as
        ``patience`` or ``monitor``, the loss early stopping monitors).

    Returns
    -------
    pandas.DataFrame
        One row per group and observable: the ``by`` columns, ``observable``, ``reference`` (the
        initial column, "q(k)" or "0"), ``n_seeds``, ``mean_trained``, ``mean_initial``,
        ``mean_difference``, ``ci_low``, ``ci_high`` (percentile bootstrap of the mean difference),
        ``p_value`` (two-sided permutation test), ``min_p_value`` (the smallest p-value the design
        allows) and ``test`` ("paired" or "independent").

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_ka.experiments import significance
    >>> df = pd.DataFrame({"function": ["xor"] * 4, "hidden_units": [32] * 4, "seed": range(4),
    ...                    "pr_k3": [16.0, 15.5, 17.0, 16.2], "pr_initial_k3": [27.0, 26.5, 28.1, 27.3]})
    >>> res = significance(df)
    >>> str(res.loc[0, "observable"]), float(res.loc[0, "p_value"])
    ('pr_k3', 0.125)
    """
    # every argument is checked before static_comparison trains anything
    args = validate_params(dict(confidence_level=confidence_level, n_resamples=n_resamples, paired=paired),
                           _CONSTRAINTS, owner="significance")
    by = column_list(by, "by", owner="significance")
    if not by:
        raise ValueError("significance: by must name at least one column.")
    rng = as_generator(random_state)
    if frame is None:
        frame = static_comparison(functions, widths, seeds, n_jobs=n_jobs, store=store, verbose=verbose,
                                  **static_params)
    frame = check_frame(frame, owner="significance")
    missing = [c for c in by if c not in frame.columns]
    if missing:
        raise ValueError(f"significance: by names unknown column(s) {missing}.")
    pairs = _selected_pairs(frame, observables)
    n_max = int(frame.groupby(by, dropna=False).size().max()) if len(frame) else 0
    # the bootstrap draws all its resamples at once: (n_resamples, n) indices and values, a few copies
    check_memory(_RESAMPLE_COPIES * 8 * args["n_resamples"] * max(n_max, 1),
                 f"{args['n_resamples']} bootstrap resamples of groups of {n_max} seeds", owner="significance",
                 alternatives="fewer n_resamples (9999 gives a 95 % interval to about 0.1 %).")
    rows = []
    for key, group in frame.groupby(by, sort=True, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        for col, ref in pairs:
            trained = group[col].to_numpy(dtype=float)
            initial = _reference(group, ref, col)
            ok = np.isfinite(trained) & np.isfinite(initial)
            res = _test(trained[ok], initial[ok], paired=paired, n_resamples=args["n_resamples"],
                        confidence_level=args["confidence_level"], rng=rng)
            rows.append({**dict(zip(by, key)), "observable": col, "reference": str(ref), **res,
                         "test": "paired" if paired else "independent"})
    return pd.DataFrame(rows)


def _selected_pairs(frame, observables):
    """The (observable, reference) pairs to test: all the frame has, or the requested ones."""
    pairs = paired_observables(frame.columns)
    if observables is not None:
        observables = [observables] if isinstance(observables, str) else list(observables)
        known = dict(pairs)
        bad = [o for o in observables if o not in known]
        if bad:
            raise ValueError(f"significance: observable(s) {bad} have no initial-model reference in the frame; "
                             f"known: {sorted(known)}.")
        pairs = [(o, known[o]) for o in observables]
    if not pairs:
        raise ValueError("significance: the frame has no observable with an initial-model reference (analyzer "
                         "columns such as pr_k3 and pr_initial_k3); run static_comparison with an analyzer.")
    return pairs
