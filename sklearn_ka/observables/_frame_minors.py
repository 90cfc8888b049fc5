r"""The exact largest k x k minor of ``V P`` for many orthonormal frames ``V``, pruned.

The exact ("haar") rotation ratio (user guide: :ref:`obs-rotation-ratio`) needs, for each example
(the ``r x n`` factor ``P`` of its Jacobian) and each of its N Haar-distributed ``m x r`` frames
``V`` (orthonormal columns), the largest size-k minor ``max_{I, K} |det (V P)[I, K]|`` over the
row subsets ``I`` and the column subsets ``K``. Listing all ``C(m, k) C(n, k)`` minors of every
frame is what made wide inputs slow; this module finds the same maximum with far less work.

Columns, once per example.  With ``x = V P diag(1 / |p_c|)`` (normalised columns) and, for each
column subset ``K``, the Cholesky factor ``R_K`` of the Gram matrix ``G_K`` of its normalised
columns, ``W_K = x[:, K] R_K^{-1}`` has orthonormal columns and

.. math:: |\det (V P)[I, K]| = s_K\, |\det W_K[I]|, \qquad s_K = \textstyle\prod_{c \in K} |p_c| \det R_K,

``s_K`` being the k-volume of the columns ``K`` of ``P`` (of the Jacobian). ``P`` is the same for
all frames of an example, so this is done once per example. (For a nearly dependent subset,
``min diag R_K < 1e-3``, ``R_K = I`` and ``s_K = prod |p_c|``: the same identity, ``W_K`` not
orthonormal.)

Bounds, per (frame, K).  Hadamard's inequality on the columns: ``|det (V P)[I, K]|`` is at most
``prod_{c in K} |(V P)[I, c]|``, and ``|(V P)[I, c]|^2`` is at most ``|p_c|^2`` times the sum of
the k largest ``x[i, c]^2`` over the rows. This *column* bound is a product of one number per
column, O(n m) per frame for all ``K``. Where it does not exclude a pair, Hadamard's inequality on
the rows of ``W_K`` (the product of the k largest row norms, times ``s_K``) is computed, O(m) per
pair; measured on trained and initial Jacobians with n = 30, m = 32, k = 2, the column bound
leaves about 12 % of the pairs and the row bound about 0.5 %.

Exact values.  The largest minor of ``W_K`` over the row subsets is found by the exact pruned
search of ``_max_minor`` (efficient on a well-conditioned ``W_K``): first for the subset with the
largest column bound, which gives an attained value ``L``, then, in rounds, for the remaining pair
of largest row bound of each frame while that bound exceeds ``L`` (``L`` rising as values are
found). Every pair left out has a bound of at most ``L`` (with a relative margin of 1e-9 for
rounding), so the result is the exact maximum, not an approximation. With at most four column
subsets (``n = 3``, say) the column bound is skipped: the row bounds of every subset are computed
at once, and the subsets are taken by decreasing row bound while it exceeds ``L``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..exterior import combination_indices
from ._max_minor import _max_abs_minor

__all__ = ["ColumnFrames", "max_frame_minors", "normalized_columns"]

# rounding margin of the pruning (the bounds take a handful of float64 operations)
_MARGIN = 1e-9
# smallest diagonal of R_K (the sine of an angle) for which W_K is formed with R_K^{-1}
_WELL_CONDITIONED = 1e-3
# (frame, column subset) pairs per step of the cheap bound, and per step of Hadamard's bound
_CHEAP_STEP = 1 << 18
_PAIR_STEP = 1 << 13
# column subsets per frame whose row bound is computed first, to find a good first value
_FIRST = 4


def normalized_columns(P: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``(P diag(1 / |p_c|), |p_c|)`` for a batch ``(E, r, n)``; zero columns stay zero."""
    norm = torch.linalg.vector_norm(P, dim=1)  # (E, n)
    return P / torch.where(norm > 0, norm, torch.ones_like(norm))[:, None, :], norm


@dataclass(frozen=True)
class ColumnFrames:
    """Per example and column subset ``K``: the column norms, ``s_K`` and ``R_K^{-1}``.

    Attributes
    ----------
    subsets : torch.Tensor, (n_subsets, k), int64
        The column subsets, in :func:`~sklearn_ka.exterior.combination_indices` order.
    norm : torch.Tensor, (E, n)
        The column norms ``|p_c|``.
    scale : torch.Tensor, (E, n_subsets)
        ``s_K``, the k-volume of the columns K of ``P`` (``prod |p_c|`` for a nearly dependent K).
    coef : torch.Tensor, (E, n_subsets, k, k)
        ``R_K^{-1}`` (upper triangular), or the identity for a nearly dependent K.
    """

    subsets: torch.Tensor
    norm: torch.Tensor
    scale: torch.Tensor
    coef: torch.Tensor

    @property
    def k(self) -> int:
        return self.subsets.shape[1]

    @classmethod
    def of(cls, Pn: torch.Tensor, norm: torch.Tensor, k: int) -> ColumnFrames:
        """From normalised columns ``Pn`` (E, r, n) and the column norms ``norm`` (E, n)."""
        n = Pn.shape[2]
        K = torch.tensor(combination_indices(n, k), device=Pn.device)
        G = Pn.transpose(1, 2) @ Pn
        GK = G[:, K[:, :, None], K[:, None, :]]  # (E, nK, k, k)
        Lc, info = torch.linalg.cholesky_ex(GK)
        diag = torch.diagonal(Lc, dim1=-2, dim2=-1)
        good = (info == 0) & (diag.amin(dim=-1) >= _WELL_CONDITIONED)
        eye = torch.eye(k, dtype=Pn.dtype, device=Pn.device).expand_as(GK)
        R = torch.where(good[..., None, None], Lc.transpose(-1, -2), eye)
        coef = torch.linalg.solve_triangular(R, eye, upper=True)
        det_r = torch.where(good, diag.prod(dim=-1), torch.ones_like(diag[..., 0]))
        return cls(K, norm, norm[:, K].prod(dim=-1) * det_r, coef)


