"""The statistics of a KA phase diagram: per-cell tests, false-discovery control, the emergence call.

A *cell* is one point of the diagram's axes (e.g. one lambda, width and batch size); its rows
are the seeds. For every observable with an initial-model reference, :func:`significance`
gives the paired trained - initial difference with a bootstrap interval and an exact sign-flip
permutation p-value; here the p-values of one observable are adjusted across the cells with the
Benjamini-Hochberg procedure, and each cell gets an emergence call from a documented rule (an
intersection-union test of the rule's one-sided criteria, then Benjamini-Hochberg across cells).
The rule and its statistics are described in the user guide (:ref:`phase-diagram`).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

from .._utils import (
    Integers,
    InvalidParameterError,
    Options,
    Reals,
    check_param,
    observable_key,
    validate_params,
)
from ._common import check_frame, column_list, observable_of
from ._significance import _reference, paired_observables, significance

__all__ = ["EMERGENCE_RULE", "STATISTICS_CONSTRAINTS", "DIRECTIONS", "bh_adjust", "check_rule", "phase_statistics",
           "goldilocks_ranges"]

#: The directions a criterion of an emergence rule can ask for: the trained models' mean above
#: or below the reference (the initial model's own value, ``q(k)`` or 0).
DIRECTIONS = ("above", "below")

#: The default emergence rule (see :ref:`phase-emergence`): excess size-3 zero rows at
#: ``q1 = 1 %`` (above ``q(3)``), a size-3 participation ratio below the initial model's and a
#: size-3 rotation ratio above it.
EMERGENCE_RULE: tuple[tuple[str, str], ...] = (
    (observable_key("zero_rows", 3, 0.01), "above"),
    (observable_key("pr", 3), "below"),
    (observable_key("rotation_ratio", 3), "above"),
)

#: The constraints of the statistical settings (shared with :func:`phase_diagram`).
STATISTICS_CONSTRAINTS = {
    "alpha": [Reals(0, 1, low_open=True, high_open=True)],
    "confidence_level": [Reals(0, 1, low_open=True, high_open=True)],
    "n_resamples": [Integers(1)],
}


def bh_adjust(p_values: Any) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q-values); NaN entries stay NaN and are not counted.

    ``q_(i) = min_{j >= i} min(1, N p_(j) / j)`` over the ``N`` finite p-values sorted
    ascending; rejecting every hypothesis with ``q <= alpha`` controls the false discovery rate
    at ``alpha`` for independent or positively dependent tests (Benjamini and Hochberg, 1995).

    Parameters
    ----------
    p_values : array-like of float
        p-values in [0, 1] (NaN for tests that could not be run).

    Returns
    -------
    ndarray of float
        The adjusted values, in the input's order and shape.
    """
    p = np.asarray(p_values, dtype=float)
    out = np.full(p.shape, np.nan)
    flat, res = p.ravel(), out.ravel()
    ok = np.flatnonzero(np.isfinite(flat))
    if ok.size == 0:
        return out
    if np.any((flat[ok] < 0) | (flat[ok] > 1)):
        raise ValueError(f"bh_adjust: p-values must lie in [0, 1]; got {flat[ok].min()} .. {flat[ok].max()}.")
    order = ok[np.argsort(flat[ok], kind="stable")]
    n = order.size
    scaled = flat[order] * n / np.arange(1, n + 1)
    res[order] = np.minimum(1.0, np.minimum.accumulate(scaled[::-1])[::-1])
    return out


def check_rule(rule: Any, *, owner: str) -> tuple[tuple[str, str], ...]:
    """An emergence rule: a non-empty sequence of ``(observable key, "above" | "below")`` pairs."""
    bad = InvalidParameterError(
        f"{owner}: rule must be a non-empty sequence of (observable key, direction) pairs with a direction in "
        f"{DIRECTIONS}, e.g. {list(EMERGENCE_RULE)}; got {rule!r}.")
    if isinstance(rule, (str, bytes)) or not isinstance(rule, Sequence) or not rule:
        raise bad
    out = []
    for item in rule:
        if isinstance(item, (str, bytes)) or not isinstance(item, Sequence) or len(item) != 2:
            raise bad
        key, direction = item
        if observable_of(key) is None:
            raise InvalidParameterError(f"{owner}: rule names {key!r}, which is not an observable key (such as "
                                        f"{EMERGENCE_RULE[0][0]!r}).")
        check_param(f"the direction of {key!r} in rule", direction, [Options(*DIRECTIONS)], owner=owner)
        out.append((str(key), str(direction)))
    if len({k for k, _ in out}) != len(out):
        raise InvalidParameterError(f"{owner}: rule names an observable twice: {[k for k, _ in out]}.")
    return tuple(out)


