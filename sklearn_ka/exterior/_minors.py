"""Exact exterior powers (compound matrices) of batches of Jacobians.

See the user guide, :ref:`jacobian-minors`, for the size-k minor matrices of the KA-geometry
study (Freedman and Mulligan 2025, arXiv:2509.12326).

The size-``k`` minor matrix of ``J`` (``m x n``) has ``C(m, k)`` rows (k-subsets of the
rows of ``J``) and ``C(n, k)`` columns (k-subsets of its columns), both in
lexicographic order, the order of :func:`itertools.combinations`.  The signed version
is the k-th compound matrix ``C_k(J)``; :func:`minor_matrices` returns ``|C_k(J)|``.

Algorithm: ``C_k`` is built from ``C_{k-1}`` by Laplace expansion along the first row
of each row subset ``I = (i_0 < ... < i_{k-1})``::

    det J[I, K] = sum_t (-1)^t  J[i_0, K_t] * det J[I \\ i_0, K \\ K_t]

In lexicographic order the subsets starting with ``i_0`` are contiguous and their
faces ``I \\ i_0`` are a contiguous tail of the (k-1) ordering, so one level costs
``k`` in-place multiply-adds per minor on contiguous slices; no determinant is called.  All work
is float64 on the device of the input tensor.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import torch
from numpy.typing import ArrayLike
from sklearn import get_config

from ._budget import DEFAULT_MAX_BYTES, plan_example_chunks

__all__ = [
    "combination_indices",
    "face_indices",
    "minor_matrices",
    "signed_minor_matrices",
    "factored_minor_matrices",
]


# ----------------------------------------------------------------------------------
# numpy <-> torch: the one shared conversion helper of sklearn_ka.exterior/observables
# ----------------------------------------------------------------------------------
def as_float64_tensor(x, name, ndim=None, *, finite=True, device=None):
    """Validate ``x`` and return ``(tensor_float64, was_numpy)``.

    Accepts a :class:`torch.Tensor` (kept on its device) or anything
    :func:`numpy.asarray` understands (numpy arrays, lists), which becomes a CPU tensor
    (zero-copy when already float64 and contiguous).  ``ndim`` (int or tuple of ints)
    is the accepted rank.  Non-finite entries raise a ValueError when ``finite``, unless
    scikit-learn's ``assume_finite`` is set (``sklearn.config_context(assume_finite=True)``),
    as scikit-learn's own validation does: callers that validated their data once set it
    to skip a pass over every intermediate array.
    """
    was_numpy = not isinstance(x, torch.Tensor)
    if was_numpy:
        try:
            arr = np.asarray(x)
        except Exception as exc:  # pragma: no cover - exotic objects
            raise TypeError(f"{name} must be an array or a torch tensor, got {type(x).__name__}") from exc
        if arr.dtype == object or not (
            np.issubdtype(arr.dtype, np.floating)
            or np.issubdtype(arr.dtype, np.integer)
            or np.issubdtype(arr.dtype, np.bool_)
        ):
            raise TypeError(
                f"{name} must hold real numbers (float or int), got dtype {arr.dtype}"
            )
        t = torch.from_numpy(np.ascontiguousarray(arr, dtype=np.float64))
    else:
        if x.is_complex():
            raise TypeError(f"{name} must be real, got a complex tensor ({x.dtype})")
        t = x.to(torch.float64)
    if device is not None:
        t = t.to(device)
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if t.ndim not in allowed:
            want = " or ".join(str(a) for a in allowed)
            raise ValueError(
                f"{name} must be a {want}-dimensional array, got shape {tuple(t.shape)} "
                f"({t.ndim} dimensions)"
            )
    # a finite sum proves every entry finite (NaN/inf propagate); only an overflowing
    # or non-finite sum needs the elementwise check
    check = finite and t.numel() and not get_config()["assume_finite"]
    if check and not bool(torch.isfinite(t.sum())) and not bool(torch.isfinite(t).all()):
        raise ValueError(f"{name} contains NaN or infinite values; only finite values are accepted")
    return t, was_numpy


def like_input(t, was_numpy):
    """Return ``t`` as a numpy array when the input was numpy, else as is."""
    if was_numpy and isinstance(t, torch.Tensor):
        return t.detach().cpu().numpy()
    return t


def _check_k(k, m, n):
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise TypeError(f"minor size k must be an integer, got {type(k).__name__}")
    k = int(k)
    if k < 1 or k > n:
        raise ValueError(f"minor size k must satisfy 1 <= k <= n = {n} (number of columns), got k={k}")
    if k > m:
        raise ValueError(
            f"minor size k={k} exceeds the number of rows m={m}: there are no {k}x{k} minors"
        )
    return k


# ----------------------------------------------------------------------------------
# Index tables
# ----------------------------------------------------------------------------------
def _check_mk(m, k, k_min=1):
    for name, v in (("m", m), ("k", k)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise TypeError(f"{name} must be an integer, got {type(v).__name__}")
    m, k = int(m), int(k)
    if m < 1:
        raise ValueError(f"m must be >= 1, got {m}")
    if k < k_min or k > m:
        raise ValueError(f"k must satisfy {k_min} <= k <= m = {m}, got k={k}")
    return m, k


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
    m, k = _check_mk(m, k)
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
    m, k = _check_mk(m, k)
    return _faces(m, k)


def compound_chain_qp(J, k):
    """Signed compound matrices of a float64 tensor, transposed: ``[C_1^T, ..., C_k^T]``.

    ``J`` has shape ``(..., r, c)``; the j-th entry has shape ``(..., C(c, j), C(r, j))``
    (column subsets first).  Internal kernel, no validation.

    Rows of ``C_j`` whose subset starts with ``i`` form a contiguous block, and their
    faces ``I \\ i`` are the (j-1)-subsets of ``{i+1, ...}``, a contiguous tail of the
    (j-1) ordering; so each Laplace term is an in-place multiply-add on contiguous
    slices (no gathers, no temporaries).
    """
    lead = J.shape[:-2]
    r, c = J.shape[-2:]
    Jc = J.reshape(-1, r, c).transpose(1, 2).contiguous()  # (N, c, r)
    N = Jc.shape[0]
    chain = [Jc]
    prev = Jc
    for j in range(2, k + 1):
        cols = _combinations(c, j)
        cf = _faces(c, j)
        P, Q, Pp = math.comb(r, j), math.comb(c, j), math.comb(r, j - 1)
        out = torch.empty((N, Q, P), dtype=J.dtype, device=J.device)
        start = 0
        for i in range(r - j + 1):
            ln = math.comb(r - 1 - i, j - 1)
            tail = Pp - ln
            for q in range(Q):
                o = out[:, q, start : start + ln]
                torch.mul(prev[:, cf[q, 0], tail:], Jc[:, cols[q, 0], i, None], out=o)
                for t in range(1, j):
                    o.addcmul_(prev[:, cf[q, t], tail:], Jc[:, cols[q, t], i, None],
                               value=-1.0 if t % 2 else 1.0)
            start += ln
        prev = out
        chain.append(out)
    return [C.reshape(*lead, *C.shape[1:]) for C in chain]


def compound_chain(J, k):
    """Signed compound matrices ``[C_1(J), ..., C_k(J)]``, shapes ``(..., C(r,j), C(c,j))``.

    Internal kernel, no validation; see :func:`compound_chain_qp`.
    """
    return [C.transpose(-1, -2).contiguous() for C in compound_chain_qp(J, k)]


def _torch_index(key, arr, device):
    k = (key, str(device))
    t = _TORCH_INDEX_CACHE.get(k)
    if t is None:
        if len(_TORCH_INDEX_CACHE) > 512:
            _TORCH_INDEX_CACHE.clear()
        t = torch.as_tensor(np.array(arr), device=device)
        _TORCH_INDEX_CACHE[k] = t
    return t


_TORCH_INDEX_CACHE: dict = {}


def _prepare(J, k, max_bytes):
    # shape checks first so impossible requests fail before touching the data
    if not isinstance(J, torch.Tensor):
        shape = np.shape(J)
    else:
        shape = tuple(J.shape)
    if len(shape) != 3:
        raise ValueError(
            f"J must be a 3-dimensional array (n_samples, m, n), got shape {tuple(shape)}"
        )
    B, m, n = shape
    k = _check_k(k, m, n)
    chunk = plan_example_chunks(B, m, n, k, DEFAULT_MAX_BYTES if max_bytes is None else max_bytes)
    Jt, was_numpy = as_float64_tensor(J, "J", 3)
    return Jt, was_numpy, k, chunk


def _signed(Jt, k, chunk):
    B, m, n = Jt.shape
    if k == 1:
        return Jt.clone()
    if chunk >= B:
        return compound_chain(Jt, k)[-1]
    out = torch.empty((B, math.comb(m, k), math.comb(n, k)), dtype=torch.float64, device=Jt.device)
    for s in range(0, B, chunk):
        out[s : s + chunk] = compound_chain_qp(Jt[s : s + chunk], k)[-1].transpose(1, 2)
    return out


def signed_minor_matrices(
    J: ArrayLike | torch.Tensor, k: int, *, max_bytes: int | float | None = None
) -> np.ndarray | torch.Tensor:
    """Signed size-``k`` minors: the k-th compound matrix ``C_k(J[b])`` of each example.

    Their absolute values are the minor matrices of the KA-geometry study [1]_ (see
    :func:`minor_matrices` and the user guide, :ref:`jacobian-minors`).

    Parameters
    ----------
    J : array-like or torch.Tensor, shape (n_samples, m, n)
        Jacobians (rows = hidden units, columns = inputs). Must be finite.
    k : int
        Minor size, ``1 <= k <= min(m, n)``.
    max_bytes : int, optional
        Working-memory budget per chunk of examples (default 1 GiB, see
        :func:`plan_example_chunks`). Examples are processed in chunks within it.

    Returns
    -------
    ndarray or torch.Tensor, float64, shape (n_samples, C(m, k), C(n, k))
        ``out[b, p, q] = det J[b][I_p, K_q]`` with ``I_p``, ``K_q`` the p-th / q-th
        k-subsets in :func:`itertools.combinations` order. numpy in, numpy out;
        torch in, torch out (same device).

    Raises
    ------
    ValueError
        Wrong rank, non-finite values, or ``k`` out of range.
    MinorBudgetError
        One example's minors do not fit in ``max_bytes`` (raised before allocating).

    References
    ----------
    .. [1] M. Freedman and M. Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in
       Shallow MLPs", arXiv:2509.12326, 2025. https://arxiv.org/abs/2509.12326
    """
    Jt, was_numpy, k, chunk = _prepare(J, k, max_bytes)
    return like_input(_signed(Jt, k, chunk), was_numpy)


def minor_matrices(
    J: ArrayLike | torch.Tensor, k: int, *, max_bytes: int | float | None = None
) -> np.ndarray | torch.Tensor:
    """Absolute size-``k`` minor matrices ``J^(k)``.

    The size-``k`` minor matrix of the KA-geometry study [1]_ (the absolute k-th exterior
    power of ``J``); see the user guide, :ref:`jacobian-minors`.

    Parameters
    ----------
    J : array-like or torch.Tensor, shape (n_samples, m, n)
        Jacobians (rows = hidden units, columns = inputs). Must be finite.
    k : int
        Minor size, ``1 <= k <= min(m, n)``. ``J^(1) = |J|``.
    max_bytes : int, optional
        Working-memory budget per chunk of examples (default 1 GiB).

    Returns
    -------
    ndarray or torch.Tensor, float64, shape (n_samples, C(m, k), C(n, k))
        ``|det J[b][I_p, K_q]|``, rows and columns in :func:`itertools.combinations`
        order. Exact up to float64 rounding (Laplace expansion, no ``det`` calls).

    See Also
    --------
    signed_minor_matrices : The same minors with their signs.
    factored_minor_matrices : The fast path for ``J[b] = diag(D[b]) @ W``.
    plan_example_chunks : How examples are chunked within ``max_bytes``.

    References
    ----------
    .. [1] M. Freedman and M. Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in
       Shallow MLPs", arXiv:2509.12326, 2025. https://arxiv.org/abs/2509.12326
    """
    Jt, was_numpy, k, chunk = _prepare(J, k, max_bytes)
    return like_input(_signed(Jt, k, chunk).abs_(), was_numpy)


def factored_minor_matrices(
    D: ArrayLike | torch.Tensor,
    W: ArrayLike | torch.Tensor,
    k: int,
    *,
    max_bytes: int | float | None = None,
    w_minors: ArrayLike | torch.Tensor | None = None,
) -> np.ndarray | torch.Tensor:
    """Absolute minors of ``J[b] = diag(D[b]) @ W`` without forming ``J``.

    Every minor factorises: ``det J[b][I, K] = prod_{i in I} D[b, i] * det W[I, K]``,
    so the minors of ``W`` are computed once and each example costs one outer
    product.  This is the fast path for an MLP first layer, ``J = diag(sigma'(z)) A^T``,
    whose minor matrices the KA-geometry study [1]_ measures (see the user guide,
    :ref:`jacobian-minors`).

    Parameters
    ----------
    D : array-like or torch.Tensor, shape (n_samples, m)
        Row scalings (e.g. ``sigma'(z)``), finite.
    W : array-like or torch.Tensor, shape (m, n)
        Shared matrix (e.g. ``A^T``), finite.
    k : int
        Minor size, ``1 <= k <= min(m, n)``.
    max_bytes : int, optional
        Memory budget used to validate the request (default 1 GiB).
    w_minors : array-like or torch.Tensor of shape (C(m, k), C(n, k)), optional
        The absolute size-k minors of ``W``, ``minor_matrices(W[None], k)[0]``, when the
        caller already has them: many batches of examples of one model then share one
        computation of the minors of ``W``.

    Returns
    -------
    ndarray or torch.Tensor, float64, shape (n_samples, C(m, k), C(n, k))
        Same values as ``minor_matrices(D[:, :, None] * W, k)``. The output is numpy
        when ``D`` is numpy.

    References
    ----------
    .. [1] M. Freedman and M. Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in
       Shallow MLPs", arXiv:2509.12326, 2025. https://arxiv.org/abs/2509.12326
    """
    Dt, was_numpy = as_float64_tensor(D, "D", 2)
    Wt, _ = as_float64_tensor(W, "W", 2, device=Dt.device)
    B, m = Dt.shape
    if Wt.shape[0] != m:
        raise ValueError(
            f"D has {m} columns (hidden units) but W has {Wt.shape[0]} rows; they must match"
        )
    n = Wt.shape[1]
    k = _check_k(k, m, n)
    plan_example_chunks(B, m, n, k, DEFAULT_MAX_BYTES if max_bytes is None else max_bytes)
    if w_minors is None:
        Wk = compound_chain(Wt, k)[-1].abs()  # (C(m,k), C(n,k))
    else:
        Wk, _ = as_float64_tensor(w_minors, "w_minors", 2, device=Dt.device)
        if Wk.shape != (math.comb(m, k), math.comb(n, k)):
            raise ValueError(
                f"w_minors must have shape (C(m, k), C(n, k)) = {(math.comb(m, k), math.comb(n, k))}, "
                f"got {tuple(Wk.shape)}"
            )
    out = scale_minors(row_products(Dt, k)[k], Wk)
    return like_input(out, was_numpy)


def row_products(D, kmax):
    """``prod_{i in I} |D[b, i]|`` for every subset ``I`` of size 1..kmax, level by level.

    Internal kernel (no validation): ``D`` a float64 tensor (B, m). The product over ``I`` is
    ``|D_{i0}|`` times the product over ``I`` minus its first element; the subsets starting
    with ``i0`` are a contiguous block whose remainders are a contiguous tail of the previous
    level. Levels are kept subset-major, (C(m, j), B), so every slice is contiguous (numpy on
    the CPU: these are many small products, where its per-call cost is lower).
    Returns ``{j: (C(m, j), B)}`` arrays (numpy on the CPU, else tensors).
    """
    B, m = D.shape
    cpu = D.device.type == "cpu"
    mul = np.multiply if cpu else torch.mul
    Da = D.abs().T.contiguous()
    Da = Da.numpy() if cpu else Da
    levels = {1: Da}
    Dk = Da
    for j in range(2, kmax + 1):
        shape = (math.comb(m, j), B)
        nxt = np.empty(shape) if cpu else torch.empty(shape, dtype=torch.float64, device=D.device)
        Pp, start = math.comb(m, j - 1), 0
        for i in range(m - j + 1):
            ln = math.comb(m - 1 - i, j - 1)
            mul(Dk[Pp - ln :], Da[i], out=nxt[start : start + ln])
            start += ln
        Dk = levels[j] = nxt
    return levels


def scale_minors(level, Wk):
    """``(B, C(m, k), C(n, k))`` minors ``level[I, b] * Wk[I, K]`` from :func:`row_products`."""
    Lk = torch.from_numpy(level) if isinstance(level, np.ndarray) else level
    out = torch.empty((Lk.shape[1], *Wk.shape), dtype=torch.float64, device=Wk.device)
    torch.mul(Lk.T[:, :, None], Wk[None, :, :], out=out)
    return out
