"""The exact analyzer's kernels: every observable of one block of examples, and their merging.

A kernel sees one block of examples (``_memory_plan``) of the trained
and the initial model's Jacobians and returns per-example observables, per-row zero counts and
packed zero-row masks; :func:`merge` combines consecutive blocks (or chunks) in order. Kernels
are pure functions of their inputs and of a :class:`BlockPlan`, so a chunk's numbers do not depend
on which worker computes it. The observables are defined in the user guide, :ref:`observables`.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import torch
from sklearn import config_context

from .._utils import observable_key
from ..engine import torch_threads
from ..exterior import minor_matrices, row_products, scale_minors
from ..observables import (
    RotationReference,
    column_statistics,
    dependent_zero_rows,
    numerical_rank_deficient,
    participation_ratio,
    rotation_ratio,
    row_means,
    streaming_quantiles,
    zero_row_counts,
    zero_row_mask,
    zero_row_threshold,
)

__all__ = ["BlockPlan", "chunk_minors", "chunk_observables", "chunk_zero_rows_in", "initial_thresholds", "merge"]


@dataclass(frozen=True)
class BlockPlan:
    """What every kernel call needs besides the examples (fixed by ``fit``).

    Attributes
    ----------
    ks : tuple of int
        The minor sizes reported.
    needed : tuple of int
        The sizes computed: ``ks`` and ``k - 1`` for each ``k >= 2`` (dependent zero rows).
    qs : tuple of float
        The size-1 false-positive rates.
    thresholds : dict
        ``{(k, q): Q^(k)}``.
    reference : RotationReference
    column : str
        Column probabilities, ``"softmax"`` or ``"sum"``.
    pr : str
        Participation-ratio convention.
    block : int
        Examples per kernel call.
    keep_masks : bool
        Whether the kernels return the packed zero-row masks (else a second pass recomputes them).
    groups : tuple of str
        The observables computed (names of ``OBSERVABLE_GROUPS``); the rank-deficiency flags
        are always computed.
    """

    ks: tuple
    needed: tuple
    qs: tuple
    thresholds: dict
    reference: RotationReference | None
    column: str
    pr: str
    block: int
    keep_masks: bool = True
    groups: tuple = ("zero_rows", "consistent_zero_rows", "dependent_zero_rows", "participation_ratio",
                     "rotation_ratio", "column_entropy")

    @property
    def zero_rows(self) -> bool:
        """Whether any zero-row observable is computed (they need the thresholds and the masks)."""
        return bool({"zero_rows", "consistent_zero_rows", "dependent_zero_rows"} & set(self.groups))


def _tensor(a, device):
    return None if a is None else torch.as_tensor(a, dtype=torch.float64, device=device)


def _n_examples(chunk):
    return len(chunk[0] if chunk[0] is not None else chunk[2])


def _slice(chunk, start, stop):
    D, W, J = chunk
    return (None if D is None else D[start:stop], W, None if J is None else J[start:stop])


def chunk_minors_lazy(chunk, kmax, device):
    """(J, k -> minors of size k) for one chunk of one source, float64 tensors on ``device``.

    Minors are made when asked for, one size at a time (peak memory: one size). Factored
    sources (``J = diag(D) W``) share the minors of ``W`` across blocks and the row products
    of ``D`` across the sizes k.
    """
    D, F, J = chunk
    if J is None:
        D, W = _tensor(D, device), _tensor(F.W, device)
        levels = row_products(D, kmax)
        return D[:, :, None] * W[None, :, :], lambda k: scale_minors(levels[k], _tensor(F.minors_of(k, kmax), device))
    J = _tensor(J, device)
    return J, lambda k: minor_matrices(J, k)


def chunk_minors(chunk, k, device):
    """The absolute minors of size k of one chunk of one source, a float64 tensor on ``device``."""
    return chunk_minors_lazy(chunk, k, device)[1](k)


@contextmanager
def _kernel_context():
    # one thread per kernel: blocks are small, and workers parallelise over chunks; the data
    # were checked once by the source, so the observables skip their finiteness checks
    with torch_threads(1), torch.no_grad(), config_context(assume_finite=True):
        yield


def chunk_observables(chunk, chunk0, plan: BlockPlan, device, start=0):
    """Per-example observables of one chunk, computed block by block.

    Chunks are unions of whole blocks of ``plan.block`` examples on a fixed grid, and every
    kernel sees exactly one block, so each example's numbers are bit-identical whatever the
    chunk size or the number of workers (batched BLAS calls may round differently when the
    batch changes). ``start`` is the index of the chunk's first example in the whole data set (the
    exact rotation ratio draws one rotation per example from it).
    """
    G = plan.block
    return merge(_block_observables(_slice(chunk, s, s + G), _slice(chunk0, s, s + G), plan, device, start + s)
                 for s in range(0, _n_examples(chunk), G))


def merge(parts):
    """Combine (values, counts, packed masks) of consecutive blocks or chunks, one at a time.

    Counts are summed as they arrive, so memory does not grow with the number of blocks.
    """
    values, counts, packed = {}, {}, {}
    for part_values, part_counts, part_packed in parts:
        for key, v in part_values.items():
            values.setdefault(key, []).append(v)
        for key, c in part_counts.items():
            counts[key] = counts[key] + c if key in counts else c.copy()
        for key, pk in part_packed.items():
            packed.setdefault(key, []).append(pk)
    return ({key: np.concatenate(v) for key, v in values.items()}, counts,
            {key: np.concatenate(v) for key, v in packed.items()})


def chunk_zero_rows_in(chunk, rows, plan: BlockPlan, device):
    """Second pass when masks were not kept: per example, the fraction of rows that are zero and in ``rows``.

    ``rows`` maps ``(k, q)`` to a boolean selection of the rows of size ``k``.
    """
    G = plan.block
    out = {key: [] for key in rows}
    with _kernel_context():
        for s in range(0, _n_examples(chunk), G):
            block = _slice(chunk, s, s + G)
            for k in sorted({k for k, _ in rows}):
                rm = row_means(chunk_minors(block, k, device))
                for key in [key for key in rows if key[0] == k]:
                    mask = zero_row_mask(rm, plan.thresholds[key]).cpu().numpy()
                    out[key].append(np.count_nonzero(mask[:, rows[key]], axis=1) / mask.shape[1])
    return {key: np.concatenate(v) for key, v in out.items()}


def _zero_row_observables(rm, k, m, plan, masks, out, counts):
    """Zero and dependent zero rows of size ``k`` at every rate (masks of size ``k - 1`` in ``masks``)."""
    for q in plan.qs:
        # boolean work in numpy: torch's bool reductions and gathers are slow on the CPU
        mask = zero_row_mask(rm, plan.thresholds[k, q]).cpu().numpy()
        masks[k, q] = mask
        if k not in plan.ks:
            continue
        if "zero_rows" in plan.groups:
            out[observable_key("zero_rows", k, q)] = np.count_nonzero(mask, axis=1) / mask.shape[1]
        if "consistent_zero_rows" in plan.groups:
            counts[k, q] = zero_row_counts(mask)
        if k >= 2 and "dependent_zero_rows" in plan.groups:
            dep = dependent_zero_rows(mask, masks[k - 1, q], m, k)
            out[observable_key("dependent_zero_rows", k, q)] = np.count_nonzero(dep, axis=1) / dep.shape[1]


def _block_observables(chunk, chunk0, plan, device, start=0):
    """Per-example observables of one block of examples (pure: depends only on its inputs)."""
    ref = None if plan.reference is None else plan.reference.to(device)
    out, counts, masks = {}, {}, {}
    groups = set(plan.groups)
    with _kernel_context():
        J, minors_of = chunk_minors_lazy(chunk, max(plan.needed), device)
        J0, minors0_of = chunk_minors_lazy(chunk0, max(plan.needed), device)
        for k in plan.needed:
            Jk, J0k = minors_of(k), minors0_of(k)
            if plan.zero_rows:
                _zero_row_observables(row_means(Jk), k, J.shape[1], plan, masks, out, counts)
            if k not in plan.ks:
                continue
            # examples of numerical rank < k: the ratios of minors are NaN there, counted and
            # excluded from the means (the analyzer warns once per call with the totals)
            bad, bad0 = numerical_rank_deficient(J, k, Jk=Jk), numerical_rank_deficient(J0, k, Jk=J0k)
            out[observable_key("n_rank_deficient", k)] = bad
            out[observable_key("n_rank_deficient_initial", k)] = bad0
            if "participation_ratio" in groups:
                out[observable_key("pr", k)] = participation_ratio(Jk, plan.pr, rank_deficient=bad)
                out[observable_key("pr_initial", k)] = participation_ratio(J0k, plan.pr, rank_deficient=bad0)
            if "rotation_ratio" in groups:
                out[observable_key("rotation_ratio", k)] = rotation_ratio(J, k, ref, Jk=Jk, rank_deficient=bad,
                                                                          example_index=start)
                out[observable_key("rotation_ratio_initial", k)] = rotation_ratio(J0, k, ref, Jk=J0k,
                                                                                  rank_deficient=bad0,
                                                                                  example_index=start)
            if "column_entropy" in groups:
                (out[observable_key("column_entropy", k)], out[observable_key("column_entropy_initial", k)],
                 out[observable_key("column_kl", k)]) = column_statistics(Jk, J0k, plan.column, rank_deficient=bad,
                                                                          rank_deficient0=bad0)
        # packed zero masks, to split off the consistently zero rows once all chunks are in (when
        # they fit the budget; otherwise the analyzer makes a second pass)
        packed = {key: np.packbits(masks[key], axis=1) for key in counts} if plan.keep_masks else {}
    return ({key: v.cpu().numpy() if isinstance(v, torch.Tensor) else v for key, v in out.items()}, counts, packed)


def initial_thresholds(source0, memory, sizes, qs, rates, device, progress=None):
    """The zero-row thresholds ``{(k, q1): Q^(k)}`` from the initial model's row means.

    ``qs`` are the rates ``q1`` and ``rates`` maps ``(k, q1)`` to the induced rate ``q(k)``, the
    quantile rank (:func:`~sklearn_ka.observables.induced_false_positive_rate`). The pooled row
    means are held in memory for the sizes that fit the plan (all of them in one pass over the
    examples); the other sizes use an exact two-pass streaming quantile (same values). ``progress``
    (a :class:`~._progress.PassProgress`) times the first block and counts the others of the first
    pass.
    """
    kmax = max(sizes)
    first_pass = [progress]

    def blocks(ks):  # row means of the initial model, block by block, for the sizes ks
        tracker, first_pass[0] = first_pass[0], None
        for i, s in enumerate(range(0, source0.n_samples, memory.block)):
            _, minors_of = chunk_minors_lazy(source0.chunk(s, s + memory.block), kmax, device)
            yield {k: row_means(minors_of(k)).cpu().numpy() for k in ks}
            if tracker is not None:
                tracker.first_block() if i == 0 else tracker.update(1)

    thresholds = {}
    with torch.no_grad(), config_context(assume_finite=True):
        in_memory = memory.pooled_sizes(source0.n_samples, source0.m, sizes)
        pooled = {k: [] for k in in_memory}
        if in_memory:
            for part in blocks(in_memory):
                for k, v in part.items():
                    pooled[k].append(v)
        for k in sizes:
            ranks = [rates[k, q] for q in qs]
            if k in pooled:
                levels = zero_row_threshold(np.concatenate(pooled.pop(k), axis=0), ranks)
            else:
                levels = streaming_quantiles(lambda k=k: (part[k] for part in blocks((k,))), ranks)
            for q, level in zip(qs, np.atleast_1d(levels)):
                thresholds[k, q] = float(level)
    return thresholds