def _directional(p_two_sided: np.ndarray, difference: np.ndarray, direction: str) -> np.ndarray:
    """One-sided p-values in ``direction`` from two-sided sign-flip p-values.

    The sign-flip null distribution of the mean difference is symmetric about 0, and the
    two-sided p-value is twice the smaller one-sided one: when the observed difference lies on
    the side the criterion asks for, its one-sided p-value is half the two-sided one; otherwise
    (or at a zero difference) it is taken as 1, which keeps the test valid.
    """
    sign = np.sign(difference) * (1 if direction == "above" else -1)
    p = np.where((sign > 0) & (p_two_sided < 1), p_two_sided / 2, 1.0)
    return np.where(np.isfinite(p_two_sided) & np.isfinite(difference), p, np.nan)


def phase_statistics(
    models: pd.DataFrame,
    axes: str | Sequence[str],
    *,
    rule: Sequence[tuple[str, str]] = EMERGENCE_RULE,
    alpha: float = 0.05,
    confidence_level: float = 0.95,
    n_resamples: int = 9999,
    random_state: int | np.random.Generator | None = 0,
) -> Bunch:
    """Per-cell tests, false-discovery control and the emergence call of a phase diagram's models.

    The statistics of :func:`phase_diagram`, on any frame with one row per model (a sweep
    frame with analyzer columns), so that they can be recomputed with another rule or level, or
    checked on synthetic cells. See the user guide: :ref:`phase-diagram`.

    Parameters
    ----------
    models : pandas.DataFrame
        One row per model: the ``axes`` columns, ``train_r2``, ``test_r2`` and the analyzer's
        columns (``zero_rows_k3_q0.01``, ``pr_k3`` with ``pr_initial_k3``, ...); zero rows
        need ``hidden_units`` (their reference ``q(k)`` depends on ``m``). The rows of a cell
        are its seeds.
    axes : str or sequence of str
        The columns that define a cell (``function`` is added when the frame has it).
    rule : sequence of (str, {"above", "below"}), default=EMERGENCE_RULE
        The emergence criteria: each observable's trained mean must lie above (below) its
        reference. Every observable must have a reference (:func:`paired_observables`).
    alpha : float, default=0.05
        The false discovery rate of the Benjamini-Hochberg procedures.
    confidence_level : float, default=0.95
        Of the bootstrap intervals.
    n_resamples : int, default=9999
        Bootstrap resamples and permutation budget (the sign-flip test is exact when
        ``2**n_seeds <= n_resamples``).
    random_state : int, Generator or None, default=0
        Seeds the bootstrap (and a randomised permutation test).

    Returns
    -------
    sklearn.utils.Bunch
        ``tests``: one row per (cell, observable) with the :func:`significance` columns
        (``mean_trained``, ``mean_initial``, ``mean_difference``, ``ci_low``, ``ci_high``,
        ``p_value``, ``min_p_value``, ...), ``mean_normalized`` (the mean over seeds of trained /
        reference, NaN for a zero reference), ``q_value`` (Benjamini-Hochberg across the cells,
        per observable) and ``significant`` (``q_value <= alpha``).
        ``cells``: one row per cell with ``n_seeds``, ``train_r2_mean``, ``train_r2_std``,
        ``test_r2_mean``, ``test_r2_std``, the mean of every ``*_normalized_*`` column, per
        criterion ``<key>_difference`` and ``<key>_p_one_sided``, then ``emergence_p_value``
        (the largest one-sided p-value of the criteria), ``emergence_min_p_value`` (the
        smallest the design allows), ``emergence_q_value`` (Benjamini-Hochberg across cells)
        and ``emerged`` (``emergence_q_value <= alpha``).
        ``rule``, ``alpha``, ``axes``: the settings used.

    Warns
    -----
    UserWarning
        When the seeds of every cell are too few for any cell to be called emerged at ``alpha``
        (the smallest one-sided p-value, ``1 / 2**n_seeds``, exceeds ``alpha``).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from sklearn_ka.experiments import phase_statistics
    >>> rng = np.random.default_rng(0)
    >>> pr0 = rng.normal(27, 1, 16)
    >>> df = pd.DataFrame({"lam": [0.5] * 8 + [1.0] * 8, "seed": list(range(8)) * 2, "hidden_units": 32,
    ...                    "train_r2": 0.9, "test_r2": 0.9, "pr_initial_k3": pr0,
    ...                    "pr_k3": pr0 - np.r_[np.zeros(8), np.full(8, 9.0)] + rng.normal(0, .1, 16)})
    >>> res = phase_statistics(df, "lam", rule=[("pr_k3", "below")])
    >>> res.cells[["lam", "emergence_p_value", "emerged"]].values.tolist()
    [[0.5, 1.0, False], [1.0, 0.00390625, True]]
    """
    owner = "phase_statistics"
    args = validate_params(dict(alpha=alpha, confidence_level=confidence_level, n_resamples=n_resamples),
                           STATISTICS_CONSTRAINTS, owner=owner)
    models = check_frame(models, owner=owner, what="models")
    axes = column_list(axes, "axes", owner=owner)
    by = axes + (["function"] if "function" in models.columns and "function" not in axes else [])
    missing = [c for c in [*by, "train_r2", "test_r2"] if c not in models.columns]
    if missing:
        raise ValueError(f"{owner}: models has no column(s) {missing}; it needs the axes and the R² columns of a "
                         "sweep frame.")
    rule = check_rule(rule, owner=owner)
    pairs = dict(paired_observables(models.columns))
    absent = [k for k, _ in rule if k not in pairs]
    if absent:
        raise ValueError(f"{owner}: the rule's observable(s) {absent} have no column with an initial-model reference "
                         f"in models (analyse with an analyzer that computes them); known: {sorted(pairs)}.")
    tests = significance(models, by=by, confidence_level=args["confidence_level"], n_resamples=args["n_resamples"],
                         random_state=random_state)
    tests = _with_normalized(tests, models, by, pairs)
    tests["q_value"] = tests.groupby("observable", sort=False)["p_value"].transform(lambda p: bh_adjust(p))
    tests["significant"] = tests["q_value"].le(args["alpha"])
    cells = _cells(models, by, tests, rule, args["alpha"], args["n_resamples"])
    return Bunch(cells=cells, tests=tests, rule=rule, alpha=args["alpha"], axes=axes)


