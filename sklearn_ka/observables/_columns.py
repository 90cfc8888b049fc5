"""Column probabilities, entropy and divergence of minor matrices.

Definitions: see the user guide, :ref:`obs-column-entropy`.

Each column ``i`` of ``J^(k)(x)`` becomes a probability vector over its ``C(m, k)``
rows, by a softmax at unit temperature (default, ``method="softmax"``),
``P_ji = exp(J_ji) / sum_l exp(J_li)`` computed with log-sum-exp, or by dividing by the
column sum (``method="sum"``).  Entropy and KL divergence use logarithms in base
``C(m, k)``, so the entropy lies in ``[0, 1]``.  When ``C(m, k) = 1`` (a single row) the
base-1 logarithm is undefined; every column is then the point mass, and we define the
entropy and the divergence as 0.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import torch
from numpy.typing import ArrayLike

from .._utils import Options, as_float64_tensor, like_input, validate_params
from ._rank import example_mask

__all__ = ["column_log_probabilities", "column_entropy", "column_kl", "column_statistics"]

#: The parameter constraints shared by every function of this module.
_CONSTRAINTS = {"method": [Options("softmax", "sum")]}


def _log_probs(t, method, undefined=None):
    """(log P, P) for a float64 tensor (B, P, Q); ``undefined`` examples are not warned about."""
    if method == "softmax":
        logp = t - torch.logsumexp(t, dim=1, keepdim=True)
        return logp, torch.exp(logp)
    if bool((t < 0).any()):
        raise ValueError("method='sum' needs non-negative minors (absolute values)")
    s = t.sum(dim=1, keepdim=True)
    zero = s == 0
    if undefined is not None:
        zero = zero & ~undefined[:, None, None]
    if bool(zero.any()):
        warnings.warn(
            f"{int(zero.sum())} column(s) of the minor matrices sum to zero; their "
            "column-sum probabilities are NaN",
            RuntimeWarning,
            stacklevel=3,
        )
    p = t / s  # NaN where the column sum is zero
    with torch.no_grad():
        logp = torch.log(p)  # -inf where p == 0
    return logp, p


def _masks(method, n_samples, device, **masks):
    """The rank-deficiency masks as bool tensors; None for the softmax, which is defined there."""
    out = [example_mask(mask, n_samples, device, name) for name, mask in masks.items()]
    return [None] * len(out) if method == "softmax" else out


def _nan_where(values, mask):
    if mask is None:
        return values
    return torch.where(mask, torch.full_like(values, float("nan")), values)


def column_log_probabilities(Jk: ArrayLike | torch.Tensor, method: str = "softmax") -> np.ndarray | torch.Tensor:
    """Log column probabilities ``log P_ji(x)``.

    Each column ``i`` of ``J^(k)(x)`` becomes a probability vector over its ``C(m, k)`` rows,
    by a softmax at unit temperature as in the study [1]_, or by division by the column sum.
    See the user guide: :ref:`obs-column-entropy`.

    Parameters
    ----------
    Jk : array-like or torch.Tensor, shape (n_samples, C(m, k), C(n, k))
        Absolute minor matrices.
    method : {"softmax", "sum"}
        Softmax at unit temperature over the rows of each column (via log-sum-exp, safe
        for large minors), or division by the column sum (``-inf`` for zero entries,
        NaN with a RuntimeWarning for an all-zero column).

    Returns
    -------
    ndarray or torch.Tensor, float64, shape (n_samples, C(m, k), C(n, k))
        Natural logarithms; ``exp`` sums to 1 over axis 1.

    References
    ----------
    .. [1] M. Freedman and M. Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in
       Shallow MLPs", arXiv:2509.12326, 2025. https://arxiv.org/abs/2509.12326
    """
    validate_params({"method": method}, _CONSTRAINTS, owner="column_log_probabilities")
    t, was_numpy = as_float64_tensor(Jk, "Jk", 3)
    return like_input(_log_probs(t, method)[0], was_numpy)


def _xlogy_sum(p, logq):
    # sum_j p_j log q_j over rows, with 0 * log 0 = 0
    terms = torch.where(p > 0, p * logq, torch.zeros_like(p))
    return terms.sum(dim=1)


def column_entropy(
    Jk: ArrayLike | torch.Tensor,
    method: str = "softmax",
    *,
    rank_deficient: ArrayLike | torch.Tensor | None = None,
) -> np.ndarray | torch.Tensor:
    """Per-example mean column entropy in base ``C(m, k)``.

    ``S_i(x) = -sum_j P_ji log P_ji / log C(m, k)``, averaged over the ``C(n, k)``
    columns, as in the study [1]_.  Lies in ``[0, 1]`` (1 = uniform). Defined as 0 when
    ``C(m, k) = 1``.  See the user guide: :ref:`obs-column-entropy`.

    Parameters
    ----------
    Jk : array-like or torch.Tensor, shape (n_samples, C(m, k), C(n, k))
    method : {"softmax", "sum"}
    rank_deficient : bool array-like or torch.Tensor of shape (n_samples,), optional
        The examples whose Jacobian is numerically rank-deficient at this size
        (:func:`numerical_rank_deficient`). With ``method="sum"`` their probabilities are ratios
        of round-off and their entropy is NaN, silently (the caller reports them). The softmax
        is defined there (the minors are 0 up to round-off, the probabilities uniform), so
        with ``method="softmax"`` the mask changes nothing.

    Returns
    -------
    ndarray or torch.Tensor, float64, shape (n_samples,)

    References
    ----------
    .. [1] M. Freedman and M. Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in
       Shallow MLPs", arXiv:2509.12326, 2025. https://arxiv.org/abs/2509.12326
    """
    validate_params({"method": method}, _CONSTRAINTS, owner="column_entropy")
    t, was_numpy = as_float64_tensor(Jk, "Jk", 3)
    (bad,) = _masks(method, t.shape[0], t.device, rank_deficient=rank_deficient)
    P = t.shape[1]
    if P <= 1:
        return like_input(torch.zeros(t.shape[0], dtype=torch.float64, device=t.device), was_numpy)
    return like_input(_nan_where(_entropy(*_log_probs(t, method, bad), method), bad), was_numpy)


def _entropy(logp, p, method):
    """Mean over columns of the base-C(m,k) entropy, from (log P, P) of shape (B, P, Q)."""
    if method == "softmax":  # p > 0 or p*logp == -0.0 after underflow: no masking needed
        h = -(p * logp).sum(dim=1) / math.log(p.shape[1])
    else:
        h = -_xlogy_sum(p, logp) / math.log(p.shape[1])  # (B, Q)
    h = h.clamp(min=0.0, max=1.0) if not bool(torch.isnan(h).any()) else h
    return h.mean(dim=1)


def _kl(logp, p, logq, method):
    """Mean over columns of the base-C(m,k) KL(P || Q)."""
    diff = logp - logq
    if method == "sum":
        diff = torch.where(p > 0, diff, torch.zeros_like(p))
    kl = (p * diff).sum(dim=1) / math.log(p.shape[1])
    kl = torch.where(torch.isnan(kl), kl, kl.clamp(min=0.0))
    return kl.mean(dim=1)


def column_statistics(
    Jk: ArrayLike | torch.Tensor,
    Jk0: ArrayLike | torch.Tensor,
    method: str = "softmax",
    *,
    rank_deficient: ArrayLike | torch.Tensor | None = None,
    rank_deficient0: ArrayLike | torch.Tensor | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Entropies of both models and their divergence in one pass.

    The same as ``(column_entropy(Jk), column_entropy(Jk0), column_kl(Jk, Jk0))``, computing
    each model's column log-probabilities once; the quantities of the study [1]_.  See the
    user guide: :ref:`obs-column-entropy`.

    Parameters
    ----------
    Jk, Jk0 : array-like or torch.Tensor, shape (n_samples, C(m, k), C(n, k))
        Trained and initial minor matrices on the same examples.
    method : {"softmax", "sum"}
    rank_deficient, rank_deficient0 : bool array-like or torch.Tensor of shape (n_samples,), optional
        The examples at which the trained (initial) Jacobian is numerically rank-deficient at
        this size (:func:`numerical_rank_deficient`). With ``method="sum"`` the entropy of that
        model and the divergence are NaN there, silently (the caller reports them); the softmax
        is defined there and ignores the masks (see :func:`column_entropy`).

    Returns
    -------
    tuple of three ndarray or torch.Tensor, float64, shape (n_samples,)

    References
    ----------
    .. [1] M. Freedman and M. Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in
       Shallow MLPs", arXiv:2509.12326, 2025. https://arxiv.org/abs/2509.12326
    """
    validate_params({"method": method}, _CONSTRAINTS, owner="column_statistics")
    t, was_numpy = as_float64_tensor(Jk, "Jk", 3)
    t0, _ = as_float64_tensor(Jk0, "Jk0", 3, device=t.device)
    if t.shape != t0.shape:
        raise ValueError(f"Jk and Jk0 must have the same shape, got {tuple(t.shape)} and {tuple(t0.shape)}")
    bad, bad0 = _masks(method, t.shape[0], t.device, rank_deficient=rank_deficient, rank_deficient0=rank_deficient0)
    if t.shape[1] <= 1:
        zeros = torch.zeros(t.shape[0], dtype=torch.float64, device=t.device)
        return tuple(like_input(zeros.clone(), was_numpy) for _ in range(3))
    if method == "softmax":
        return tuple(like_input(v, was_numpy) for v in _softmax_statistics(t, t0))
    logp, p = _log_probs(t, method, bad)
    logq, q = _log_probs(t0, method, bad0)
    either = _either(bad, bad0)
    return tuple(like_input(v, was_numpy) for v in (
        _nan_where(_entropy(logp, p, method), bad), _nan_where(_entropy(logq, q, method), bad0),
        _nan_where(_kl(logp, p, logq, method), either)))


