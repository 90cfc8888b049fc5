"""Analysis time against the number of Haar rotations, per width: the factor the phase report's estimate uses.

    python benchmarks/bench_rotation_cost.py [--widths 4 8 16 32 64] [--rotations 100 400]

For each width, one xor model (n = 3, 1000 examples, the paper's protocol, seed 0) is trained, then
analysed on its 1000 training examples with the default ``KAGeometryAnalyzer`` and Haar rotations,
once per number of rotations, in this process (the faster of two repeats). Printed: seconds per
analysis and each count's time over the first count's: the ``rotation_factor`` of
``sklearn_ka.report.phase_report``'s measured costs.
"""

from __future__ import annotations

import argparse
import time
import warnings

from sklearn.exceptions import ConvergenceWarning

from sklearn_ka import KAGeometryAnalyzer, ShallowMLPRegressor, make_ka_regression


def analysis_seconds(model, X, n_rotations, repeats=2):
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        an = KAGeometryAnalyzer(n_rotations=n_rotations, rotation_method="haar", random_state=0)
        an.fit(model.initial_model(), X)
        an.transform(model, X)
        best = min(best, time.perf_counter() - start)
    return best


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--widths", type=int, nargs="+", default=[4, 8, 16, 32, 64])
    p.add_argument("--rotations", type=int, nargs="+", default=[100, 400])
    args = p.parse_args(argv)
    X, y = make_ka_regression("xor", 1000, 3, random_state=0)
    Xt, yt = make_ka_regression("xor", 1000, 3, random_state=1)
    print(f"{'m':>4} " + " ".join(f"{r:>8} rot s" for r in args.rotations) + "   factor over the first")
    for m in args.widths:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model = ShallowMLPRegressor(m, random_state=0).fit(X, y, eval_set=(Xt, yt))
        times = [analysis_seconds(model, X, r) for r in args.rotations]
        print(f"{m:>4} " + " ".join(f"{t:>14.2f}" for t in times) + "   "
              + ", ".join(f"{r}: {t / times[0]:.2f}" for r, t in zip(args.rotations, times)))


if __name__ == "__main__":
    main()
