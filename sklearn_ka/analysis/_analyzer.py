"""KAGeometryAnalyzer: every KA-geometry observable of a trained model against its initialisation.

The observables are defined in the user guide, :ref:`observables`. The estimator reads its
Jacobians from a source (``_sources``), plans its memory (``_memory_plan``) and computes block by
block with the kernels of ``_kernels``.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import math
import os
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import torch
from joblib import Parallel, delayed, effective_n_jobs
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils._set_output import _get_output_config
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
    parse_observable_key,
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
from ._parameters import OBSERVABLE_GROUPS, SHARED_CONSTRAINTS, ByteBudget, LayerSpec, observables_constraint
from ._progress import PassProgress
from ._result import KAGeometryResult, ModelAnalysis
from ._sources import JacobianSource, same_array, warn_if_trained_baseline

__all__ = ["KAGeometryAnalyzer"]

#: Ratios of minors: undefined at the examples of numerical rank < k, excluded from their means.
_RATIOS = ("pr", "pr_initial", "rotation_ratio", "rotation_ratio_initial")
#: The column statistics: undefined there too with column-sum probabilities.
_COLUMN = ("column_entropy", "column_entropy_initial", "column_kl")
#: What a warning about a long analysis suggests instead.
_ALTERNATIVES = ("SampledKAGeometryAnalyzer (sampled minors, with confidence intervals), input_columns (a subset "
                 "of the inputs), fewer examples, smaller minor_sizes, or observables= without 'rotation_ratio'")


def _valid_mean(values, excluded):
    """The mean over the examples not ``excluded`` (NaN when none is left); other NaN propagate."""
    if excluded is not None:
        values = values[~excluded]
    return float(np.mean(values)) if values.size else float("nan")


def _ratio(a, b):
    """``a / b`` for two means (NaN when either is NaN or ``b`` is 0)."""
    return a / b if b != 0 and np.isfinite(b) else float("nan")


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
    ``model`` and for ``model0`` on the same examples, ``transform`` gives them per example, and
    ``result`` returns them as a :class:`~sklearn_ka.analysis.KAGeometryResult` (a tidy frame, a
    summary, a figure; :func:`sklearn_ka.analyze` does all of this in one call). See the user
    guide: :ref:`observables` and :ref:`own-network`.

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
        Number N of Haar rotations (``"sampled"``) or of frames per example (``"haar"``, k < n); the
        default is the published protocol's. Refused in ``fit``, before any work, when the
        rotations would not fit the package's memory budget (``SKLEARN_KA_MEMORY_BUDGET``, default
        4 GiB; see :meth:`RotationReference.check_budget
        <sklearn_ka.observables.RotationReference.check_budget>`).
    rotation_method : {"haar", "sampled"}, default="haar"
        ``"sampled"`` is the definition of :ref:`obs-rotation-ratio` taken literally; ``"haar"``
        computes the same expectation exactly for ``k = n`` and with N Haar frames of each
        example's own for ``k < n`` (see :class:`~sklearn_ka.observables.RotationReference`).
        They agree within Monte Carlo error.
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
    observables : str, sequence of str or None, default=None
        Compute only these observables (``None``: all): any of ``"zero_rows"``,
        ``"consistent_zero_rows"``, ``"dependent_zero_rows"``, ``"participation_ratio"``,
        ``"rotation_ratio"``, ``"column_entropy"`` (with the column divergence), or a key's
        observable name such as ``"pr"``. What is not asked for is not computed: without
        ``"rotation_ratio"`` no rotations are drawn, without the zero-row observables no
        thresholds are recorded. The counts ``n_rank_deficient[_initial]_k{k}`` are always
        reported.
    layer : None, int or str, default=None
        Which hidden layer of a larger network ends the inner map (see
        :func:`~sklearn_ka.jacobians.inner_jacobian`): ``None`` the first hidden layer's
        activation, an index, or the dotted name of a torch submodule. The same layer of the
        initial model (``fit``) and of the trained one (``score``) is used; precomputed Jacobians
        need ``None``. See the user guide, :ref:`own-network`.
    verbose : int, default=0
        ``>= 1``: a progress bar (tqdm) over the blocks of examples and the time estimate.
        Whatever ``verbose``, a pass over the examples estimated (from its timed first block) to
        take more than a minute says so in a :class:`UserWarning` before the rest runs, naming
        the cheaper alternatives (:class:`~sklearn_ka.SampledKAGeometryAnalyzer`,
        ``input_columns``, fewer examples or minor sizes, ``observables``).

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
        ``{(k, q1): Q^(k)}`` from the initial model's row means pooled over examples and rows
        (empty when no zero-row observable is computed).
    rotation_reference_ : RotationReference or None
        None when the rotation ratio is not computed.
    observables_ : tuple of str
        The observables computed.
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
        "observables": observables_constraint("KAGeometryAnalyzer"),
        "layer": [LayerSpec()],
        "verbose": [Integers(0)],
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
        observables: str | Sequence[str] | None = None,
        layer: int | str | None = None,
        verbose: int = 0,
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
        self.observables = observables
        self.layer = layer
        self.verbose = verbose

    # ---------------------------------------------------------------- validation
    def _check_params(self):
        """The validated parameters (converted: sizes and rates as tuples, the device a torch.device)."""
        params = validate_params(self.get_params(deep=False), self._parameter_constraints, owner=type(self).__name__)
        # 'cpu', 'cuda' or 'cuda:N' on a machine that has it: refused here, not partway through the kernels
        params["device"] = torch.device(check_device(params["device"], owner=type(self).__name__))
        params["observables"] = params["observables"] or tuple(OBSERVABLE_GROUPS)
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
        faces = {k - 1 for k in ks if k >= 2} if "dependent_zero_rows" in params["observables"] else set()
        needed = tuple(sorted(set(ks) | faces))
        owner = type(self).__name__
        memory = MemoryPlan.for_analysis(n_samples, m, n, needed, params["max_memory_bytes"], owner=owner)
        if "rotation_ratio" in params["observables"]:
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
        src = JacobianSource(model, X, self.input_columns_, layer=self.layer)
        if (src.m, src.n_inputs) != (self.n_hidden_, self.n_features_in_):
            raise ValueError(
                f"The model's inner map has m={src.m} hidden units and n={src.n} inputs, but the analyzer was fitted "
                f"on an initial model with m={self.n_hidden_}, n={self.n_features_in_}; compare a model with its own "
                "initialisation."
            )
        src0 = self._source0 if same_x else JacobianSource(self._model0, X, self.input_columns_, layer=self.layer)
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
        src0 = JacobianSource(model0, X, layer=params["layer"])
        columns = self._validate_columns(src0.n_inputs)
        src0.restrict(columns)
        m, n = src0.m, src0.n
        qs, groups = params["false_positive_rates"], params["observables"]
        # refuses at once, before any allocation, what cannot fit
        ks, needed, self._memory = self._plan_memory(params, src0.n_samples, m, n)
        self.input_columns_ = columns
        self.minor_sizes_ = ks
        self.observables_ = groups
        self.n_hidden_, self.n_features_in_ = m, src0.n_inputs
        self.n_samples_fit_ = src0.n_samples
        self.false_positive_rates_ = {(k, q): float(induced_false_positive_rate(q, m, k)) for k in needed for q in qs}
        plan = BlockPlan(ks=ks, needed=needed, qs=qs, thresholds={}, reference=None,
                         column=params["column_probability"], pr=params["pr_convention"], block=self._memory.block,
                         groups=groups)
        self.thresholds_ = {}
        if plan.zero_rows:
            with self._progress("recording the zero-row thresholds", src0.n_samples, 1) as progress:
                self.thresholds_ = initial_thresholds(src0, self._memory, needed, qs, self.false_positive_rates_,
                                                      params["device"], progress=progress)
        self.rotation_reference_ = None
        if "rotation_ratio" in groups:
            self.rotation_reference_ = _rotation_reference(
                m, n, ks, params["rotation_method"], params["n_rotations"], params["random_state"])
        self._model0, self._X_fit, self._source0 = model0, X, src0
        self._plan = dataclasses.replace(plan, thresholds=self.thresholds_, reference=self.rotation_reference_)
        return self

    def _progress(self, what, n_samples, n_workers):
        """The timing and progress of one pass over ``n_samples`` examples (:class:`PassProgress`)."""
        return PassProgress(type(self).__name__, f"{what} ({n_samples} examples)",
                            -(-n_samples // self._memory.block), n_workers, self.verbose, _ALTERNATIVES)

    # ---------------------------------------------------------------- computing
    def _per_example(self, model, X):
        src, src0 = self._sources(model, X)
        device = torch.device(self.device)
        n_jobs = self._n_workers()
        G = self._memory.block
        chunks = self._memory.chunks(src.n_samples, self.chunk_size, n_jobs)
        n_rows = sum(math.comb(self.n_hidden_, k) for k in self.minor_sizes_) * len(self._plan.qs)
        plan = dataclasses.replace(self._plan, keep_masks=self._memory.keep_masks(src.n_samples, n_rows))
        # the first block alone, timed (chunks are whole blocks on one grid, so the numbers are the same)
        rest = [(max(s, G), e) for s, e in chunks if e > G]
        parallel = n_jobs > 1 and len(rest) > 1

        def run(function, *per_chunk, parts=None, progress=None, **kwargs_of):
            # kwargs_of: keyword -> f(s, e), e.g. start=lambda s, e: s
            parts = chunks if parts is None else parts
            if parallel:
                results = Parallel(n_jobs=n_jobs, return_as="generator")(
                    delayed(function)(*(f(s, e) for f in per_chunk), plan, device,
                                      **{k: f(s, e) for k, f in kwargs_of.items()}) for s, e in parts)
            else:
                results = (function(*(f(s, e) for f in per_chunk), plan, device,
                                    **{k: f(s, e) for k, f in kwargs_of.items()}) for s, e in parts)
            for (s, e), result in zip(parts, results):
                yield result
                if progress is not None:
                    progress.update(-(-(e - s) // G))

        with self._progress("scoring", src.n_samples, min(n_jobs, max(1, len(rest)))) as progress:
            first = chunk_observables(src.chunk(0, min(G, src.n_samples)), src0.chunk(0, min(G, src.n_samples)),
                                      plan, device)
            progress.first_block()
            parts = itertools.chain([first], run(chunk_observables, src.chunk, src0.chunk, parts=rest,
                                                 progress=progress, start=lambda s, e: s))
            values, counts, packed = merge(parts)
        if "consistent_zero_rows" in plan.groups:
            values.update(self._consistent_zero_rows(src, counts, packed, plan, run))
        self._warn_rank_deficient(values, src.n_samples)
        return values

    def _warn_rank_deficient(self, values, n_samples):
        """One RuntimeWarning per call for the examples of numerical rank < k (excluded from the ratios' means)."""
        parts, everywhere = [], []
        for label, name in (("trained", "n_rank_deficient"), ("initial", "n_rank_deficient_initial")):
            counts = {k: int(np.count_nonzero(values[observable_key(name, k)])) for k in self.minor_sizes_}
            found = [f"k={k}: {n}" for k, n in counts.items() if n]
            everywhere += [f"{label} model k={k}" for k, n in counts.items() if n == n_samples]
            if found:
                parts.append(f"{label} model {', '.join(found)}")
        if not parts:
            return
        groups = set(self._plan.groups)
        undefined = [name for group, name in (("participation_ratio", "participation ratio"),
                                              ("rotation_ratio", "rotation ratio")) if group in groups]
        if self.column_probability == "sum" and "column_entropy" in groups:
            undefined.append("column-sum statistics")
        if not undefined:
            return
        nan = (f" At every example ({', '.join(everywhere)}) nothing is left to average, so those means are "
               "NaN.") if everywhere else ""
        warnings.warn(
            f"{type(self).__name__}: the Jacobian has numerical rank < k at some of the {n_samples} examples "
            f"({'; '.join(parts)}): every size-k minor there is round-off (below "
            f"rank_tolerance(k) * ||J(x)||_F^k, e.g. dead units or all-zero minor matrices), so the "
            f"{' and '.join(undefined)} are undefined (NaN per example) there, and those examples are excluded "
            f"from their means (computed over the remaining examples).{nan} The counts are the "
            "n_rank_deficient_k{k} keys of score.", RuntimeWarning, stacklevel=3)

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
        groups = set(self._plan.groups)
        keys = []
        for k in self.minor_sizes_:
            key = functools.partial(observable_key, k=k)
            for q in self._plan.qs:
                if "zero_rows" in groups:
                    keys.append(key("zero_rows", q=q))
                if "consistent_zero_rows" in groups:
                    keys.append(key("consistent_zero_rows", q=q))
                if k >= 2 and "dependent_zero_rows" in groups:
                    keys.append(key("dependent_zero_rows", q=q))
            if "participation_ratio" in groups:
                keys += [key("pr"), key("pr_initial")]
                if not per_example:
                    keys += [key("pr_max"), key("pr_normalized")]
            if "rotation_ratio" in groups:
                keys += [key("rotation_ratio"), key("rotation_ratio_initial")]
                if not per_example:
                    keys.append(key("rotation_ratio_normalized"))
            if "column_entropy" in groups:
                keys += [key("column_entropy"), key("column_entropy_initial"), key("column_kl")]
            if not per_example:
                keys += [key("n_rank_deficient"), key("n_rank_deficient_initial")]
        return keys

    def _excluded(self, values, key):
        """The examples excluded from the mean of ``key``: those where it is undefined (rank < k), or None."""
        parsed = parse_observable_key(key)
        if parsed.name not in _RATIOS and not (parsed.name in _COLUMN and self.column_probability == "sum"):
            return None
        bad = values[observable_key("n_rank_deficient", parsed.k)]
        bad0 = values[observable_key("n_rank_deficient_initial", parsed.k)]
        return bad | bad0 if parsed.name == "column_kl" else bad0 if parsed.name.endswith("_initial") else bad

    def _scores(self, values):
        """The score dict from the per-example values: means over the valid examples, and the counts."""
        out = {}
        n, m = self.n_features_in_ if self.input_columns_ is None else len(self.input_columns_), self.n_hidden_
        for key in self._ordered_keys(per_example=False):
            if key.startswith("n_rank_deficient"):
                out[key] = int(np.count_nonzero(values[key]))
            elif key in values:
                out[key] = _valid_mean(values[key], self._excluded(values, key))
        groups = set(self._plan.groups)
        for k in self.minor_sizes_:
            key = functools.partial(observable_key, k=k)
            if "participation_ratio" in groups:
                out[key("pr_max")] = float(participation_ratio_max(m, n, k))
                out[key("pr_normalized")] = _ratio(out[key("pr")], out[key("pr_initial")])
            if "rotation_ratio" in groups:
                out[key("rotation_ratio_normalized")] = _ratio(out[key("rotation_ratio")],
                                                               out[key("rotation_ratio_initial")])
        return {key: out[key] for key in self._ordered_keys(per_example=False)}

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
            :ref:`jacobian-minors`; e.g. relu networks with dead units): there the participation
            ratio, the rotation ratio and (with ``column_probability="sum"``) the column statistics
            are undefined, so those examples are **excluded** from their means, which are taken over
            the remaining examples (NaN only when no example is left), with one RuntimeWarning per
            call that gives the counts. With ``observables`` only the keys of the observables asked
            for are returned (and the counts). Build and read keys with
            :func:`~sklearn_ka.observables.observable_key` and
            :func:`~sklearn_ka.observables.parse_observable_key`.
        """
        return self._scores(self._per_example(model, X))

    def result(self, model: Any, X: ArrayLike | None = None) -> KAGeometryResult:
        """The observables of :meth:`score` as a :class:`~sklearn_ka.analysis.KAGeometryResult`.

        One computation gives the score dict (the same numbers as :meth:`score`), the per-example
        values (those of :meth:`transform`, with the rank-deficiency flags) and the number of
        examples excluded from each mean; the result arranges them in a tidy frame, a summary
        with bootstrap intervals over the examples, and a figure. See the user guide:
        :ref:`own-network`.

        Parameters
        ----------
        model : model or array of shape (n_samples, m, n)
            The trained model (same width and input size as the initial one).
        X : array-like or None
            Examples; ``None`` uses the examples given to :meth:`fit`.

        Returns
        -------
        KAGeometryResult
        """
        values = self._per_example(model, X)
        scores = self._scores(values)
        columns = self._ordered_keys(per_example=True) + [
            observable_key(name, k) for k in self.minor_sizes_ for name in ("n_rank_deficient",
                                                                            "n_rank_deficient_initial")]
        index = getattr(self._X_fit if X is None else X, "index", None)
        per_example = pd.DataFrame({key: values[key] for key in columns}, index=index)
        excluded = {key: int(np.count_nonzero(mask)) for key in scores
                    if not key.startswith("n_rank_deficient") and (mask := self._excluded(values, key)) is not None}
        n = self.n_features_in_ if self.input_columns_ is None else len(self.input_columns_)
        run = ModelAnalysis(scores, len(per_example), excluded, per_example=per_example)
        return KAGeometryResult([run], analyzer=type(self).__name__, minor_sizes=self.minor_sizes_,
                                false_positive_rates={key: v for key, v in self.false_positive_rates_.items()
                                                      if key[0] in self.minor_sizes_},
                                info={"m": self.n_hidden_, "n": n})

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
            ``set_output(transform="pandas")`` gives a DataFrame whose index is that of ``X``
            (of the examples given to :meth:`fit` when ``X`` is None) when it is a DataFrame or a
            Series. At the examples whose Jacobian has numerical rank < k the undefined columns
            of size k are NaN (see :meth:`score`), with one RuntimeWarning per call.
        """
        values = self._per_example(model, X)
        out = np.column_stack([values[key] for key in self._ordered_keys(per_example=True)])
        index = getattr(self._X_fit if X is None else X, "index", None)
        if index is not None and _get_output_config("transform", self)["dense"] == "pandas":
            import pandas as pd

            out = pd.DataFrame(out, index=index, columns=self.get_feature_names_out())
        return out

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
