r"""Numerical rank: the examples whose Jacobian has no size-k minor above round-off.

See the user guide, :ref:`jacobian-minors` (rank-deficient examples).

The participation ratio and the rotation ratio are ratios of minors (:ref:`obs-participation-ratio`,
:ref:`obs-rotation-ratio`): where every size-k minor of ``J(x)`` is zero (rank < k) they are
0/0, undefined. In floating point the minors of a rank-deficient ``J(x)`` are rarely exactly
zero; they are round-off, and ratios of round-off are plausible-looking noise (a participation
ratio of 2.6, a rotation ratio of 1e15). This module decides, with a tolerance, which examples
are *numerically* rank-deficient at size ``k``; the observables then give NaN there.

**The rule.** With ``s(x) = ||J(x)||_F`` (Frobenius norm) and ``M^(k)(x)`` the largest size-k
minor, example ``x`` is rank-deficient at size ``k`` when

.. math::

   M^{(k)}(x) \le \tau_k \, s(x)^k, \qquad \tau_k = 64\, k^2\, \varepsilon,

with :math:`\varepsilon = 2^{-52}` the float64 machine epsilon (:func:`rank_tolerance`).

**Why this tolerance.** Let ``A = J(x)[I, K]`` be any ``k x k`` submatrix. Its rows are distinct
rows of ``J(x)`` restricted to ``K``, so their squared norms sum to at most ``s^2``, and by the
arithmetic-geometric mean inequality the permanent of ``|A|`` is at most
``prod_i ||A_i||_1 <= prod_i sqrt(k) ||A_i||_2 <= k^{k/2} (s^2 / k)^{k/2} = s^k``.

* Computing ``det A`` by Laplace expansion (a signed sum of products of ``k`` entries) commits
  an error of at most ``gamma_{2k} per(|A|)``, about ``k eps s^k`` (``gamma_j = j u / (1 - j u)``,
  ``u = eps / 2``).
* Errors in the Jacobian's entries themselves, ``|dJ_ji| <= delta s``, move a minor by at most
  ``sum_ij |dA_ij| |cof_ij(A)| <= k^2 delta s^k``, since every cofactor is bounded by the
  permanent of a ``(k-1) x (k-1)`` submatrix, ``<= s^(k-1)``.

So a minor whose exact value is 0 is computed as at most ``k^2 (delta + eps) s^k``. Analytic
Jacobians (``diag(sigma'(z)) A^T``) carry ``delta`` of a few ``eps``, and automatic
differentiation through a few layers a few tens: ``tau_k = 64 k^2 eps`` (``delta`` up to 63
roundings) is above the round-off of every minor of such a Jacobian, and far below the largest
minor of any Jacobian that is not nearly degenerate (for a full-rank ``J`` the largest minor is
at least ``sigma_1 ... sigma_k / sqrt(C(m, k) C(n, k))``, with ``sigma`` the singular values).
For ``k = 1`` the rule holds only for ``J(x) = 0`` (the largest entry is at least
``s / sqrt(m n)``). The rule is the minors' counterpart of the usual numerical-rank rule for
singular values (``sigma_k <= max(m, n) eps sigma_1``, as :func:`numpy.linalg.matrix_rank`).
"""

from __future__ import annotations

import math

import numpy as np
import torch
from numpy.typing import ArrayLike

from .._utils import as_float64_tensor, check_int, check_memory, like_input
from ..exterior import compound_chain_qp

__all__ = ["RANK_TOLERANCE_FACTOR", "below_rank_tolerance", "numerical_rank_deficient", "rank_tolerance"]

#: ``tau_k = RANK_TOLERANCE_FACTOR * k**2 * eps`` (float64 ``eps``): see :func:`rank_tolerance`.
RANK_TOLERANCE_FACTOR = 64

_EPS = float(np.finfo(np.float64).eps)
# working memory per example of the size-k minors computed here (the result and its chain)
_WORKING = 4
_STEP_BYTES = 256 << 20


