"""KAGeometryAnalyzer: every KA-geometry observable of a trained model against its initialisation.

The observables are defined in the user guide, :ref:`observables`.
"""

from __future__ import annotations

import functools
import math
import numbers
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from joblib import Parallel, delayed
from numpy.typing import ArrayLike
from sklearn import config_context
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from ..engine import torch_threads
from ..exterior import DEFAULT_MAX_BYTES, minor_matrices, plan_example_chunks
from ..exterior._minors import compound_chain, row_products, scale_minors
from ..jacobians import inner_factors, inner_jacobian
from ..observables import (
    RotationReference,
    column_statistics,
    consistent_zero_rows_from_counts,
    dependent_zero_rows,
    induced_false_positive_rate,
    mean_excess,
    mean_excess_fit,
    participation_ratio,
    participation_ratio_max,
    quantile_ratio,
    rotation_ratio,
    row_means,
    streaming_quantiles,
    zero_row_counts,
    zero_row_mask,
    zero_row_threshold,
)

__all__ = ["KAGeometryAnalyzer"]

_ROTATION_METHODS = ("haar", "sampled")
_COLUMN_METHODS = ("softmax", "sum")
_PR_CONVENTIONS = ("l1/l2", "l2/l1")
# Examples per kernel call. Fixed by (m, n, k) alone, so results do not depend on chunking or
# workers. Sized so that one block's largest minor matrix stays a few MB: the elementwise passes
# then run in cache, and the allocator reuses freed blocks instead of mapping fresh pages (first
# touch of fresh pages costs more than the arithmetic on them).
_BLOCK_MAX = 1024
_BLOCK_MIN = 8
_BLOCK_BYTES = 5 << 19  # 2.5 MiB


