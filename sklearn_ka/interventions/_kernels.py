"""Differentiable KA-geometry statistics of a first layer on a batch, from factored exact minors.

The Jacobian of ``x -> sigma(x A + a)`` is ``J(x) = diag(sigma'(z(x))) A^T`` (``m x n``), so each
size-``k`` minor factors: ``|det J(x)[S, I]| = prod_{j in S} |sigma'(z_j(x))| * |det A^T[S, I]|``.
The minors of the weights ``L = |C_k(A^T)|`` (``C(m, k) x C(n, k)``) are computed once per batch and
each example only scales their rows by ``c_S(x) = prod_{j in S} |sigma'(z_j(x))|``. Everything here
is written with differentiable torch operations (no in-place updates), so autograd gives exact
gradients with respect to ``A`` and ``a``. The statistics are those of the user guide,
:ref:`observables` (participation ratio, column entropy, zero rows), with a smooth zero-row count.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import torch

from ..exterior import combination_indices

__all__ = ["weight_minors", "row_scales", "participation_ratio_mean", "column_entropy_mean", "zero_row_fraction",
           "row_means"]


@lru_cache(maxsize=64)
def _index(values: int, k: int, device: torch.device) -> torch.Tensor:
    """The k-subsets of ``range(values)`` as a tensor on ``device`` (cached: read every training step)."""
    return torch.tensor(np.array(combination_indices(values, k)), device=device)


def weight_minors(W: torch.Tensor, k: int) -> torch.Tensor:
    """``|det W[S, I]|`` for every k-subset ``S`` of rows and ``I`` of columns: ``(G, C(m, k), C(n, k))``.

    ``W`` is ``(G, m, n)``; subsets in the order of :func:`itertools.combinations`. Sizes 1 to 3
    are written out (products of entries), larger ones use :func:`torch.linalg.det`.
    """
    if k == 1:
        return W.abs()
    G, m, n = W.shape
    rows, cols = _index(m, k, W.device), _index(n, k, W.device)
    sub = W[:, rows][:, :, :, cols].permute(0, 1, 3, 2, 4)  # (G, P, Q, k, k)
    if k == 2:
        det = sub[..., 0, 0] * sub[..., 1, 1] - sub[..., 0, 1] * sub[..., 1, 0]
    elif k == 3:
        s = sub
        det = (s[..., 0, 0] * (s[..., 1, 1] * s[..., 2, 2] - s[..., 1, 2] * s[..., 2, 1])
               - s[..., 0, 1] * (s[..., 1, 0] * s[..., 2, 2] - s[..., 1, 2] * s[..., 2, 0])
               + s[..., 0, 2] * (s[..., 1, 0] * s[..., 2, 1] - s[..., 1, 1] * s[..., 2, 0]))
    else:
        det = torch.linalg.det(sub)
    return det.abs()


def row_scales(D: torch.Tensor, k: int) -> torch.Tensor:
    """``c_S(x) = prod_{j in S} |D[g, x, j]|`` for every k-subset ``S``, subsets first: ``(G, C(m, k), B)``.

    ``D`` is ``(G, B, m)``. Subsets first, so that each factor is a gather of whole contiguous
    rows (and its gradient an addition of rows), far faster than gathering along the last axis.
    """
    Dt = D.abs().transpose(1, 2).contiguous()  # (G, m, B)
    if k == 1:
        return Dt
    idx = _index(D.shape[-1], k, D.device)
    out = Dt.index_select(1, idx[:, 0])
    for j in range(1, k):
        out = out * Dt.index_select(1, idx[:, j])
    return out


def _masked_mean(values: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean over the last axis of ``values (G, B)`` where ``mask``."""
    kept = torch.where(mask, values, torch.zeros_like(values))
    return kept.sum(-1) / mask.sum(-1).clamp_min(1).to(values.dtype)


def participation_ratio_mean(c: torch.Tensor, L: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean over the batch of ``||J^(k)(x)||_1 / ||J^(k)(x)||_2`` (``c (G, P, B)``, ``L (G, P, Q)``)."""
    l1 = torch.bmm(L.sum(-1)[:, None, :], c)[:, 0]
    l2 = torch.bmm(L.square().sum(-1)[:, None, :], c.square())[:, 0].clamp_min(torch.finfo(c.dtype).tiny).sqrt()
    return _masked_mean(l1 / l2, mask)


def column_entropy_mean(c: torch.Tensor, L: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean over columns and batch of the softmax column entropy (base ``C(m, k)``) of ``J^(k)(x)``."""
    P = L.shape[1]
    if P < 2:
        raise ValueError("the column entropy needs at least two rows (C(m, k) > 1).")
    M = L[:, :, None, :] * c[..., None]  # (G, P, B, Q)
    logp = M - torch.logsumexp(M, dim=1, keepdim=True)
    H = -(logp.exp() * logp).sum(1) / math.log(P)  # (G, B, Q)
    return _masked_mean(H.mean(-1), mask)


def row_means(c: torch.Tensor, L: torch.Tensor) -> torch.Tensor:
    """Row means of ``J^(k)(x)``: ``c_S(x)`` times the mean of row ``S`` of ``L``: ``(G, P, B)``."""
    return c * L.mean(-1)[:, :, None]


def zero_row_fraction(rho: torch.Tensor, threshold: torch.Tensor, mask: torch.Tensor,
                      temperature: float) -> torch.Tensor:
    """Smooth share of zero rows: mean of ``sigmoid((log Q - log rho) / temperature)`` over rows and batch.

    ``rho (G, P, B)`` are row means, ``threshold (G,)`` each model's zero-row threshold ``Q``. As
    ``temperature -> 0`` this tends to the share of rows with ``rho < Q``.
    """
    tiny = torch.finfo(rho.dtype).tiny
    logq = threshold.clamp_min(tiny).log()[:, None, None]
    soft = torch.sigmoid((logq - rho.clamp_min(tiny).log()) / temperature).mean(1)
    return _masked_mean(soft, mask)
