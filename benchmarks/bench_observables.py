"""Benchmark of the KA observables kernels (exterior powers + every KA-geometry observable).

Usage: python benchmarks/bench_observables.py [--quick]

Times, in one run and single-threaded:
  * all observables for k = 1, 2, 3 on a trained-like and an initial m = 32, n = 3
    Jacobian set of 1000 examples, with rotation_method "haar" and "sampled" (N = 400);
  * the same pipeline against the naive reference (tests/_naive.py) on a scaled-down
    problem, and the speed-up ratio.
"""

import argparse
import os
import sys
import time
import warnings

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "tests"))

import _naive  # noqa: E402

from sklearn_ka.exterior import factored_minor_matrices, minor_matrices  # noqa: E402
from sklearn_ka.observables import (  # noqa: E402
    RotationReference,
    column_entropy,
    column_kl,
    consistent_zero_rows,
    dependent_zero_rows,
    haar_max_minor_constant,
    induced_false_positive_rate,
    mean_excess,
    participation_ratio,
    quantile_ratio,
    rotation_ratio,
    row_means,
    zero_row_mask,
    zero_row_threshold,
)

Q1S = (1e-4, 1e-3, 1e-2)


def all_observables(J, J0, ref, ks=(1, 2, 3), factors=None):
    """Every KA-geometry observable for a trained set J and its initial set J0."""
    m = J.shape[1]
    out, masks = {}, {}
    for k in ks:
        if factors is not None:
            (d, W), (d0, W0) = factors
            Jk, Jk0 = factored_minor_matrices(d, W, k), factored_minor_matrices(d0, W0, k)
        else:
            Jk, Jk0 = minor_matrices(J, k), minor_matrices(J0, k)
        rm, rm0 = row_means(Jk), row_means(Jk0)
        thrs = zero_row_threshold(rm0, [induced_false_positive_rate(q1, m, k) for q1 in Q1S])
        for q1, thr in zip(Q1S, thrs):
            mask = zero_row_mask(rm, thr)
            out[f"zero_k{k}_q{q1:g}"] = mask.mean()
            out[f"consistent_k{k}_q{q1:g}"] = consistent_zero_rows(mask).mean()
            if k >= 2:
                out[f"dependent_k{k}_q{q1:g}"] = dependent_zero_rows(mask, masks[(k - 1, q1)], m, k).mean()
            masks[(k, q1)] = mask
        out[f"pr_k{k}"] = participation_ratio(Jk).mean() / participation_ratio(Jk0).mean()
        out[f"rot_k{k}"] = rotation_ratio(J, k, ref, Jk=Jk).mean() / rotation_ratio(J0, k, ref, Jk=Jk0).mean()
        out[f"ent_k{k}"] = column_entropy(Jk).mean()
        out[f"ent0_k{k}"] = column_entropy(Jk0).mean()
        out[f"kl_k{k}"] = column_kl(Jk, Jk0).mean()
        out[f"mef_k{k}"] = (mean_excess(Jk), mean_excess(Jk0))
        out[f"qr_k{k}"] = (quantile_ratio(Jk), quantile_ratio(Jk0))
    return out


def naive_observables(J, J0, rotations, ks=(1, 2, 3)):
    """The same with tests/_naive.py (det per submatrix, loops)."""
    m = J.shape[1]
    out, masks = {}, {}
    for k in ks:
        Jk, Jk0 = _naive.minors(J, k), _naive.minors(J0, k)
        rm, rm0 = _naive.row_means(Jk), _naive.row_means(Jk0)
        for q1 in Q1S:
            thr = np.quantile(rm0.ravel(), induced_false_positive_rate(q1, m, k))
            mask = rm < thr
            out[f"zero_k{k}_q{q1:g}"] = mask.mean()
            if k >= 2:
                out[f"dependent_k{k}_q{q1:g}"] = _naive.zero_rows_dependent(mask, masks[(k - 1, q1)], m, k).mean()
            masks[(k, q1)] = mask
        out[f"pr_k{k}"] = _naive.participation_ratio(Jk).mean() / _naive.participation_ratio(Jk0).mean()
        out[f"rot_k{k}"] = (
            _naive.rotation_ratio_sampled(J, k, rotations).mean()
            / _naive.rotation_ratio_sampled(J0, k, rotations).mean()
        )
        h, kl = _naive.column_stats(Jk, Jk0)
        out[f"ent_k{k}"], out[f"kl_k{k}"] = h.mean(), kl.mean()
        ranks = np.arange(0.9, 1.0, 0.01)
        out[f"mef_k{k}"] = (_naive.mean_excess(Jk, ranks), _naive.mean_excess(Jk0, ranks))
    return out


