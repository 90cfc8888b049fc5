"""The sampled analyzer's rotation ratio: the rotation ratio of the k-input sub-maps, on sampled column subsets.

The rotation ratio (:ref:`obs-rotation-ratio`) compares the largest size-k minor of ``J(x)``
with its expectation after a Haar rotation of the hidden space; both are maxima over every
(row subset, column subset) pair, which no sample of minors estimates. What a sample can
estimate is the same ratio for the *k-input sub-maps*: for a column subset ``K`` (k inputs),
``r_K(x)`` is the rotation ratio of the ``m x k`` Jacobian ``J(x)[:, K]``,

.. math::

   r_K(x) = \\frac{\\max_I |\\det J(x)[I, K]|}{c(m, k)\\, \\sqrt{\\det J_K^\\top J_K}},

exact per subset (every row subset ``I``; the denominator is the Haar expectation, exact for
``k`` columns, :class:`~sklearn_ka.observables.RotationReference` with ``method="haar"``). The
estimate is the mean of ``r_K(x)`` over the examples and over uniformly drawn column subsets:
one per replicate group (the group's first sampled column subset), so the delete-one-group
jackknife gives its interval; every subset when the column side of the sample is exhaustive
(then it is exact). For ``n = k`` (one subset) it is the rotation ratio itself.

Everything here calls the public functions of :mod:`sklearn_ka.observables`.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from .._utils import observable_key
from ..exterior import minor_matrices
from ..observables import RotationReference, numerical_rank_deficient, rotation_ratio
from ._sampled_kernels import SampleDesign, valid_mean

__all__ = ["block_of", "rotation_subsets", "subset_reference", "subset_rotation", "subset_rotation_estimates"]

# per example and subset, float64 arrays of C(m, k) values alive at once (minors, the rule, the ratio)
_WORKING = 4


def rotation_subsets(design: SampleDesign) -> tuple[np.ndarray, np.ndarray]:
    """``(groups, subsets)``: the column subsets of the ratio and the replicate group of each.

    The first sampled column subset of every group, or every subset once when the column side
    is exhaustive (one group).
    """
    S = design.sample
    if S.cols_exhaustive:
        return np.zeros(len(S.cols[0]), dtype=np.int64), S.cols[0]
    return np.arange(S.n_replicates), np.stack([cols[0] for cols in S.cols])


def subset_reference(m: int, k: int) -> RotationReference:
    """The Haar reference of ``m x k`` Jacobians at size ``k`` (the exact constant ``c(m, k)``, nothing drawn)."""
    return RotationReference.build(m, k, ks=(k,), method="haar", n_rotations=1, random_state=0)


def block_of(m: int, k: int, max_bytes) -> int:
    """Examples per block of :func:`subset_rotation` (all subsets of a block together)."""
    return max(1, int(max_bytes // (_WORKING * 8 * math.comb(m, k))))


def _ratios(src, subsets, reference, device, s, e):
    """``(ratios, deficient)`` of the examples ``s:e`` and every subset, (b, n_subsets) numpy."""
    k = subsets.shape[1]
    ratios, deficient = np.empty((e - s, len(subsets))), np.empty((e - s, len(subsets)), dtype=bool)
    for j, K in enumerate(subsets):
        JK = src.columns(s, e, K, device)  # (b, m, k)
        Jk = minor_matrices(JK, k)  # (b, C(m, k), 1)
        bad = numerical_rank_deficient(JK, k, Jk=Jk)
        ratios[:, j] = rotation_ratio(JK, k, reference, Jk=Jk, rank_deficient=bad).cpu().numpy()
        deficient[:, j] = bad.cpu().numpy()
    return ratios, deficient


def subset_rotation(src, src0, subsets: np.ndarray, reference: RotationReference, max_bytes, device="cpu",
                    start: int = 0, stop: int | None = None, progress=None) -> dict:
    """``r_K(x)`` of both models at the examples ``start:stop`` and each subset, with the rank flags.

    Returns ``{"R", "BAD", "R0", "BAD0"}``, each of shape (n_examples, n_subsets); the ratio is
    NaN where ``J(x)[:, K]`` has numerical rank < k
    (:func:`~sklearn_ka.observables.numerical_rank_deficient`), flagged in ``BAD``. Blocks start
    at multiples of :func:`block_of` (a range starting on one gives the same numbers).
    """
    stop = src.n_samples if stop is None else stop
    blk = block_of(src.m, subsets.shape[1], max_bytes)
    parts = {key: [] for key in ("R", "BAD", "R0", "BAD0")}
    with torch.no_grad():
        for s in range(start, stop, blk):
            e = min(s + blk, stop)
            for tag, source in (("", src), ("0", src0)):
                r, bad = _ratios(source, subsets, reference, device, s, e)
                parts["R" + tag].append(r)
                parts["BAD" + tag].append(bad)
            if progress is not None:
                progress.update(1)
    return {key: np.concatenate(v) for key, v in parts.items()}


def subset_rotation_estimates(parts: dict, groups: np.ndarray, keep: np.ndarray, k: int) -> dict:
    """The trained, initial and normalised ratios over the subsets of the kept groups (valid pairs only)."""
    cols = np.isin(groups, keep)
    out = {}
    for name, tag in (("subset_rotation_ratio", ""), ("subset_rotation_ratio_initial", "0")):
        values, bad = parts["R" + tag][:, cols], parts["BAD" + tag][:, cols]
        out[observable_key(name, k)] = valid_mean(values.ravel(), bad.ravel())
    r, r0 = out[observable_key("subset_rotation_ratio", k)], out[observable_key("subset_rotation_ratio_initial", k)]
    out[observable_key("subset_rotation_ratio_normalized", k)] = r / r0 if r0 != 0 else math.nan
    return out
