"""Compound-matrix kernels: the exterior powers behind every minor computation.

Low-level kernels on float64 tensors, without validation: the public functions of
:mod:`sklearn_ka.exterior` (:func:`~sklearn_ka.exterior.minor_matrices` and its relatives)
validate their inputs and call these, and so do the observables and the analyzers, which
validate once and then call the kernels on many blocks of examples.

The size-``k`` compound matrix ``C_k(J)`` of ``J`` (``r x c``) has ``C(r, k)`` rows (k-subsets of
the rows of ``J``) and ``C(c, k)`` columns, in the lexicographic order of
:func:`itertools.combinations` (user guide: :ref:`jacobian-minors`).  ``C_k`` is built from
``C_{k-1}`` by Laplace expansion along the first row of each row subset
``I = (i_0 < ... < i_{k-1})``::

    det J[I, K] = sum_t (-1)^t  J[i_0, K_t] * det J[I \\ i_0, K \\ K_t]

In lexicographic order the subsets starting with ``i_0`` are contiguous and their faces
``I \\ i_0`` are a contiguous tail of the (k-1) ordering, so one level costs ``k`` in-place
multiply-adds per minor on contiguous slices; no determinant is called.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ._indices import _combinations, _faces

__all__ = ["compound_chain", "compound_chain_qp", "row_products", "scale_minors"]


def compound_chain_qp(J: torch.Tensor, k: int) -> list[torch.Tensor]:
    """Signed compound matrices of ``J``, transposed: ``[C_1(J)^T, ..., C_k(J)^T]``.

    A low-level kernel: no validation (see :func:`~sklearn_ka.exterior.signed_minor_matrices`
    for the checked public form).

    Parameters
    ----------
    J : torch.Tensor of float64, shape (..., r, c)
        A batch of matrices.
    k : int
        The largest size, ``1 <= k <= min(r, c)``.

    Returns
    -------
    list of torch.Tensor
        Entry ``j - 1`` has shape ``(..., C(c, j), C(r, j))`` (column subsets first): the layout
        in which the recursion runs on contiguous slices.

    Notes
    -----
    Rows of ``C_j`` whose subset starts with ``i`` form a contiguous block, and their faces
    ``I \\ i`` are the (j-1)-subsets of ``{i+1, ...}``, a contiguous tail of the (j-1)
    ordering; so each Laplace term is an in-place multiply-add on contiguous slices (no
    gathers, no temporaries).
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


def compound_chain(J: torch.Tensor, k: int) -> list[torch.Tensor]:
    """Signed compound matrices ``[C_1(J), ..., C_k(J)]`` of a batch of matrices.

    A low-level kernel: no validation (see :func:`~sklearn_ka.exterior.signed_minor_matrices`
    for the checked public form of the last entry).

    Parameters
    ----------
    J : torch.Tensor of float64, shape (..., r, c)
        A batch of matrices.
    k : int
        The largest size, ``1 <= k <= min(r, c)``.

    Returns
    -------
    list of torch.Tensor
        Entry ``j - 1`` is ``C_j(J)``, shape ``(..., C(r, j), C(c, j))``, contiguous.

    See Also
    --------
    compound_chain_qp : The same matrices transposed, as the recursion produces them.
    """
    return [C.transpose(-1, -2).contiguous() for C in compound_chain_qp(J, k)]


def row_products(D: torch.Tensor, kmax: int) -> dict[int, np.ndarray | torch.Tensor]:
    """``prod_{i in I} |D[b, i]|`` for every subset ``I`` of size 1..kmax, level by level.

    The row factors of the minors of ``J[b] = diag(D[b]) W``: each minor is the product over its
    rows of ``|D[b, i]|`` times the same minor of ``W`` (:func:`scale_minors`). A low-level
    kernel: no validation.

    Parameters
    ----------
    D : torch.Tensor of float64, shape (n_samples, m)
        Row scalings.
    kmax : int
        The largest subset size, ``1 <= kmax <= m``.

    Returns
    -------
    dict
        ``{j: array of shape (C(m, j), n_samples)}`` for ``j = 1..kmax``, subsets in
        lexicographic order (subset-major, so every slice is contiguous); numpy arrays when
        ``D`` is on the CPU (many small products, where numpy's per-call cost is lower), else
        tensors on ``D``'s device.

    Notes
    -----
    The product over ``I`` is ``|D[b, i0]|`` times the product over ``I`` minus its first
    element; the subsets starting with ``i0`` are a contiguous block whose remainders are a
    contiguous tail of the previous level.
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


def scale_minors(level: np.ndarray | torch.Tensor, Wk: torch.Tensor) -> torch.Tensor:
    """Minors of ``J[b] = diag(D[b]) W`` from the row products of ``D`` and the minors of ``W``.

    A low-level kernel: no validation (see :func:`~sklearn_ka.exterior.factored_minor_matrices`
    for the checked public form).

    Parameters
    ----------
    level : ndarray or torch.Tensor of float64, shape (C(m, k), n_samples)
        One level of :func:`row_products`.
    Wk : torch.Tensor of float64, shape (C(m, k), C(n, k))
        The absolute size-k minors of ``W``.

    Returns
    -------
    torch.Tensor of float64, shape (n_samples, C(m, k), C(n, k))
        ``level[I, b] * Wk[I, K]``, on ``Wk``'s device.
    """
    Lk = torch.from_numpy(level) if isinstance(level, np.ndarray) else level
    out = torch.empty((Lk.shape[1], *Wk.shape), dtype=torch.float64, device=Wk.device)
    torch.mul(Lk.T[:, :, None], Wk[None, :, :], out=out)
    return out