def _either(a, b):
    return a if b is None else b if a is None else a | b


def _softmax_statistics(t, t0):
    """Softmax entropies and KL without materialising probabilities or log-probabilities.

    With ``e = exp(t - max t)``, ``Z = sum_j e_j`` and ``L = max t + log Z`` (log-sum-exp over
    rows), ``P = e / Z`` and ``log P = t - L``, so per column
    ``H(P) = L - (sum_j e_j t_j) / Z`` and
    ``KL(P || Q) = (sum_j e_j (t_j - t0_j)) / Z - L + L0`` (nats; divided by ``log C(m, k)``).
    Two exponentials and a few reductions: no temporary beyond ``e`` and ``e0``.
    """
    base = math.log(t.shape[1])

    def exp_parts(x):
        mx = x.amax(dim=1, keepdim=True)
        e = torch.sub(x, mx).exp_()
        Z = e.sum(dim=1)
        return e, Z, mx.squeeze(1) + torch.log(Z)

    def dot(a, b):  # sum over rows, per column
        if a.shape[2] == 1:  # one column (k = n): a batched inner product, no temporary
            return torch.bmm(a.transpose(1, 2), b).squeeze(1)
        return (a * b).sum(dim=1)

    e, Z, L = exp_parts(t)
    e0, Z0, L0 = exp_parts(t0)
    S = dot(e, t)
    h = ((L - S / Z) / base).clamp_(0.0, 1.0)
    h0 = ((L0 - dot(e0, t0) / Z0) / base).clamp_(0.0, 1.0)
    kl = (((S - dot(e, t0)) / Z - L + L0) / base).clamp_(min=0.0)
    return h.mean(dim=1), h0.mean(dim=1), kl.mean(dim=1)


