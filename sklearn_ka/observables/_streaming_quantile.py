"""Exact quantiles of data too large to hold at once, in two passes over its chunks.

The zero-row thresholds (user guide: :ref:`obs-zero-rows`) are quantiles of the initial model's
row means pooled over all examples and rows; for m = 256, k = 3 and 1000 examples that is 2.8e9
values (22 GB). Pass 1
counts the values in a fine histogram of ``log10`` (row means are non-negative) and finds, for
each requested rank, the bin that holds it; pass 2 keeps only the values in those bins and
selects the order statistics exactly. The result equals ``numpy.quantile(values, q)`` (linear
interpolation, numpy's default) while memory stays at one chunk plus the selected bins.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import numpy as np
from numpy.typing import ArrayLike

from .._utils import Reals, check_sequence

__all__ = ["streaming_quantiles", "low_quantiles"]

_LOG_LO, _LOG_HI, _BINS = -330.0, 310.0, 1 << 16  # covers every positive float64


def _bin_index(values):
    """Histogram bin of each value; zeros (and subnormal underflow) go to bin 0."""
    positive = values > 0
    logs = np.log10(np.where(positive, values, 1.0))
    idx = np.floor((logs - _LOG_LO) * (_BINS / (_LOG_HI - _LOG_LO))).astype(np.int64) + 1
    return np.where(positive, np.clip(idx, 1, _BINS + 1), 0)


def streaming_quantiles(chunks: Callable[[], Iterable[ArrayLike]], q: float | Sequence[float]) -> np.ndarray:
    """Exact linear-interpolation quantiles of non-negative data given as a re-iterable of chunks.

    :class:`~sklearn_ka.KAGeometryAnalyzer` uses it for the zero-row thresholds (user guide:
    :ref:`obs-zero-rows`) when the pooled row means of the initial model do not fit in memory.

    Parameters
    ----------
    chunks : callable
        ``chunks()`` returns a fresh iterable of array chunks (it is called twice; every call
        must yield the same values). Values must be finite and >= 0.
    q : float or sequence of float
        Quantile ranks in [0, 1].

    Returns
    -------
    ndarray of float64
        One value per rank, equal to ``numpy.quantile(np.concatenate(list(chunks())), q)``.
    """
    if not callable(chunks):
        raise TypeError("streaming_quantiles: chunks must be a callable returning a fresh iterable of array chunks "
                        f"(it is called twice); got {type(chunks).__name__}.")
    if isinstance(q, np.ndarray):
        q = q.reshape(-1)
    elif np.ndim(q) == 0 and not isinstance(q, str):
        q = [q]
    q = np.asarray(check_sequence("q", q, [Reals(0, 1)], owner="streaming_quantiles"), dtype=np.float64)
    counts = np.zeros(_BINS + 2, dtype=np.int64)
    n = 0
    for chunk in chunks():
        v = np.asarray(chunk, dtype=np.float64).ravel()
        if v.size and (not np.all(np.isfinite(v)) or v.min() < 0):
            raise ValueError("streaming_quantiles needs finite, non-negative values.")
        counts += np.bincount(_bin_index(v), minlength=_BINS + 2)
        n += v.size
    if n == 0:
        raise ValueError("streaming_quantiles got no values.")
    lo, hi, gamma = linear_positions(n, q)
    cum = np.cumsum(counts)
    needed = np.unique(np.concatenate([lo, hi]))
    bins = np.searchsorted(cum, needed, side="right")  # bin holding order statistic r (0-based)
    keep = np.unique(bins)
    kept = {b: [] for b in keep}
    for chunk in chunks():
        v = np.asarray(chunk, dtype=np.float64).ravel()
        idx = _bin_index(v)
        for b in keep:
            kept[b].append(v[idx == b])
    order = {}
    for b in keep:
        vals = np.sort(np.concatenate(kept[b]))
        start = cum[b - 1] if b > 0 else 0
        for r in needed[bins == b]:
            order[int(r)] = vals[r - start]
    return linear_interpolate(np.array([order[int(r)] for r in lo]), np.array([order[int(r)] for r in hi]), gamma)


def linear_positions(n, q):
    """Order statistics ``lo``, ``hi`` and weight ``gamma`` of numpy's 'linear' quantile method.

    Virtual index ``(n - 1) q`` (Hyndman and Fan type 7), as numpy >= 2 computes it,
    interpolating the order statistics ``lo`` and ``lo + 1`` (0-based). (numpy 1.x wrote the
    same index as ``n q - q``, which can round differently in the last bit.)
    """
    pos = (n - 1) * q
    lo = np.clip(np.floor(pos), 0, n - 1).astype(np.int64)
    hi = np.minimum(lo + 1, n - 1)
    return lo, hi, pos - np.floor(pos)


def linear_interpolate(low, high, gamma):
    """numpy's ``_lerp``: interpolate from the nearer end (bit-identical to ``numpy.quantile``)."""
    diff = high - low
    return np.where(gamma >= 0.5, high - diff * (1 - gamma), low + diff * gamma)


def low_quantiles(values, q):
    """``numpy.quantile(values, q)`` (linear method), faster when every rank is small.

    The zero-row thresholds are low quantiles (ranks of a few percent at most). A strided
    sub-sample bounds the needed order statistics from above; only the values below the
    bound are partitioned. The bound is checked by counting, so the result is exact and
    equals ``numpy.quantile``; when the check fails the whole array is partitioned.

    Parameters
    ----------
    values : ndarray of float64, 1-D, finite
    q : ndarray of float64, ranks in [0, 1]

    Returns
    -------
    ndarray of float64, one value per rank
    """
    n = values.size
    lo, hi, gamma = linear_positions(n, q)
    needed = np.unique(np.concatenate([lo, hi]))
    top = int(needed[-1])
    pool = values
    stride = 16
    if n >= 64 * stride and top < n // 8:
        sub = values[::stride]
        j = min(sub.size - 1, 2 * (top + 1) // stride + 16)  # about twice the values needed
        bound = np.partition(sub, j)[j]
        below = values[values <= bound]
        if below.size > top:  # the smallest top + 1 values are all below the bound
            pool = below
    order = np.partition(pool, needed)
    return linear_interpolate(order[lo], order[hi], gamma)
