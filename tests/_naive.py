"""Deliberately naive reference implementations (itertools + numpy.linalg.det, loops).

Slow and obviously correct; used to check the fast kernels on small problems.
"""

import itertools
import math
from fractions import Fraction

import numpy as np


def minors(J, k, signed=False):
    """(B, C(m,k), C(n,k)) minors by calling det on every submatrix."""
    B, m, n = J.shape
    rows = list(itertools.combinations(range(m), k))
    cols = list(itertools.combinations(range(n), k))
    out = np.zeros((B, len(rows), len(cols)))
    for b in range(B):
        for p, I in enumerate(rows):
            for q, K in enumerate(cols):
                d = np.linalg.det(J[b][np.ix_(I, K)])
                out[b, p, q] = d if signed else abs(d)
    return out


def row_means(Jk):
    B, P, Q = Jk.shape
    return np.array([[sum(Jk[b, p, q] for q in range(Q)) / Q for p in range(P)] for b in range(B)])


def zero_rows_dependent(mask_k, mask_km1, m, k):
    rows_k = list(itertools.combinations(range(m), k))
    rows_km1 = {c: i for i, c in enumerate(itertools.combinations(range(m), k - 1))}
    out = np.zeros_like(mask_k)
    for b in range(mask_k.shape[0]):
        for p, I in enumerate(rows_k):
            if not mask_k[b, p]:
                continue
            faces = [tuple(x for x in I if x != i) for i in I]
            out[b, p] = not any(mask_km1[b, rows_km1[f]] for f in faces)
    return out


def participation_ratio(Jk):
    out = []
    for b in range(Jk.shape[0]):
        v = Jk[b].ravel()
        out.append(sum(abs(x) for x in v) / math.sqrt(sum(x * x for x in v)))
    return np.array(out)


def column_stats(Jk, Jk0=None, method="softmax"):
    """(entropy, kl) per example, base C(m,k), loops over columns."""
    B, P, Q = Jk.shape
    ent, kl = [], []

    def probs(col):
        if method == "softmax":
            e = np.exp(col - col.max())
            return e / e.sum()
        return col / col.sum()

    for b in range(B):
        hs, ks = [], []
        for q in range(Q):
            p = probs(Jk[b, :, q])
            hs.append(-sum(x * math.log(x) for x in p if x > 0) / math.log(P))
            if Jk0 is not None:
                r = probs(Jk0[b, :, q])
                ks.append(sum(x * math.log(x / y) for x, y in zip(p, r) if x > 0) / math.log(P))
        ent.append(np.mean(hs))
        kl.append(np.mean(ks) if ks else np.nan)
    return np.array(ent), np.array(kl)


def _exact_det(M):
    """Determinant of a small matrix of Fractions by Laplace expansion: exact."""
    if len(M) == 1:
        return M[0][0]
    return sum((-1) ** j * M[0][j] * _exact_det([row[:j] + row[j + 1:] for row in M[1:]]) for j in range(len(M)))


def _exact_max_minor(A, k):
    """Largest |size-k minor| of a matrix of Fractions, exactly."""
    m, n = len(A), len(A[0])
    return max(abs(_exact_det([[A[i][j] for j in K] for i in I]))
               for I in itertools.combinations(range(m), k) for K in itertools.combinations(range(n), k))


def rotated_max_minor(J, k, rotations):
    """(B, N) largest |size-k minor| of R_p J[b], exactly: rational arithmetic on the float inputs.

    Floating-point determinants of rotated, badly scaled Jacobians lose digits to cancellation,
    so the reference is computed without rounding and only the result is rounded to float64.
    """
    B = J.shape[0]
    N = rotations.shape[0]
    out = np.zeros((B, N))
    Rs = [[[Fraction(float(v)) for v in row] for row in R] for R in rotations]
    for b in range(B):
        Jb = [[Fraction(float(v)) for v in row] for row in J[b]]
        for p in range(N):
            RJ = [[sum(r * Jb[t][j] for t, r in enumerate(row)) for j in range(len(Jb[0]))] for row in Rs[p]]
            out[b, p] = float(_exact_max_minor(RJ, k))
    return out


def rotation_ratio_sampled(J, k, rotations):
    M = minors(J, k).reshape(J.shape[0], -1).max(axis=1)
    return M / rotated_max_minor(J, k, rotations).mean(axis=1)


def mean_excess(values, ranks):
    x = np.sort(np.ravel(values))
    us, mefs = [], []
    for q in ranks:
        u = np.quantile(x, q)
        above = [v - u for v in x if v > u]
        us.append(u)
        mefs.append(np.mean(above) if above else np.nan)
    return np.array(us), np.array(mefs)


def trained_like(rng, B, m, n, dead=0.6):
    """J = diag(d) W with many near-zero d (dead / saturated units)."""
    W = rng.standard_normal((m, n))
    d = rng.uniform(0, 1, (B, m))
    d[rng.uniform(size=(B, m)) < dead] *= 1e-9
    d[:, : max(1, m // 4)] *= 1e-12  # some consistently dead units
    return d[:, :, None] * W, d, W


def rank_deficient(J, k, factor=64):
    """The numerical-rank rule spelled out: largest |size-k minor| <= factor * k^2 * eps * ||J(x)||_F^k."""
    eps = np.finfo(np.float64).eps
    out = []
    for b in range(J.shape[0]):
        largest = minors(J[b:b + 1], k).max()
        scale = math.sqrt(sum(float(v) ** 2 for v in np.ravel(J[b])))
        out.append(bool(largest <= factor * k * k * eps * scale**k))
    return np.array(out)
