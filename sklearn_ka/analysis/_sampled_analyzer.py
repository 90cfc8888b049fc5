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

import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from numpy.typing import ArrayLike
from scipy import stats
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from ..exterior import MinorSample, sampled_factored_minor_matrices, sampled_minor_matrices
from ..jacobians import inner_factors, inner_jacobian
from ..observables import induced_false_positive_rate, participation_ratio_max

__all__ = ["SampledKAGeometryAnalyzer"]

_COLUMN_METHODS = ("softmax", "sum")
_PR_CONVENTIONS = ("l1/l2", "l2/l1")


class _SampledSource:
    """Jacobians of one model on X: factored ``(D, W)`` when possible, else full ``J``."""

    def __init__(self, model, X):
        if isinstance(model, tuple) and len(model) == 2:
            D, W = model
            self.D = torch.as_tensor(np.asarray(D, dtype=np.float64))
            self.W = torch.as_tensor(np.asarray(W, dtype=np.float64))
            if self.D.ndim != 2 or self.W.ndim != 2 or self.D.shape[1] != self.W.shape[0]:
                raise ValueError("factors (D, W) must have shapes (n_samples, m) and (m, n)")
            self.J = None
        else:
            factors = None if isinstance(model, (np.ndarray, torch.Tensor)) else inner_factors(model, X)
            if factors is not None:
                self.D, self.W = (torch.as_tensor(np.asarray(t, dtype=np.float64)) for t in factors)
                self.J = None
            else:
                J = np.asarray(inner_jacobian(model, X) if not isinstance(model, (np.ndarray, torch.Tensor))
                               else (model.detach().cpu().numpy() if isinstance(model, torch.Tensor) else model),
                               dtype=np.float64)
                if J.ndim != 3:
                    raise ValueError(f"a precomputed Jacobian must have shape (n_samples, m, n), got {J.shape}")
                self.J = torch.as_tensor(J)
                self.D = self.W = None
        if self.J is not None:
            self.n_samples, self.m, self.n = self.J.shape
        else:
            (self.n_samples, self.m), self.n = self.D.shape, self.W.shape[1]
        t = self.J if self.J is not None else torch.cat([self.D.ravel(), self.W.ravel()])
        if not bool(torch.isfinite(t).all()):
            raise ValueError("the Jacobians contain NaN or infinite values")

    def factors(self, rows, cols):
        """Factored form ``(DI, WIK)`` of the sampled minors, or ``None``."""
        if self.J is None:
            return sampled_factored_minor_matrices(self.D, self.W, rows, cols)
        return None

    def minors(self, start, stop, rows, cols, factors):
        if factors is not None:
            DI, WIK = factors
            return DI[start:stop, :, None] * WIK[None]
        return sampled_minor_matrices(self.J[start:stop], rows, cols)


