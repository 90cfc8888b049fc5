"""Exact minor matrices (exterior powers) of batches of Jacobians, with a memory budget.

See the user guide, :ref:`jacobian-minors`, for the size-k minor matrices of the KA-geometry
study (Freedman and Mulligan 2025, arXiv:2509.12326).

The size-``k`` minor matrix of ``J`` (``m x n``) has ``C(m, k)`` rows (k-subsets of the
rows of ``J``) and ``C(n, k)`` columns (k-subsets of its columns), both in
lexicographic order, the order of :func:`itertools.combinations`.  The signed version
is the k-th compound matrix ``C_k(J)``; :func:`minor_matrices` returns ``|C_k(J)|``.
The functions here validate their inputs, plan chunks of examples within the memory budget
and call the compound-matrix kernels (:func:`~sklearn_ka.exterior.compound_chain`: Laplace
expansion, no determinant calls). All work is float64 on the device of the input tensor.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from numpy.typing import ArrayLike

from .._utils import as_float64_tensor, check_int, like_input
from ._budget import DEFAULT_MAX_BYTES, check_result_memory, plan_example_chunks
from ._compound import compound_chain, compound_chain_qp, row_products, scale_minors

__all__ = [
    "minor_matrices",
    "signed_minor_matrices",
    "factored_minor_matrices",
]


def _check_k(k, m, n):
    k = check_int("k", k)
    if k < 1 or k > n:
        raise ValueError(f"minor size k must satisfy 1 <= k <= n = {n} (number of columns), got k={k}")
    if k > m:
        raise ValueError(
            f"minor size k={k} exceeds the number of rows m={m}: there are no {k}x{k} minors"
        )
    return k


def _prepare(J, k, max_bytes, owner):
    # shape checks first so impossible requests fail before touching the data
    if not isinstance(J, torch.Tensor):
        try:
            shape = np.shape(J)
        except ValueError:  # ragged nested sequences
            raise ValueError(f"{owner}: J must be an array of shape (n_samples, m, n); got a ragged "
                             f"{type(J).__name__}.") from None
    else:
        shape = tuple(J.shape)
    if len(shape) != 3:
        raise ValueError(
            f"J must be a 3-dimensional array (n_samples, m, n), got shape {tuple(shape)}"
        )
    B, m, n = shape
    k = _check_k(k, m, n)
    chunk = plan_example_chunks(B, m, n, k, DEFAULT_MAX_BYTES if max_bytes is None else max_bytes, owner=owner)
    check_result_memory(B, m, n, k, owner=owner)
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
        One example's minors do not fit in ``max_bytes``, or the result (every example's
        minors) exceeds the package's memory budget (``SKLEARN_KA_MEMORY_BUDGET``, default
        4 GiB); raised before allocating.

    References
    ----------
    .. [1] M. Freedman and M. Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in
       Shallow MLPs", arXiv:2509.12326, 2025. https://arxiv.org/abs/2509.12326
    """
    Jt, was_numpy, k, chunk = _prepare(J, k, max_bytes, "signed_minor_matrices")
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

    Raises
    ------
    ValueError
        Wrong rank, non-finite values, or ``k`` out of range.
    MinorBudgetError
        One example's minors do not fit in ``max_bytes``, or the result exceeds the package's
        memory budget (``SKLEARN_KA_MEMORY_BUDGET``, default 4 GiB); raised before allocating.

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
    Jt, was_numpy, k, chunk = _prepare(J, k, max_bytes, "minor_matrices")
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
    owner = "factored_minor_matrices"
    shapes = [tuple(a.shape) if isinstance(a, torch.Tensor) else np.shape(a) for a in (D, W)]
    if all(len(shape) == 2 for shape in shapes) and shapes[0][1] == shapes[1][0]:
        # refused from the shapes, before the data are converted
        (B, m), (_, n) = shapes
        k = _check_k(k, m, n)
        plan_example_chunks(B, m, n, k, DEFAULT_MAX_BYTES if max_bytes is None else max_bytes, owner=owner)
        check_result_memory(B, m, n, k, owner=owner)
    Dt, was_numpy = as_float64_tensor(D, "D", 2)
    Wt, _ = as_float64_tensor(W, "W", 2, device=Dt.device)
    B, m = Dt.shape
    if Wt.shape[0] != m:
        raise ValueError(
            f"D has {m} columns (hidden units) but W has {Wt.shape[0]} rows; they must match"
        )
    n = Wt.shape[1]
    k = _check_k(k, m, n)
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