def make_sets(rng, B, m, n=3):
    J, d, W = _naive.trained_like(rng, B, m, n)
    W0 = rng.standard_normal((m, n))
    d0 = rng.uniform(0.2, 1.0, (B, m))
    return J, d0[:, :, None] * W0, ((d, W), (d0, W0))


def timed(fn, repeat=1):
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        res = fn()
        best = min(best, time.perf_counter() - t)
    return best, res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="smaller problem (CI smoke test)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    warnings.simplefilter("ignore", RuntimeWarning)
    rng = np.random.default_rng(0)
    m = 32
    B = 200 if args.quick else 1000
    J, J0, factors = make_sets(rng, B, m)
    rows = []

    t_c, _ = timed(lambda: haar_max_minor_constant(m, 3))
    rows.append((f"c({m},3) estimate (once per (m, n), cached)", t_c))
    t_b, ref_h = timed(lambda: RotationReference.build(m, 3, method="haar", n_rotations=400, random_state=0))
    rows.append(("RotationReference.build haar, N=400 (c cached)", t_b))
    t_bs, ref_s = timed(lambda: RotationReference.build(m, 3, method="sampled", n_rotations=400, random_state=0))
    rows.append(("RotationReference.build sampled, N=400", t_bs))

    t_h, res_h = timed(lambda: all_observables(J, J0, ref_h), repeat=2)
    rows.append((f"all observables k=1..3, 2 x {B} ex, haar", t_h))
    t_hf, _ = timed(lambda: all_observables(J, J0, ref_h, factors=factors), repeat=2)
    rows.append(("  same, factored minors (J = diag(d) W)", t_hf))
    t_s, res_s = timed(lambda: all_observables(J, J0, ref_s))
    rows.append((f"all observables k=1..3, 2 x {B} ex, sampled N=400", t_s))

    # naive comparison on a scaled-down problem
    mb, Bb, Nb = (6, 4, 4) if args.quick else (12, 16, 16)
    Js, J0s, _ = make_sets(np.random.default_rng(1), Bb, mb)
    ref_small = RotationReference.build(mb, 3, method="sampled", n_rotations=Nb, random_state=0)
    t_fast, res_fast = timed(lambda: all_observables(Js, J0s, ref_small), repeat=3)
    t_naive, res_naive = timed(lambda: naive_observables(Js, J0s, ref_small.rotations.numpy()))
    for key in ("pr_k3", "rot_k3", "ent_k2", "kl_k3", "zero_k2_q0.01"):
        assert np.isclose(res_fast[key], res_naive[key], rtol=1e-8, equal_nan=True), key
    rows.append((f"scaled-down m={mb}, {Bb} ex, N={Nb}: fast (sampled)", t_fast))
    rows.append(("scaled-down: naive reference", t_naive))

    w = max(len(r[0]) for r in rows)
    print(f"{'task':<{w}}  seconds")
    for name, t in rows:
        print(f"{name:<{w}}  {t:8.3f}")
    print(f"speed-up fast vs naive (same run, same problem): {t_naive / t_fast:8.0f}x")
    print(f"kernels on whole arrays (numpy in and out, tails included): haar {t_h:.3f} s, sampled {t_s:.3f} s; "
          "the speed targets are for the analyzer: benchmarks/bench_analyzer.py")
    print(
        "check: normalised rotation ratio k=3 haar {:.3f} / sampled {:.3f}; PR_norm k=3 {:.3f}".format(
            res_h["rot_k3"], res_s["rot_k3"], res_h["pr_k3"]
        )
    )


if __name__ == "__main__":
    main()