def _flat_rows(x, frames_of, subsets_cols):
    """Row indices into ``x.reshape(-1, m)`` of the columns ``subsets_cols`` (P, j) of the frames."""
    E, n, N, m = x.shape
    return (frames_of // N * (n * N) + frames_of % N)[:, None] + subsets_cols * N


def _frames_w(x, frames, rows, subsets):
    """``W_K`` (P, k, m) for the (frame, subset) pairs ``(rows, subsets)`` of ``x`` (E, n, N, m)."""
    flat = x.reshape(-1, x.shape[-1])
    C = frames.coef[rows // x.shape[2], subsets]  # (P, k, k): R_K^{-1}, upper triangular
    idx = _flat_rows(x, rows, frames.subsets[subsets])  # (P, k)
    W = torch.empty((rows.numel(), frames.k, x.shape[-1]), dtype=x.dtype, device=x.device)
    for j in range(frames.k):
        w = W[:, j]
        torch.index_select(flat, 0, idx[:, j], out=w)
        if j:  # C[0, 0] = 1: the normalised first column
            w.mul_(C[:, j, j, None])
            for i in range(j):
                w.addcmul_(flat.index_select(0, idx[:, i]), C[:, i, j, None])
    return W


def _exact(W, scale):
    """``s_K max_I |det W_K[I]|`` for the pairs of ``W`` (P, k, m)."""
    return _max_abs_minor(W.transpose(0, 1).contiguous()) * scale


def _top_product(a, k):
    """The product of the k largest entries of each row of ``a`` (P, m), ``a >= 0`` (overwritten)."""
    if k == 2:
        first, at = a.max(dim=-1)
        a.scatter_(-1, at[:, None], 0.0)
        return first * a.amax(dim=-1)
    return torch.topk(a, k, dim=-1, sorted=False).values.prod(dim=-1)


def _top_sum(a, k):
    """The sum of the k largest entries along the last axis of ``a >= 0`` (overwritten)."""
    if k > 3:
        return torch.topk(a, k, dim=-1, sorted=False).values.sum(dim=-1)
    total = torch.zeros(a.shape[:-1], dtype=a.dtype, device=a.device)
    for _ in range(k):
        v, at = a.max(dim=-1)
        total += v
        a.scatter_(-1, at[..., None], 0.0)
    return total


def _row_norms2(x, frames, rows, subsets):
    """Squared row norms of ``W_K`` (P, m) for the pairs, without forming ``W_K`` for k = 2."""
    if frames.k != 2:
        W = _frames_w(x, frames, rows, subsets)
        out = W[:, 0] * W[:, 0]
        for j in range(1, frames.k):
            out.addcmul_(W[:, j], W[:, j])
        return out
    flat = x.reshape(-1, x.shape[-1])
    C = frames.coef[rows // x.shape[2], subsets]
    idx = _flat_rows(x, rows, frames.subsets[subsets])
    x0 = flat.index_select(0, idx[:, 0])
    w1 = flat.index_select(0, idx[:, 1]).mul_(C[:, 1, 1, None]).addcmul_(x0, C[:, 0, 1, None])
    return x0.mul_(x0).addcmul_(w1, w1)


def _row_bounds(x, frames, rows, subsets):
    """Hadamard's bound on the rows of ``W_K``, ``s_K prod_{k largest} rho_i``, for each pair."""
    out = torch.empty(rows.numel(), dtype=x.dtype, device=x.device)
    for s in range(0, rows.numel(), _PAIR_STEP):
        r, K = rows[s : s + _PAIR_STEP], subsets[s : s + _PAIR_STEP]
        rho2 = _row_norms2(x, frames, r, K)
        out[s : s + _PAIR_STEP] = frames.scale[r // x.shape[2], K] * _top_product(rho2, frames.k).sqrt()
    return out


def _search(x, frames, rows, local, subsets, bound, low):
    """Exact values for the pairs ``(rows[local], subsets)`` whose ``bound`` exceeds ``low``.

    First, for every frame, its pair of largest bound; then the pairs still above the raised
    ``low``. ``low`` (one entry per row of ``rows``) rises in place to the values found.
    """
    for first in (True, False):
        keep = bound * (1 + _MARGIN) > low[local]
        local, subsets, bound = local[keep], subsets[keep], bound[keep]
        if not local.numel():
            return
        if first:  # the most promising pair of each frame
            pick = bound == torch.full_like(low, -1.0).scatter_reduce_(0, local, bound, "amax")[local]
        else:
            pick = torch.ones_like(bound, dtype=torch.bool)
        j, K = local[pick], subsets[pick]
        W = _frames_w(x, frames, rows[j], K)
        low.scatter_reduce_(0, j, _exact(W, frames.scale[rows[j] // x.shape[2], K]), "amax")
        local, subsets, bound = local[~pick], subsets[~pick], bound[~pick]


def _few_subsets(x, frames):
    """:func:`max_frame_minors` when there are at most ``_FIRST`` column subsets: no column bound.

    Hadamard's bound on the rows of ``W_K`` for every (frame, K) at once, the exact value of the
    subset of largest bound of each frame, then of the others while their bound exceeds it.
    """
    E, n, N, m = x.shape
    k, nK = frames.k, frames.subsets.shape[0]
    X = [x.index_select(1, frames.subsets[:, j]) for j in range(k)]  # k x (E, nK, N, m)
    C = frames.coef[..., None, None]  # (E, nK, k, k, 1, 1)
    rho2 = X[0] * X[0]
    for j in range(1, k):
        w = X[j] * C[:, :, j, j]
        for i in range(j):
            w.addcmul_(X[i], C[:, :, i, j])
        rho2.addcmul_(w, w)
    bound = frames.scale[:, :, None] * _top_product(rho2.view(-1, m), k).sqrt().view(E, nK, N)
    bound = bound.transpose(1, 2).reshape(E * N, nK)
    rows = torch.arange(E * N, device=x.device)
    low = torch.zeros(E * N, dtype=x.dtype, device=x.device)
    todo = rows
    for _ in range(nK):  # each frame's subsets by decreasing bound, while the bound exceeds the value found
        K = bound[todo].argmax(dim=-1)
        value = _exact(_frames_w(x, frames, todo, K), frames.scale[todo // N, K])
        low[todo] = torch.maximum(low[todo], value)
        bound[todo, K] = -1.0
        todo = todo[(bound[todo].amax(dim=-1) * (1 + _MARGIN) > low[todo])]
        if not todo.numel():
            break
    return low.view(E, N)


def max_frame_minors(x: torch.Tensor, frames: ColumnFrames) -> torch.Tensor:
    """The exact ``max_{I, K} |det (V P)[I, K]|`` of each frame (see the module docstring).

    Parameters
    ----------
    x : torch.Tensor, (E, n, N, m)
        ``(V P diag(1 / |p_c|))^T`` of the N frames of each of E examples: ``x[e, c, p]`` is the
        normalised column c of frame p of example e, a contiguous m-vector.
    frames : ColumnFrames
        Of the E examples (``2 <= k < m``).

    Returns
    -------
    torch.Tensor, (E, N)
    """
    E, n, N, m = x.shape
    L = E * N
    k, nK = frames.k, frames.subsets.shape[0]
    if nK <= _FIRST:
        return _few_subsets(x, frames)
    t = _FIRST
    # the column bound's factors: |p_c| sqrt(sum of the k largest x[i, c]^2 over the rows i)
    h = (frames.norm[:, :, None] * _top_sum(x * x, k).sqrt()).transpose(1, 2).reshape(L, n)
    out = torch.empty(L, dtype=x.dtype, device=x.device)
    step = max(1, _CHEAP_STEP // nK)
    for s in range(0, L, step):
        rows = torch.arange(s, min(s + step, L), device=x.device)
        Ls = rows.numel()
        # a first attained value: the exact maximum of the most promising of a few subsets per frame
        local = torch.arange(Ls, device=x.device).repeat_interleave(t)
        col = h[rows][:, frames.subsets].prod(dim=-1)  # (Ls, nK)
        K = torch.topk(col, t, dim=-1).indices
        col.scatter_(1, K, -1.0)  # their row bounds are computed now
        K = K.reshape(-1)
        bound = _row_bounds(x, frames, rows[local], K)
        low = torch.zeros(Ls, dtype=x.dtype, device=x.device)
        pick = bound == torch.full_like(low, -1.0).scatter_reduce_(0, local, bound, "amax")[local]
        j, Kp = local[pick], K[pick]
        low.scatter_reduce_(0, j, _exact(_frames_w(x, frames, rows[j], Kp), frames.scale[rows[j] // N, Kp]), "amax")
        local, K, bound = local[~pick], K[~pick], bound[~pick]
        # every other pair whose column bound exceeds that value
        more, K2 = (col * (1 + _MARGIN) > low[:, None]).nonzero(as_tuple=True)
        local, K = torch.cat([local, more]), torch.cat([K, K2])
        bound = torch.cat([bound, _row_bounds(x, frames, rows[more], K2)])
        _search(x, frames, rows, local, K, bound, low)
        out[rows] = low
    return out.view(E, N)
