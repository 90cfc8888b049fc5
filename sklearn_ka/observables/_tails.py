"""Tails of the pooled minors: mean excess function, quantile ratio.

Definitions: see the user guide, :ref:`obs-tails`.  Quantiles use numpy's default
``'linear'`` interpolation (type 7).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np
import torch
from numpy.typing import ArrayLike

from .._utils import Reals, check_real, check_sequence, pooled_float64

__all__ = ["mean_excess", "mean_excess_fit", "quantile_ratio"]


def _linear_quantiles(sorted_tail, n_total, start, ranks):
    """Type-7 quantiles from the sorted top part ``x[start:]`` of ``n_total`` values."""
    h = (n_total - 1) * ranks
    lo = np.floor(h).astype(np.int64)
    hi = np.minimum(lo + 1, n_total - 1)
    return sorted_tail[lo - start] + (h - lo) * (sorted_tail[hi - start] - sorted_tail[lo - start])


def _check_ranks(quantile_ranks: ArrayLike | None, *, owner: str) -> np.ndarray:
    """The quantile ranks of the mean excess function, checked: numbers in [0, 1) (default 0.90 .. 0.99)."""
    if quantile_ranks is None:
        return np.arange(0.90, 1.0, 0.01)
    if isinstance(quantile_ranks, np.ndarray):
        quantile_ranks = quantile_ranks.reshape(-1)
    elif np.ndim(quantile_ranks) == 0 and not isinstance(quantile_ranks, str):
        quantile_ranks = [quantile_ranks]
    ranks = check_sequence("quantile_ranks", quantile_ranks, [Reals(0, 1, high_open=True)], owner=owner)
    return np.asarray(ranks, dtype=np.float64)


def mean_excess(
    values: ArrayLike | torch.Tensor | Sequence[ArrayLike | torch.Tensor],
    quantile_ranks: ArrayLike | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Mean excess function of pooled minors.

    ``MEF(u) = E[X - u | X > u]`` at thresholds ``u = Q(q)`` (type-7 quantiles of the
    pooled values) for the given quantile ranks, as in the study [1]_.  Constant MEF
    indicates an exponential tail, increasing a power law.  Only the top ``1 - min(q)`` of
    the values is sorted.  See the user guide: :ref:`obs-tails`.

    Parameters
    ----------
    values : array-like, torch.Tensor, or a list/tuple of them
        Minors of one size ``k`` (any shape; pooled over examples, rows, columns, and
        over chunks when a sequence is given). Finite.
    quantile_ranks : array-like of float in [0, 1), default ``np.arange(0.90, 1.0, 0.01)``

    Returns
    -------
    thresholds : ndarray, shape (n_ranks,)
        ``u = Q(q)``.
    mef : ndarray, shape (n_ranks,)
        ``MEF(u)``; NaN where no value exceeds ``u``.

    References
    ----------
    .. [1] M. Freedman and M. Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in
       Shallow MLPs", arXiv:2509.12326, 2025. https://arxiv.org/abs/2509.12326
    """
    ranks = _check_ranks(quantile_ranks, owner="mean_excess")
    x = pooled_float64(values, "values")
    n = x.size
    start = int(math.floor((n - 1) * ranks.min()))
    part = np.partition(x, start) if start > 0 else x.copy()
    tail = np.sort(part[start:])
    u = _linear_quantiles(tail, n, start, ranks)
    # sums of the values above each u, from a reversed cumulative sum of the tail
    csum = np.concatenate([np.cumsum(tail[::-1])[::-1], [0.0]])
    pos = np.searchsorted(tail, u, side="right")
    cnt = tail.size - pos
    with np.errstate(invalid="ignore", divide="ignore"):
        mef = np.where(cnt > 0, csum[pos] / np.maximum(cnt, 1) - u, np.nan)
    return u, mef


def mean_excess_fit(quantile_ranks: ArrayLike, mef: ArrayLike) -> tuple[float, float]:
    """Least-squares line ``MEF ~ slope * q + intercept``.

    The linear fit of the mean excess function against the quantile rank ``q`` that the
    study [1]_ plots; NaN entries are ignored.  See the user guide: :ref:`obs-tails`.

    Parameters
    ----------
    quantile_ranks, mef : array-like, shape (n_ranks,)

    Returns
    -------
    slope, intercept : float
        NaN when fewer than two finite points remain.

    References
    ----------
    .. [1] M. Freedman and M. Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in
       Shallow MLPs", arXiv:2509.12326, 2025. https://arxiv.org/abs/2509.12326
    """
    q, y = (_real_vector(v, name) for v, name in ((quantile_ranks, "quantile_ranks"), (mef, "mef")))
    if q.shape != y.shape:
        raise ValueError(f"quantile_ranks and mef must have the same length, got {q.size} and {y.size}")
    ok = np.isfinite(q) & np.isfinite(y)
    if ok.sum() < 2:
        return float("nan"), float("nan")
    slope, intercept = np.polyfit(q[ok], y[ok], 1)
    return float(slope), float(intercept)


def _real_vector(values, name):
    """``values`` as a flat float64 vector (NaN allowed), or a clear error."""
    arr = np.asarray(values)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.integer)
                                   or arr.dtype == np.bool_):
        raise TypeError(f"mean_excess_fit: {name} must be an array of numbers; got dtype {arr.dtype}.")
    return arr.astype(np.float64).reshape(-1)


def quantile_ratio(
    values: ArrayLike | torch.Tensor | Sequence[ArrayLike | torch.Tensor], high: float = 0.99, low: float = 0.01
) -> float:
    """Ratio of the ``high`` to the ``low`` quantile of pooled minors.

    By default the ratio of the 0.99 to the 0.01 quantile of the size-k minors, a measure of
    their spread used in the study [1]_.  See the user guide: :ref:`obs-tails`.

    Parameters
    ----------
    values : array-like, torch.Tensor, or a list/tuple of them
    high, low : float in [0, 1], ``low < high``

    Returns
    -------
    float
        ``Q(high) / Q(low)`` (type-7 quantiles). ``inf`` when ``Q(low) = 0 < Q(high)``
        and NaN when both are 0, each with a RuntimeWarning.

    References
    ----------
    .. [1] M. Freedman and M. Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in
       Shallow MLPs", arXiv:2509.12326, 2025. https://arxiv.org/abs/2509.12326
    """
    high = check_real("high", high, 0, 1, owner="quantile_ratio")
    low = check_real("low", low, 0, 1, owner="quantile_ratio")
    if not low < high:
        raise ValueError(f"need low < high, got low={low}, high={high}")
    x = pooled_float64(values, "values")
    qh, ql = np.quantile(x, [high, low])
    if ql == 0:
        warnings.warn(
            f"the {low} quantile of the minors is 0; the quantile ratio is "
            f"{'NaN' if qh == 0 else 'inf'}",
            RuntimeWarning,
            stacklevel=2,
        )
        return float("nan") if qh == 0 else float("inf")
    return float(qh / ql)
