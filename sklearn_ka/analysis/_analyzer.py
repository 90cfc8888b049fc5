"""KAGeometryAnalyzer: every KA-geometry observable of a trained model against its initialisation.

The observables are defined in the user guide, :ref:`observables`. The estimator reads its
Jacobians from a source (``_sources``), plans its memory (``_memory_plan``) and computes block by
block with the kernels of ``_kernels``.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import os
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from joblib import Parallel, delayed, effective_n_jobs
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from .._utils import (
    PAPER_PROTOCOL,
    InstanceOf,
    Integers,
    InvalidParameterError,
    Options,
    Reals,
    check_device,
    check_int,
    check_memory,
    check_param,
    check_sequence,
    observable_key,
    validate_params,
)
from ..observables import (
    RotationReference,
    consistent_zero_rows_from_counts,
    induced_false_positive_rate,
    mean_excess,
    mean_excess_fit,
    participation_ratio_max,
    quantile_ratio,
)
from ._kernels import BlockPlan, chunk_minors, chunk_observables, chunk_zero_rows_in, initial_thresholds, merge
from ._memory_plan import MemoryPlan
from ._parameters import SHARED_CONSTRAINTS, ByteBudget
from ._sources import JacobianSource, same_array, warn_if_trained_baseline

__all__ = ["KAGeometryAnalyzer"]


@functools.lru_cache(maxsize=16)
def _cached_reference(m, n, ks, method, n_rotations, seed):
    """Rotations depend only on these arguments: analyses of many models with one seed share them."""
    return RotationReference.build(m, n, ks, method, n_rotations, seed, device="cpu")


def _rotation_reference(m, n, ks, method, n_rotations, random_state):
    if isinstance(random_state, int):
        return _cached_reference(m, n, ks, method, n_rotations, random_state)
    return RotationReference.build(m, n, ks, method, n_rotations, random_state, device="cpu")


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
    minor_sizes : int or tuple of int, default=(1, 2, 3)
        Minor sizes k. Rule: sizes above ``min(n, m)`` (no such minors exist) are dropped in
        ``fit`` with a warning; ``minor_sizes_`` holds those kept. Sizes below 1 or
        non-integers are an error, as is a tuple with no size left.
    false_positive_rates : float or tuple of float, default=(1e-4, 1e-3, 1e-2)
        The rates ``q1`` of :ref:`obs-zero-rows`, each in (0, 1) (default: those of the
        published protocol); ``q(k)`` is induced with the Gamma-extended binomial.
    n_rotations : int, default=400
        Number N of Haar rotations (``"sampled"``) or Stiefel samples (``"haar"``, k < n); the
        default is the published protocol's. Refused in ``fit``, before any work, when the
        rotations would not fit the package's memory budget (``SKLEARN_KA_MEMORY_BUDGET``, default
        4 GiB; see :meth:`RotationReference.check_budget
        <sklearn_ka.observables.RotationReference.check_budget>`).
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
        (:ref:`obs-consistent-zero-rows`), in (0, 1]; the default is the published protocol's.
    max_memory_bytes : int or None, default=None
        Memory budget of one chunk of minors (default 1 GiB; a third of it holds one block's
        minors); a minor matrix that cannot fit even for one example is refused in ``fit`` at
        once, with a :class:`~sklearn_ka.exterior.MinorBudgetError` that names this parameter.
        What else grows with a parameter (the rotations, the pooled minors of
        :meth:`tail_statistics`) is checked against the package's memory budget
        (``SKLEARN_KA_MEMORY_BUDGET``, default 4 GiB). :meth:`check_memory_budget` makes these
        checks before any model is trained.
    chunk_size : int or None, default=None
        Examples per chunk handed to one worker (default: as many as the budget allows, split
        across ``n_jobs``), rounded to whole blocks. A block is fixed by ``(m, n)`` and the minor
        sizes alone: as many examples as keep its largest minor matrix near 2.5 MB, between 8
        and 1024 (fewer when the memory budget requires), so its passes run in cache. Kernels
        always see one block, so results do not depend on ``chunk_size`` or ``n_jobs``.
    input_columns : array-like of int or bool, or None, default=None
        Analyse only these inputs (columns of ``J``), e.g. a patch of pixels: the minors,
        thresholds and rotations are those of ``J[:, :, input_columns]``. ``None`` is all inputs.
    random_state : int, RandomState or Generator instance, or None, default=None
        Seeds the rotations.
    n_jobs : int or None, default=None
        Chunks of examples are processed by this many joblib workers (``-1``: all CPUs; at most
        the number of CPUs; 0 is refused). Results do not depend on it.
    device : str or torch.device, default="cpu"
        Where the kernels run: ``"cpu"``, ``"cuda"`` or ``"cuda:N"`` (a GPU torch can see). Any
        other device (e.g. ``"mps"``) is refused in ``fit``, before any work.

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


    _parameter_constraints: dict = {
        **SHARED_CONSTRAINTS,
        "n_rotations": [Integers(1)],
        "rotation_method": [Options("haar", "sampled")],
        "max_memory_bytes": [ByteBudget(), None],
        "chunk_size": [Integers(1), None],
        "random_state": [None, Integers(0), InstanceOf((np.random.RandomState, np.random.Generator))],
        "n_jobs": [Integers(1), Integers(None, -1), None],
        "device": [InstanceOf((str, torch.device), "a device name (str) or a torch.device")],
    }

    def __init__(
        self,
        minor_sizes: int | Sequence[int] = (1, 2, 3),
        false_positive_rates: float | Sequence[float] = PAPER_PROTOCOL.false_positive_rates,
        n_rotations: int = PAPER_PROTOCOL.n_rotations,
        rotation_method: str = "haar",
        column_probability: str = "softmax",
        pr_convention: str = "l1/l2",
        consistent_fraction: float = PAPER_PROTOCOL.consistent_fraction,
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
    def _check_params(self):
        """The validated parameters (converted: sizes and rates as tuples, the device a torch.device)."""
        params = validate_params(self.get_params(deep=False), self._parameter_constraints, owner=type(self).__name__)
        # 'cpu', 'cuda' or 'cuda:N' on a machine that has it: refused here, not partway through the kernels
        params["device"] = torch.device(check_device(params["device"], owner=type(self).__name__))
        return params

    def _kept_sizes(self, sizes, m, n, warn=True):
        """The minor sizes that exist for ``m x n`` Jacobians; the others are dropped with a warning."""
        r = min(m, n)
        kept = tuple(sorted({k for k in sizes if k <= r}))
        dropped = sorted({k for k in sizes if k > r})
        if not kept:
            raise ValueError(f"minor_sizes {self.minor_sizes!r}: every size exceeds min(n, m) = {r}.")
        if dropped and warn:
            warnings.warn(f"minor sizes {dropped} exceed min(n={n}, m={m}) = {r} and are dropped.", UserWarning,
                          stacklevel=4)
        return kept

    def _plan_memory(self, params, n_samples, m, n, warn=True):
        """The kept and needed sizes and the memory plan; refuses at once, before any allocation, what cannot fit.

        Both budgets are checked: the minors' (``max_memory_bytes``) and the rotations'
        (the package budget, :meth:`RotationReference.check_budget
        <sklearn_ka.observables.RotationReference.check_budget>`).
        """
        ks = self._kept_sizes(params["minor_sizes"], m, n, warn)
        needed = tuple(sorted(set(ks) | {k - 1 for k in ks if k >= 2}))
        owner = type(self).__name__
        memory = MemoryPlan.for_analysis(n_samples, m, n, needed, params["max_memory_bytes"], owner=owner)
        RotationReference.check_budget(m, n, ks, params["rotation_method"], params["n_rotations"], owner=owner)
        return ks, needed, memory

    def check_memory_budget(self, n_hidden: int, n_inputs: int) -> None:
        """Refuse now, before any model is trained or evaluated, an analysis that could not fit its budget.

        The checks :meth:`fit` makes first, from the shapes alone: the parameters, the size-k
        minors of one example within ``max_memory_bytes``, the rotations within the package's
        memory budget. A sweep or a script calls it before training models of ``n_hidden``
        units, so that an analysis that cannot run fails in milliseconds rather than after the
        training.

        Parameters
        ----------
        n_hidden : int
            Hidden units ``m`` of the models to analyse.
        n_inputs : int
            Inputs ``n`` of their inner map (before ``input_columns``).

        Raises
        ------
        InvalidParameterError
            A parameter of the analyzer is invalid.
        ValueError
            Every minor size exceeds ``min(m, n)``, or ``input_columns`` do not fit ``n_inputs``.
        MinorBudgetError
            One example's minors do not fit ``max_memory_bytes``.
        MemoryBudgetError
            The rotations do not fit the package's memory budget.
        """
        params = self._check_params()
        m = check_int("n_hidden", n_hidden, 1, owner=f"{type(self).__name__}.check_memory_budget")
        n_inputs = check_int("n_inputs", n_inputs, 1, owner=f"{type(self).__name__}.check_memory_budget")
        columns = self._validate_columns(n_inputs)
        self._plan_memory(params, 1, m, n_inputs if columns is None else len(columns), warn=False)

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
        same_x = X is None or X is self._X_fit or same_array(X, self._X_fit)
        if X is None:
            X = self._X_fit
        src = JacobianSource(model, X, self.input_columns_)
        if (src.m, src.n_inputs) != (self.n_hidden_, self.n_features_in_):
            raise ValueError(
                f"The model's inner map has m={src.m} hidden units and n={src.n} inputs, but the analyzer was fitted "
                f"on an initial model with m={self.n_hidden_}, n={self.n_features_in_}; compare a model with its own "
                "initialisation."
            )
        src0 = self._source0 if same_x else JacobianSource(self._model0, X, self.input_columns_)
        if src0.n_samples != src.n_samples:
            raise ValueError(
                f"The initial model was given {src0.n_samples} examples but the model {src.n_samples}: the "
                "observables compare both on the same examples (with a precomputed initial Jacobian, pass a "
                "trained Jacobian on the same examples)."
            )
        return src, src0

    def _n_workers(self):
        # never more workers than CPUs: n_jobs=10**6 must not start a million processes
        return 1 if self.n_jobs is None else min(effective_n_jobs(self.n_jobs), os.cpu_count() or 1)

    # ---------------------------------------------------------------- fitting
    def fit(self, model0: Any, X: ArrayLike | None = None, y: Any = None) -> KAGeometryAnalyzer:
        """Record the thresholds and rotations from the model at its initialisation.

        The zero-row thresholds ``Q^(k)`` are the ``q(k)``-quantiles of the initial model's
        row means on ``X`` (user guide: :ref:`obs-zero-rows`).

        Parameters
        ----------
        model0 : model, array of shape (n_samples, m, n), or tuple (D, W)
            The initial model (``mlp.initial_model()``), its precomputed Jacobians, or factors
            with ``J[b] = diag(D[b]) @ W``.
        X : array-like of shape (n_samples, n_features) or None
            Examples; ``None`` only with precomputed Jacobians or factors.
        y : ignored

        Returns
        -------
        self

        Warns
        -----
        UserWarning
            When ``model0`` is one of our estimators whose weights differ from its own initial
            weights (a trained model, or a snapshot): the observables would compare a model with
            a trained one. Pass ``model.initial_model()``.
        """
        params = self._check_params()
        warn_if_trained_baseline(model0, type(self).__name__)
        src0 = JacobianSource(model0, X)
        columns = self._validate_columns(src0.n_inputs)
        src0.restrict(columns)
        m, n = src0.m, src0.n
        qs = params["false_positive_rates"]
        # refuses at once, before any allocation, what cannot fit
        ks, needed, self._memory = self._plan_memory(params, src0.n_samples, m, n)
        self.input_columns_ = columns
        self.minor_sizes_ = ks
        self.n_hidden_, self.n_features_in_ = m, src0.n_inputs
        self.n_samples_fit_ = src0.n_samples
        self.false_positive_rates_ = {(k, q): float(induced_false_positive_rate(q, m, k)) for k in needed for q in qs}
        self.thresholds_ = initial_thresholds(src0, self._memory, needed, qs, self.false_positive_rates_,
                                              params["device"])
        self.rotation_reference_ = _rotation_reference(
            m, n, ks, params["rotation_method"], params["n_rotations"], params["random_state"])
        self._model0, self._X_fit, self._source0 = model0, X, src0
        self._plan = BlockPlan(ks=ks, needed=needed, qs=qs, thresholds=self.thresholds_,
                               reference=self.rotation_reference_, column=params["column_probability"],
                               pr=params["pr_convention"], block=self._memory.block)
        return self

    # ---------------------------------------------------------------- computing
    def _per_example(self, model, X):
        src, src0 = self._sources(model, X)
        device = torch.device(self.device)
        n_jobs = self._n_workers()
        chunks = self._memory.chunks(src.n_samples, self.chunk_size, n_jobs)
        n_rows = sum(math.comb(self.n_hidden_, k) for k in self.minor_sizes_) * len(self._plan.qs)
        plan = dataclasses.replace(self._plan, keep_masks=self._memory.keep_masks(src.n_samples, n_rows))
        parallel = n_jobs > 1 and len(chunks) > 1

        def run(function, *per_chunk):
            if parallel:
                return Parallel(n_jobs=n_jobs, return_as="generator")(
                    delayed(function)(*(f(s, e) for f in per_chunk), plan, device) for s, e in chunks)
            return (function(*(f(s, e) for f in per_chunk), plan, device) for s, e in chunks)

        values, counts, packed = merge(run(chunk_observables, src.chunk, src0.chunk))
        values.update(self._consistent_zero_rows(src, counts, packed, plan, run))
        self._warn_rank_deficient(values, src.n_samples)
        return values

    def _warn_rank_deficient(self, values, n_samples):
        """One RuntimeWarning per call for the examples of numerical rank < k (their ratios are NaN)."""
        parts = []
        for label, name in (("trained", "n_rank_deficient"), ("initial", "n_rank_deficient_initial")):
            found = [f"k={k}: {n}" for k in self.minor_sizes_
                     if (n := int(np.count_nonzero(values[observable_key(name, k)])))]
            if found:
                parts.append(f"{label} model {', '.join(found)}")
        if parts:
            undefined = "participation and rotation ratios" + (
                " and the column-sum statistics" if self.column_probability == "sum" else "")
            warnings.warn(
                f"{type(self).__name__}: the Jacobian has numerical rank < k at some of the {n_samples} examples "
                f"({'; '.join(parts)}): every size-k minor there is round-off (below "
                f"rank_tolerance(k) * ||J(x)||_F^k), so the {undefined} are undefined and NaN at those examples, "
                "and so are their means. The counts are the n_rank_deficient_k{k} keys of score.",
                RuntimeWarning, stacklevel=3)

    def _consistent_zero_rows(self, src, counts, packed, plan, run):
        """Per example, the fraction of rows that are zero there and zero at most examples."""
        B = src.n_samples
        consistent = {key: consistent_zero_rows_from_counts(c, B, self.consistent_fraction)
                      for key, c in counts.items()}
        values = {}
        if plan.keep_masks:
            for (k, q), rows in consistent.items():
                P = rows.shape[0]
                values[observable_key("consistent_zero_rows", k, q)] = (
                    np.unpackbits(packed[k, q], axis=1, count=P)[:, rows].sum(1) / P)
        else:  # bounded memory: recompute the trained model's masks, keeping only the counts we need
            merged = {}
            for part in run(chunk_zero_rows_in, src.chunk, lambda s, e: consistent):
                for key, v in part.items():
                    merged.setdefault(key, []).append(v)
            for (k, q) in consistent:
                values[observable_key("consistent_zero_rows", k, q)] = np.concatenate(merged[k, q])
        return values

    def _ordered_keys(self, per_example=True):
        keys = []
        for k in self.minor_sizes_:
            key = functools.partial(observable_key, k=k)
            for q in self._plan.qs:
                keys += [key("zero_rows", q=q), key("consistent_zero_rows", q=q)]
                if k >= 2:
                    keys.append(key("dependent_zero_rows", q=q))
            keys += [key("pr"), key("pr_initial")]
            if not per_example:
                keys += [key("pr_max"), key("pr_normalized")]
            keys += [key("rotation_ratio"), key("rotation_ratio_initial")]
            if not per_example:
                keys.append(key("rotation_ratio_normalized"))
            keys += [key("column_entropy"), key("column_entropy_initial"), key("column_kl")]
            if not per_example:
                keys += [key("n_rank_deficient"), key("n_rank_deficient_initial")]
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
            example-dependent part. ``n_rank_deficient_k{k}`` and
            ``n_rank_deficient_initial_k{k}`` (integers) count the examples at which the
            trained (initial) Jacobian has numerical rank < k
            (:func:`~sklearn_ka.observables.numerical_rank_deficient`, user guide:
            :ref:`jacobian-minors`): there the participation ratio, the rotation ratio and
            (with ``column_probability="sum"``) the column statistics are undefined and NaN,
            which propagates into their means, with one RuntimeWarning per call. Build and read
            keys with :func:`~sklearn_ka.observables.observable_key` and
            :func:`~sklearn_ka.observables.parse_observable_key`.
        """
        values = self._per_example(model, X)
        out = {}
        n, m = self.rotation_reference_.n, self.n_hidden_
        for key in self._ordered_keys(per_example=False):
            if key.startswith("n_rank_deficient"):
                out[key] = int(np.count_nonzero(values[key]))
            elif key in values:
                out[key] = float(np.mean(values[key]))
        for k in self.minor_sizes_:
            key = functools.partial(observable_key, k=k)
            out[key("pr_max")] = float(participation_ratio_max(m, n, k))
            out[key("pr_normalized")] = out[key("pr")] / out[key("pr_initial")]
            out[key("rotation_ratio_normalized")] = out[key("rotation_ratio")] / out[key("rotation_ratio_initial")]
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
            ``set_output(transform="pandas")`` gives a DataFrame. At the examples whose Jacobian
            has numerical rank < k the undefined columns of size k are NaN (see :meth:`score`),
            with one RuntimeWarning per call.
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
        owner = f"{type(self).__name__}.tail_statistics"
        if quantile_ranks is None:
            ranks = np.arange(0.90, 1.0, 0.01)
        else:
            ranks = quantile_ranks.reshape(-1) if isinstance(quantile_ranks, np.ndarray) else quantile_ranks
            ranks = np.asarray(check_sequence("quantile_ranks", ranks, [Reals(0, 1, high_open=True)], owner=owner))
        high, low = (check_param(name, v, [Reals(0, 1)], owner=owner) for name, v in (("high", high), ("low", low)))
        if not low < high:
            raise InvalidParameterError(f"{owner}: low must be below high; got low={low}, high={high}.")
        src, src0 = self._sources(model, X)
        device = torch.device(self.device)
        for k in self.minor_sizes_:  # the pooled minors (the blocks, their concatenation, numpy's partition)
            check_memory(3 * 8 * src.n_samples * math.comb(src.m, k) * math.comb(src.n, k),
                         f"the pooled size-{k} minors of {src.n_samples} examples", owner=type(self).__name__,
                         alternatives="fewer examples (X), smaller minor sizes, or a larger budget.")
        out = {}
        for k in self.minor_sizes_:
            out[k] = {}
            for label, source in (("trained", src), ("initial", src0)):
                G = self._memory.block
                blocks = (chunk_minors(source.chunk(s, s + G), k, device) for s in range(0, source.n_samples, G))
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
