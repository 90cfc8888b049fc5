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

__all__ = ["FaceDesign", "SampleDesign", "accumulate", "block_of", "estimates", "jackknife", "rank_deficient",
           "row_partials", "thresholds", "valid_mean"]


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
        G = self.n_groups if self.n_groups > 1 else 0
        return [self.keep(None)] + [self.keep(g) for g in range(G)]

    def keep(self, g: int | None) -> tuple:
        """Kept (row groups, column groups) when group ``g`` is deleted (None: all); an exhaustive side keeps all."""
        Gr, Gc = self.Gr, self.Gc
        if g is None:
            return np.arange(Gr), np.arange(Gc)
        return (np.arange(Gr) if Gr == 1 else np.delete(np.arange(Gr), g),
                np.arange(Gc) if Gc == 1 else np.delete(np.arange(Gc), g))


class FaceDesign(NamedTuple):
    """The faces (size ``k - 1``) of the sampled rows of size ``k``, on the column sample of size ``k - 1``.

    A sampled row ``I`` (``|I| = k``) is a dependent zero row when none of its faces ``I \\ {i}``
    is a zero row of size ``k - 1`` (:ref:`obs-dependent-zero-rows`); the faces' row means are
    estimated on the sampled columns of size ``k - 1``, and the face threshold is the size-(k-1)
    one. Row ``p * k + t`` of ``faces`` is face ``t`` of sampled row ``p``.
    """

    faces: np.ndarray
    design: SampleDesign

    @classmethod
    def of(cls, design: SampleDesign, design_below: SampleDesign) -> FaceDesign:
        rows, k = design.rows, design.k
        faces = np.stack([np.delete(rows, t, axis=1) for t in range(k)], axis=1).reshape(-1, k - 1)
        return cls(np.ascontiguousarray(faces), design_below)


def row_partials(src, design: SampleDesign, max_bytes, device="cpu") -> np.ndarray:
    """Row sums of the minors per column group: (B, R_total, Gc) numpy."""
    return _row_sums(src, design.rows, design.cols, design.Gc, design.k, max_bytes, device).cpu().numpy()


