"""KAGeometryAnalyzer end to end on a trained model, against the naive reference.

    python benchmarks/bench_analyzer.py [--quick] [--device cpu|cuda]

Times ``KAGeometryAnalyzer(...).fit(mlp.initial_model(), X).score(mlp, X)`` for a trained
m = 32 xor model on 1000 examples, k = 1, 2, 3, every observable, with the "haar" and the
"sampled" (N = 400) rotation methods, single-threaded; "cold" includes the once-per-process
work (the Haar constant c(m, n) and the rotations, both cached), "warm" does not and is the
median of 5 ("haar") or 3 ("sampled") runs. Then the
same analysis of a scaled-down model (m = 12, 16 examples, N = 16) against the naive
itertools/det reference of benchmarks/bench_observables.py, in the same run (medians of 7
and 3 runs).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bench_observables import naive_observables  # noqa: E402

from sklearn_ka import KAGeometryAnalyzer, ShallowMLPRegressor, make_ka_regression  # noqa: E402


def timed(fn, repeat=1):
    """(median wall time over ``repeat`` runs, last output): this machine is noisy."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return float(np.median(times)), out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--quick", action="store_true", help="200 examples, 300 training epochs")
    p.add_argument("--device", default="cpu")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    warnings.simplefilter("ignore", RuntimeWarning)
    B = 200 if args.quick else 1000
    X, y = make_ka_regression("xor", B, random_state=0)
    Xt, yt = make_ka_regression("xor", B, random_state=1)
    mlp = ShallowMLPRegressor(32, max_epochs=300 if args.quick else 10000, random_state=0).fit(X, y, eval_set=(Xt, yt))
    init = mlp.initial_model()
    rows = [("training (for reference)", mlp.fit_time_)]
    for method in ("haar", "sampled"):
        def run(method=method):
            analyzer = KAGeometryAnalyzer(rotation_method=method, random_state=0, device=args.device)
            return analyzer.fit(init, X).score(mlp, X)
        t_cold, s = timed(run)
        t_warm, _ = timed(run, repeat=5 if method == "haar" else 3)
        rows += [(f"{method}: fit + score, cold", t_cold), (f"{method}: fit + score, warm", t_warm)]
    # scaled down, against the naive reference
    Xs, ys = make_ka_regression("xor", 16, random_state=0)
    small = ShallowMLPRegressor(12, max_epochs=50, random_state=0).fit(Xs, ys)
    ka = KAGeometryAnalyzer(rotation_method="sampled", n_rotations=16, random_state=0).fit(small.initial_model(), Xs)
    ka.score(small, Xs)
    t_fast, fast = timed(lambda: KAGeometryAnalyzer(rotation_method="sampled", n_rotations=16, random_state=0)
                         .fit(small.initial_model(), Xs).score(small, Xs), repeat=7)
    R = ka.rotation_reference_.rotations.numpy()
    t_naive, naive = timed(lambda: naive_observables(small.jacobian(Xs), small.initial_model().jacobian(Xs), R),
                           repeat=3)
    assert np.isclose(fast["pr_normalized_k3"], naive["pr_k3"], rtol=1e-8)
    assert np.isclose(fast["rotation_ratio_normalized_k3"], naive["rot_k3"], rtol=1e-8)
    rows += [("scaled down (m=12, 16 ex, N=16): analyzer", t_fast), ("scaled down: naive reference", t_naive)]
    w = max(len(r[0]) for r in rows)
    print(f"trained xor m=32 on {B} examples: train R^2 {mlp.score(X, y):.4f}; device {args.device}; 1 torch thread")
    for name, t in rows:
        print(f"{name:<{w}}  {t:8.3f} s")
    warm = dict(rows)
    print(f"targets (m=32, 1000 examples): haar <= 1 s (warm {warm['haar: fit + score, warm']:.3f} s), "
          f"sampled <= 10 s (warm {warm['sampled: fit + score, warm']:.3f} s)")
    print(f"speed-up analyzer vs naive reference (same run, same problem): {t_naive / t_fast:.0f}x (target >= 100x)")
    t_refuse = refusal_time()
    print(f"refusing an analysis that cannot fit the memory budget (m=2000, k=3): {t_refuse * 1e3:.2f} ms, "
          f"{t_refuse / warm['haar: fit + score, warm']:.4f} of one warm haar analysis")


def refusal_time():
    """Median time for the analyzer to refuse m = 2000, k = 3 (about 10 GB of minors) before any work."""
    from sklearn_ka.exterior import MinorBudgetError

    rng = np.random.default_rng(0)
    big = ShallowMLPRegressor(2000, max_epochs=1, random_state=0).fit(rng.uniform(-1, 1, (4, 3)), rng.normal(size=4))
    init, Xb = big.initial_model(), rng.uniform(-1, 1, (10, 3))

    def refuse():
        try:
            KAGeometryAnalyzer(random_state=0).fit(init, Xb)
        except MinorBudgetError:
            return True
        raise AssertionError("the analysis was not refused")

    return timed(refuse, repeat=5)[0]


if __name__ == "__main__":
    main()
