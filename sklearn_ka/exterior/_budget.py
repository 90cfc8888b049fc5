"""Memory budget for exterior powers: sizes of minor matrices and chunk planning.

Everything here is integer arithmetic on shapes (``math.comb``), so a request that can
never fit is refused at once, without allocating anything.
"""

from __future__ import annotations

import math

from .._utils import Reals, check_int, check_param

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


def _check_shape_ints(n_samples, m, n, k, owner):
    n_samples = check_int("n_samples", n_samples, 0, owner=owner)
    m = check_int("m", m, 1, owner=owner)
    n = check_int("n", n, 1, owner=owner)
    k = check_int("k", k, owner=owner)
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
    n_samples, m, n, k = _check_shape_ints(n_samples, m, n, k, "minor_nbytes")
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
    n_samples, m, n, k = _check_shape_ints(n_samples, m, n, k, "minor_working_nbytes")
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
    # checked, not converted: an integer budget stays an integer in the chunk arithmetic
    check_param("max_bytes", max_bytes, [Reals(0, low_open=True)], owner="plan_example_chunks")
    n_samples, m, n, k = _check_shape_ints(n_samples, m, n, k, "plan_example_chunks")
    per_example = minor_working_nbytes(1, m, n, k)
    if per_example > max_bytes:
        raise MinorBudgetError(
            f"the size-{k} minors of one {m}x{n} Jacobian need about {per_example / 2**30:.3g} GiB "
            f"of working memory ({math.comb(m, k)} x {math.comb(n, k)} float64 minors per "
            f"example), over the budget of {max_bytes / 2**30:.3g} GiB. Alternatives: a smaller "
            f"minor size k, a larger memory budget (max_bytes), or sampled minors (a random "
            f"subset of the k-subsets: sklearn_ka.exterior.MinorSample, "
            f"sklearn_ka.analysis.SampledKAGeometryAnalyzer)."
        )
    return int(max(1, min(max(n_samples, 1), max_bytes // per_example)))
