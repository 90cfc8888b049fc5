"""Memory budget for exterior powers: sizes of minor matrices and chunk planning.

Everything here is integer arithmetic on shapes (``math.comb``), so a request that can
never fit is refused at once, without allocating anything.
"""

from __future__ import annotations

import math

__all__ = [
    "DEFAULT_MAX_BYTES",
    "WORKING_FACTOR",
    "MinorBudgetError",
    "minor_nbytes",
    "minor_working_nbytes",
    "plan_example_chunks",
]

#: Default memory budget for one chunk of minor computations: 1 GiB.
DEFAULT_MAX_BYTES = 1 << 30

#: Peak working memory of :func:`~sklearn_ka.exterior.minor_matrices` per example, in
#: units of the size of one example's size-``k`` minor matrix: the result, the
#: ``(k-1)``-minors it is built from, and two gathered temporaries of the result's size.
WORKING_FACTOR = 4

_ITEMSIZE = 8  # float64


class MinorBudgetError(ValueError):
    """A minor computation cannot fit in the memory budget (raised before allocating)."""


def _check_shape_ints(n_samples, m, n, k):
    for name, v in (("n_samples", n_samples), ("m", m), ("n", n), ("k", k)):
        if isinstance(v, bool) or not isinstance(v, (int,)) and not hasattr(v, "__index__"):
            raise TypeError(f"{name} must be an integer, got {type(v).__name__}")
    n_samples, m, n, k = (int(v) for v in (n_samples, m, n, k))
    if n_samples < 0:
        raise ValueError(f"n_samples must be >= 0, got {n_samples}")
    if m < 1 or n < 1:
        raise ValueError(f"m and n must be >= 1, got m={m}, n={n}")
    if k < 1 or k > n or k > m:
        raise ValueError(
            f"minor size k must satisfy 1 <= k <= min(m, n) = {min(m, n)} "
            f"(m={m} rows, n={n} columns), got k={k}"
        )
    return n_samples, m, n, k


def minor_nbytes(n_samples: int, m: int, n: int, k: int) -> int:
    """Bytes of the float64 size-``k`` minor matrices of ``n_samples`` Jacobians.

    Parameters
    ----------
    n_samples : int
        Number of examples.
    m, n : int
        Jacobian shape (rows = hidden units, columns = inputs).
    k : int
        Minor size, ``1 <= k <= min(m, n)``.

    Returns
    -------
    int
        ``n_samples * C(m, k) * C(n, k) * 8`` (exact Python integer, never overflows).
    """
    n_samples, m, n, k = _check_shape_ints(n_samples, m, n, k)
    return n_samples * math.comb(m, k) * math.comb(n, k) * _ITEMSIZE


def minor_working_nbytes(n_samples: int, m: int, n: int, k: int) -> int:
    """Peak working bytes of :func:`minor_matrices` on ``n_samples`` examples.

    ``WORKING_FACTOR`` times :func:`minor_nbytes` (the result, the ``(k-1)``-minors and
    two temporaries), plus the input itself.

    Parameters
    ----------
    n_samples : int
        Number of examples.
    m, n : int
        Jacobian shape (rows = hidden units, columns = inputs).
    k : int
        Minor size, ``1 <= k <= min(m, n)``.

    Returns
    -------
    int
        Bytes (exact Python integer).
    """
    n_samples, m, n, k = _check_shape_ints(n_samples, m, n, k)
    return WORKING_FACTOR * minor_nbytes(n_samples, m, n, k) + n_samples * m * n * _ITEMSIZE


def plan_example_chunks(n_samples: int, m: int, n: int, k: int, max_bytes: int | float | None = None) -> int:
    """Number of examples per chunk so that computing their minors fits ``max_bytes``.

    Parameters
    ----------
    n_samples : int
        Total number of examples (the chunk size never exceeds it, and is >= 1).
    m, n : int
        Jacobian shape.
    k : int
        Minor size.
    max_bytes : int, optional
        Memory budget for one chunk; default :data:`DEFAULT_MAX_BYTES` (1 GiB).

    Returns
    -------
    int
        Chunk size (number of examples), ``1 <= chunk <= max(n_samples, 1)``.

    Raises
    ------
    MinorBudgetError
        When even a single example does not fit (e.g. ``m=2000, n=3, k=3``: C(2000, 3)
        is about 1.3e9 minors, 10.6 GB per example). Raised without allocating.
    """
    if max_bytes is None:
        max_bytes = DEFAULT_MAX_BYTES
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, (int, float)):
        raise TypeError(f"max_bytes must be a number of bytes, got {type(max_bytes).__name__}")
    if not max_bytes > 0:
        raise ValueError(f"max_bytes must be > 0, got {max_bytes}")
    n_samples, m, n, k = _check_shape_ints(n_samples, m, n, k)
    per_example = minor_working_nbytes(1, m, n, k)
    if per_example > max_bytes:
        raise MinorBudgetError(
            f"the size-{k} minors of one {m}x{n} Jacobian need about {per_example / 2**30:.3g} GiB "
            f"of working memory ({math.comb(m, k)} x {math.comb(n, k)} float64 minors per "
            f"example), over the budget of {max_bytes / 2**30:.3g} GiB. Alternatives: a smaller "
            f"minor size k, a larger memory budget (max_bytes), or sampled minors (a random "
            f"subset of the k-subsets of rows; not implemented yet)."
        )
    return int(max(1, min(max(n_samples, 1), max_bytes // per_example)))
