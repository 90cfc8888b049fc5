"""The exact largest |k x k minor| over all k-subsets of rows, with pruning.

For a batch of ``m x k`` matrices ``W`` (well conditioned: orthonormal columns rotated, in the
rotation ratio of the user guide, :ref:`obs-rotation-ratio`), the maximum of ``|det W[I]|`` over
the ``C(m, k)`` row subsets ``I`` is found exactly by pruning: the largest minor among the ``t``
rows of largest norm is a lower bound ``L``; a subset with ``j >= 1`` rows outside the top ``t``
has ``|det| <= a_t * V_{k-1}`` (``j = 1``, ``V_{k-1}`` the largest (k-1)-volume among the top
rows) or ``<= a_t^j prod_{i<k-j} a_i`` (``j >= 2``) by Hadamard's inequality, ``a`` the sorted
row norms.  Where the bound does not certify ``L``, ``t`` is doubled, then all subsets are
enumerated.  The result is the exact maximum (not an approximation).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ..exterior import combination_indices, face_indices

# rows kept before certifying; 5-7 measured fastest for m = 32, k = 2, 3 (12 was 20-25% slower)
_PRUNE_T0 = 6
# working memory of one step of the exhaustive search
_CHUNK_BYTES = 16 << 20


def _chain_batch_last(X, k):
    """Signed compounds of X (r, c, L) with the batch last: list of (C(r,j), C(c,j), L).

    The same Laplace recursion as :func:`sklearn_ka.exterior.compound_chain_qp`, in the layout
    that suits a long batch (examples x rotations): each slice runs over it contiguously.
    """
    # Kept apart from the batch-first kernel on purpose: here it is 2-7x faster; for the minors
    # of J the batch-first kernel is faster (measured: routing both through one layout slowed
    # exact size-3 minors of 1000 examples, m = 32, from 118 to 190 ms).
    r, c, L = X.shape
    chain = [X]
    prev = X
    for j in range(2, k + 1):
        cols = combination_indices(c, j)
        cf = face_indices(c, j)
        P, Q, Pp = math.comb(r, j), math.comb(c, j), math.comb(r, j - 1)
        out = torch.empty((P, Q, L), dtype=X.dtype, device=X.device)
        start = 0
        for i in range(r - j + 1):
            ln = math.comb(r - 1 - i, j - 1)
            tail = Pp - ln
            for q in range(Q):
                o = out[start : start + ln, q]
                torch.mul(prev[tail:, cf[q, 0]], X[i, cols[q, 0]], out=o)
                for t in range(1, j):
                    o.addcmul_(prev[tail:, cf[q, t]], X[i, cols[q, t]], value=-1.0 if t % 2 else 1.0)
            start += ln
        prev = out
        chain.append(out)
    return chain


def _max_abs_minor_full(W):
    """max_I |det| over all k-subsets of rows; W (k, L, m) (column, batch, row)."""
    k, L, m = W.shape
    per = max(1, math.comb(m, k) * 3 * 8)
    step = max(1, _CHUNK_BYTES // per)
    out = torch.empty(L, dtype=W.dtype, device=W.device)
    for s in range(0, L, step):
        X = W[:, s : s + step].permute(2, 0, 1).contiguous()  # (m, k, Ls)
        out[s : s + step] = _chain_batch_last(X, k)[-1].abs_().amax(dim=(0, 1))
    return out


def _largest(a, t):
    """The ``t`` largest entries of each row of ``a`` (L, m) and their indices, descending.

    Ties may be ordered differently on the CPU and on a GPU, which does not change the (exact)
    maximum computed from them.
    """
    # on the CPU numpy's argsort of a short row is 2-3x faster than torch.topk
    if a.device.type != "cpu":
        return torch.topk(a, t, dim=-1)
    idx = torch.from_numpy(np.argsort(-a.numpy(), axis=-1)[:, :t])
    return torch.gather(a, -1, idx), idx


def _max_abs_minor(W, t0=_PRUNE_T0):
    """Exact ``max_I |det W_I|`` over the k-subsets ``I`` of the m candidate rows.

    ``W`` has shape ``(k, L, m)``: the k columns, a batch of L matrices, the m rows
    (last, contiguous).  Returns shape ``(L,)``.  Pruned with the Hadamard bounds of the
    module docstring; the result is exact.
    """
    k, L, m = W.shape
    if k == 1:
        return W[0].abs().amax(dim=-1)
    t = t0
    if m <= t + 1:
        return _max_abs_minor_full(W)
    a2 = W[0] * W[0]
    for c in range(1, k):
        a2.addcmul_(W[c], W[c])
    vals2, idx = _largest(a2, t + 1)  # (L, t+1), descending
    it = idx[:, :t]
    X = torch.stack([torch.gather(W[c], -1, it) for c in range(k)])  # (k, L, t)
    chain = _chain_batch_last(X.permute(2, 0, 1).contiguous(), k)  # (t, k, L) in
    best = chain[-1].abs_().amax(dim=(0, 1))
    prev = chain[-2]  # (C(t,k-1), k, L)
    vol2 = prev[:, 0] * prev[:, 0]
    for c in range(1, prev.shape[1]):
        vol2.addcmul_(prev[:, c], prev[:, c])
    vol = vol2.amax(dim=0).sqrt()
    vals = vals2.sqrt()
    at = vals[:, t]
    bound = at * vol
    for j in range(2, k + 1):
        bound = torch.maximum(bound, at**j * vals[:, : k - j].prod(dim=-1))
    bad = bound * (1 + 1e-10) > best
    if bool(bad.any()):
        sub = W[:, bad]  # (k, nbad, m)
        if 2 * t + 1 < m:
            best[bad] = _max_abs_minor(sub, 2 * t)
        else:
            best[bad] = _max_abs_minor_full(sub)
    return best
