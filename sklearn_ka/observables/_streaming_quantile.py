"""Exact quantiles of data too large to hold at once, in two passes over its chunks.

The zero-row thresholds of SPEC 6.1 are quantiles of the initial model's row means pooled over
all examples and rows; for m = 256, k = 3 and 1000 examples that is 2.8e9 values (22 GB). Pass 1
counts the values in a fine histogram of ``log10`` (row means are non-negative) and finds, for
each requested rank, the bin that holds it; pass 2 keeps only the values in those bins and
selects the order statistics exactly. The result equals ``numpy.quantile(values, q)`` (linear
interpolation, numpy's default) while memory stays at one chunk plus the selected bins.
"""

from __future__ import annotations

import numpy as np

__all__ = ["streaming_quantiles"]

_LOG_LO, _LOG_HI, _BINS = -330.0, 310.0, 1 << 16  # covers every positive float64


def _bin_index(values):
    """Histogram bin of each value; zeros (and subnormal underflow) go to bin 0."""
    positive = values > 0
    logs = np.log10(np.where(positive, values, 1.0))
    idx = np.floor((logs - _LOG_LO) * (_BINS / (_LOG_HI - _LOG_LO))).astype(np.int64) + 1
    return np.where(positive, np.clip(idx, 1, _BINS + 1), 0)


def streaming_quantiles(chunks, q):
    """Exact linear-interpolation quantiles of non-negative data given as a re-iterable of chunks.

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
    q = np.atleast_1d(np.asarray(q, dtype=np.float64))
    if np.any((q < 0) | (q > 1)) or not np.all(np.isfinite(q)):
        raise ValueError(f"quantile ranks must lie in [0, 1], got {q.tolist()}.")
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
    # numpy's 'linear' method, computed as numpy does (same rounding): virtual index n q - q,
    # interpolating the order statistics lo and lo + 1
    pos = n * q + (1 + q * (1 - 1 - 1)) - 1
    lo = np.clip(np.floor(pos), 0, n - 1).astype(np.int64)
    hi = np.minimum(lo + 1, n - 1)
    gamma = pos - np.floor(pos)
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
    low = np.array([order[int(r)] for r in lo])
    high = np.array([order[int(r)] for r in hi])
    diff = high - low  # numpy's _lerp: from the nearer end
    return np.where(gamma >= 0.5, high - diff * (1 - gamma), low + diff * gamma)
