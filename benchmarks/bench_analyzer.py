"""KAGeometryAnalyzer end to end on a trained model: cold and warm, the rotation ratio's
seed-to-seed spread, and the naive reference.

    python benchmarks/bench_analyzer.py [--quick] [--device cpu|cuda] [--seeds S]

Times ``KAGeometryAnalyzer(...).fit(mlp.initial_model(), X).score(mlp, X)`` for a trained
m = 32 xor model on 1000 examples, k = 1, 2, 3, every observable, with the "haar" and the
"sampled" (N = 400) rotation methods, single-threaded; "cold" is the first analysis of this
process, "warm" the median of 5 ("haar") or 3 ("sampled") runs. Then a cold "haar" fit + score in
a new process (after its imports; target: within 1.3x of a warm one there).

Seed-to-seed spread: the standard deviation over ``--seeds`` random states (default 8) of the
mean rotation ratios at k = 1, 2 (k < n = 3, where "haar" is a Monte Carlo estimate), for
"haar" with a rotation of its own per example (now), "haar" with one set of frames shared by all
examples (before: the same Stiefel samples, no per-example rotation), and "sampled".

Then the same analysis of a scaled-down model (m = 12, 16 examples, N = 16) against the naive
itertools/det reference of benchmarks/bench_observables.py, in the same run (medians of 7 and 3
runs), and the time to refuse an analysis beyond the memory budget.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bench_observables import naive_observables  # noqa: E402

from sklearn_ka import KAGeometryAnalyzer, ShallowMLPRegressor, make_ka_regression  # noqa: E402

# a fresh interpreter: import, then one cold fit + score and three warm ones
_NEW_PROCESS = r"""
import json, pickle, sys, time, warnings
t = time.perf_counter()
import torch
from sklearn_ka import KAGeometryAnalyzer
imports = time.perf_counter() - t
torch.set_num_threads(1)
warnings.simplefilter("ignore", RuntimeWarning)
with open(sys.argv[1], "rb") as fh:
    init, mlp, X, device = pickle.load(fh)
def run():
    t = time.perf_counter()
    KAGeometryAnalyzer(random_state=0, device=device).fit(init, X).score(mlp, X)
    return time.perf_counter() - t
cold = run()
warm = sorted(run() for _ in range(3))[1]
print(json.dumps({"imports": imports, "cold": cold, "warm": warm}))
"""


def timed(fn, repeat=1):
    """(median wall time over ``repeat`` runs, last output): this machine is noisy."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return float(np.median(times)), out


def new_process_times(init, mlp, X, device):
    """{"imports", "cold", "warm"} seconds of a "haar" fit + score in a new Python process."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.pkl")
        with open(path, "wb") as fh:
            pickle.dump((init, mlp, X, device), fh)
        out = subprocess.run([sys.executable, "-c", _NEW_PROCESS, path], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def seed_spread(init, mlp, X, method, seeds, shared_frames=False):
    """Mean rotation ratios (k = 1, 2 and normalised) for each seed: an array (seeds, 4)."""
    import sklearn_ka.analysis._analyzer as analyzer_module
    import sklearn_ka.observables._rotation as rotation_module

    keys = ["rotation_ratio_k1", "rotation_ratio_k2", "rotation_ratio_normalized_k1", "rotation_ratio_normalized_k2"]
    original = rotation_module.example_rotations
    if shared_frames:  # every example's rotation is the identity: the frames are the shared Q_p
        rotation_module.example_rotations = lambda seed, index, m: torch.eye(m, dtype=torch.float64).expand(
            len(index), m, m)
    analyzer_module._cached_reference.cache_clear()
    try:
        rows = []
        for seed in range(seeds):
            s = KAGeometryAnalyzer(minor_sizes=(1, 2), rotation_method=method, random_state=seed).fit(init, X)
            rows.append([s.score(mlp, X)[k] for k in keys])
        return np.array(rows)
    finally:
        rotation_module.example_rotations = original
        analyzer_module._cached_reference.cache_clear()


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--quick", action="store_true", help="200 examples, 300 training epochs, 4 seeds")
    p.add_argument("--device", default="cpu")
    p.add_argument("--seeds", type=int, default=None)
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    warnings.simplefilter("ignore", RuntimeWarning)
    B = 200 if args.quick else 1000
    seeds = args.seeds or (4 if args.quick else 8)
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
    fresh = new_process_times(init, mlp, X, args.device)
    rows += [("haar, new process: import sklearn_ka and torch", fresh["imports"]),
             ("haar, new process: fit + score, cold", fresh["cold"]),
             ("haar, new process: fit + score, warm (median of 3)", fresh["warm"])]
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
    print(f"cold start in a new process: cold / warm = {fresh['cold'] / fresh['warm']:.2f} (target <= 1.3)")
    print(f"speed-up analyzer vs naive reference (same run, same problem): {t_naive / t_fast:.0f}x (target >= 100x)")
    spread_table(init, mlp, X, seeds)
    t_refuse = refusal_time()
    print(f"refusing an analysis that cannot fit the memory budget (m=2000, k=3): {t_refuse * 1e3:.2f} ms, "
          f"{t_refuse / warm['haar: fit + score, warm']:.4f} of one warm haar analysis")


def spread_table(init, mlp, X, seeds):
    """Print the seed-to-seed spread of the mean rotation ratios, before and after per-example frames."""
    results = {
        "haar, a rotation per example (now)": seed_spread(init, mlp, X, "haar", seeds),
        "haar, frames shared by all examples (before)": seed_spread(init, mlp, X, "haar", seeds, shared_frames=True),
        "sampled, N = 400": seed_spread(init, mlp, X, "sampled", seeds),
    }
    print(f"\nseed-to-seed spread (standard deviation over {seeds} random states) of the mean rotation ratio, "
          f"{len(X)} examples, N = 400:")
    names = ["r_k1", "r_k2", "normalised_k1", "normalised_k2"]
    w = max(map(len, results))
    print(f"{'':<{w}}  " + "  ".join(f"{n:>14}" for n in names))
    for label, values in results.items():
        sd = values.std(axis=0, ddof=1)
        print(f"{label:<{w}}  " + "  ".join(f"{v:14.2e}" for v in sd) + "   (mean "
              + ", ".join(f"{v:.4f}" for v in values.mean(axis=0)) + ")")
    now, before, sampled = (v.std(axis=0, ddof=1) for v in results.values())
    print(f"{'spread now / before':<{w}}  " + "  ".join(f"{v:14.3f}" for v in now / before))
    print(f"{'spread now / sampled':<{w}}  " + "  ".join(f"{v:14.3f}" for v in now / sampled))


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
