"""The sampled analyzer's estimators: partial sums over the sampled minors, plug-in estimates, jackknife.

For each minor size ``k`` the sample (:class:`~sklearn_ka.exterior.MinorSample`) is a grid of
row subsets by column subsets in ``G`` independent groups (:class:`SampleDesign`). One pass over
the examples (:func:`accumulate`) keeps every partial sum the estimators need, per group;
:func:`estimates` turns the sums restricted to some groups into plug-in estimates, and
:func:`jackknife` combines the estimate on all groups with the delete-one-group estimates into a
bias-corrected estimate and a t-interval. The design is described on the user guide page
:doc:`/user_guide/sampled`; the observables are defined in :ref:`observables`.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import torch
from scipy import stats

from .._utils import observable_key
from ..exterior import MinorSample
from ..observables import below_rank_tolerance
from ._memory_plan import sampled_block_size

__all__ = ["SampleDesign", "accumulate", "estimates", "jackknife", "rank_deficient", "row_partials", "thresholds"]


class SampleDesign(NamedTuple):
    """The pooled rows and columns of the sample of one size ``k``, and its group structure.

    An exhaustive side has one group holding every subset once (deleting a group never removes
    it); a sampled side has ``n_replicates`` groups of equal size.
    """

    sample: MinorSample
    rows: np.ndarray
    cols: np.ndarray
    Gr: int
    Gc: int

    @classmethod
    def of(cls, S: MinorSample) -> SampleDesign:
        rows = S.rows[0] if S.rows_exhaustive else np.concatenate(S.rows)
        cols = S.cols[0] if S.cols_exhaustive else np.concatenate(S.cols)
        return cls(S, rows, cols, 1 if S.rows_exhaustive else S.n_replicates,
                   1 if S.cols_exhaustive else S.n_replicates)

    @property
    def k(self) -> int:
        return self.sample.k

    @property
    def n_groups(self) -> int:
        """G, the number of groups a jackknife deletes one at a time."""
        return max(self.Gr, self.Gc)

    def keeps(self) -> list:
        """Kept (row groups, column groups): all, then each delete-one-group jackknife set."""
        G, Gr, Gc = (self.n_groups if self.n_groups > 1 else 0), self.Gr, self.Gc
        out = [(np.arange(Gr), np.arange(Gc))]
        for g in range(G):
            out.append((np.arange(Gr) if Gr == 1 else np.delete(np.arange(Gr), g),
                        np.arange(Gc) if Gc == 1 else np.delete(np.arange(Gc), g)))
        return out


def row_partials(src, design: SampleDesign, max_bytes) -> np.ndarray:
    """Row sums of the minors per column group: (B, R_total, Gc) numpy."""
    rows, cols, Gc = design.rows, design.cols, design.Gc
    fac = src.sampled_factors(rows, cols)
    if fac is not None:
        DI, WIK = fac
        return (DI[:, :, None] * WIK.view(len(rows), Gc, -1).sum(-1)[None]).numpy()
    blk = sampled_block_size(len(rows), len(cols), design.k, False, max_bytes)
    return np.concatenate([src.sampled_minors(s, s + blk, rows, cols, None).view(-1, len(rows), Gc, len(cols) // Gc)
                           .sum(-1).numpy() for s in range(0, src.n_samples, blk)])


def row_mean(RS: np.ndarray, design: SampleDesign, keep_r, keep_c) -> np.ndarray:
    """Sampled row means restricted to the kept groups, (B, kept rows)."""
    B, Rt, Gc = RS.shape
    R, C = Rt // design.Gr, len(design.cols) // Gc
    part = RS.reshape(B, design.Gr, R, Gc)[:, keep_r][:, :, :, keep_c].sum(-1) / (len(keep_c) * C)
    return part.reshape(B, -1)


def thresholds(RS0: np.ndarray, design: SampleDesign, keep_r, keep_c, ranks) -> np.ndarray:
    """Zero-row thresholds (quantiles of rank ``ranks``) of the initial row means on the kept groups."""
    return np.quantile(row_mean(RS0, design, keep_r, keep_c).ravel(), ranks)


def _factored_sums(f, s, blk, Rt, Gc):
    """Row sums, row sums of squares and maxima of the minors ``DI * WIK`` from the factors."""
    DI = f[0][s:s + blk]
    rs = DI[:, :, None] * f[1].view(Rt, Gc, -1).sum(-1)[None]
    rs2 = DI.square()[:, :, None] * f[1].square().view(Rt, Gc, -1).sum(-1)[None]
    return rs, rs2, (DI * f[1].amax(1)).amax(1)


def _column_sums(add, M, M0, softmax):
    """Per column and row group: the sums the column entropies and the divergence need."""
    if softmax:
        for tag, A, other in (("", M, M0), ("0", M0, None)):
            mx = A.amax(dim=2, keepdim=True)
            e = torch.exp(A - mx)
            z = e.sum(dim=2)
            add("LZ" + tag, mx.squeeze(2) + torch.log(z))  # (b, Gr, Ct)
            add("EM" + tag, (e * A).sum(dim=2) / z)
            if other is not None:
                add("EMO", (e * other).sum(dim=2) / z)
    else:
        add("S", M.sum(2))
        add("S0", M0.sum(2))
        add("XLX", torch.xlogy(M, M).sum(2))
        add("XLX0", torch.xlogy(M0, M0).sum(2))
        add("XLY0", torch.xlogy(M, M0).sum(2))


def accumulate(src, src0, design: SampleDesign, softmax: bool, max_bytes) -> dict:
    """One pass over the examples: every partial sum the estimators need, per example and group."""
    rows, cols, Gr, Gc = design.rows, design.cols, design.Gr, design.Gc
    Rt, Ct = len(rows), len(cols)
    fac, fac0 = src.sampled_factors(rows, cols), src0.sampled_factors(rows, cols)
    blk = sampled_block_size(Rt, Ct, design.k, fac is not None and fac0 is not None, max_bytes)
    acc = {}

    def add(name, t):
        acc.setdefault(name, []).append(t)

    for s in range(0, src.n_samples, blk):
        M = src.sampled_minors(s, s + blk, rows, cols, fac)  # (b, Rt, Ct)
        M0 = src0.sampled_minors(s, s + blk, rows, cols, fac0)
        b = M.shape[0]
        for tag, A, f in (("", M, fac), ("0", M0, fac0)):
            if f is not None:  # minors DI * WIK: row sums and squares from the factors
                rs, rs2, mx = _factored_sums(f, s, blk, Rt, Gc)
            else:
                rs = A.view(b, Rt, Gc, Ct // Gc).sum(-1)
                rs2 = A.square().view(b, Rt, Gc, Ct // Gc).sum(-1)
                mx = A.amax(dim=(1, 2))
            add("RS" + tag, rs)
            add("L1" + tag, rs.view(b, Gr, Rt // Gr, Gc).sum(2))
            add("L2" + tag, rs2.view(b, Gr, Rt // Gr, Gc).sum(2))
            add("MX" + tag, mx)
        _column_sums(add, M.view(b, Gr, Rt // Gr, Ct), M0.view(b, Gr, Rt // Gr, Ct), softmax)
    return {key: torch.cat(v).numpy() for key, v in acc.items()}


def _zero_rows(a, design, keep_r, keep_c, thr, qs, consistent_fraction, out):
    k = design.k
    rm = row_mean(a["RS"], design, keep_r, keep_c)
    rm0 = row_mean(a["RS0"], design, keep_r, keep_c)
    for i, q in enumerate(qs):
        mask = rm < thr[i]
        out[observable_key("zero_rows", k, q)] = mask.mean()
        consistent = mask.mean(axis=0) >= consistent_fraction - 1e-12
        out[observable_key("consistent_zero_rows", k, q)] = mask[:, consistent].sum() / mask.size
        out[observable_key("zero_rows_initial", k, q)] = (rm0 < thr[i]).mean()


def _participation(a, design, keep_r, keep_c, n_rows_kept, n_cols_kept, pr_convention, out):
    k, S = design.k, design.sample
    P, Q = S.n_row_subsets, S.n_col_subsets
    n_kept = n_rows_kept * n_cols_kept
    with np.errstate(divide="ignore", invalid="ignore"):
        prs = []
        for tag in ("", "0"):
            l1 = a["L1" + tag][:, keep_r][:, :, keep_c].sum((1, 2)) / n_kept
            l2 = a["L2" + tag][:, keep_r][:, :, keep_c].sum((1, 2)) / n_kept
            pr = math.sqrt(P * Q) * l1 / np.sqrt(l2)
            pr = 1 / pr if pr_convention == "l2/l1" else pr
            prs.append(_nan_where(pr, a.get("BAD" + tag)))
    out[observable_key("pr", k)], out[observable_key("pr_initial", k)] = prs[0].mean(), prs[1].mean()
    out[observable_key("pr_normalized", k)] = out[observable_key("pr", k)] / out[observable_key("pr_initial", k)]


def _columns(a, design, keep_r, col_kept, n_rows_kept, column_probability, out):
    P = design.sample.n_row_subsets
    logP = math.log(P) if P > 1 else float("nan")
    scale = math.log(P / n_rows_kept)

    def sel(x):  # (B, Gr, Ct) -> (B, kept row groups, kept cols)
        return x[:, keep_r][:, :, col_kept]

    if column_probability == "softmax":
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
        # column-sum probabilities are ratios of round-off at rank-deficient examples
        bad, bad0 = a.get("BAD"), a.get("BAD0")
        H, H0 = _nan_where(H, bad), _nan_where(H0, bad0)
        KL = _nan_where(KL, None if bad is None else bad | bad0)
    k = design.k
    out[observable_key("column_entropy", k)] = H.mean()
    out[observable_key("column_entropy_initial", k)] = H0.mean()
    out[observable_key("column_kl", k)] = KL.mean()


def _nan_where(values, mask):
    """``values`` (per example first) with NaN at the examples of ``mask`` (None: unchanged)."""
    if mask is None:
        return values
    return np.where(mask.reshape(-1, *([1] * (values.ndim - 1))), np.nan, values)


def rank_deficient(a: dict, src, src0, k: int) -> None:
    """Flag, in ``a``, the examples none of whose sampled minors is above round-off.

    ``BAD`` (trained) and ``BAD0`` (initial): the largest sampled minor is at most
    ``tau_k ||J(x)||_F^k`` (:func:`~sklearn_ka.observables.numerical_rank_deficient`). Every
    example of numerical rank < k is flagged; with a partial sample an example whose sampled
    minors all miss its non-zero ones is flagged too (its estimates would be ratios of
    round-off), so the count is an upper bound unless the sample is exhaustive.
    """
    for tag, source in (("", src), ("0", src0)):
        a["BAD" + tag] = below_rank_tolerance(a["MX" + tag], source.frobenius_norms(), k)


def estimates(a: dict, design: SampleDesign, keep_r, keep_c, thr, qs, *, consistent_fraction: float,
              pr_convention: str, column_probability: str) -> dict:
    """Plug-in estimates from the partial sums restricted to the kept groups."""
    R, C = len(design.rows) // design.Gr, len(design.cols) // design.Gc
    n_rows_kept = len(keep_r) * R
    col_kept = (np.arange(len(design.cols)).reshape(design.Gc, C)[keep_c]).ravel()
    out = {}
    _zero_rows(a, design, keep_r, keep_c, thr, qs, consistent_fraction, out)
    _participation(a, design, keep_r, keep_c, n_rows_kept, len(col_kept), pr_convention, out)
    _columns(a, design, keep_r, col_kept, n_rows_kept, column_probability, out)
    return out


def jackknife(reps: list, design: SampleDesign, confidence: float) -> dict:
    """Each estimate with its interval, from the estimates on all groups and on each delete-one set.

    ``kind`` is ``"exact"`` (exhaustive sample), else ``"estimate"``: the jackknife-bias-corrected
    estimate with the delete-one-group t-interval (NaN bounds with a single group).
    """
    G = design.n_groups
    out = {}
    for key in reps[0]:
        full = float(reps[0][key])
        if design.sample.exhaustive:
            out[key] = dict(estimate=full, plugin=full, low=full, high=full, stderr=0.0, kind="exact")
        elif G < 2:
            out[key] = dict(estimate=full, plugin=full, low=math.nan, high=math.nan, stderr=math.nan,
                            kind="estimate")
        else:
            loo = np.array([r[key] for r in reps[1:]], dtype=float)
            se = float(math.sqrt((G - 1) / G * np.sum((loo - loo.mean()) ** 2)))
            est = float(G * full - (G - 1) * loo.mean())  # jackknife bias correction
            h = float(stats.t.ppf(0.5 + confidence / 2, G - 1)) * se
            out[key] = dict(estimate=est, plugin=full, low=est - h, high=est + h, stderr=se, kind="estimate")
    return out