def _row_sums(src, rows, cols, Gc, k, max_bytes, device, fac=None, start=0, stop=None):
    """Row sums per column group of the minors on ``rows x cols`` of the examples ``start:stop``, a tensor."""
    stop = src.n_samples if stop is None else stop
    fac = src.sampled_factors(rows, cols, device) if fac is None else fac
    if fac is not None:
        DI, WIK = fac
        return DI[start:stop, :, None] * WIK.view(len(rows), Gc, -1).sum(-1)[None]
    blk = sampled_block_size(len(rows), len(cols), k, False, max_bytes)
    return torch.cat([src.sampled_minors(s, min(s + blk, stop), rows, cols, None, device)
                      .view(-1, len(rows), Gc, len(cols) // Gc).sum(-1) for s in range(start, stop, blk)])


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


def accumulate(src, src0, design: SampleDesign, softmax: bool, max_bytes, *, faces: FaceDesign | None = None,
               device="cpu", start: int = 0, stop: int | None = None, progress=None) -> dict:
    """One pass over the examples ``start:stop``: every partial sum the estimators need, per example and group.

    Blocks of examples start at multiples of the block size (fixed by the design and
    ``max_bytes``), so a range that starts on a block boundary gives the same numbers as the
    whole pass. ``faces``: also the trained model's row sums of the faces of the sampled rows
    (dependent zero rows). ``progress`` counts the blocks.
    """
    rows, cols, Gr, Gc = design.rows, design.cols, design.Gr, design.Gc
    Rt, Ct = len(rows), len(cols)
    stop = src.n_samples if stop is None else stop
    fac, fac0 = src.sampled_factors(rows, cols, device), src0.sampled_factors(rows, cols, device)
    face_fac = None if faces is None else src.sampled_factors(faces.faces, faces.design.cols, device)
    blk = block_of(design, fac is not None and fac0 is not None, max_bytes)
    acc = {}

    def add(name, t):
        acc.setdefault(name, []).append(t)

    for s in range(start, stop, blk):
        e = min(s + blk, stop)
        M = src.sampled_minors(s, e, rows, cols, fac, device)  # (b, Rt, Ct)
        M0 = src0.sampled_minors(s, e, rows, cols, fac0, device)
        b = M.shape[0]
        for tag, A, f in (("", M, fac), ("0", M0, fac0)):
            if f is not None:  # minors DI * WIK: row sums and squares from the factors
                rs, rs2, mx = _factored_sums(f, s, e - s, Rt, Gc)
            else:
                rs = A.view(b, Rt, Gc, Ct // Gc).sum(-1)
                rs2 = A.square().view(b, Rt, Gc, Ct // Gc).sum(-1)
                mx = A.amax(dim=(1, 2))
            add("RS" + tag, rs)
            add("L1" + tag, rs.view(b, Gr, Rt // Gr, Gc).sum(2))
            add("L2" + tag, rs2.view(b, Gr, Rt // Gr, Gc).sum(2))
            add("MX" + tag, mx)
        _column_sums(add, M.view(b, Gr, Rt // Gr, Ct), M0.view(b, Gr, Rt // Gr, Ct), softmax)
        if faces is not None:
            below = faces.design
            add("FRS", _row_sums(src, faces.faces, below.cols, below.Gc, below.k, max_bytes, device, face_fac, s, e))
        if progress is not None:
            progress.update(1)
    return {key: torch.cat(v).cpu().numpy() for key, v in acc.items()}


def block_of(design: SampleDesign, factored: bool, max_bytes) -> int:
    """Examples per block of :func:`accumulate` (fixed by the design and the budget, never by the workers)."""
    return sampled_block_size(len(design.rows), len(design.cols), design.k, factored, max_bytes)


def _zero_rows(a, design, keep_r, keep_c, thr, qs, consistent_fraction, groups, out, face=None):
    """Zero, consistently zero and dependent zero rows (``face``: the face design, its kept columns and thresholds)."""
    k = design.k
    rm = row_mean(a["RS"], design, keep_r, keep_c)
    rm0 = row_mean(a["RS0"], design, keep_r, keep_c)
    face_zero = None
    if face is not None:
        below, keep_face_c, face_thr = face
        B, R = rm.shape[0], len(design.rows) // design.Gr
        C = len(below.cols) // below.Gc
        F = a["FRS"].reshape(B, design.Gr, R, k, below.Gc)[:, keep_r][..., keep_face_c].sum(-1)
        face_means = F.reshape(B, -1, k) / (len(keep_face_c) * C)  # (B, kept rows, k faces)
    for i, q in enumerate(qs):
        mask = rm < thr[i]
        if "zero_rows" in groups:
            out[observable_key("zero_rows", k, q)] = mask.mean()
            out[observable_key("zero_rows_initial", k, q)] = (rm0 < thr[i]).mean()
        if "consistent_zero_rows" in groups:
            consistent = mask.mean(axis=0) >= consistent_fraction - 1e-12
            out[observable_key("consistent_zero_rows", k, q)] = mask[:, consistent].sum() / mask.size
        if face is not None:
            face_zero = (face_means < face_thr[i]).any(axis=2)
            out[observable_key("dependent_zero_rows", k, q)] = (mask & ~face_zero).mean()


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
    # the examples without a sampled minor above round-off are excluded from the means (counted)
    pr, pr0 = valid_mean(prs[0], a.get("BAD")), valid_mean(prs[1], a.get("BAD0"))
    out[observable_key("pr", k)], out[observable_key("pr_initial", k)] = pr, pr0
    out[observable_key("pr_normalized", k)] = pr / pr0 if pr0 != 0 else math.nan


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
        # column-sum probabilities are ratios of round-off at rank-deficient examples: excluded
        bad, bad0 = a.get("BAD"), a.get("BAD0")
        H, H0 = valid_mean(H, bad), valid_mean(H0, bad0)
        KL = valid_mean(KL, None if bad is None else bad | bad0)
    k = design.k
    out[observable_key("column_entropy", k)] = float(np.mean(H))
    out[observable_key("column_entropy_initial", k)] = float(np.mean(H0))
    out[observable_key("column_kl", k)] = float(np.mean(KL))


def valid_mean(values, excluded) -> float:
    """The mean over the examples (first axis) not ``excluded`` (None: all); NaN when none is left."""
    if excluded is not None:
        values = values[~excluded]
    return float(np.mean(values)) if values.size else math.nan


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
              pr_convention: str, column_probability: str, groups=None, face=None) -> dict:
    """Plug-in estimates from the partial sums restricted to the kept groups.

    ``groups``: the observables to estimate (None: all); ``face``: ``(FaceDesign.design, kept
    column groups of it, size-(k-1) thresholds)`` for the dependent zero rows.
    """
    groups = ("zero_rows", "consistent_zero_rows", "participation_ratio", "column_entropy") if groups is None \
        else groups
    R, C = len(design.rows) // design.Gr, len(design.cols) // design.Gc
    n_rows_kept = len(keep_r) * R
    col_kept = (np.arange(len(design.cols)).reshape(design.Gc, C)[keep_c]).ravel()
    out = {}
    if {"zero_rows", "consistent_zero_rows"} & set(groups) or face is not None:
        _zero_rows(a, design, keep_r, keep_c, thr, qs, consistent_fraction, groups, out, face)
    if "participation_ratio" in groups:
        _participation(a, design, keep_r, keep_c, n_rows_kept, len(col_kept), pr_convention, out)
    if "column_entropy" in groups:
        _columns(a, design, keep_r, col_kept, n_rows_kept, column_probability, out)
    return out


def jackknife(reps: list, n_groups: int, confidence: float, exact=frozenset()) -> dict:
    """Each estimate with its interval, from the estimates on all groups and on each delete-one set.

    ``reps[0]`` holds the estimates on all groups, ``reps[1 + g]`` those without group ``g``.
    ``kind`` is ``"exact"`` for the keys in ``exact`` (computed on every minor they need), else
    ``"estimate"``: the jackknife-bias-corrected estimate with the delete-one-group t-interval
    (NaN bounds with a single group).
    """
    G = n_groups
    out = {}
    for key in reps[0]:
        full = float(reps[0][key])
        if key in exact:
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
