"""Sampled minors: a seeded sample of (row k-subset, column k-subset) pairs, for analysis at scale.

When the exact minor matrix ``J^(k)`` (``C(m, k) x C(n, k)`` per example) cannot be
formed, a uniform random sample of row k-subsets and of column k-subsets is drawn
without listing all subsets, and only the ``n_rows x n_cols`` minors on the grid of
sampled rows and sampled columns are computed.  The sample depends only on
``(m, n, k, n_rows, n_cols, random_state)``, never on the data, so every example, and
a trained model and its initialisation, are compared on exactly the same minors.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from numpy.typing import ArrayLike

from .._utils import Integers, as_float64_tensor, check_int, check_memory, check_param, draw_seeds, like_input
from ._indices import combination_indices
from ._minors import _check_k

__all__ = [
    "MinorSample",
    "sample_combinations",
    "sampled_minor_matrices",
    "sampled_factored_minor_matrices",
    "unrank_combinations",
]

_MAX_RANK = 1 << 62  # lexicographic ranks are int64 up to here


def _shown(value):
    text = repr(value)
    return (text if len(text) <= 60 else text[:57] + "...") + f" (of type {type(value).__name__})"


def unrank_combinations(ranks: ArrayLike, m: int, k: int) -> np.ndarray:
    """k-subsets of ``range(m)`` of the given lexicographic ranks (inverse of the order of
    :func:`itertools.combinations`).

    Parameters
    ----------
    ranks : array-like of int, shape (s,)
        Ranks in ``[0, C(m, k))``.
    m, k : int

    Returns
    -------
    ndarray of int64, shape (s, k)
        Row ``i`` is the ``ranks[i]``-th k-subset, increasing.
    """
    m = check_int("m", m, 1, owner="unrank_combinations")
    k = check_int("k", k, 1, owner="unrank_combinations")
    if k > m:
        raise ValueError(f"unrank_combinations: k must satisfy 1 <= k <= m = {m}; got k={k}.")
    total = math.comb(m, k)
    if total > _MAX_RANK:
        raise ValueError(f"C({m}, {k}) = {total} exceeds the int64 rank range")
    r = np.asarray(ranks)
    if r.ndim > 1 or not (r.size == 0 or np.issubdtype(r.dtype, np.integer)):
        raise ValueError(f"unrank_combinations: ranks must be a 1-D array of integers in [0, C({m}, {k}) = {total}); "
                         f"got {_shown(ranks)}.")
    r = r.reshape(-1).astype(np.int64)
    if r.size and (r.min() < 0 or r.max() >= total):
        raise ValueError(f"ranks must lie in [0, C({m}, {k}) = {total})")
    # combinadic: C(m,k)-1-rank = sum_t C(a_t, k-t) with a_t = m-1-c_t decreasing
    rest = (total - 1) - r
    out = np.empty((r.size, k), dtype=np.int64)
    for t in range(k):
        j = k - t
        table = np.array([math.comb(a, j) for a in range(m)], dtype=np.int64)  # nondecreasing in a
        a = np.searchsorted(table, rest, side="right") - 1
        rest = rest - table[a]
        out[:, t] = m - 1 - a
    return out


def sample_combinations(
    m: int,
    k: int,
    size: int | None,
    random_state: int | np.random.RandomState | np.random.Generator | None = None,
) -> np.ndarray:
    """A uniform sample of ``size`` distinct k-subsets of ``range(m)``, in lexicographic order.

    Drawn without listing all ``C(m, k)`` subsets: distinct ranks are drawn uniformly
    (numpy's ``Generator.choice`` without replacement) and unranked.  When ``size`` is
    ``None`` or at least ``C(m, k)`` every subset is returned, in order (the exhaustive
    "sample" on which sampled observables equal the exact ones).

    Parameters
    ----------
    m, k : int
        Ground set size and subset size, ``1 <= k <= m``.
    size : int or None
        Number of subsets.
    random_state : int, RandomState, Generator or None

    Returns
    -------
    ndarray of int64, shape (min(size, C(m, k)), k)
    """
    m = check_int("m", m, owner="sample_combinations")
    k = check_int("k", k, owner="sample_combinations")
    if not 1 <= k <= m:
        raise ValueError(f"k must satisfy 1 <= k <= m = {m}, got k={k}")
    total = math.comb(m, k)
    size = check_param("size", size, [Integers(1), None], owner="sample_combinations")
    drawn = total if size is None else min(size, total)
    _check_sample_memory(drawn, k, f"a sample of {drawn} {k}-subsets of range({m})", "sample_combinations")
    if size is None or size >= total:
        return np.array(combination_indices(m, k))
    rng = random_state if isinstance(random_state, np.random.Generator) else np.random.default_rng(
        draw_seeds(random_state))
    if total <= _MAX_RANK:
        ranks = np.sort(rng.choice(total, size=size, replace=False))
        return unrank_combinations(ranks, m, k)
    # astronomically many subsets: draw random subsets, drop the (improbable) repeats
    check_memory(3 * 8 * size * m, f"drawing {size} random {k}-subsets of range({m}) ({size} x {m} random keys)",
                 owner="sample_combinations",
                 alternatives="fewer subsets (size, n_rows or n_cols), or a larger budget.")
    rows = set()
    while len(rows) < size:
        for s in np.sort(np.argsort(rng.random((size, m)), axis=1)[:, :k], axis=1):
            rows.add(tuple(int(i) for i in s))
            if len(rows) == size:
                break
    return np.array(sorted(rows), dtype=np.int64)


# float64/int64 arrays of one sample's size alive at once while it is drawn (the ranks, their
# sorted copy, the unranked subsets and the lookups of the unranking)
_SAMPLE_TEMPORARIES = 4


def _check_sample_memory(n_subsets, k, what, owner):
    """Refuse, before drawing, a sample of ``n_subsets`` k-subsets in all beyond the package budget."""
    check_memory(_SAMPLE_TEMPORARIES * 8 * n_subsets * k, what, owner=owner,
                 alternatives="fewer subsets (n_rows, n_cols or size), fewer replicates, or a larger budget.")


class MinorSample:
    """A seeded sample of row and column k-subsets: the grid of minors to compute.

    ``n_replicates`` independent replicate samples are drawn (the "random groups" of
    survey sampling): replicate ``g`` has its own ``rows[g]`` (``n_rows`` row k-subsets)
    and ``cols[g]`` (``n_cols`` column k-subsets), each uniform without replacement.
    Estimates are computed per replicate; their spread gives the confidence intervals
    (see :class:`~sklearn_ka.analysis.SampledKAGeometryAnalyzer`).

    Parameters
    ----------
    m, n : int
        Jacobian shape (rows = hidden units, columns = inputs).
    k : int
        Minor size.
    n_rows, n_cols : int or None
        Subsets per replicate; ``None`` or ``>= C(., k)`` means all (then that side is exact).
    n_replicates : int, default=1
    random_state : int, RandomState or None

    Attributes
    ----------
    rows, cols : list of ndarray of int64, shapes (R, k) and (C, k)
    n_row_subsets, n_col_subsets : int
        ``C(m, k)`` and ``C(n, k)``.
    rows_exhaustive, cols_exhaustive : bool
    """

    def __init__(
        self,
        m: int,
        n: int,
        k: int,
        n_rows: int | None = None,
        n_cols: int | None = None,
        n_replicates: int = 1,
        random_state: int | np.random.RandomState | None = None,
    ) -> None:
        self.m = check_int("m", m, 1, owner="MinorSample")
        self.n = check_int("n", n, 1, owner="MinorSample")
        self.k = _check_k(k, self.m, self.n)
        for name, v in (("n_rows", n_rows), ("n_cols", n_cols)):
            check_param(name, v, [Integers(1), None], owner="MinorSample")
        self.n_replicates = check_int("n_replicates", n_replicates, 1, owner="MinorSample")
        self.n_row_subsets = math.comb(self.m, self.k)
        self.n_col_subsets = math.comb(self.n, self.k)
        R, C = (total if v is None else min(v, total) for v, total in
                ((n_rows, self.n_row_subsets), (n_cols, self.n_col_subsets)))
        _check_sample_memory(self.n_replicates * (R + C), self.k, f"{self.n_replicates} replicate(s) of {R} row and "
                             f"{C} column {self.k}-subsets", "MinorSample")
        rng = np.random.default_rng(draw_seeds(random_state))
        self.rows, self.cols = [], []
        for _ in range(self.n_replicates):
            self.rows.append(sample_combinations(self.m, self.k, n_rows, rng))
            self.cols.append(sample_combinations(self.n, self.k, n_cols, rng))
        self.rows_exhaustive = self.rows[0].shape[0] == self.n_row_subsets
        self.cols_exhaustive = self.cols[0].shape[0] == self.n_col_subsets

    @property
    def exhaustive(self) -> bool:
        """True when every replicate holds every minor (the sampled observables are exact)."""
        return self.rows_exhaustive and self.cols_exhaustive

    def __repr__(self) -> str:
        return (f"MinorSample(m={self.m}, n={self.n}, k={self.k}, n_rows={self.rows[0].shape[0]}, "
                f"n_cols={self.cols[0].shape[0]}, n_replicates={self.n_replicates})")


def _abs_det(blocks):
    """|det| of a batch of k x k blocks (..., k, k); closed forms for k <= 3."""
    k = blocks.shape[-1]
    if k == 1:
        return blocks[..., 0, 0].abs()
    if k == 2:
        return (blocks[..., 0, 0] * blocks[..., 1, 1] - blocks[..., 0, 1] * blocks[..., 1, 0]).abs()
    if k == 3:
        a = blocks
        d = (a[..., 0, 0] * (a[..., 1, 1] * a[..., 2, 2] - a[..., 1, 2] * a[..., 2, 1])
             - a[..., 0, 1] * (a[..., 1, 0] * a[..., 2, 2] - a[..., 1, 2] * a[..., 2, 0])
             + a[..., 0, 2] * (a[..., 1, 0] * a[..., 2, 1] - a[..., 1, 1] * a[..., 2, 0]))
        return d.abs()
    return torch.linalg.det(blocks).abs()


def _subset_size(rows, cols):
    """The minor size k of sampled ``rows`` and ``cols`` (integer arrays of shape (s, k)), checked."""
    shapes = []
    for name, idx in (("rows", rows), ("cols", cols)):
        a = np.asarray(idx) if not isinstance(idx, torch.Tensor) else idx.cpu().numpy()
        if a.ndim != 2 or a.shape[1] < 1 or not (np.issubdtype(a.dtype, np.integer) or a.size == 0):
            raise ValueError(f"{name} must be an integer array of shape (s, k): s subsets of size k, one per row "
                             f"(e.g. MinorSample.{name}[g]); got {_shown(idx)}.")
        shapes.append(a.shape[1])
    if shapes[0] != shapes[1]:
        raise ValueError(f"rows and cols must hold subsets of the same size k; got {shapes[0]} and {shapes[1]}.")
    return shapes[0]


def _index(idx, name, size, k, device):
    a = np.asarray(idx) if not isinstance(idx, torch.Tensor) else idx.cpu().numpy()
    if a.ndim != 2 or a.shape[1] != k or not np.issubdtype(a.dtype, np.integer):
        raise ValueError(f"{name} must be an integer array of shape (s, {k}), got shape {a.shape}")
    if a.size and (a.min() < 0 or a.max() >= size):
        raise ValueError(f"{name} holds indices outside [0, {size})")
    return torch.as_tensor(a, dtype=torch.long, device=device)


def sampled_minor_matrices(
    J: ArrayLike | torch.Tensor, rows: ArrayLike, cols: ArrayLike
) -> np.ndarray | torch.Tensor:
    """Absolute determinants (``|det|``) of the k x k submatrices ``J[b][rows[p], cols[q]]`` for every example.

    A sample of the entries of the size-k minor matrix (see the user guide,
    :ref:`jacobian-minors`).

    Parameters
    ----------
    J : array-like or torch.Tensor, shape (n_samples, m, n)
    rows : int array, shape (R, k)
        Row k-subsets (e.g. ``MinorSample.rows[g]``).
    cols : int array, shape (C, k)
        Column k-subsets.

    Returns
    -------
    ndarray or torch.Tensor, float64, shape (n_samples, R, C)
        Gathered (n_samples, R, C, k, k) blocks, closed-form determinants for k <= 3
        (``torch.linalg.det`` above). Memory: ``8 k^2`` bytes per sampled minor.
    """
    k = _subset_size(rows, cols)
    shape = tuple(J.shape) if isinstance(J, torch.Tensor) else np.shape(J)
    if len(shape) == 3:  # refused from the shapes, before the data are converted
        B, m, n = shape
        R, C = np.shape(rows)[0], np.shape(cols)[0]
        # the gathered rows, the gathered k x k blocks (and their permuted copy), the determinants
        check_memory(8 * B * (R * k * n + 2 * R * C * k * k + R * C), f"the {R} x {C} sampled size-{k} minors of {B} "
                     f"Jacobians of shape {m}x{n}", owner="sampled_minor_matrices",
                     alternatives="fewer examples per call, fewer sampled subsets, or a larger budget.")
    Jt, was_numpy = as_float64_tensor(J, "J", 3)
    B, m, n = Jt.shape
    r = _index(rows, "rows", m, k, Jt.device)
    c = _index(cols, "cols", n, k, Jt.device)
    if k < 1 or k > min(m, n):
        raise ValueError(f"minor size k={k} must satisfy 1 <= k <= min(m, n) = {min(m, n)}")
    Jr = Jt[:, r]  # (B, R, k, n)
    blocks = Jr[:, :, :, c]  # (B, R, k, C, k)
    blocks = blocks.permute(0, 1, 3, 2, 4)  # (B, R, C, k, k)
    return like_input(_abs_det(blocks), was_numpy)


def sampled_factored_minor_matrices(
    D: ArrayLike | torch.Tensor, W: ArrayLike | torch.Tensor, rows: ArrayLike, cols: ArrayLike
) -> tuple[np.ndarray | torch.Tensor, np.ndarray | torch.Tensor]:
    """Sampled minors of ``J[b] = diag(D[b]) W``: ``prod_{i in I} |D[b, i]| * |det W[I, K]|``.

    The factored form of :func:`sampled_minor_matrices`, for an MLP first layer
    ``J = diag(sigma'(z)) A^T`` (see the user guide, :ref:`jacobian-minors`).

    Parameters
    ----------
    D : array-like or torch.Tensor, shape (n_samples, m)
        Row scalings (e.g. ``sigma'(z)``), finite.
    W : array-like or torch.Tensor, shape (m, n)
        Shared matrix (e.g. ``A^T``), finite.
    rows : int array, shape (R, k)
        Row k-subsets (e.g. ``MinorSample.rows[g]``).
    cols : int array, shape (C, k)
        Column k-subsets.

    Returns
    -------
    DI : ndarray or torch.Tensor, float64, shape (n_samples, R)
        The row factors ``prod_{i in I} |D[b, i]|``.
    WIK : ndarray or torch.Tensor, float64, shape (R, C)
        ``|det W[I, K]|``; the sampled minors are ``DI[:, :, None] * WIK[None]`` (never formed
        here). numpy when ``D`` is numpy.
    """
    Dt, was_numpy = as_float64_tensor(D, "D", 2)
    Wt, _ = as_float64_tensor(W, "W", 2, device=Dt.device)
    if Wt.shape[0] != Dt.shape[1]:
        raise ValueError(f"D has {Dt.shape[1]} columns but W has {Wt.shape[0]} rows; they must match")
    k = _subset_size(rows, cols)
    m, n = Wt.shape
    if k < 1 or k > min(m, n):
        raise ValueError(f"minor size k={k} must satisfy 1 <= k <= min(m, n) = {min(m, n)}")
    r = _index(rows, "rows", m, k, Dt.device)
    c = _index(cols, "cols", n, k, Dt.device)
    R, C, B = r.shape[0], c.shape[0], Dt.shape[0]
    check_memory(8 * (2 * B * R * k + 2 * R * C * k * k + R * C), f"the factors of the {R} x {C} sampled size-{k} "
                 f"minors of {B} examples", owner="sampled_factored_minor_matrices",
                 alternatives="fewer examples per call, fewer sampled subsets, or a larger budget.")
    DI = Dt[:, r].abs().prod(dim=2)  # (B, R)
    WIK = _abs_det(Wt[r][:, :, c].permute(0, 2, 1, 3))  # (R, k, C, k) -> (R, C, k, k)
    return like_input(DI, was_numpy), like_input(WIK, was_numpy)