def rank_tolerance(k: int) -> float:
    """The relative tolerance ``tau_k = 64 k^2 eps`` of the numerical-rank rule.

    An example is rank-deficient at size ``k`` when its largest size-k minor is at most
    ``tau_k * ||J(x)||_F ** k`` (see :func:`numerical_rank_deficient` and the user guide,
    :ref:`jacobian-minors`).

    Parameters
    ----------
    k : int
        The minor size, ``>= 1``.

    Returns
    -------
    float
        ``64 * k**2 * 2**-52`` (about ``1.3e-13`` for ``k = 3``).

    Examples
    --------
    >>> from sklearn_ka.observables import rank_tolerance
    >>> round(rank_tolerance(3) / 2**-52)
    576
    """
    k = check_int("k", k, 1, owner="rank_tolerance")
    return RANK_TOLERANCE_FACTOR * k * k * _EPS


def _deficient(M: torch.Tensor, scale: torch.Tensor, k: int) -> torch.Tensor:
    """``M <= tau_k scale**k`` per example, in logarithms (no overflow or underflow of ``scale**k``)."""
    bound = math.log(rank_tolerance(k)) + k * torch.log(scale)
    return (M <= 0) | (torch.log(M) <= bound)


def below_rank_tolerance(
    max_minor: ArrayLike | torch.Tensor, scale: ArrayLike | torch.Tensor, k: int
) -> np.ndarray | torch.Tensor:
    """The numerical-rank rule on its two numbers: ``max_minor <= rank_tolerance(k) * scale**k``.

    For callers that already hold, per example, the largest size-k minor and the Frobenius norm
    of the Jacobian (the sampled analyzer, whose largest sampled minor makes the test one for
    "no sampled minor above round-off"). See :func:`numerical_rank_deficient`.

    Parameters
    ----------
    max_minor : array-like or torch.Tensor, shape (n_samples,)
        The largest absolute size-k minor of each example (>= 0).
    scale : array-like or torch.Tensor, shape (n_samples,)
        ``||J(x)||_F`` of each example (>= 0).
    k : int
        The minor size, ``>= 1``.

    Returns
    -------
    ndarray or torch.Tensor of bool, shape (n_samples,)
        Compared in logarithms, so ``scale**k`` never overflows or underflows.
    """
    k = check_int("k", k, 1, owner="below_rank_tolerance")
    M, was_numpy = as_float64_tensor(max_minor, "max_minor", 1, finite=False)
    S, _ = as_float64_tensor(scale, "scale", 1, finite=False, device=M.device)
    if M.shape != S.shape:
        raise ValueError(f"max_minor and scale must have one value per example; got shapes {tuple(M.shape)} "
                         f"and {tuple(S.shape)}.")
    return like_input(_deficient(M, S, k), was_numpy)


def jacobian_scale(J: torch.Tensor) -> torch.Tensor:
    """``||J(x)||_F`` per example of a float64 tensor ``(n_samples, m, n)``."""
    return torch.linalg.vector_norm(J, dim=(1, 2))


def max_minors(Jk: torch.Tensor) -> torch.Tensor:
    """The largest entry per example of absolute minor matrices ``(n_samples, P, Q)``."""
    return Jk.reshape(Jk.shape[0], -1).amax(dim=1) if Jk.shape[0] else Jk.new_zeros(0)


def deficient_from_minors(J: torch.Tensor, Jk: torch.Tensor, k: int) -> torch.Tensor:
    """The rule on tensors already validated: ``J`` (B, m, n) and its absolute minors ``Jk``."""
    return _deficient(max_minors(Jk), jacobian_scale(J), k)