def _block_size(m, n, ks):
    per_example = 8 * max(math.comb(m, k) * math.comb(n, k) for k in ks)
    return max(_BLOCK_MIN, min(_BLOCK_MAX, _BLOCK_BYTES // per_example))


@functools.lru_cache(maxsize=16)
def _cached_reference(m, n, ks, method, n_rotations, seed):
    """Rotations depend only on these arguments: analyses of many models with one seed share them."""
    return RotationReference.build(m, n, ks, method, n_rotations, seed, device="cpu")


def _rotation_reference(m, n, ks, method, n_rotations, random_state):
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        return _cached_reference(m, n, ks, method, n_rotations, int(random_state))
    return RotationReference.build(m, n, ks, method, n_rotations, random_state, device="cpu")


class _Source:
    """The Jacobians of one model on one X: factored ``diag(D) W`` when possible, else full ``J``."""

    def __init__(self, model, X, columns=None):
        factors = None if isinstance(model, (np.ndarray, torch.Tensor)) else inner_factors(model, X)
        if factors is not None:
            self.D, self.W = (np.asarray(t, dtype=np.float64) for t in factors)
            self.J = None
            self.n_samples, self.m = self.D.shape
            self.n_inputs = self.W.shape[1]
        else:
            self.J = np.asarray(inner_jacobian(model, X), dtype=np.float64)
            self.D = self.W = None
            self.n_samples, self.m, self.n_inputs = self.J.shape
        # checked once here; the kernels then skip their own per-array checks (assume_finite)
        for name, a in (("sigma'(z)", self.D), ("first-layer weights", self.W), ("Jacobian", self.J)):
            if a is not None and not np.isfinite(a).all():
                raise ValueError(
                    f"the model's {name} contain NaN or infinite values; the analysis needs finite "
                    "Jacobians (check the model's weights and X)"
                )
        self.restrict(columns)

    def restrict(self, columns):
        """Keep only the Jacobian columns (inputs) ``columns``; ``n`` is then their number."""
        if columns is not None:
            if self.J is not None:
                self.J = self.J[:, :, columns]
            else:
                self.W = self.W[:, columns]
        self.n = self.n_inputs if columns is None else len(columns)
        return self

    def chunk(self, start, stop):
        if self.J is not None:
            return (None, None, self.J[start:stop])
        return (self.D[start:stop], self.factor(), None)

    def factor(self):
        """W with its minors, computed once per source and shared by every block (and worker)."""
        if getattr(self, "_factor", None) is None or self._factor.W is not self.W:
            self._factor = _Factor(self.W)
        return self._factor


class _Factor:
    """The shared matrix ``W`` of ``J = diag(D) W`` and its absolute minors ``|C_k(W)|``, one per k.

    The minors of ``W`` are the same for every example (``C_k(J) = C_k(diag D) C_k(W)`` by
    Cauchy-Binet, so only the row products of ``D`` change): each is computed on first use
    and kept, so blocks, the fit and the score share one computation.
    """

    def __init__(self, W):
        self.W = W
        self.minors = {}

    def minors_of(self, k, kmax=None):
        """``|C_k(W)|``; the first call computes every size up to ``kmax`` in one recursion."""
        if k not in self.minors:
            chain = compound_chain(torch.from_numpy(self.W), max(k, kmax or k))
            self.minors.update({j + 1: C.abs().numpy() for j, C in enumerate(chain)})
        return self.minors[k]


def _tensor(a, device):
    return None if a is None else torch.as_tensor(a, dtype=torch.float64, device=device)


def _chunk_minors(chunk, k, device):
    """(J, minors of size k) for one chunk of one source, as float64 tensors on ``device``."""
    J, minors_of = _chunk_minors_lazy(chunk, k, device)
    return J, minors_of(k)


def _chunk_minors_lazy(chunk, kmax, device):
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


def _slice(chunk, start, stop):
    D, W, J = chunk
    return (None if D is None else D[start:stop], W, None if J is None else J[start:stop])


def _chunk_observables(chunk, chunk0, plan, device):
    """Per-example observables of one chunk, computed block by block.

    Chunks are unions of whole blocks of ``plan["block"]`` examples on a fixed grid, and every
    kernel sees exactly one block, so each example's numbers are bit-identical whatever the
    chunk size or the number of workers (batched BLAS calls may round differently when the
    batch changes).
    """
    n = len(chunk[0] if chunk[0] is not None else chunk[2])
    G = plan["block"]
    return _merge(_block_observables(_slice(chunk, s, s + G), _slice(chunk0, s, s + G), plan, device)
                  for s in range(0, n, G))


def _merge(parts):
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


def _chunk_zero_rows_in(chunk, rows, plan, device):
    """Second pass when masks were not kept: per example, the fraction of rows that are zero and in ``rows``."""
    n = len(chunk[0] if chunk[0] is not None else chunk[2])
    G = plan["block"]
    out = {key: [] for key in rows}
    with torch_threads(1 if plan["single_thread"] else None), torch.no_grad(), config_context(assume_finite=True):
        for s in range(0, n, G):
            block = _slice(chunk, s, s + G)
            for k in sorted({k for k, _ in rows}):
                rm = row_means(_chunk_minors(block, k, device)[1])
                for key in [key for key in rows if key[0] == k]:
                    mask = zero_row_mask(rm, plan["thresholds"][key]).cpu().numpy()
                    out[key].append(np.count_nonzero(mask[:, rows[key]], axis=1) / mask.shape[1])
    return {key: np.concatenate(v) for key, v in out.items()}


def _block_observables(chunk, chunk0, plan, device):
    """Per-example observables of one block of examples (pure: depends only on its inputs)."""
    ks, needed, qs, thresholds, ref, col, conv = (
        plan["ks"], plan["needed"], plan["qs"], plan["thresholds"], plan["reference"], plan["column"], plan["pr"],
    )
    ref = ref.to(device)
    out, counts, masks = {}, {}, {}
    with torch_threads(1 if plan["single_thread"] else None), torch.no_grad(), config_context(assume_finite=True):
        J, minors_of = _chunk_minors_lazy(chunk, max(needed), device)
        J0, minors0_of = _chunk_minors_lazy(chunk0, max(needed), device)
        for k in needed:
            Jk, J0k = minors_of(k), minors0_of(k)
            rm = row_means(Jk)
            m = J.shape[1]
            for q in qs:
                # boolean work in numpy: torch's bool reductions and gathers are slow on the CPU
                mask = zero_row_mask(rm, thresholds[k, q]).cpu().numpy()
                masks[k, q] = mask
                if k not in ks:
                    continue
                out[f"zero_rows_k{k}_q{q:g}"] = np.count_nonzero(mask, axis=1) / mask.shape[1]
                counts[k, q] = zero_row_counts(mask)
                if k >= 2:
                    dep = dependent_zero_rows(mask, masks[k - 1, q], m, k)
                    out[f"dependent_zero_rows_k{k}_q{q:g}"] = np.count_nonzero(dep, axis=1) / dep.shape[1]
            if k not in ks:
                continue
            out[f"pr_k{k}"] = participation_ratio(Jk, conv)
            out[f"pr_initial_k{k}"] = participation_ratio(J0k, conv)
            out[f"rotation_ratio_k{k}"] = rotation_ratio(J, k, ref, Jk=Jk)
            out[f"rotation_ratio_initial_k{k}"] = rotation_ratio(J0, k, ref, Jk=J0k)
            (out[f"column_entropy_k{k}"], out[f"column_entropy_initial_k{k}"],
             out[f"column_kl_k{k}"]) = column_statistics(Jk, J0k, col)
        # packed zero masks, to split off the consistently zero rows once all chunks are in (when
        # they fit the budget; otherwise the analyzer makes a second pass)
        packed = {key: np.packbits(masks[key], axis=1) for key in counts} if plan["keep_masks"] else {}
    return ({key: v.cpu().numpy() if isinstance(v, torch.Tensor) else v for key, v in out.items()}, counts, packed)


def _same_array(a, b):
    """Whether two inputs hold the same numbers (then the initial model's Jacobians from fit are reused)."""
    if a is None or b is None or isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        return False
    try:
        a, b = np.asarray(a), np.asarray(b)
    except Exception:  # pragma: no cover - exotic inputs: no reuse
        return False
    return a.shape == b.shape and a.dtype == b.dtype and a.dtype != object and np.array_equal(a, b)


class KAGeometryAnalyzer(TransformerMixin, BaseEstimator):
    """Kolmogorov-Arnold geometry of a model's inner map, against the same model at initialisation.

    ``fit(model0, X)`` takes the model at its initialisation (``mlp.initial_model()``) and
    records the zero-row thresholds ``Q^(k)`` (:ref:`obs-zero-rows`) from its Jacobians on
    ``X``, and the random rotations (:ref:`obs-rotation-ratio`). ``score(model, X)`` computes
    every observable of the study [1]_ (zero rows, consistently and dependent zero rows,
    participation ratio, rotation ratio, column entropy and divergence) for the trained
    ``model`` and for ``model0`` on the same examples, and ``transform`` gives them per
    example. See the user guide: :ref:`observables`.

    Models: a fitted :class:`~sklearn_ka.ShallowMLPRegressor`, scikit-learn's
    ``MLPRegressor``/``MLPClassifier`` (first hidden layer), a Pipeline ending in one of those
    (the Jacobian is with respect to the last step's own input), a torch module or callable
    (torch.func), or a precomputed Jacobian array of shape ``(n_samples, m, n)`` (then ``X`` is
    not needed). See :func:`sklearn_ka.jacobians.inner_jacobian`. For MLP first layers the
    minors use the factorisation ``J(x) = diag(sigma'(z)) A^T``.

    Parameters
    ----------
    minor_sizes : tuple of int, default=(1, 2, 3)
        Minor sizes k. Rule: sizes above ``min(n, m)`` (no such minors exist) are dropped in
        ``fit`` with a warning; ``minor_sizes_`` holds those kept. Sizes below 1 or
        non-integers are an error, as is a tuple with no size left.
    false_positive_rates : tuple of float, default=(1e-4, 1e-3, 1e-2)
        The rates ``q1`` of :ref:`obs-zero-rows`; ``q(k)`` is induced with the Gamma-extended
        binomial.
    n_rotations : int, default=400
        Number N of Haar rotations (``"sampled"``) or Stiefel samples (``"haar"``, k < n).
    rotation_method : {"haar", "sampled"}, default="haar"
        ``"sampled"`` is the definition of :ref:`obs-rotation-ratio` taken literally; ``"haar"``
        computes the same expectation exactly for ``k = n`` and with one fixed Stiefel sample for
        ``k < n`` (see :class:`~sklearn_ka.observables.RotationReference`). They agree within
        Monte Carlo error.
    column_probability : {"softmax", "sum"}, default="softmax"
        Column probabilities of :ref:`obs-column-entropy`: softmax at unit temperature, or
        division by the column sum.
    pr_convention : {"l1/l2", "l2/l1"}, default="l1/l2"
        Participation ratio ``||.||_1/||.||_2`` (:ref:`obs-participation-ratio`,
        1 <= PR <= PR_max) or its inverse, the convention of another toolkit.
    consistent_fraction : float, default=0.99
        A row is consistently zero when it is zero at at least this fraction of the examples
        (:ref:`obs-consistent-zero-rows`).
    max_memory_bytes : int or None, default=None
        Memory budget of one chunk of minors (default 1 GiB); a minor matrix that cannot fit
        even for one example is refused in ``fit`` at once.
    chunk_size : int or None, default=None
        Examples per chunk handed to one worker (default: as many as the budget allows, split
        across ``n_jobs``), rounded to whole blocks. A block is fixed by ``(m, n)`` alone: as many
        examples as keep its largest minor matrix near 2.5 MB, between 8 and 1024 (63 for
        m = 32, n = 3; fewer when the memory budget requires), so its passes run in cache.
        Kernels always see one block, so results do not depend on ``chunk_size`` or ``n_jobs``.
    input_columns : array-like of int or bool, or None, default=None
        Analyse only these inputs (columns of ``J``), e.g. a patch of pixels: the minors,
        thresholds and rotations are those of ``J[:, :, input_columns]``. ``None`` is all inputs.
    random_state : int, RandomState instance or None, default=None
        Seeds the rotations.
    n_jobs : int or None, default=None
        Chunks of examples are processed by this many joblib workers. Results do not depend on it.
    device : str, default="cpu"
        Where the kernels run (``"cuda"`` on a GPU).

    Attributes
    ----------
    minor_sizes_ : tuple of int
    n_hidden_ : int
        ``m``.
    n_features_in_ : int
        ``n``, the input dimension of the inner map (before ``input_columns``).
    input_columns_ : ndarray of int or None
        The analysed inputs, sorted.
    false_positive_rates_ : dict
        ``{(k, q1): q(k)}``.
    thresholds_ : dict
        ``{(k, q1): Q^(k)}`` from the initial model's row means pooled over examples and rows.
    rotation_reference_ : RotationReference
    n_samples_fit_ : int

    References
    ----------
    .. [1] M. Freedman and M. Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in
       Shallow MLPs", arXiv:2509.12326, 2025. https://arxiv.org/abs/2509.12326
    """

    def __init__(
        self,
        minor_sizes: int | Sequence[int] = (1, 2, 3),
        false_positive_rates: float | Sequence[float] = (1e-4, 1e-3, 1e-2),
        n_rotations: int = 400,
        rotation_method: str = "haar",
        column_probability: str = "softmax",
        pr_convention: str = "l1/l2",
        consistent_fraction: float = 0.99,
        max_memory_bytes: int | None = None,
        chunk_size: int | None = None,
        input_columns: ArrayLike | None = None,
        random_state: int | np.random.RandomState | np.random.Generator | None = None,
        n_jobs: int | None = None,
        device: str | torch.device = "cpu",
    ) -> None:
        self.minor_sizes = minor_sizes
        self.false_positive_rates = false_positive_rates
        self.n_rotations = n_rotations
        self.rotation_method = rotation_method
        self.column_probability = column_probability
        self.pr_convention = pr_convention
        self.consistent_fraction = consistent_fraction
        self.max_memory_bytes = max_memory_bytes
        self.chunk_size = chunk_size
        self.input_columns = input_columns
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.device = device

    # ---------------------------------------------------------------- validation
    def _validate_params(self, m, n):
        sizes = self.minor_sizes
        if isinstance(sizes, numbers.Integral):
            sizes = (sizes,)
        try:
            sizes = tuple(sizes)
        except TypeError:
            raise TypeError(f"minor_sizes must be a tuple of positive integers, got {self.minor_sizes!r}.") from None
        if not sizes or any(isinstance(k, bool) or not isinstance(k, numbers.Integral) or k < 1 for k in sizes):
            raise ValueError(f"minor_sizes must be positive integers k >= 1, got {self.minor_sizes!r}.")
        r = min(m, n)
        kept = tuple(sorted({int(k) for k in sizes if k <= r}))
        dropped = sorted({int(k) for k in sizes if k > r})
        if not kept:
            raise ValueError(f"minor_sizes {self.minor_sizes!r}: every size exceeds min(n, m) = {r}.")
        if dropped:
            warnings.warn(f"minor sizes {dropped} exceed min(n={n}, m={m}) = {r} and are dropped.", UserWarning,
                          stacklevel=3)
        qs = self.false_positive_rates
        if isinstance(qs, numbers.Real):
            qs = (qs,)
        qs = tuple(float(q) for q in qs)
        if not qs or any(not (0 < q < 1) for q in qs):
            raise ValueError(f"false_positive_rates must be rates in (0, 1), got {self.false_positive_rates!r}.")
        n_rot = self.n_rotations
        if isinstance(n_rot, bool) or not isinstance(n_rot, numbers.Integral) or n_rot < 1:
            raise ValueError(f"n_rotations must be an integer >= 1, got {self.n_rotations!r}.")
        for name, value, allowed in (("rotation_method", self.rotation_method, _ROTATION_METHODS),
                                     ("column_probability", self.column_probability, _COLUMN_METHODS),
                                     ("pr_convention", self.pr_convention, _PR_CONVENTIONS)):
            if value not in allowed:
                raise ValueError(f"{name} must be one of {allowed}, got {value!r}.")
        if not (isinstance(self.consistent_fraction, numbers.Real) and 0 < self.consistent_fraction <= 1):
            raise ValueError(f"consistent_fraction must be in (0, 1], got {self.consistent_fraction!r}.")
        if self.chunk_size is not None and (
            isinstance(self.chunk_size, bool) or not isinstance(self.chunk_size, numbers.Integral)
            or self.chunk_size < 1
        ):
            raise ValueError(f"chunk_size must be a positive integer or None, got {self.chunk_size!r}.")
        device = torch.device(self.device) if not isinstance(self.device, torch.device) else self.device
        if device.type == "cuda" and not torch.cuda.is_available():
            raise ValueError(f"device={self.device!r} was requested but no CUDA GPU is available to torch.")
        return kept, qs, device

    def _validate_columns(self, n_inputs):
        cols = self.input_columns
        if cols is None:
            return None
        arr = np.asarray(cols)
        if arr.dtype == bool:
            if arr.shape != (n_inputs,):
                raise ValueError(f"input_columns as a mask must have length n={n_inputs}, got shape {arr.shape}.")
            arr = np.flatnonzero(arr)
        if arr.ndim != 1 or arr.size == 0 or not np.issubdtype(arr.dtype, np.integer):
            raise ValueError("input_columns must be a non-empty sequence of input indices or a boolean mask, "
                             f"got {cols!r}.")
        if arr.min() < 0 or arr.max() >= n_inputs or len(np.unique(arr)) != arr.size:
            raise ValueError(f"input_columns must be distinct indices in [0, {n_inputs}), got {arr.tolist()}.")
        return np.sort(arr)

    def _sources(self, model, X):
        """Jacobian sources of ``model`` and of the initial model on ``X`` (or the fit X)."""
        check_is_fitted(self, "thresholds_")
        same_x = X is None or X is self._X_fit or _same_array(X, self._X_fit)
        if X is None:
            X = self._X_fit
        src = _Source(model, X, self.input_columns_)
        if (src.m, src.n_inputs) != (self.n_hidden_, self.n_features_in_):
            raise ValueError(
                f"The model's inner map has m={src.m} hidden units and n={src.n} inputs, but the analyzer was fitted "
                f"on an initial model with m={self.n_hidden_}, n={self.n_features_in_}; compare a model with its own "
                "initialisation."
            )
        src0 = self._source0 if same_x else _Source(self._model0, X, self.input_columns_)
        if src0.n_samples != src.n_samples:
            raise ValueError(
                f"The initial model was given {src0.n_samples} examples but the model {src.n_samples}: the "
                "observables compare both on the same examples (with a precomputed initial Jacobian, pass a "
                "trained Jacobian on the same examples)."
            )
        return src, src0

    def _chunks(self, n_samples):
        """Chunk boundaries: whole blocks of ``_block`` examples (see :func:`_chunk_observables`)."""
        G = self._block
        if self.chunk_size is not None:
            size = self.chunk_size
        else:
            size = self._budget_chunk
            n_jobs = self._n_workers()
            if n_jobs > 1:
                size = min(size, -(-n_samples // n_jobs))
        size = G * max(1, round(size / G))
        return [(s, min(s + size, n_samples)) for s in range(0, n_samples, size)]

    def _n_workers(self):
        if self.n_jobs is None:
            return 1
        from joblib import effective_n_jobs

        return effective_n_jobs(self.n_jobs)

    # ---------------------------------------------------------------- fitting
    def fit(self, model0: Any, X: ArrayLike | None = None, y: Any = None) -> KAGeometryAnalyzer:
        """Record the thresholds and rotations from the model at its initialisation.

        The zero-row thresholds ``Q^(k)`` are the ``q(k)``-quantiles of the initial model's
        row means on ``X`` (user guide: :ref:`obs-zero-rows`).

        Parameters
        ----------
        model0 : model or array of shape (n_samples, m, n)
            The initial model (``mlp.initial_model()``) or its precomputed Jacobians.
        X : array-like of shape (n_samples, n_features) or None
            Examples; ``None`` only with precomputed Jacobians.
        y : ignored

        Returns
        -------
        self
        """
        src0 = _Source(model0, X)
        columns = self._validate_columns(src0.n_inputs)
        src0.restrict(columns)
        ks, qs, device = self._validate_params(src0.m, src0.n)
        m, n = src0.m, src0.n
        self.input_columns_ = columns
        needed = tuple(sorted(set(ks) | {k - 1 for k in ks if k >= 2}))
        # refuse at once what cannot fit, before any allocation
        # a block holds the minors of both models and their column statistics at once, about three
        # times what the minor kernels plan for, so blocks are planned for a third of the budget
        budget = DEFAULT_MAX_BYTES if self.max_memory_bytes is None else self.max_memory_bytes
        self._budget_chunk = min(plan_example_chunks(src0.n_samples, m, n, k, budget / 3) for k in needed)
        self._block = min(_block_size(m, n, needed), self._budget_chunk)
        self.minor_sizes_ = ks
        self.n_hidden_, self.n_features_in_ = m, src0.n_inputs
        self.n_samples_fit_ = src0.n_samples
        self.false_positive_rates_ = {(k, q): float(induced_false_positive_rate(q, m, k)) for k in needed for q in qs}
        thresholds = {}
        kmax = max(needed)

        def blocks(ks):  # row means of the initial model, block by block, for the sizes ks
            for s in range(0, src0.n_samples, self._block):
                _, minors_of = _chunk_minors_lazy(src0.chunk(s, s + self._block), kmax, device)
                yield {k: row_means(minors_of(k)).cpu().numpy() for k in ks}

        with torch.no_grad(), config_context(assume_finite=True):
            # pooled row means (and numpy's copies) in memory when they fit a quarter of the
            # budget, all sizes in one pass; otherwise an exact two-pass streaming quantile per
            # size (same values)
            in_memory, held = [], 0
            for k in needed:
                size = 3 * 8 * src0.n_samples * math.comb(m, k)
                if held + size <= budget // 4:
                    in_memory.append(k)
                    held += size
            pooled = {k: [] for k in in_memory}
            if in_memory:
                for part in blocks(in_memory):
                    for k, v in part.items():
                        pooled[k].append(v)
            for k in needed:
                ranks = [self.false_positive_rates_[k, q] for q in qs]
                if k in pooled:
                    levels = zero_row_threshold(np.concatenate(pooled.pop(k), axis=0), ranks)
                else:
                    levels = streaming_quantiles(lambda k=k: (part[k] for part in blocks((k,))), ranks)
                for q, level in zip(qs, np.atleast_1d(levels)):
                    thresholds[k, q] = float(level)
        self.thresholds_ = thresholds
        self.rotation_reference_ = _rotation_reference(
            m, n, ks, self.rotation_method, self.n_rotations, self.random_state)
        self._model0, self._X_fit, self._source0 = model0, X, src0
        self._plan = dict(ks=ks, needed=needed, qs=qs, thresholds=thresholds, reference=self.rotation_reference_,
                          column=self.column_probability, pr=self.pr_convention, single_thread=True,
                          block=self._block)
        return self

    # ---------------------------------------------------------------- computing
    def _per_example(self, model, X):
        src, src0 = self._sources(model, X)
        device = torch.device(self.device)
        chunks = self._chunks(src.n_samples)
        n_jobs = self._n_workers()
        B = src.n_samples
        P_total = sum(math.comb(self.n_hidden_, k) for k in self.minor_sizes_) * len(self._plan["qs"])
        budget = DEFAULT_MAX_BYTES if self.max_memory_bytes is None else self.max_memory_bytes
        plan = dict(self._plan, keep_masks=B * P_total / 8 <= budget / 4)
        parallel = n_jobs > 1 and len(chunks) > 1
        if parallel:
            plan["single_thread"] = True

        def run(function, *per_chunk):
            if parallel:
                return Parallel(n_jobs=n_jobs, return_as="generator")(
                    delayed(function)(*(f(s, e) for f in per_chunk), plan, device) for s, e in chunks)
            return (function(*(f(s, e) for f in per_chunk), plan, device) for s, e in chunks)

        values, counts, packed = _merge(run(_chunk_observables, src.chunk, src0.chunk))
        consistent = {key: consistent_zero_rows_from_counts(c, B, self.consistent_fraction)
                      for key, c in counts.items()}
        if plan["keep_masks"]:
            for (k, q), rows in consistent.items():
                P = rows.shape[0]
                values[f"consistent_zero_rows_k{k}_q{q:g}"] = (
                    np.unpackbits(packed[k, q], axis=1, count=P)[:, rows].sum(1) / P)
        else:  # bounded memory: recompute the trained model's masks, keeping only the counts we need
            parts = run(_chunk_zero_rows_in, src.chunk, lambda s, e: consistent)
            merged = {}
            for part in parts:
                for key, v in part.items():
                    merged.setdefault(key, []).append(v)
            for (k, q) in consistent:
                values[f"consistent_zero_rows_k{k}_q{q:g}"] = np.concatenate(merged[k, q])
        return values

    def _ordered_keys(self, per_example=True):
        keys = []
        for k in self.minor_sizes_:
            for q in self._plan["qs"]:
                keys.append(f"zero_rows_k{k}_q{q:g}")
                keys.append(f"consistent_zero_rows_k{k}_q{q:g}")
                if k >= 2:
                    keys.append(f"dependent_zero_rows_k{k}_q{q:g}")
            keys += [f"pr_k{k}", f"pr_initial_k{k}"]
            if not per_example:
                keys += [f"pr_max_k{k}", f"pr_normalized_k{k}"]
            keys += [f"rotation_ratio_k{k}", f"rotation_ratio_initial_k{k}"]
            if not per_example:
                keys.append(f"rotation_ratio_normalized_k{k}")
            keys += [f"column_entropy_k{k}", f"column_entropy_initial_k{k}", f"column_kl_k{k}"]
        return keys

    def score(self, model: Any, X: ArrayLike | None = None) -> dict[str, float]:
        """Every observable of ``model`` against the initial model, averaged over examples.

        See the user guide, :ref:`observables`, for the definitions.

        Parameters
        ----------
        model : model or array of shape (n_samples, m, n)
            The trained model (same width and input size as the initial one).
        X : array-like or None
            Examples; ``None`` uses the examples given to :meth:`fit`.

        Returns
        -------
        dict of str to float
            Keys ``zero_rows_k{k}_q{q:g}``, ``consistent_zero_rows_k{k}_q{q:g}``,
            ``dependent_zero_rows_k{k}_q{q:g}`` (k >= 2) as fractions in [0, 1]; ``pr_k{k}``,
            ``pr_initial_k{k}``, ``pr_max_k{k}``, ``pr_normalized_k{k}``; ``rotation_ratio_k{k}``,
            ``rotation_ratio_initial_k{k}``, ``rotation_ratio_normalized_k{k}`` (mean over examples
            of ``r^(k)(x)``, and trained / initial); ``column_entropy_k{k}``,
            ``column_entropy_initial_k{k}``, ``column_kl_k{k}``. ``consistent_zero_rows`` is the
            fraction of (example, row) pairs that are zero in a row zero at at least
            ``consistent_fraction`` of the examples, so ``zero_rows - consistent_zero_rows`` is the
            example-dependent part. Examples whose Jacobian has rank < k give NaN (with a
            RuntimeWarning from the kernels), which propagates into the means.
        """
        values = self._per_example(model, X)
        out = {}
        n, m = self.rotation_reference_.n, self.n_hidden_
        for key in self._ordered_keys(per_example=False):
            if key in values:
                out[key] = float(np.mean(values[key]))
        for k in self.minor_sizes_:
            out[f"pr_max_k{k}"] = float(participation_ratio_max(m, n, k))
            out[f"pr_normalized_k{k}"] = out[f"pr_k{k}"] / out[f"pr_initial_k{k}"]
            out[f"rotation_ratio_normalized_k{k}"] = out[f"rotation_ratio_k{k}"] / out[f"rotation_ratio_initial_k{k}"]
        return {key: out[key] for key in self._ordered_keys(per_example=False)}

    def transform(self, model: Any, X: ArrayLike | None = None) -> np.ndarray:
        """Per-example observables, one column per name of :meth:`get_feature_names_out`.

        Parameters
        ----------
        model : model or array of shape (n_samples, m, n)
            The trained model (same width and input size as the initial one).
        X : array-like or None
            Examples; ``None`` uses the examples given to :meth:`fit`.

        Returns
        -------
        ndarray of shape (n_samples, n_features_out)
            ``set_output(transform="pandas")`` gives a DataFrame.
        """
        values = self._per_example(model, X)
        return np.column_stack([values[key] for key in self._ordered_keys(per_example=True)])

    def get_feature_names_out(self, input_features: ArrayLike | None = None) -> np.ndarray:
        """Names of the per-example observables of :meth:`transform`.

        Parameters
        ----------
        input_features : ignored
            Present for the scikit-learn API.

        Returns
        -------
        ndarray of str (object dtype)
        """
        check_is_fitted(self, "thresholds_")
        return np.asarray(self._ordered_keys(per_example=True), dtype=object)

    def tail_statistics(
        self,
        model: Any,
        X: ArrayLike | None = None,
        quantile_ranks: ArrayLike | None = None,
        high: float = 0.99,
        low: float = 0.01,
    ) -> dict[int, dict[str, dict[str, Any]]]:
        """Mean excess functions and quantile ratios of the pooled size-k minors.

        The tail statistics of the study [1]_, for the trained and the initial model (see the
        user guide: :ref:`obs-tails`).

        Parameters
        ----------
        model : model or array of shape (n_samples, m, n)
            The trained model (same width and input size as the initial one).
        X : array-like or None
            Examples; ``None`` uses the examples given to :meth:`fit`.
        quantile_ranks : array-like of float in [0, 1), default=None
            Ranks ``q`` of the thresholds ``u = Q(q)``; ``None``: 0.90, 0.91, ..., 0.99.
        high, low : float, default=0.99 and 0.01
            Quantile ranks of the quantile ratio.

        Returns
        -------
        dict
            For each k: ``{"trained": {...}, "initial": {...}}``, each with ``quantile_ranks``,
            ``thresholds``, ``mef``, ``fit`` (slope, intercept of MEF against the rank) and
            ``quantile_ratio`` (the ``high``/``low`` quantile ratio).

        References
        ----------
        .. [1] M. Freedman and M. Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in
           Shallow MLPs", arXiv:2509.12326, 2025. https://arxiv.org/abs/2509.12326
        """
        src, src0 = self._sources(model, X)
        device = torch.device(self.device)
        ranks = np.arange(0.90, 1.0, 0.01) if quantile_ranks is None else np.asarray(quantile_ranks, dtype=float)
        out = {}
        for k in self.minor_sizes_:
            out[k] = {}
            for label, source in (("trained", src), ("initial", src0)):
                blocks = (_chunk_minors(source.chunk(s, s + self._block), k, device)[1]
                          for s in range(0, source.n_samples, self._block))
                pooled = np.concatenate([b.cpu().numpy().ravel() for b in blocks])
                u, mef = mean_excess(pooled, ranks)
                out[k][label] = {"quantile_ranks": ranks, "thresholds": np.asarray(u), "mef": np.asarray(mef),
                                 "fit": mean_excess_fit(ranks, mef),
                                 "quantile_ratio": float(quantile_ratio(pooled, high, low))}
        return out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = True
        return tags

