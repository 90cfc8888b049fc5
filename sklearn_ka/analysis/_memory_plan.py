"""How the exact analyzer spends its memory budget: blocks, chunks, and what it keeps.

Three sizes, all fixed before any minor is computed:

* a **block** is the number of examples one kernel call sees. It depends on ``(m, n, k)``
  alone, never on the chunking or the number of workers, so every example's numbers are
  bit-identical however the work is split;
* a **chunk** is a whole number of blocks handed to one worker, as large as the budget allows
  (or ``chunk_size``), split across ``n_jobs``;
* the **budget** (``max_memory_bytes``, default 1 GiB) is shared out by the fixed fractions
  below, each with the reason for its size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .._utils import check_memory, format_bytes
from ..exterior import DEFAULT_MAX_BYTES, MinorBudgetError, plan_example_chunks

__all__ = ["MemoryPlan", "block_size", "check_sampled_plan", "sampled_block_size"]

# Examples per kernel call: as many as keep one block's largest minor matrix near BLOCK_BYTES
# (e.g. 66 examples for m = 32, n = 3, k <= 3: 4960 size-3 minors each), between BLOCK_MIN and
# BLOCK_MAX. At a few MB the elementwise passes run in cache and the allocator reuses freed
# blocks instead of mapping fresh pages (first touch of fresh pages costs more than the
# arithmetic on them).
BLOCK_MAX = 1024
BLOCK_MIN = 8
BLOCK_BYTES = 5 << 19  # 2.5 MiB

# A block holds the minors of both models and their column statistics at once, about three
# times what the minor kernels plan for: blocks are planned within budget / BLOCK_SHARE.
BLOCK_SHARE = 3
# The initial model's pooled row means are held in memory for the thresholds when they fit
# budget // POOLED_SHARE (otherwise an exact two-pass streaming quantile, same values);
# POOLED_COPIES float64 copies of them exist at once (the blocks, the pooled array, numpy's
# working copy in the quantile).
POOLED_SHARE = 4
POOLED_COPIES = 3
# The packed zero-row masks of every example are kept for the consistent rows when they fit
# budget / MASK_SHARE; otherwise the trained model's masks are recomputed in a second pass.
MASK_SHARE = 4

# Sampled analyzer: per example of a block, SAMPLED_TEMPORARIES float64 arrays of the sampled
# grid (the minors of both models, exponentials, products) and, for full Jacobians, the
# gathered k x k blocks of the grid.
SAMPLED_TEMPORARIES = 6


def block_size(m: int, n: int, ks) -> int:
    """Examples per kernel call for Jacobians of shape ``(m, n)`` and minor sizes ``ks``."""
    per_example = 8 * max(math.comb(m, k) * math.comb(n, k) for k in ks)
    return max(BLOCK_MIN, min(BLOCK_MAX, BLOCK_BYTES // per_example))


def sampled_block_size(n_rows: int, n_cols: int, k: int, factored: bool, max_bytes) -> int:
    """Examples per block of the sampled analyzer, for a grid of ``n_rows x n_cols`` minors."""
    return max(1, int(max_bytes // _sampled_per_example(n_rows, n_cols, k, factored)))


def _sampled_per_example(n_rows, n_cols, k, factored):
    return 8 * n_rows * n_cols * (SAMPLED_TEMPORARIES if factored else SAMPLED_TEMPORARIES + 2 * k * k)


# The sampled analyzer keeps, for every example and both models, SAMPLED_KEPT_ROWS arrays per sampled
# row and column group (row sums: the fit's and the score's) and SAMPLED_KEPT_COLS per sampled column
# and row group (the column sums of the entropies and the divergence); lists of blocks are joined
# at the end, so twice that exists at once.
SAMPLED_KEPT_ROWS = 3
SAMPLED_KEPT_COLS = 5


def check_sampled_plan(n_samples: int, m: int, n: int, k: int, rows: int, cols: int, row_groups: int,
                       col_groups: int, factored: bool, max_bytes, owner: str) -> None:
    """Refuse at once a sampled analysis that cannot fit: one example's grid, and the sums kept per example.

    ``rows`` and ``cols`` are the sampled subsets of all groups together (the grid of one example).
    """
    per_example = _sampled_per_example(rows, cols, k, factored)
    if per_example > max_bytes:
        raise MinorBudgetError(
            f"{owner}: the {rows} x {cols} sampled size-{k} minors of one {m}x{n} Jacobian need about "
            f"{format_bytes(per_example)} of working memory, over the budget of {format_bytes(max_bytes)} "
            "(max_memory_bytes). Alternatives: fewer sampled subsets (n_rows, n_cols), fewer replicates "
            "(n_replicates), or a larger memory budget (max_memory_bytes).")
    kept = 2 * 2 * 8 * n_samples * (SAMPLED_KEPT_ROWS * rows * col_groups + SAMPLED_KEPT_COLS * row_groups * cols)
    check_memory(kept, f"the partial sums of {n_samples} examples on a grid of {rows} x {cols} sampled size-{k} "
                 "minors", owner=owner, alternatives="fewer examples, fewer sampled subsets (n_rows, n_cols), "
                 "fewer replicates (n_replicates), or a larger budget.")


@dataclass(frozen=True)
class MemoryPlan:
    """The block size, the largest chunk the budget allows, and the budget itself.

    Attributes
    ----------
    budget : int or float
        Bytes (``max_memory_bytes``, default 1 GiB).
    block : int
        Examples per kernel call.
    budget_chunk : int
        The most examples one chunk may hold within the budget.
    """

    budget: int | float
    block: int
    budget_chunk: int

    @classmethod
    def for_analysis(cls, n_samples: int, m: int, n: int, sizes, max_memory_bytes,
                     owner: str = "KAGeometryAnalyzer") -> MemoryPlan:
        """Plan an analysis of ``n_samples`` Jacobians ``(m, n)`` for the minor sizes ``sizes``.

        Raises :class:`~sklearn_ka.exterior.MinorBudgetError` at once, before any allocation,
        when one example's minors cannot fit (the message names ``max_memory_bytes``).
        """
        budget = DEFAULT_MAX_BYTES if max_memory_bytes is None else max_memory_bytes
        budget_chunk = min(plan_example_chunks(n_samples, m, n, k, budget / BLOCK_SHARE, owner=owner,
                                               budget_name="max_memory_bytes", budget_share=BLOCK_SHARE)
                           for k in sizes)
        block = min(block_size(m, n, sizes), budget_chunk)
        # a max_memory_bytes above the package's budget must not fail later, in the first block's minors
        largest = max(math.comb(m, k) * math.comb(n, k) for k in sizes)
        check_memory(8 * block * largest, f"one block of {block} examples' minors ({largest} per example)",
                     owner=owner, alternatives="a max_memory_bytes within the package's budget, or a larger "
                     "SKLEARN_KA_MEMORY_BUDGET.")
        return cls(budget, block, budget_chunk)

    def pooled_sizes(self, n_samples: int, m: int, sizes) -> list:
        """The sizes whose pooled row means are held in memory (all in one pass), in order."""
        in_memory, held = [], 0
        for k in sizes:
            size = POOLED_COPIES * 8 * n_samples * math.comb(m, k)
            if held + size <= self.budget // POOLED_SHARE:
                in_memory.append(k)
                held += size
        return in_memory

    def keep_masks(self, n_samples: int, n_rows: int) -> bool:
        """Whether the packed zero-row masks (``n_rows`` rows per example, all sizes and rates) fit."""
        return n_samples * n_rows / 8 <= self.budget / MASK_SHARE

    def chunks(self, n_samples: int, chunk_size: int | None, n_workers: int) -> list:
        """Chunk boundaries ``(start, stop)``: whole blocks, as large as allowed, split across workers."""
        G = self.block
        if chunk_size is not None:
            size = chunk_size
        else:
            size = self.budget_chunk
            if n_workers > 1:
                size = min(size, -(-n_samples // n_workers))
        size = G * max(1, round(size / G))
        return [(s, min(s + size, n_samples)) for s in range(0, n_samples, size)]
