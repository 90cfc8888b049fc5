"""Memory budget for exterior powers: sizes of minor matrices and chunk planning.

Everything here is integer arithmetic on shapes (``math.comb``), so a request that can
never fit is refused at once, without allocating anything. Two budgets apply: the working
memory of one chunk of minors (``max_bytes``, default 1 GiB, chunks are computed one after
another), and the package's memory budget for a whole result
(:func:`sklearn_ka._utils.check_memory`: ``SKLEARN_KA_MEMORY_BUDGET``, default 4 GiB).
"""

from __future__ import annotations

import math

from .._utils import MemoryBudgetError, Reals, check_int, check_memory, check_param, format_bytes

__all__ = [
    "DEFAULT_MAX_BYTES",
    "WORKING_FACTOR",
    "MinorBudgetError",
    "check_result_memory",
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


class MinorBudgetError(MemoryBudgetError):
    """A minor computation cannot fit in the memory budget (raised before allocating).

    A :class:`~sklearn_ka._utils.MemoryBudgetError` (so a ``ValueError``): the message says what
    needed how much, the budget and the parameter that sets it, and the alternatives (a smaller
    minor size, a larger budget, sampled minors).
    """


#: What the user can do instead when the minors of one example do not fit.
_ALTERNATIVES = ("a smaller minor size k, a larger memory budget ({budget}), or sampled minors (a random "
                 "subset of the k-subsets: sklearn_ka.exterior.MinorSample, "
                 "sklearn_ka.analysis.SampledKAGeometryAnalyzer).")


def _refuse_one_example(m, n, k, per_example, budget, budget_name, share, owner):
    prefix = f"{owner}: " if owner else ""
    of_budget = f"{format_bytes(budget)} ({budget_name})" if share == 1 else \
        f"{format_bytes(budget)} ({budget_name} = {format_bytes(budget * share)}, of which 1/{share} is for one " \
        "block of minors)"
    raise MinorBudgetError(
        f"{prefix}the size-{k} minors of one {m}x{n} Jacobian need about {format_bytes(per_example)} of working "
        f"memory ({math.comb(m, k)} x {math.comb(n, k)} float64 minors per example), over the budget of "
        f"{of_budget}. Alternatives: " + _ALTERNATIVES.format(budget=budget_name))


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


def plan_example_chunks(n_samples: int, m: int, n: int, k: int, max_bytes: int | float | None = None, *,
                        budget_name: str = "max_bytes", budget_share: int = 1, owner: str | None = None) -> int:
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
    budget_name : str, default="max_bytes"
        The caller's name for its budget, as its users see it (e.g. ``"max_memory_bytes"``):
        the error message names it.
    budget_share : int, default=1
        ``max_bytes`` is ``1 / budget_share`` of the caller's budget (for the message).
    owner : str, optional
        The estimator or function that plans, prefixing the message (default
        ``"plan_example_chunks"``).

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
    owner = "plan_example_chunks" if owner is None else owner
    share = check_int("budget_share", budget_share, 1, owner=owner)
    if max_bytes is None:
        max_bytes = DEFAULT_MAX_BYTES
    # checked, not converted: an integer budget stays an integer in the chunk arithmetic
    check_param("max_bytes" if share != 1 else budget_name, max_bytes, [Reals(0, low_open=True)], owner=owner)
    n_samples, m, n, k = _check_shape_ints(n_samples, m, n, k, owner)
    per_example = minor_working_nbytes(1, m, n, k)
    if per_example > max_bytes:
        _refuse_one_example(m, n, k, per_example, max_bytes, budget_name, share, owner)
    return int(max(1, min(max(n_samples, 1), max_bytes // per_example)))


def check_result_memory(n_samples: int, m: int, n: int, k: int, *, owner: str | None = None) -> int:
    """Refuse, before allocating, a result of ``n_samples`` size-k minor matrices beyond the package budget.

    The chunk budget bounds the working memory; the result itself (``minor_nbytes``) holds every
    example at once, and is checked against :func:`sklearn_ka._utils.memory_budget`.
    """
    nbytes = n_samples * math.comb(m, k) * math.comb(n, k) * _ITEMSIZE
    try:
        return check_memory(nbytes, f"the result (the size-{k} minors of {n_samples} Jacobians of shape {m}x{n})",
                            owner=owner, alternatives=(
            "fewer examples per call (the minors of chunks of examples, one chunk at a time), a smaller "
            "minor size k, or a larger budget."))
    except MemoryBudgetError as exc:
        raise MinorBudgetError(str(exc)) from None