def _block_size(R, C, k, factored, max_bytes):
    per_example = 8 * R * C * (6 if factored else 6 + 2 * k * k)
    return max(1, int(max_bytes // per_example))


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
    minor_sizes : tuple of int, default=(1, 2, 3)
        Sizes above ``min(m, n)`` are dropped.
    false_positive_rates : tuple of float, default=(1e-4, 1e-3, 1e-2)
        The rates ``q1`` of :ref:`obs-zero-rows`.
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
    max_memory_bytes : int, default=256 MiB
        Working memory of one block of examples (sampled minors and temporaries).
    random_state : int, RandomState or None
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

    def __init__(
        self,
        minor_sizes: int | Sequence[int] = (1, 2, 3),
        false_positive_rates: float | Sequence[float] = (1e-4, 1e-3, 1e-2),
        n_rows: int | None = 32,
        n_cols: int | None = 32,
        n_replicates: int = 8,
        confidence: float = 0.95,
        column_probability: str = "softmax",
        pr_convention: str = "l1/l2",
        consistent_fraction: float = 0.99,
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

    # ------------------------------------------------------------------ validation
    def _validate(self, m, n):
        sizes = (self.minor_sizes,) if isinstance(self.minor_sizes, numbers.Integral) else tuple(self.minor_sizes)
        if not sizes or any(isinstance(k, bool) or not isinstance(k, numbers.Integral) or k < 1 for k in sizes):
            raise ValueError(f"minor_sizes must be positive integers, got {self.minor_sizes!r}")
        ks = tuple(sorted({int(k) for k in sizes if k <= min(m, n)}))
        if not ks:
            raise ValueError(f"minor_sizes {self.minor_sizes!r}: every size exceeds min(n, m) = {min(m, n)}")
        qs = (self.false_positive_rates,) if isinstance(self.false_positive_rates, numbers.Real) else tuple(
            self.false_positive_rates)
        qs = tuple(float(q) for q in qs)
        if not qs or any(not 0 < q < 1 for q in qs):
            raise ValueError(f"false_positive_rates must be rates in (0, 1), got {self.false_positive_rates!r}")
        for name, v in (("n_rows", self.n_rows), ("n_cols", self.n_cols)):
            if v is not None and (isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 1):
                raise ValueError(f"{name} must be a positive integer or None, got {v!r}")
        if isinstance(self.n_replicates, bool) or not isinstance(self.n_replicates, numbers.Integral) \
                or self.n_replicates < 1:
            raise ValueError(f"n_replicates must be a positive integer, got {self.n_replicates!r}")
        if not (isinstance(self.confidence, numbers.Real) and 0 < self.confidence < 1):
            raise ValueError(f"confidence must be in (0, 1), got {self.confidence!r}")
        if self.column_probability not in _COLUMN_METHODS:
            raise ValueError(f"column_probability must be one of {_COLUMN_METHODS}, got {self.column_probability!r}")
        if self.pr_convention not in _PR_CONVENTIONS:
            raise ValueError(f"pr_convention must be one of {_PR_CONVENTIONS}, got {self.pr_convention!r}")
        if not (isinstance(self.consistent_fraction, numbers.Real) and 0 < self.consistent_fraction <= 1):
            raise ValueError(f"consistent_fraction must be in (0, 1], got {self.consistent_fraction!r}")
        if not (isinstance(self.max_memory_bytes, numbers.Real) and self.max_memory_bytes > 0):
            raise ValueError(f"max_memory_bytes must be > 0, got {self.max_memory_bytes!r}")
        return ks, qs

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
        """
        src0 = _SampledSource(model0, X)
        ks, qs = self._validate(src0.m, src0.n)
        rs = np.random.RandomState(self.random_state) if isinstance(self.random_state, (numbers.Integral, type(None))) \
            else self.random_state
        self.samples_ = {k: MinorSample(src0.m, src0.n, k, self.n_rows, self.n_cols, self.n_replicates,
                                        random_state=rs.randint(0, 2**31 - 1)) for k in ks}
        self.minor_sizes_, self._qs = ks, qs
        self.n_hidden_, self.n_features_in_, self.n_samples_fit_ = src0.m, src0.n, src0.n_samples
        self.false_positive_rates_ = {(k, q): float(induced_false_positive_rate(q, src0.m, k)) for k in ks for q in qs}
        thresholds, self._fit_partials = {}, {}
        with torch.no_grad():
            for k in ks:
                RS0 = self._row_partials(src0, k)
                self._fit_partials[k] = RS0
                S, rows, cols, Gr, Gc = self._design(k)
                levels = self._thresholds(RS0, k, np.arange(Gr), np.arange(Gc), Gr)
                for i, q in enumerate(qs):
                    thresholds[k, q] = float(levels[i])
        self.thresholds_ = thresholds
        self._model0, self._X_fit, self._source0 = model0, X, src0
        return self

    def _design(self, k):
        """Pooled rows/cols of the sample of size k, and the group structure.

        An exhaustive side has one group holding every subset once (deleting a group never
        removes it); a sampled side has ``n_replicates`` groups of equal size.
        """
        S = self.samples_[k]
        rows = S.rows[0] if S.rows_exhaustive else np.concatenate(S.rows)
        cols = S.cols[0] if S.cols_exhaustive else np.concatenate(S.cols)
        Gr = 1 if S.rows_exhaustive else S.n_replicates
        Gc = 1 if S.cols_exhaustive else S.n_replicates
        return S, rows, cols, Gr, Gc

    def _row_partials(self, src, k):
        """Row sums of the minors per column group: (B, R_total, Gc) numpy."""
        S, rows, cols, Gr, Gc = self._design(k)
        fac = src.factors(rows, cols)
        if fac is not None:
            DI, WIK = fac
            return (DI[:, :, None] * WIK.view(len(rows), Gc, -1).sum(-1)[None]).numpy()
        blk = _block_size(len(rows), len(cols), k, False, self.max_memory_bytes)
        return np.concatenate([src.minors(s, s + blk, rows, cols, None).view(-1, len(rows), Gc, len(cols) // Gc)
                               .sum(-1).numpy() for s in range(0, src.n_samples, blk)])

    @staticmethod
    def _keeps(G, Gr, Gc):
        """Kept (row groups, column groups): all, then each delete-one-group jackknife set."""
        out = [(np.arange(Gr), np.arange(Gc))]
        for g in range(G):
            out.append((np.arange(Gr) if Gr == 1 else np.delete(np.arange(Gr), g),
                        np.arange(Gc) if Gc == 1 else np.delete(np.arange(Gc), g)))
        return out

    def _thresholds(self, RS0, k, keep_r, keep_c, Gr):
        """Zero-row thresholds from the initial row-sum partials restricted to kept groups."""
        rm0 = self._row_mean(RS0, k, keep_r, keep_c, Gr)
        return np.quantile(rm0.ravel(), [self.false_positive_rates_[k, q] for q in self._qs])

    def _row_mean(self, RS, k, keep_r, keep_c, Gr):
        B, Rt, Gc = RS.shape
        R, C = Rt // Gr, len(self._design(k)[2]) // Gc
        part = RS.reshape(B, Gr, R, Gc)[:, keep_r][:, :, :, keep_c].sum(-1) / (len(keep_c) * C)
        return part.reshape(B, -1)

    def _accumulate(self, src, src0, k):
        """One pass over the examples: every partial sum the estimators need."""
        S, rows, cols, Gr, Gc = self._design(k)
        Rt, Ct = len(rows), len(cols)
        fac, fac0 = src.factors(rows, cols), src0.factors(rows, cols)
        blk = _block_size(Rt, Ct, k, fac is not None and fac0 is not None, self.max_memory_bytes)
        softmax = self.column_probability == "softmax"
        acc = {}

        def add(name, t):
            acc.setdefault(name, []).append(t)

        for s in range(0, src.n_samples, blk):
            M = src.minors(s, s + blk, rows, cols, fac)  # (b, Rt, Ct)
            M0 = src0.minors(s, s + blk, rows, cols, fac0)
            b = M.shape[0]
            for tag, A, f in (("", M, fac), ("0", M0, fac0)):
                if f is not None:  # minors DI * WIK: row sums and squares from the factors
                    DI = f[0][s:s + blk]
                    rs = DI[:, :, None] * f[1].view(Rt, Gc, -1).sum(-1)[None]
                    rs2 = DI.square()[:, :, None] * f[1].square().view(Rt, Gc, -1).sum(-1)[None]
                    mx = (DI * f[1].amax(1)).amax(1)
                else:
                    rs = A.view(b, Rt, Gc, Ct // Gc).sum(-1)
                    rs2 = A.square().view(b, Rt, Gc, Ct // Gc).sum(-1)
                    mx = A.amax(dim=(1, 2))
                add("RS" + tag, rs)
                add("L1" + tag, rs.view(b, Gr, Rt // Gr, Gc).sum(2))
                add("L2" + tag, rs2.view(b, Gr, Rt // Gr, Gc).sum(2))
                add("MX" + tag, mx)
            Mv, M0v = M.view(b, Gr, Rt // Gr, Ct), M0.view(b, Gr, Rt // Gr, Ct)
            if softmax:
                for tag, A, other in (("", Mv, M0v), ("0", M0v, None)):
                    mx = A.amax(dim=2, keepdim=True)
                    e = torch.exp(A - mx)
                    z = e.sum(dim=2)
                    add("LZ" + tag, mx.squeeze(2) + torch.log(z))  # (b, Gr, Ct)
                    add("EM" + tag, (e * A).sum(dim=2) / z)
                    if other is not None:
                        add("EMO", (e * other).sum(dim=2) / z)
            else:
                add("S", Mv.sum(2))
                add("S0", M0v.sum(2))
                add("XLX", torch.xlogy(Mv, Mv).sum(2))
                add("XLX0", torch.xlogy(M0v, M0v).sum(2))
                add("XLY0", torch.xlogy(Mv, M0v).sum(2))
        return {key: torch.cat(v).numpy() for key, v in acc.items()}

    def _estimates(self, a, k, keep_r, keep_c, thr):
        """Plug-in estimates from the partial sums restricted to the kept groups."""
        S, rows, cols, Gr, Gc = self._design(k)
        P, Q = S.n_row_subsets, S.n_col_subsets
        R, C = len(rows) // Gr, len(cols) // Gc
        n_rows_kept = len(keep_r) * R
        col_kept = (np.arange(len(cols)).reshape(Gc, C)[keep_c]).ravel()
        logP = math.log(P) if P > 1 else float("nan")
        scale = math.log(P / n_rows_kept)
        out = {}
        rm = self._row_mean(a["RS"], k, keep_r, keep_c, Gr)
        rm0 = self._row_mean(a["RS0"], k, keep_r, keep_c, Gr)
        for i, q in enumerate(self._qs):
            mask = rm < thr[i]
            out[f"zero_rows_k{k}_q{q:g}"] = mask.mean()
            consistent = mask.mean(axis=0) >= self.consistent_fraction - 1e-12
            out[f"consistent_zero_rows_k{k}_q{q:g}"] = mask[:, consistent].sum() / mask.size
            out[f"zero_rows_initial_k{k}_q{q:g}"] = (rm0 < thr[i]).mean()
        n_kept = n_rows_kept * len(col_kept)
        with np.errstate(divide="ignore", invalid="ignore"):
            prs = []
            for tag in ("", "0"):
                l1 = a["L1" + tag][:, keep_r][:, :, keep_c].sum((1, 2)) / n_kept
                l2 = a["L2" + tag][:, keep_r][:, :, keep_c].sum((1, 2)) / n_kept
                pr = math.sqrt(P * Q) * l1 / np.sqrt(l2)
                prs.append(1 / pr if self.pr_convention == "l2/l1" else pr)
        out[f"pr_k{k}"], out[f"pr_initial_k{k}"] = prs[0].mean(), prs[1].mean()
        out[f"pr_normalized_k{k}"] = out[f"pr_k{k}"] / out[f"pr_initial_k{k}"]

        def sel(x):  # (B, Gr, Ct) -> (B, kept row groups, kept cols)
            return x[:, keep_r][:, :, col_kept]

        if self.column_probability == "softmax":
            def combine(lz, *ems):
                L = lz.max(axis=1, keepdims=True)
                w = np.exp(lz - L)
                z = w.sum(axis=1)
                return (L[:, 0] + np.log(z),) + tuple((w * e).sum(axis=1) / z for e in ems)
            lse, EM, EMO = combine(sel(a["LZ"]), sel(a["EM"]), sel(a["EMO"]))
            lse0, E0 = combine(sel(a["LZ0"]), sel(a["EM0"]))
            H = (scale + lse - EM) / logP
            H0 = (scale + lse0 - E0) / logP
            KL = (EM - EMO - lse + lse0) / logP
        else:
            Sm, S0 = sel(a["S"]).sum(1), sel(a["S0"]).sum(1)
            xlx, xlx0, xly0 = sel(a["XLX"]).sum(1), sel(a["XLX0"]).sum(1), sel(a["XLY0"]).sum(1)
            with np.errstate(divide="ignore", invalid="ignore"):
                H = (scale + np.log(Sm) - xlx / Sm) / logP
                H0 = (scale + np.log(S0) - xlx0 / S0) / logP
                KL = ((xlx - xly0) / Sm - np.log(Sm) + np.log(S0)) / logP
        out[f"column_entropy_k{k}"], out[f"column_entropy_initial_k{k}"] = H.mean(), H0.mean()
        out[f"column_kl_k{k}"] = KL.mean()
        return out

    def _sources(self, model, X):
        check_is_fitted(self, "thresholds_")
        if X is None:
            X = self._X_fit
            src0 = self._source0
        else:
            src0 = _SampledSource(self._model0, X)
        src = _SampledSource(model, X)
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
        """
        src, src0 = self._sources(model, X)
        out = {}
        with torch.no_grad():
            for k in self.minor_sizes_:
                S, rows, cols, Gr, Gc = self._design(k)
                G = max(Gr, Gc)
                a = self._accumulate(src, src0, k)
                RS0 = self._fit_partials[k]
                reps = []
                for i, (keep_r, keep_c) in enumerate(self._keeps(G if G > 1 else 0, Gr, Gc)):
                    thr = [self.thresholds_[k, q] for q in self._qs] if i == 0 else \
                        self._thresholds(RS0, k, keep_r, keep_c, Gr)
                    reps.append(self._estimates(a, k, keep_r, keep_c, thr))
                for key in reps[0]:
                    full = float(reps[0][key])
                    if S.exhaustive:
                        out[key] = dict(estimate=full, plugin=full, low=full, high=full, stderr=0.0, kind="exact")
                    elif G < 2:
                        out[key] = dict(estimate=full, plugin=full, low=math.nan, high=math.nan, stderr=math.nan,
                                        kind="estimate")
                    else:
                        loo = np.array([r[key] for r in reps[1:]], dtype=float)
                        se = float(math.sqrt((G - 1) / G * np.sum((loo - loo.mean()) ** 2)))
                        est = float(G * full - (G - 1) * loo.mean())  # jackknife bias correction
                        h = float(stats.t.ppf(0.5 + self.confidence / 2, G - 1)) * se
                        out[key] = dict(estimate=est, plugin=full, low=est - h, high=est + h, stderr=se,
                                        kind="estimate")
                for tag in ("", "_initial"):
                    v = float(a["MX" + tag.replace("_initial", "0")].mean())
                    out[f"max_minor_lower_bound{tag}_k{k}"] = dict(
                        estimate=v, plugin=v, low=v, high=v if S.exhaustive else math.inf, stderr=0.0,
                        kind="exact" if S.exhaustive else "lower_bound")
                pm = float(participation_ratio_max(self.n_hidden_, self.n_features_in_, k))
                out[f"pr_max_k{k}"] = dict(estimate=pm, plugin=pm, low=pm, high=pm, stderr=0.0, kind="exact")
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