def _with_normalized(tests: pd.DataFrame, models: pd.DataFrame, by: list, pairs: dict) -> pd.DataFrame:
    """``tests`` with ``mean_normalized``: per cell and observable, the mean of trained / reference."""
    ratios = {}
    for col, ref in pairs.items():
        reference = _reference(models, ref, col)
        with np.errstate(divide="ignore", invalid="ignore"):
            r = models[col].to_numpy(dtype=float) / reference
        ratios[col] = np.where(np.isfinite(r) & (reference != 0), r, np.nan)
    wide = pd.concat([models[by].reset_index(drop=True), pd.DataFrame(ratios)], axis=1)
    means = wide.groupby(by, sort=True, dropna=False).mean().reset_index()
    long = means.melt(id_vars=by, var_name="observable", value_name="mean_normalized")
    out = tests.merge(long, on=[*by, "observable"], how="left", sort=False)
    return out


def _cells(models, by, tests, rule, alpha, n_resamples) -> pd.DataFrame:
    """One row per cell: R² over seeds, the normalised observables, the criteria and the emergence call."""
    groups = models.groupby(by, sort=True, dropna=False)
    cells = groups.size().rename("n_seeds").reset_index()
    for col in ("train_r2", "test_r2"):
        stats = groups[col].agg(["mean", "std"]).reset_index(drop=True)
        cells[f"{col}_mean"], cells[f"{col}_std"] = stats["mean"].to_numpy(), stats["std"].to_numpy()
    normalized = [c for c in models.columns
                  if (key := observable_of(c)) is not None and key.name.endswith("_normalized")]
    if normalized:
        cells = pd.concat([cells, groups[normalized].mean().reset_index(drop=True)], axis=1)
    p_cols = []
    for key, direction in rule:
        t = tests[tests["observable"] == key].set_index(by)[["mean_difference", "p_value"]]
        t = t.reindex(pd.MultiIndex.from_frame(cells[by]) if len(by) > 1 else pd.Index(cells[by[0]]))
        diff, p = t["mean_difference"].to_numpy(dtype=float), t["p_value"].to_numpy(dtype=float)
        cells[f"{key}_difference"] = diff
        cells[f"{key}_p_one_sided"] = _directional(p, diff, direction)
        p_cols.append(f"{key}_p_one_sided")
    p_all = cells[p_cols].to_numpy(dtype=float)
    cells["emergence_p_value"] = np.where(np.isfinite(p_all).all(axis=1), p_all.max(axis=1, initial=0.0), np.nan)
    n = cells["n_seeds"].to_numpy(dtype=float)
    cells["emergence_min_p_value"] = np.maximum(2.0 ** -n, 1.0 / (n_resamples + 1))
    cells["emergence_q_value"] = bh_adjust(cells["emergence_p_value"])
    cells["emerged"] = cells["emergence_q_value"].le(alpha)
    if len(cells) and (cells["emergence_min_p_value"] > alpha).all():
        warnings.warn(f"phase_statistics: with {int(n.max())} seed(s) per cell the smallest one-sided p-value is "
                      f"{cells['emergence_min_p_value'].min():.3g} > alpha={alpha}: no cell can be called emerged, "
                      "whatever the effect. Use more seeds (8 reach 1/256).", UserWarning, stacklevel=3)
    return cells


