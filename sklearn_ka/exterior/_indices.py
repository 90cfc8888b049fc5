"""Index tables of k-subsets: every k-subset in lexicographic order, and the faces of each.

The rows (and columns) of a size-k minor matrix are the k-subsets of the rows (columns) of the
Jacobian in the order of :func:`itertools.combinations`; see the user guide,
:ref:`jacobian-minors`. The tables are cached and read-only.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from .._utils import check_int, check_memory

__all__ = ["combination_indices", "face_indices"]


def _check_mk(m, k, k_min=1, *, owner=None):
    m = check_int("m", m, 1, owner=owner)
    k = check_int("k", k, owner=owner)
    if k < k_min or k > m:
        raise ValueError(f"k must satisfy {k_min} <= k <= m = {m}, got k={k}")
    return m, k


def _check_table_memory(m, k, owner):
    # the table and the two of its size the construction holds at once
    check_memory(3 * 8 * math.comb(m, k) * k, f"the table of the C({m}, {k}) = {math.comb(m, k)} {k}-subsets of "
                 f"range({m})", owner=owner, alternatives="a smaller m or k, or sampled subsets "
                 "(sklearn_ka.exterior.sample_combinations).")


@lru_cache(maxsize=256)
def _combinations(m, k):
    # Lexicographic order by prefix extension: extending each (k-1)-combination (in
    # lexicographic order) by every larger element keeps lexicographic order.
    c = np.zeros((1, 0), dtype=np.int64)
    for _ in range(k):
        last = c[:, -1] if c.shape[1] else np.full(c.shape[0], -1, dtype=np.int64)
        counts = m - 1 - last
        keep = counts > 0
        c, last, counts = c[keep], last[keep], counts[keep]
        rep = np.repeat(np.arange(c.shape[0]), counts)
        starts = np.cumsum(counts) - counts
        offs = np.arange(rep.size, dtype=np.int64) - np.repeat(starts, counts)
        c = np.concatenate([c[rep], (last[rep] + 1 + offs)[:, None]], axis=1)
    c.setflags(write=False)
    return c


def combination_indices(m: int, k: int) -> np.ndarray:
    """All k-subsets of ``range(m)`` in :func:`itertools.combinations` order.

    Parameters
    ----------
    m : int
        Size of the ground set (>= 1).
    k : int
        Subset size, ``1 <= k <= m``.

    Returns
    -------
    ndarray of int64, shape (C(m, k), k)
        Read-only (cached) array; row ``p`` is the p-th subset, increasing.
    """
    m, k = _check_mk(m, k, owner="combination_indices")
    _check_table_memory(m, k, "combination_indices")
    return _combinations(m, k)


def _lex_rank(c, m):
    """Lexicographic rank of increasing combinations ``c`` (rows) of ``range(m)``.

    rank = C(m, k) - 1 - sum_t C(m - 1 - c_t, k - t).
    """
    k = c.shape[1]
    tab = np.array([[math.comb(a, j) for j in range(k + 1)] for a in range(m + 1)], dtype=np.int64)
    r = np.full(c.shape[0], math.comb(m, k) - 1, dtype=np.int64)
    for t in range(k):
        r -= tab[m - 1 - c[:, t], k - t]
    return r


@lru_cache(maxsize=256)
def _faces(m, k):
    if k == 1:
        f = np.zeros((m, 1), dtype=np.int64)
    else:
        c = _combinations(m, k)
        f = np.empty((c.shape[0], k), dtype=np.int64)
        for t in range(k):
            f[:, t] = _lex_rank(np.delete(c, t, axis=1), m)
    f.setflags(write=False)
    return f


def face_indices(m: int, k: int) -> np.ndarray:
    """Positions of the (k-1)-subsets ("faces") of every k-subset.

    Parameters
    ----------
    m : int
        Size of the ground set.
    k : int
        Subset size, ``1 <= k <= m``.

    Returns
    -------
    ndarray of int64, shape (C(m, k), k)
        Entry ``[p, t]`` is the row of ``combination_indices(m, k - 1)`` equal to the
        p-th k-subset with its t-th element removed.  For ``k = 1`` every entry is 0
        (the single empty subset).  Used for dependent zero rows (see the user guide,
        :ref:`obs-dependent-zero-rows`).
    """
    m, k = _check_mk(m, k, owner="face_indices")
    _check_table_memory(m, k, "face_indices")
    return _faces(m, k)