def column_kl(
    Jk: ArrayLike | torch.Tensor,
    Jk0: ArrayLike | torch.Tensor,
    method: str = "softmax",
    *,
    rank_deficient: ArrayLike | torch.Tensor | None = None,
    rank_deficient0: ArrayLike | torch.Tensor | None = None,
) -> np.ndarray | torch.Tensor:
    """Per-example mean column KL divergence ``KL(P || Q)`` in base ``C(m, k)``.

    ``KL_i(x) = sum_j P_ji log(P_ji / Q_ji) / log C(m, k)`` with ``P`` from ``Jk`` (the
    trained model) and ``Q`` from ``Jk0`` (the initial model at the same x), averaged
    over columns.  ``>= 0`` (tiny negative rounding is clipped to 0), exactly 0 when
    ``Jk`` equals ``Jk0``.  With ``method="sum"`` it is ``inf`` where ``Q_ji = 0 <
    P_ji``.  Defined as 0 when ``C(m, k) = 1``.  The column divergence of the study [1]_;
    see the user guide: :ref:`obs-column-entropy`.

    Parameters
    ----------
    Jk, Jk0 : array-like or torch.Tensor, shape (n_samples, C(m, k), C(n, k))
    method : {"softmax", "sum"}
    rank_deficient, rank_deficient0 : bool array-like or torch.Tensor of shape (n_samples,), optional
        The examples at which the trained (initial) Jacobian is numerically rank-deficient at
        this size (:func:`numerical_rank_deficient`). With ``method="sum"`` the divergence is NaN
        where either is, silently; the softmax ignores the masks (see :func:`column_entropy`).

    Returns
    -------
    ndarray or torch.Tensor, float64, shape (n_samples,)

    References
    ----------
    .. [1] M. Freedman and M. Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in
       Shallow MLPs", arXiv:2509.12326, 2025. https://arxiv.org/abs/2509.12326
    """
    validate_params({"method": method}, _CONSTRAINTS, owner="column_kl")
    t, was_numpy = as_float64_tensor(Jk, "Jk", 3)
    t0, _ = as_float64_tensor(Jk0, "Jk0", 3, device=t.device)
    if t.shape != t0.shape:
        raise ValueError(
            f"Jk and Jk0 must have the same shape (same examples, widths and k), got "
            f"{tuple(t.shape)} and {tuple(t0.shape)}"
        )
    bad, bad0 = _masks(method, t.shape[0], t.device, rank_deficient=rank_deficient, rank_deficient0=rank_deficient0)
    P = t.shape[1]
    if P <= 1:
        return like_input(torch.zeros(t.shape[0], dtype=torch.float64, device=t.device), was_numpy)
    logp, p = _log_probs(t, method, bad)
    logq, _ = _log_probs(t0, method, bad0)
    return like_input(_nan_where(_kl(logp, p, logq, method), _either(bad, bad0)), was_numpy)
