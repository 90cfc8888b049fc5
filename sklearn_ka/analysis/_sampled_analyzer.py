"""SampledKAGeometryAnalyzer: KA-geometry observables estimated from sampled minors.

See the user guide page :doc:`/user_guide/sampled`.  Design, in short:

* For each minor size ``k``, ``G = n_replicates`` independent groups are drawn
  (:class:`~sklearn_ka.exterior.MinorSample`): group ``g`` holds ``n_rows`` uniformly drawn
  row k-subsets ``R_g`` and ``n_cols`` uniformly drawn column k-subsets ``C_g``.  The minors
  on the whole grid (all sampled rows) x (all sampled columns) are computed, the same for
  every example and for the trained and the initial model.  An exhaustive side (``n_rows``
  >= C(m, k)) is one group holding every subset once.
* Every observable is estimated by the plug-in rule on the grid: a sampled row's mean
  averages over the sampled columns; a column's softmax normaliser over all ``C(m, k)``
  rows is ``C(m, k)/R`` times the sum over the sampled rows (the column-sum normaliser
  likewise); the participation ratio uses the sampled ``L1``/``L2`` means scaled to the
  full matrix; the zero-row thresholds are the ``q(k)``-quantiles of the initial model's
  sampled row means, pooled over examples and sampled rows.
* Confidence intervals: delete-one-group jackknife over the ``G`` i.i.d. groups (deleting
  ``R_g`` and ``C_g`` together, and recomputing the thresholds), bias-corrected estimate
  ``G theta - (G-1) mean(theta_(-g))`` and interval ``+- t_{G-1} * se_jack``.  The
  randomness is the sampling of the minors only (the examples are given).
* The maximum minor (the rotation ratio's numerator) is only bounded from below; the rotation
  ratio is estimated for the k-input sub-maps (``_sampled_rotation``), with the same jackknife.
* Dependent zero rows: the faces (size ``k - 1``) of the sampled rows are compared with the
  size-(k-1) threshold on the column sample of size ``k - 1``; deleting a group deletes it from
  both samples.
* Examples without a sampled minor above round-off are excluded from the means of the ratios
  (counted), as in the exact analyzer.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from joblib import Parallel, delayed, effective_n_jobs
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from .._utils import (
    PAPER_PROTOCOL,
    InstanceOf,
    Integers,
    Reals,
    check_device,
    draw_seeds,
    format_bytes,
    observable_key,
    parse_observable_key,
    torch_threads,
    validate_params,
)
from ..exterior import MinorBudgetError, MinorSample
from ..observables import induced_false_positive_rate, participation_ratio_max
from ._memory_plan import check_sampled_plan
from ._parameters import OBSERVABLE_GROUPS, SHARED_CONSTRAINTS, ByteBudget, LayerSpec, observables_constraint
from ._progress import PassProgress
from ._result import KAGeometryResult, ModelAnalysis
from ._sampled_kernels import (
    FaceDesign,
    SampleDesign,
    accumulate,
    block_of,
    estimates,
    jackknife,
    rank_deficient,
    row_partials,
    thresholds,
)
from ._sampled_rotation import block_of as rotation_block_of
from ._sampled_rotation import rotation_subsets, subset_reference, subset_rotation, subset_rotation_estimates
from ._sources import JacobianSource, warn_if_trained_baseline

#: What a warning about a long sampled analysis suggests instead.
_ALTERNATIVES = ("fewer sampled subsets (n_rows, n_cols) or replicates (n_replicates), fewer examples, smaller "
                 "minor_sizes, n_jobs > 1 or a GPU (device), or observables= without 'rotation_ratio' (the "
                 "rotation ratio of the sub-maps computes every row subset)")
_ZERO_ROWS = ("zero_rows", "consistent_zero_rows", "dependent_zero_rows")


def _in_worker(function, *args, **kwargs):
    """Run one range of examples in a worker, with one torch thread (workers parallelise over ranges)."""
    with torch_threads(1):
        return function(*args, **kwargs)

__all__ = ["SampledKAGeometryAnalyzer"]


class SampledKAGeometryAnalyzer(BaseEstimator):
    """KA-geometry observables of a model against its initialisation, from sampled minors.

    For Jacobians too large for :class:`~sklearn_ka.analysis.KAGeometryAnalyzer` (e.g. n = 784
    inputs, m = 256 hidden units: about 1e10 size-2 minors per example). ``fit(model0, X)``
    draws the sample of minors (seeded) and records the zero-row thresholds from the initial
    model; :meth:`estimate` gives every estimate with its confidence interval, :meth:`score`
    the point estimates and :meth:`result` a :class:`~sklearn_ka.analysis.KAGeometryResult`
    (the same type as the exact analyzer's). With ``n_rows`` and ``n_cols`` at least ``C(m, k)``
    and ``C(n, k)`` (or ``None``) the sample is exhaustive and the estimates equal the exact
    observables.

    The observables are those of the study [1]_, defined in the user guide
    (:ref:`observables`); the sampling design and the confidence intervals are described on
    the page :doc:`/user_guide/sampled`. The rotation ratio is estimated for the k-input
    sub-maps (``subset_rotation_ratio_k{k}``: the rotation ratio of ``J(x)[:, K]`` for column
    k-subsets ``K``, exact over every row subset, averaged over one sampled ``K`` per replicate
    group; the rotation ratio itself when ``n = k``), since a sample of minors cannot estimate a
    maximum over all of them.

    Parameters
    ----------
    minor_sizes : int or tuple of int, default=(1, 2, 3)
        Sizes above ``min(m, n)`` are dropped.
    false_positive_rates : float or tuple of float, default=(1e-4, 1e-3, 1e-2)
        The rates ``q1`` of :ref:`obs-zero-rows`, each in (0, 1) (default: those of the
        published protocol).
    n_rows : int or None, default=32
        Row k-subsets per replicate (``None``: all).
    n_cols : int or None, default=32
        Column k-subsets per replicate (``None``: all).
    n_replicates : int, default=8
        Independent groups of sampled rows and columns; the confidence intervals are the
        delete-one-group jackknife over them (``>= 2`` for an interval).
    confidence : float, default=0.95
    column_probability : {"softmax", "sum"}, default="softmax"
    pr_convention : {"l1/l2", "l2/l1"}, default="l1/l2"
    consistent_fraction : float, default=0.99
        In (0, 1]; the default is the published protocol's (:ref:`obs-consistent-zero-rows`).
    max_memory_bytes : int, default=256 MiB
        Working memory of one block of examples (sampled minors and temporaries). A grid of
        sampled minors that does not fit even for one example is refused in ``fit`` at once
        (:class:`~sklearn_ka.exterior.MinorBudgetError`); the sample itself and the partial sums
        kept for every example are checked against the package's memory budget
        (``SKLEARN_KA_MEMORY_BUDGET``, default 4 GiB).
    random_state : int, RandomState instance or None, default=None
        Seeds the sample of minors (the only randomness).
    observables : str, sequence of str or None, default=None
        Compute only these observables (``None``: all), as for
        :class:`~sklearn_ka.KAGeometryAnalyzer`. ``"rotation_ratio"`` gives the sub-map rotation
        ratios and the sampled maximum minors.
    layer : None, int or str, default=None
        Which hidden layer of a larger network ends the inner map (see
        :func:`~sklearn_ka.jacobians.inner_jacobian`).
    device : str or torch.device, default="cpu"
        Where the sampled minors are computed: ``"cpu"``, ``"cuda"`` or ``"cuda:N"``; refused in
        ``fit`` when torch cannot see it.
    n_jobs : int or None, default=None
        Ranges of examples are processed by this many joblib workers (``-1``: all CPUs; at most
        the number of CPUs). Blocks of examples are fixed by the design and the budget, so the
        results do not depend on it.
    verbose : int, default=0
        ``>= 1``: a progress bar (tqdm) and the time estimate of each pass. Whatever
        ``verbose``, a pass estimated (from its timed first block) to take more than a minute
        says so in a :class:`UserWarning` before the rest runs, naming the cheaper alternatives.

    Attributes
    ----------
    minor_sizes_ : tuple of int
    samples_ : dict
        ``{k: MinorSample}`` (also the size ``k - 1`` of the dependent zero rows).
    thresholds_ : dict
        ``{(k, q1): Q^(k)}`` from the initial model's sampled row means (all groups).
    false_positive_rates_ : dict
        ``{(k, q1): q(k)}``.
    observables_ : tuple of str
    n_hidden_, n_features_in_, n_samples_fit_ : int

    References
    ----------
    .. [1] M. Freedman and M. Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in
       Shallow MLPs", arXiv:2509.12326, 2025. https://arxiv.org/abs/2509.12326
    """

    _parameter_constraints: dict = {
        **SHARED_CONSTRAINTS,
        "n_rows": [Integers(1), None],
        "n_cols": [Integers(1), None],
        "n_replicates": [Integers(1)],
        "confidence": [Reals(0, 1, low_open=True, high_open=True)],
        "max_memory_bytes": [ByteBudget()],
        "random_state": [None, Integers(0, 2**32 - 1), np.random.RandomState],
        "observables": observables_constraint("SampledKAGeometryAnalyzer"),
        "layer": [LayerSpec()],
        "device": [InstanceOf((str, torch.device), "a device name (str) or a torch.device")],
        "n_jobs": [Integers(1), Integers(None, -1), None],
        "verbose": [Integers(0)],
    }

    def __init__(
        self,
        minor_sizes: int | Sequence[int] = (1, 2, 3),
        false_positive_rates: float | Sequence[float] = PAPER_PROTOCOL.false_positive_rates,
        n_rows: int | None = 32,
        n_cols: int | None = 32,
        n_replicates: int = 8,
        confidence: float = 0.95,
        column_probability: str = "softmax",
        pr_convention: str = "l1/l2",
        consistent_fraction: float = PAPER_PROTOCOL.consistent_fraction,
        max_memory_bytes: int = 256 << 20,
        random_state: int | np.random.RandomState | None = None,
        observables: str | Sequence[str] | None = None,
        layer: int | str | None = None,
        device: str | torch.device = "cpu",
        n_jobs: int | None = None,
        verbose: int = 0,
    ) -> None:
        self.minor_sizes = minor_sizes
        self.false_positive_rates = false_positive_rates
        self.n_rows = n_rows
        self.n_cols = n_cols
        self.n_replicates = n_replicates
        self.confidence = confidence
        self.column_probability = column_probability
        self.pr_convention = pr_convention
        self.consistent_fraction = consistent_fraction
        self.max_memory_bytes = max_memory_bytes
        self.random_state = random_state
        self.observables = observables
        self.layer = layer
        self.device = device
        self.n_jobs = n_jobs
        self.verbose = verbose

    # ------------------------------------------------------------------ fitting
    def _check_params(self):
        owner = type(self).__name__
        params = validate_params(self.get_params(deep=False), self._parameter_constraints, owner=owner)
        params["device"] = torch.device(check_device(params["device"], owner=owner))
        params["observables"] = params["observables"] or tuple(OBSERVABLE_GROUPS)
        return params

    def _draw_samples(self, params, m, n, ks, n_samples, factored):
        """The sample of every size (``ks``, then the faces' sizes), each from its own seed; checked first."""
        groups = params["observables"]
        extra = sorted({k - 1 for k in ks if k >= 2} - set(ks)) if "dependent_zero_rows" in groups else []
        seeds = draw_seeds(params["random_state"], len(ks) + len(extra))  # ks first: their seeds never move
        self.samples_ = {k: MinorSample(m, n, k, self.n_rows, self.n_cols, self.n_replicates, random_state=seed)
                         for k, seed in zip(list(ks) + extra, seeds)}
        for k, sample in self.samples_.items():  # refuses at once, before any minor is computed, what cannot fit
            design = SampleDesign.of(sample)
            check_sampled_plan(n_samples, m, n, k, len(design.rows), len(design.cols), design.Gr, design.Gc,
                               factored, params["max_memory_bytes"], type(self).__name__)
        if "rotation_ratio" in groups:
            per_example = 4 * 8 * max(math.comb(m, k) for k in ks)
            if per_example > params["max_memory_bytes"]:
                raise MinorBudgetError(
                    f"{type(self).__name__}: the rotation ratio of the sub-maps needs every size-{max(ks)} row "
                    f"subset of one {m}-row Jacobian, about {format_bytes(per_example)} of working memory, over "
                    f"the budget of {format_bytes(params['max_memory_bytes'])} (max_memory_bytes). Alternatives: "
                    "observables= without 'rotation_ratio', smaller minor_sizes, or a larger max_memory_bytes.")
        return tuple(sorted(self.samples_))

    def fit(self, model0: Any, X: ArrayLike | None = None, y: Any = None) -> SampledKAGeometryAnalyzer:
        """Draw the sample of minors and record the zero-row thresholds of the initial model.

        Parameters
        ----------
        model0 : model, array (n_samples, m, n), or tuple (D, W)
            The initial model, its precomputed Jacobians, or factors with
            ``J[b] = diag(D[b]) @ W``.
        X : array-like or None
            Examples; ``None`` only with precomputed Jacobians or factors.
        y : ignored

        Returns
        -------
        self

        Warns
        -----
        UserWarning
            When ``model0`` is a trained model rather than an initial one (one of our estimators
            whose weights differ from its own initial weights, or a scikit-learn MLP whose
            weights differ from its initialisation redrawn from its integer ``random_state``):
            the observables would compare a model with a trained one. Pass the initial model.
        """
        params = self._check_params()
        warn_if_trained_baseline(model0, type(self).__name__)
        src0 = JacobianSource(model0, X, layer=params["layer"])
        m, n = src0.m, src0.n
        ks = tuple(sorted({k for k in params["minor_sizes"] if k <= min(m, n)}))
        if not ks:
            raise ValueError(f"minor_sizes {self.minor_sizes!r}: every size exceeds min(n, m) = {min(m, n)}")
        qs, groups = params["false_positive_rates"], params["observables"]
        sizes = self._draw_samples(params, m, n, ks, src0.n_samples, src0.J is None)
        self.minor_sizes_, self._qs, self.observables_ = ks, qs, groups
        self.n_hidden_, self.n_features_in_, self.n_samples_fit_ = m, n, src0.n_samples
        self.false_positive_rates_ = {(k, q): float(induced_false_positive_rate(q, m, k)) for k in sizes for q in qs}
        self.thresholds_, self._fit_partials = {}, {}
        if set(_ZERO_ROWS) & set(groups):
            with torch.no_grad():
                for k in sizes:
                    design = SampleDesign.of(self.samples_[k])
                    self._fit_partials[k] = RS0 = row_partials(src0, design, self.max_memory_bytes, params["device"])
                    levels = thresholds(RS0, design, np.arange(design.Gr), np.arange(design.Gc), self._ranks(k))
                    for i, q in enumerate(qs):
                        self.thresholds_[k, q] = float(levels[i])
        self._references = {k: subset_reference(m, k) for k in ks} if "rotation_ratio" in groups else {}
        self._model0, self._X_fit, self._source0 = model0, X, src0
        return self

    def _ranks(self, k):
        """The quantile ranks ``q(k)`` of the zero-row thresholds of size ``k``, one per rate."""
        return [self.false_positive_rates_[k, q] for q in self._qs]

    def _sources(self, model, X):
        check_is_fitted(self, "thresholds_")
        if X is None:
            X = self._X_fit
            src0 = self._source0
        else:
            src0 = JacobianSource(self._model0, X, layer=self.layer)
        src = JacobianSource(model, X, layer=self.layer)
        if (src.m, src.n) != (self.n_hidden_, self.n_features_in_):
            raise ValueError(f"the model's Jacobians are {src.m}x{src.n}, the analyzer was fitted on "
                             f"{self.n_hidden_}x{self.n_features_in_}")
        if src.n_samples != src0.n_samples:
            raise ValueError(f"the model has {src.n_samples} examples and the initial model {src0.n_samples}: "
                             "they must be compared on the same examples")
        return src, src0

    # ------------------------------------------------------------------ passes over the examples
    def _n_workers(self):
        return 1 if self.n_jobs is None else min(effective_n_jobs(self.n_jobs), os.cpu_count() or 1)

    def _pass(self, function, src, src0, args, kwargs, blk, what):
        """``function(src, src0, *args, start=, stop=, progress=, **kwargs)`` over every example, timed.

        The first block runs alone and is timed (a long pass is announced); the other blocks run
        in one range per worker, each starting on a block boundary, so the numbers do not depend
        on ``n_jobs``. Returns the dict of arrays, concatenated over the examples.
        """
        n, workers = src.n_samples, self._n_workers()
        n_blocks = -(-n // blk)
        with PassProgress(type(self).__name__, f"{what} ({n} examples)", n_blocks, min(workers, max(1, n_blocks - 1)),
                          self.verbose, _ALTERNATIVES) as progress:
            parts = [function(src, src0, *args, start=0, stop=min(blk, n), **kwargs)]
            progress.first_block()
            per = blk * max(1, -(-(n_blocks - 1) // workers))
            ranges = [(s, min(s + per, n)) for s in range(blk, n, per)]
            if workers > 1 and len(ranges) > 1:
                results = Parallel(n_jobs=workers, return_as="generator")(
                    delayed(_in_worker)(function, src.subset(s, e), src0.subset(s, e), *args, **kwargs)
                    for s, e in ranges)
                for (s, e), part in zip(ranges, results):
                    parts.append(part)
                    progress.update(-(-(e - s) // blk))
            elif ranges:
                parts.append(function(src, src0, *args, start=blk, stop=n, progress=progress, **kwargs))
        return {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}

    def _accumulate(self, src, src0, design, face, device):
        factored = src.J is None and src0.J is None
        return self._pass(accumulate, src, src0, (design, self.column_probability == "softmax", self.max_memory_bytes),
                          {"faces": face, "device": device}, block_of(design, factored, self.max_memory_bytes),
                          f"estimating the size-{design.k} observables")

    def _rotation(self, src, src0, k, design, device):
        subset_groups, subsets = rotation_subsets(design)
        parts = self._pass(subset_rotation, src, src0, (subsets, self._references[k], self.max_memory_bytes),
                           {"device": device}, rotation_block_of(src.m, k, self.max_memory_bytes),
                           f"the size-{k} rotation ratio of {len(subsets)} sub-maps")
        return parts, subset_groups

    # ------------------------------------------------------------------ estimating
    def _replicates(self, k, design, face, a, rotation):
        """The estimates on all groups, then without each group (the jackknife's replicates)."""
        groups = self.observables_
        G = max(design.n_groups, 1 if face is None else face.design.n_groups)
        reps = []
        for g in [None] + (list(range(G)) if G > 1 else []):
            keep_r, keep_c = design.keep(g)
            thr = None
            if self.thresholds_:
                thr = [self.thresholds_[k, q] for q in self._qs] if g is None else \
                    thresholds(self._fit_partials[k], design, keep_r, keep_c, self._ranks(k))
            face_arg = None
            if face is not None:
                below = face.design
                face_r, face_c = below.keep(g)
                face_thr = [self.thresholds_[k - 1, q] for q in self._qs] if g is None else \
                    thresholds(self._fit_partials[k - 1], below, face_r, face_c, self._ranks(k - 1))
                face_arg = (below, face_c, face_thr)
            rep = estimates(a, design, keep_r, keep_c, thr, self._qs, consistent_fraction=self.consistent_fraction,
                            pr_convention=self.pr_convention, column_probability=self.column_probability,
                            groups=groups, face=face_arg)
            if rotation is not None:
                rep.update(subset_rotation_estimates(rotation[0], rotation[1], keep_c, k))
            reps.append(rep)
        return reps, G

    def _exact_keys(self, k, design, face, reps):
        """The keys of size ``k`` computed on every minor they need (kind ``"exact"``)."""
        S = design.sample
        exact = set()
        for key in reps[0]:
            name = parse_observable_key(key).name
            if name == "dependent_zero_rows":
                if S.exhaustive and face is not None and face.design.sample.exhaustive:
                    exact.add(key)
            elif name.startswith("subset_rotation_ratio"):
                if S.cols_exhaustive:
                    exact.add(key)
            elif S.exhaustive:
                exact.add(key)
        return exact

    def _estimate(self, model, X):
        """``(estimates, excluded, n_samples)``: :meth:`estimate`'s dict and the examples excluded from each mean."""
        src, src0 = self._sources(model, X)
        device = torch.device(self.device)
        groups = self.observables_
        out, excluded = {}, {}
        with torch.no_grad():
            for k in self.minor_sizes_:
                design = SampleDesign.of(self.samples_[k])
                face = FaceDesign.of(design, SampleDesign.of(self.samples_[k - 1])) \
                    if k >= 2 and "dependent_zero_rows" in groups else None
                a = self._accumulate(src, src0, design, face, device)
                rank_deficient(a, src, src0, k)
                rotation = self._rotation(src, src0, k, design, device) if "rotation_ratio" in groups else None
                reps, G = self._replicates(k, design, face, a, rotation)
                out.update(jackknife(reps, G, self.confidence, self._exact_keys(k, design, face, reps)))
                out.update(self._exact_entries(a, design))
                excluded.update(self._excluded(a, rotation, k))
        self._warn_rank_deficient(out, src.n_samples)
        return out, excluded, src.n_samples

    def _excluded(self, a, rotation, k):
        """Examples (pairs for the sub-map rotation ratio) excluded from each mean of size ``k``."""
        bad, bad0 = a["BAD"], a["BAD0"]
        out = {observable_key("pr", k): bad, observable_key("pr_initial", k): bad0}
        if self.column_probability == "sum":
            out.update({observable_key("column_entropy", k): bad, observable_key("column_entropy_initial", k): bad0,
                        observable_key("column_kl", k): bad | bad0})
        if rotation is not None:
            out.update({observable_key("subset_rotation_ratio", k): rotation[0]["BAD"],
                        observable_key("subset_rotation_ratio_initial", k): rotation[0]["BAD0"]})
        return {key: int(np.count_nonzero(mask)) for key, mask in out.items()}

    def estimate(self, model: Any, X: ArrayLike | None = None) -> dict[str, dict[str, Any]]:
        """Estimates with confidence intervals.

        Parameters
        ----------
        model : model, array (n_samples, m, n), or tuple (D, W)
            The trained model (same width and input size as the initial one).
        X : array-like or None
            Examples; ``None`` uses the examples given to :meth:`fit`.

        Returns
        -------
        dict of str to dict
            For each observable name (the names of :meth:`KAGeometryAnalyzer.score
            <sklearn_ka.analysis.KAGeometryAnalyzer.score>` where estimated, plus
            ``zero_rows_initial_*``, ``subset_rotation_ratio[_initial,_normalized]_k{k}`` and
            ``max_minor_lower_bound[_initial]_k{k}``): ``{"estimate", "low", "high", "stderr",
            "plugin", "kind"}``. ``kind`` is ``"exact"`` (every minor the estimate needs was
            computed), ``"estimate"`` (jackknife-bias-corrected estimate and delete-one-group
            jackknife t-interval; ``plugin`` is the uncorrected plug-in value; NaN bounds with one
            group) or ``"lower_bound"`` (the mean over examples of the largest sampled minor, a
            lower bound of the mean of ``M^(k)(x)``: ``low`` = ``estimate``, ``high`` = inf).
            ``n_rank_deficient[_initial]_k{k}`` count the examples none of whose sampled size-k
            minors of the trained (initial) model is above round-off (the rule of
            :func:`~sklearn_ka.observables.numerical_rank_deficient` on the largest sampled
            minor): there the participation ratio (and, with ``column_probability="sum"``, the
            column statistics) is undefined, so those examples are excluded from its mean, with
            one RuntimeWarning per call. Every example of numerical rank < k is counted;
            ``kind`` is ``"exact"`` for an exhaustive sample, else ``"upper_bound"`` (``low`` = 0,
            ``high`` = ``estimate``: a partial sample may also miss every non-zero minor of an
            example). With ``observables`` only the observables asked for are estimated.
        """
        return self._estimate(model, X)[0]

    def _warn_rank_deficient(self, out, n_samples):
        """One RuntimeWarning per call for the examples without a sampled minor above round-off."""
        parts = []
        for label, name in (("trained", "n_rank_deficient"), ("initial", "n_rank_deficient_initial")):
            found = [f"k={k}: {n}" for k in self.minor_sizes_ if (n := out[observable_key(name, k)]["estimate"])]
            if found:
                parts.append(f"{label} model {', '.join(found)}")
        groups = self.observables_
        undefined = [text for group, text in (("participation_ratio", "participation ratio"),
                                              ("column_entropy", "column-sum statistics")) if group in groups
                     and (group != "column_entropy" or self.column_probability == "sum")]
        if parts and undefined:
            warnings.warn(
                f"{type(self).__name__}: at some of the {n_samples} examples ({'; '.join(parts)}) no sampled size-k "
                "minor is above round-off (rank_tolerance(k) * ||J(x)||_F^k): the Jacobian has numerical rank < k "
                f"there (e.g. dead units), or the sample missed its non-zero minors. The {' and '.join(undefined)} "
                "are undefined there, so those examples are excluded from their means (computed over the remaining "
                "examples; NaN when none is left). The counts are the n_rank_deficient_k{k} entries.",
                RuntimeWarning, stacklevel=3)

    def _exact_entries(self, a, design):
        """The sampled maximum minors (lower bounds unless exhaustive), ``PR_max`` and the counts."""
        k, exhaustive = design.k, design.sample.exhaustive
        groups = self.observables_
        out = {}
        if "rotation_ratio" in groups:
            for name, tag in (("max_minor_lower_bound", ""), ("max_minor_lower_bound_initial", "0")):
                v = float(a["MX" + tag].mean())
                out[observable_key(name, k)] = dict(
                    estimate=v, plugin=v, low=v, high=v if exhaustive else float("inf"), stderr=0.0,
                    kind="exact" if exhaustive else "lower_bound")
        if "participation_ratio" in groups:
            pm = float(participation_ratio_max(self.n_hidden_, self.n_features_in_, k))
            out[observable_key("pr_max", k)] = dict(estimate=pm, plugin=pm, low=pm, high=pm, stderr=0.0,
                                                    kind="exact")
        for name, tag in (("n_rank_deficient", ""), ("n_rank_deficient_initial", "0")):
            n = int(np.count_nonzero(a["BAD" + tag]))
            out[observable_key(name, k)] = dict(estimate=n, plugin=n, low=n if exhaustive else 0, high=n, stderr=0.0,
                                                kind="exact" if exhaustive else "upper_bound")
        return out

    def score(self, model: Any, X: ArrayLike | None = None) -> dict[str, float]:
        """Point estimates: ``{name: estimate}`` (see :meth:`estimate`).

        Parameters
        ----------
        model : model, array (n_samples, m, n), or tuple (D, W)
            The trained model.
        X : array-like or None
            Examples; ``None`` uses the examples given to :meth:`fit`.

        Returns
        -------
        dict of str to float
        """
        return {key: v["estimate"] for key, v in self.estimate(model, X).items()}

    def result(self, model: Any, X: ArrayLike | None = None) -> KAGeometryResult:
        """The estimates as a :class:`~sklearn_ka.analysis.KAGeometryResult`, with their intervals.

        The same type as :meth:`KAGeometryAnalyzer.result
        <sklearn_ka.analysis.KAGeometryAnalyzer.result>`: its frame carries the jackknife
        intervals, its summary states which normalised values are significantly away from 1.
        See the user guide: :ref:`own-network`.

        Parameters
        ----------
        model : model, array (n_samples, m, n), or tuple (D, W)
            The trained model.
        X : array-like or None
            Examples; ``None`` uses the examples given to :meth:`fit`.

        Returns
        -------
        KAGeometryResult
        """
        est, excluded, n_examples = self._estimate(model, X)
        run = ModelAnalysis({key: v["estimate"] for key, v in est.items()}, n_examples, excluded, intervals=est)
        return KAGeometryResult([run], analyzer=type(self).__name__, minor_sizes=self.minor_sizes_,
                                false_positive_rates={key: v for key, v in self.false_positive_rates_.items()
                                                      if key[0] in self.minor_sizes_},
                                info={"m": self.n_hidden_, "n": self.n_features_in_})
