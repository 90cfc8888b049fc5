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
* The maximum minor (the rotation ratio's numerator) is only bounded from below.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from .._utils import PAPER_PROTOCOL, Integers, Reals, draw_seeds, observable_key, validate_params
from ..exterior import MinorSample
from ..observables import induced_false_positive_rate, participation_ratio_max
from ._memory_plan import check_sampled_plan
from ._parameters import SHARED_CONSTRAINTS, ByteBudget
from ._sampled_kernels import (
    SampleDesign,
    accumulate,
    estimates,
    jackknife,
    rank_deficient,
    row_partials,
    thresholds,
)
from ._sources import JacobianSource, warn_if_trained_baseline

__all__ = ["SampledKAGeometryAnalyzer"]


class SampledKAGeometryAnalyzer(BaseEstimator):
    """KA-geometry observables of a model against its initialisation, from sampled minors.

    For Jacobians too large for :class:`~sklearn_ka.analysis.KAGeometryAnalyzer` (e.g. n = 784
    inputs, m = 256 hidden units: about 1e10 size-2 minors per example). ``fit(model0, X)``
    draws the sample of minors (seeded) and records the zero-row thresholds from the initial
    model; :meth:`estimate` gives every estimate with its confidence interval, :meth:`score`
    the point estimates. With ``n_rows`` and ``n_cols`` at least ``C(m, k)`` and ``C(n, k)``
    (or ``None``) the sample is exhaustive and the estimates equal the exact observables.

    The observables are those of the study [1]_, defined in the user guide
    (:ref:`observables`); the sampling design and the confidence intervals are described on
    the page :doc:`/user_guide/sampled`.

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

    Attributes
    ----------
    minor_sizes_ : tuple of int
    samples_ : dict
        ``{k: MinorSample}``.
    thresholds_ : dict
        ``{(k, q1): Q^(k)}`` from the initial model's sampled row means (all groups).
    false_positive_rates_ : dict
        ``{(k, q1): q(k)}``.
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

    # ------------------------------------------------------------------ fitting
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
            When ``model0`` is one of our estimators whose weights differ from its own initial
            weights (a trained model, or a snapshot): the observables would compare a model with
            a trained one. Pass ``model.initial_model()``.
        """
        params = validate_params(self.get_params(deep=False), self._parameter_constraints,
                                 owner=type(self).__name__)
        warn_if_trained_baseline(model0, type(self).__name__)
        src0 = JacobianSource(model0, X)
        m, n = src0.m, src0.n
        ks = tuple(sorted({k for k in params["minor_sizes"] if k <= min(m, n)}))
        if not ks:
            raise ValueError(f"minor_sizes {self.minor_sizes!r}: every size exceeds min(n, m) = {min(m, n)}")
        qs = params["false_positive_rates"]
        seeds = draw_seeds(params["random_state"], len(ks))
        self.samples_ = {k: MinorSample(m, n, k, self.n_rows, self.n_cols, self.n_replicates, random_state=seed)
                         for k, seed in zip(ks, seeds)}
        for k in ks:  # refuses at once, before any minor is computed, what cannot fit
            design = SampleDesign.of(self.samples_[k])
            check_sampled_plan(src0.n_samples, m, n, k, len(design.rows), len(design.cols), design.Gr, design.Gc,
                               src0.J is None, params["max_memory_bytes"], type(self).__name__)
        self.minor_sizes_, self._qs = ks, qs
        self.n_hidden_, self.n_features_in_, self.n_samples_fit_ = m, n, src0.n_samples
        self.false_positive_rates_ = {(k, q): float(induced_false_positive_rate(q, m, k)) for k in ks for q in qs}
        self.thresholds_, self._fit_partials = {}, {}
        with torch.no_grad():
            for k in ks:
                design = SampleDesign.of(self.samples_[k])
                self._fit_partials[k] = RS0 = row_partials(src0, design, self.max_memory_bytes)
                levels = thresholds(RS0, design, np.arange(design.Gr), np.arange(design.Gc), self._ranks(k))
                for i, q in enumerate(qs):
                    self.thresholds_[k, q] = float(levels[i])
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
            src0 = JacobianSource(self._model0, X)
        src = JacobianSource(model, X)
        if (src.m, src.n) != (self.n_hidden_, self.n_features_in_):
            raise ValueError(f"the model's Jacobians are {src.m}x{src.n}, the analyzer was fitted on "
                             f"{self.n_hidden_}x{self.n_features_in_}")
        if src.n_samples != src0.n_samples:
            raise ValueError(f"the model has {src.n_samples} examples and the initial model {src0.n_samples}: "
                             "they must be compared on the same examples")
        return src, src0

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
            ``zero_rows_initial_*`` and ``max_minor_lower_bound[_initial]_k{k}``): ``{"estimate",
            "low", "high", "stderr", "plugin", "kind"}``. ``kind`` is ``"exact"`` (exhaustive sample),
            ``"estimate"`` (jackknife-bias-corrected estimate and delete-one-group jackknife
            t-interval; ``plugin`` is the uncorrected plug-in value; NaN bounds with one group) or
            ``"lower_bound"`` (the mean over examples of the largest sampled minor, a lower
            bound of the mean of ``M^(k)(x)``: ``low`` = ``estimate``, ``high`` = inf).
            ``n_rank_deficient[_initial]_k{k}`` count the examples none of whose sampled size-k
            minors of the trained (initial) model is above round-off (the rule of
            :func:`~sklearn_ka.observables.numerical_rank_deficient` on the largest sampled
            minor): there the participation ratio (and, with ``column_probability="sum"``, the
            column statistics) is NaN, with one RuntimeWarning per call. Every example of
            numerical rank < k is counted; ``kind`` is ``"exact"`` for an exhaustive sample,
            else ``"upper_bound"`` (``low`` = 0, ``high`` = ``estimate``: a partial sample may
            also miss every non-zero minor of an example).
        """
        src, src0 = self._sources(model, X)
        out = {}
        with torch.no_grad():
            for k in self.minor_sizes_:
                design = SampleDesign.of(self.samples_[k])
                a = accumulate(src, src0, design, self.column_probability == "softmax", self.max_memory_bytes)
                rank_deficient(a, src, src0, k)
                reps = []
                for i, (keep_r, keep_c) in enumerate(design.keeps()):
                    thr = [self.thresholds_[k, q] for q in self._qs] if i == 0 else \
                        thresholds(self._fit_partials[k], design, keep_r, keep_c, self._ranks(k))
                    reps.append(estimates(a, design, keep_r, keep_c, thr, self._qs,
                                          consistent_fraction=self.consistent_fraction,
                                          pr_convention=self.pr_convention,
                                          column_probability=self.column_probability))
                out.update(jackknife(reps, design, self.confidence))
                out.update(self._exact_entries(a, design))
        self._warn_rank_deficient(out, src.n_samples)
        return out

    def _warn_rank_deficient(self, out, n_samples):
        """One RuntimeWarning per call for the examples without a sampled minor above round-off."""
        parts = []
        for label, name in (("trained", "n_rank_deficient"), ("initial", "n_rank_deficient_initial")):
            found = [f"k={k}: {n}" for k in self.minor_sizes_ if (n := out[observable_key(name, k)]["estimate"])]
            if found:
                parts.append(f"{label} model {', '.join(found)}")
        if parts:
            undefined = "participation ratio and the column-sum statistics are" if self.column_probability == "sum" \
                else "participation ratio is"
            warnings.warn(
                f"{type(self).__name__}: at some of the {n_samples} examples ({'; '.join(parts)}) no sampled size-k "
                "minor is above round-off (rank_tolerance(k) * ||J(x)||_F^k): the Jacobian has numerical rank < k "
                f"there, or the sample missed its non-zero minors. The {undefined} undefined and NaN at those "
                "examples, and so are their means. The counts are the n_rank_deficient_k{k} entries.",
                RuntimeWarning, stacklevel=3)

    def _exact_entries(self, a, design):
        """The sampled maximum minors (lower bounds unless exhaustive) and ``PR_max``."""
        k, exhaustive = design.k, design.sample.exhaustive
        out = {}
        for name, tag in (("max_minor_lower_bound", ""), ("max_minor_lower_bound_initial", "0")):
            v = float(a["MX" + tag].mean())
            out[observable_key(name, k)] = dict(
                estimate=v, plugin=v, low=v, high=v if exhaustive else float("inf"), stderr=0.0,
                kind="exact" if exhaustive else "lower_bound")
        pm = float(participation_ratio_max(self.n_hidden_, self.n_features_in_, k))
        out[observable_key("pr_max", k)] = dict(estimate=pm, plugin=pm, low=pm, high=pm, stderr=0.0, kind="exact")
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