def goldilocks_ranges(
    cells: pd.DataFrame,
    along: str,
    by: str | Sequence[str] | None = None,
    *,
    r2_level: float = 0.9,
    r2: str = "test_r2",
) -> pd.DataFrame:
    """Where along one axis the emergence region and the learnable cells lie, per value of the other axes.

    See the user guide: :ref:`phase-findings`.

    Parameters
    ----------
    cells : pandas.DataFrame
        The ``cells`` of :func:`phase_diagram` or :func:`phase_statistics` (columns ``along``,
        ``by``, ``emerged`` and ``<r2>_mean``).
    along : str
        The axis along which ranges are read (e.g. ``"lam"``).
    by : str, sequence of str or None, default=None
        The other axes: one output row per combination of their values. Within a row's cells,
        each value of ``along`` must occur once (filter the cells or name more columns otherwise).
    r2_level : float, default=0.9
        A cell is *learnable* when its mean ``r2`` is at least this.
    r2 : {"test_r2", "train_r2"}, default="test_r2"

    Returns
    -------
    pandas.DataFrame
        Per combination of ``by``: ``n_cells``, ``n_emerged``, ``emerged_values`` (the emerged
        values of ``along``, as text), ``emerged_low`` and ``emerged_high`` (NaN when none),
        ``region`` (``"none"``; ``"contiguous"`` when the emerged cells are neighbours along the
        axis; ``"scattered"`` otherwise), ``learnable_low`` and ``learnable_high`` (the range of
        learnable values), ``n_learnable`` and ``n_emerged_learnable``.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_ka.experiments import goldilocks_ranges
    >>> cells = pd.DataFrame({"lam": [0.5, 1.0, 1.5], "emerged": [False, True, True],
    ...                       "test_r2_mean": [1.0, 0.95, 0.0]})
    >>> goldilocks_ranges(cells, "lam")[["emerged_low", "emerged_high", "region", "learnable_high"]].values.tolist()
    [[1.0, 1.5, 'contiguous', 1.0]]
    """
    owner = "goldilocks_ranges"
    cells = check_frame(cells, owner=owner, what="cells")
    by = [] if by is None else column_list(by, "by", owner=owner)
    r2 = check_param("r2", r2, [Options("test_r2", "train_r2")], owner=owner)
    r2_level = check_param("r2_level", r2_level, [Reals()], owner=owner)
    need = [along, *by, "emerged", f"{r2}_mean"]
    missing = [c for c in need if c not in cells.columns]
    if missing:
        raise ValueError(f"{owner}: cells has no column(s) {missing}.")
    rows = []
    for key, group in (cells.groupby(by, sort=True, dropna=False) if by else [((), cells)]):
        key = key if isinstance(key, tuple) else (key,)
        if group[along].duplicated().any():
            raise ValueError(f"{owner}: the cells at {dict(zip(by, key))} repeat values of {along!r}; name the other "
                             "axes in by, or select one value of each first.")
        g = group.sort_values(along, kind="stable").reset_index(drop=True)
        values = g[along].to_numpy()
        emerged = g["emerged"].fillna(False).to_numpy(dtype=bool)
        learnable = g[f"{r2}_mean"].to_numpy(dtype=float) >= r2_level
        idx = np.flatnonzero(emerged)
        region = "none" if idx.size == 0 else "contiguous" if idx[-1] - idx[0] + 1 == idx.size else "scattered"
        rows.append({**dict(zip(by, key)), "n_cells": len(g), "n_emerged": int(idx.size),
                     "emerged_values": ", ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in values[idx]),
                     "emerged_low": values[idx[0]] if idx.size else np.nan,
                     "emerged_high": values[idx[-1]] if idx.size else np.nan, "region": region,
                     "learnable_low": values[learnable][0] if learnable.any() else np.nan,
                     "learnable_high": values[learnable][-1] if learnable.any() else np.nan,
                     "n_learnable": int(learnable.sum()), "n_emerged_learnable": int((emerged & learnable).sum())})
    return pd.DataFrame(rows)
