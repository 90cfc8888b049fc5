"""Zero rows of minor matrices.

Definitions: see the user guide, :ref:`obs-zero-rows`, :ref:`obs-consistent-zero-rows` and
:ref:`obs-dependent-zero-rows`.  All functions are pure; per-example results do not depend on how examples are chunked,
and :func:`zero_row_counts` lets a caller accumulate consistent-row counts over chunks.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch
from numpy.typing import ArrayLike
from scipy import special

from .._utils import (
    PAPER_PROTOCOL,
    Reals,
    as_float64_tensor,
    check_int,
    check_param,
    check_real,
    check_sequence,
    like_input,
    pooled_float64,
)
from ..exterior import face_indices
from ._streaming_quantile import low_quantiles

__all__ = [
    "row_means",
    "induced_false_positive_rate",
    "zero_row_threshold",
    "zero_row_mask",
    "zero_row_counts",
    "consistent_zero_rows",
    "consistent_zero_rows_from_counts",
    "dependent_zero_rows",
]


def row_means(Jk: ArrayLike | torch.Tensor) -> np.ndarray | torch.Tensor:
    """Row means of minor matrices: ``rho_j^(k)(x) = mean_i J^(k)_ji(x)``.

    The row mean of row ``j`` (a k-subset of hidden units) averages the ``C(n, k)`` entries of
    that row of the size-k minor matrix, as in the study [1]_; the zero rows are the rows whose
    mean falls below a threshold taken from the initial model.  See the user guide:
    :ref:`obs-zero-rows` (and :ref:`jacobian-minors` for the minor matrices).

    Parameters
    ----------
    Jk : array-like or torch.Tensor, shape (n_samples, C(m, k), C(n, k))
        Absolute minor matrices (e.g. from :func:`sklearn_ka.exterior.minor_matrices`).

    Returns
    -------
    ndarray or torch.Tensor, float64, shape (n_samples, C(m, k))
        Mean over the ``C(n, k)`` columns (numpy in, numpy out; torch in, torch out).

    References
    ----------
    .. [1] M. Freedman and M. Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in
       Shallow MLPs", arXiv:2509.12326, 2025. https://arxiv.org/abs/2509.12326
    """
    t, was_numpy = as_float64_tensor(Jk, "Jk", 3)
    Q = t.shape[2]
    if 1 <= Q <= 8:  # torch reductions over a tiny last axis are slow: add the slices
        out = t[:, :, 0].clone()
        for q in range(1, Q):
            out += t[:, :, q]
        return like_input(out / Q if Q > 1 else out, was_numpy)
    return like_input(t.mean(dim=2), was_numpy)


def induced_false_positive_rate(q1: float, m: int, k: int) -> float:
    """Induced false-positive rate for size-``k`` rows.

    ``q(k) = 1 - C(m (1 - q1), k) / C(m, k)``, the rate of the study [1]_, with the binomial coefficient extended to
    real arguments through the Gamma function, ``C(x, k) = Gamma(x+1) / (Gamma(k+1)
    Gamma(x-k+1))`` (:func:`scipy.special.binom`).  ``q(1) = q1`` and ``q(k) ~ k q1``.
    See the user guide: :ref:`obs-zero-rows`.

    Parameters
    ----------
    q1 : float
        False-positive rate of size-1 rows, ``0 <= q1 < 1``.
    m : int
        Number of hidden units (rows of the Jacobian), ``m >= k``.
    k : int
        Minor size, ``k >= 1``.

    Returns
    -------
    float
        ``q(k)``, clipped to ``[0, 1]`` (the Gamma extension can leave that interval
        only when ``m (1 - q1) < k - 1``, i.e. for absurdly large ``q1``).

    References
    ----------
    .. [1] M. Freedman and M. Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in
       Shallow MLPs", arXiv:2509.12326, 2025. https://arxiv.org/abs/2509.12326
    """
    owner = "induced_false_positive_rate"
    q1 = check_real("q1", q1, 0, 1, high_open=True, owner=owner)
    m = check_int("m", m, owner=owner)
    k = check_int("k", k, owner=owner)
    if k < 1 or m < k:
        raise ValueError(f"need 1 <= k <= m, got m={m}, k={k}")
    q = 1.0 - float(special.binom(m * (1.0 - q1), k)) / math.comb(m, k)
    return float(min(1.0, max(0.0, q)))


#: A quantile rank or a rate: a number in [0, 1].
_RANK = [Reals(0, 1)]


def zero_row_threshold(
    initial_row_means: ArrayLike | torch.Tensor | Sequence[ArrayLike | torch.Tensor],
    q: float | Sequence[float],
) -> float | np.ndarray:
    """Zero-row threshold ``Q^(k)``: the ``q``-quantile of the initial model's row means.

    The row means are pooled over all examples and all rows, as in the study [1]_ (see the
    user guide: :ref:`obs-zero-rows`).  The quantile uses numpy's default
    ``'linear'`` interpolation (type 7): with the ``N`` pooled values sorted,
    ``h = (N - 1) q`` and ``Q = x[floor h] + (h - floor h) (x[floor h + 1] - x[floor h])``.
    Equal to :func:`numpy.quantile` on the CPU (no size limit, unlike ``torch.quantile``);
    low ranks only partition the values below a checked bound.

    Parameters
    ----------
    initial_row_means : array-like, torch.Tensor, or a list/tuple of them
        Row means of the initial model (any shape, e.g. ``(n_samples, C(m, k))``); a
        sequence of chunks is pooled.
    q : float or sequence of float
        Quantile rank(s) in ``[0, 1]``, e.g. ``induced_false_positive_rate(q1, m, k)``.
        Several ranks share one partition of the data.

    Returns
    -------
    float, or ndarray of float64 when ``q`` is a sequence

    References
    ----------
    .. [1] M. Freedman and M. Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in
       Shallow MLPs", arXiv:2509.12326, 2025. https://arxiv.org/abs/2509.12326
    """
    arr = pooled_float64(initial_row_means, "initial_row_means")
    if np.ndim(q) == 0:
        return float(low_quantiles(arr, np.array([check_param("q", q, _RANK, owner="zero_row_threshold")]))[0])
    qs = check_sequence("q", q.reshape(-1) if isinstance(q, np.ndarray) else q, _RANK, owner="zero_row_threshold")
    return low_quantiles(arr, np.array(qs, dtype=np.float64))


def zero_row_mask(row_means: ArrayLike | torch.Tensor, threshold: float) -> np.ndarray | torch.Tensor:
    """Zero rows at each example: ``rho_j^(k)(x) < Q^(k)``.

    Row ``j`` of ``J^(k)(x)`` is a zero row at ``x`` when its row mean is below the threshold
    from the initial model, as in the study [1]_.  See the user guide: :ref:`obs-zero-rows`.

    Parameters
    ----------
    row_means : array-like or torch.Tensor, shape (n_samples, C(m, k))
    threshold : float

    Returns
    -------
    ndarray or torch.Tensor of bool, shape (n_samples, C(m, k))
        The zero-row percentage is ``100 * mask.mean()``.

    References
    ----------
    .. [1] M. Freedman and M. Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in
       Shallow MLPs", arXiv:2509.12326, 2025. https://arxiv.org/abs/2509.12326
    """
    t, was_numpy = as_float64_tensor(row_means, "row_means", 2)
    if isinstance(threshold, torch.Tensor):
        threshold = float(threshold)
    threshold = check_real("threshold", threshold, owner="zero_row_mask")
    return like_input(t < threshold, was_numpy)


def _as_mask(mask, name, ndim):
    was_numpy = not isinstance(mask, torch.Tensor)
    t = torch.from_numpy(np.asarray(mask)) if was_numpy else mask
    if t.dtype != torch.bool:
        raise TypeError(f"{name} must be a boolean mask, got dtype {t.dtype}")
    if t.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-dimensional, got shape {tuple(t.shape)}")
    return t, was_numpy


def zero_row_counts(mask: ArrayLike | torch.Tensor) -> np.ndarray | torch.Tensor:
    """Number of examples at which each row is zero (composable over example chunks).

    See the user guide: :ref:`obs-consistent-zero-rows`.

    Parameters
    ----------
    mask : bool array or tensor, shape (n_samples, P)

    Returns
    -------
    ndarray or torch.Tensor of int64, shape (P,)
        Sum these over chunks, then call :func:`consistent_zero_rows_from_counts`.
    """
    t, was_numpy = _as_mask(mask, "mask", 2)
    # numpy's count_nonzero is an order of magnitude faster than torch's bool reductions on the CPU
    counts = torch.from_numpy(np.count_nonzero(t.cpu().numpy(), axis=0).astype(np.int64))
    return like_input(counts.to(t.device), was_numpy)


def consistent_zero_rows_from_counts(
    counts: ArrayLike | torch.Tensor, n_samples: int, fraction: float = PAPER_PROTOCOL.consistent_fraction
) -> np.ndarray | torch.Tensor:
    """Consistently zero rows from per-row counts: ``counts >= fraction * n_samples``.

    The same rows as :func:`consistent_zero_rows`, from counts accumulated over chunks of
    examples (the definition of the study [1]_).  See the user guide:
    :ref:`obs-consistent-zero-rows`.

    Parameters
    ----------
    counts : int array or tensor, shape (P,)
        From :func:`zero_row_counts` (summed over chunks).
    n_samples : int
        Total number of examples the counts cover (>= 1).
    fraction : float, default 0.99
        In ``(0, 1]``.

    Returns
    -------
    bool array or tensor, shape (P,)

    References
    ----------
    .. [1] M. Freedman and M. Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in
       Shallow MLPs", arXiv:2509.12326, 2025. https://arxiv.org/abs/2509.12326
    """
    owner = "consistent_zero_rows_from_counts"
    fraction = check_real("fraction", fraction, 0, 1, low_open=True, owner=owner)
    n_samples = check_int("n_samples", n_samples, 1, owner=owner)
    was_numpy = not isinstance(counts, torch.Tensor)
    if was_numpy:
        arr = np.asarray(counts)
        if not np.issubdtype(arr.dtype, np.integer) or arr.dtype == np.uint64:
            raise TypeError(f"{owner}: counts must be an array of integers (from zero_row_counts), got dtype "
                            f"{arr.dtype}.")
        c = torch.from_numpy(arr)
    else:
        c = counts
    if c.ndim != 1:
        raise ValueError(f"counts must be 1-dimensional, got shape {tuple(c.shape)}")
    if c.is_floating_point() or c.is_complex() or c.dtype == torch.bool:
        raise TypeError(f"counts must be integers, got {c.dtype}")
    if bool((c < 0).any()) or (n_samples < 2**62 and bool((c > n_samples).any())):
        raise ValueError("counts must lie in [0, n_samples]")
    # small tolerance so that e.g. fraction=0.29, n=100 needs 29 (not 29.000000000000004)
    need = fraction * n_samples - 1e-9 * n_samples
    return like_input(c.to(torch.float64) >= need, was_numpy)


def consistent_zero_rows(
    mask: ArrayLike | torch.Tensor, fraction: float = PAPER_PROTOCOL.consistent_fraction
) -> np.ndarray | torch.Tensor:
    """Consistently zero rows: zero at ``>= fraction`` of the examples.

    For k = 1 these are dead neurons (small weights or large negative biases), not the
    example-dependent texture of KA geometry, so the study [1]_ reports them separately.  See the
    user guide: :ref:`obs-consistent-zero-rows`.

    Parameters
    ----------
    mask : bool array or tensor, shape (n_samples, P)
        From :func:`zero_row_mask`.
    fraction : float, default 0.99

    Returns
    -------
    bool array or tensor, shape (P,)
        Dead neurons (k = 1) or subsets of them; report their share separately.

    References
    ----------
    .. [1] M. Freedman and M. Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in
       Shallow MLPs", arXiv:2509.12326, 2025. https://arxiv.org/abs/2509.12326
    """
    t, was_numpy = _as_mask(mask, "mask", 2)
    if t.shape[0] < 1:
        raise ValueError("mask has no examples")
    out = consistent_zero_rows_from_counts(t.sum(dim=0, dtype=torch.int64), t.shape[0], fraction)
    return like_input(out, was_numpy)


def dependent_zero_rows(
    mask_k: ArrayLike | torch.Tensor, mask_km1: ArrayLike | torch.Tensor, m: int, k: int
) -> np.ndarray | torch.Tensor:
    """Dependent zero rows.

    A zero row ``I`` (``|I| = k >= 2``) of ``J^(k)(x)`` is dependent when none of its
    ``k`` faces ``I \\ {i}`` is a zero row of ``J^(k-1)(x)`` (for k = 2: neither ``i``
    nor ``j`` is a zero row of ``J^(1)(x)``).  Faces come from
    :func:`sklearn_ka.exterior.face_indices`.  The definition is that of the study [1]_;
    see the user guide: :ref:`obs-dependent-zero-rows`.

    Parameters
    ----------
    mask_k : bool array or tensor, shape (n_samples, C(m, k))
    mask_km1 : bool array or tensor, shape (n_samples, C(m, k-1))
    m : int
    k : int
        ``2 <= k <= m``.

    Returns
    -------
    bool array or tensor, shape (n_samples, C(m, k))
        Report ``mask.mean()`` (fraction of all (x, row) pairs of that k).

    References
    ----------
    .. [1] M. Freedman and M. Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in
       Shallow MLPs", arXiv:2509.12326, 2025. https://arxiv.org/abs/2509.12326
    """
    k = check_int("k", k, owner="dependent_zero_rows")
    m = check_int("m", m, owner="dependent_zero_rows")
    if k < 2 or k > m:
        raise ValueError(f"dependent zero rows need 2 <= k <= m, got k={k}, m={m}")
    a, was_numpy = _as_mask(mask_k, "mask_k", 2)
    b, _ = _as_mask(mask_km1, "mask_km1", 2)
    if a.shape[1] != math.comb(m, k) or b.shape[1] != math.comb(m, k - 1):
        raise ValueError(
            f"mask shapes {tuple(a.shape)} and {tuple(b.shape)} do not match C({m},{k})="
            f"{math.comb(m, k)} and C({m},{k - 1})={math.comb(m, k - 1)} rows"
        )
    if a.shape[0] != b.shape[0]:
        raise ValueError("mask_k and mask_km1 must have the same number of examples")
    # a face of every row, gathered column-wise (numpy: torch's bool gathers are slow on the CPU)
    an, bn = a.cpu().numpy(), b.cpu().numpy()
    faces = face_indices(m, k)
    face_zero = np.take(bn, faces[:, 0], axis=1)
    for t in range(1, k):
        face_zero |= np.take(bn, faces[:, t], axis=1)
    out = an & ~face_zero
    return like_input(torch.from_numpy(out).to(a.device), was_numpy)