def example_mask(mask: ArrayLike | torch.Tensor | None, n_samples: int, device: torch.device,
                 name: str = "rank_deficient") -> torch.Tensor | None:
    """A per-example boolean mask as a bool tensor on ``device`` (None stays None), checked."""
    if mask is None:
        return None
    if isinstance(mask, torch.Tensor):
        ok, dtype, shape = mask.dtype == torch.bool, mask.dtype, tuple(mask.shape)
    else:
        mask = np.asarray(mask)
        ok, dtype, shape = mask.dtype == np.bool_, mask.dtype, mask.shape
    if not ok or shape != (n_samples,):
        raise ValueError(f"{name} must be a boolean mask of shape ({n_samples},) (one flag per example, e.g. "
                         f"from numerical_rank_deficient); got dtype {dtype} and shape {shape}.")
    t = mask if isinstance(mask, torch.Tensor) else torch.from_numpy(mask)
    return t.to(device)


def numerical_rank_deficient(
    J: ArrayLike | torch.Tensor, k: int, *, Jk: ArrayLike | torch.Tensor | None = None
) -> np.ndarray | torch.Tensor:
    """The examples whose Jacobian has numerical rank < ``k``.

    Example ``x`` is rank-deficient at size ``k`` when its largest size-k minor is at most
    ``tau_k ||J(x)||_F^k`` with ``tau_k = 64 k^2 eps`` (:func:`rank_tolerance`): every minor is
    then round-off, and the ratios of minors (the participation ratio, the rotation ratio, the
    column-sum probabilities) are undefined. The rule and the derivation of the tolerance are in
    the user guide, :ref:`jacobian-minors`; the observables are those of the study [1]_.

    Parameters
    ----------
    J : array-like or torch.Tensor, shape (n_samples, m, n)
        Jacobians, finite.
    k : int
        Minor size, ``1 <= k <= min(m, n)``.
    Jk : array-like or torch.Tensor, shape (n_samples, C(m, k), C(n, k)), optional
        The absolute size-k minors of ``J``, when already computed.

    Returns
    -------
    ndarray or torch.Tensor of bool, shape (n_samples,)
        True where ``J(x)`` is numerically rank-deficient at size ``k``. Pass it as
        ``rank_deficient=`` to :func:`participation_ratio`, :func:`rotation_ratio` and the column
        statistics, which give NaN there.

    References
    ----------
    .. [1] M. Freedman and M. Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in
       Shallow MLPs", arXiv:2509.12326, 2025. https://arxiv.org/abs/2509.12326

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ka.observables import numerical_rank_deficient
    >>> a, b = np.array([1.0, 2.0, 3.0]), np.array([0.3, -0.7, 0.1, 0.9])
    >>> J = np.stack([np.outer(b, a), np.eye(4, 3)])  # rank 1, rank 3
    >>> numerical_rank_deficient(J, 2).tolist()
    [True, False]
    """
    Jt, was_numpy = as_float64_tensor(J, "J", 3)
    B, m, n = Jt.shape
    k = check_int("k", k, 1, owner="numerical_rank_deficient")
    if k > min(m, n):
        raise ValueError(f"numerical_rank_deficient: k must satisfy 1 <= k <= min(m, n) = {min(m, n)}; got k={k}.")
    shape = (B, math.comb(m, k), math.comb(n, k))
    if Jk is not None:
        Jkt, _ = as_float64_tensor(Jk, "Jk", 3, device=Jt.device)
        if tuple(Jkt.shape) != shape:
            raise ValueError(f"Jk must have shape (n_samples, C(m, k), C(n, k)) = {shape}; got {tuple(Jkt.shape)}.")
        M = max_minors(Jkt)
    else:
        per = _WORKING * 8 * shape[1] * shape[2]
        check_memory(per, f"the size-{k} minors of one {m}x{n} Jacobian",
                     alternatives="a smaller minor size k, or pass the minors as Jk.",
                     owner="numerical_rank_deficient")
        M = torch.empty(B, dtype=torch.float64, device=Jt.device)
        step = max(1, _STEP_BYTES // per)
        for s in range(0, B, step):
            M[s : s + step] = compound_chain_qp(Jt[s : s + step], k)[-1].abs().amax(dim=(1, 2))
    return like_input(_deficient(M, jacobian_scale(Jt), k), was_numpy)
