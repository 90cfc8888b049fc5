"""Critical batch size of xor(m), m in {4, 8, 16, 32}: both methods, with their ingredients.

    python benchmarks/bench_critical_batch.py [--quick] [--seed S]

Paper protocol data (1000 training examples of xor on [-1, 1]^3, Adam lr=0.01, patience 50 on
the training loss), 4 pilots per estimate, criterion 0.9 x the smallest best pilot R^2.
The published value is B_c = 250 for xor (the largest over m).
"""

from __future__ import annotations

import argparse
import time

import pandas as pd

from sklearn_ka import ShallowMLPRegressor, estimate_critical_batch_size, make_ka_regression


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--quick", action="store_true", help="m in {4, 32}, 2 pilots")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    X, y = make_ka_regression("xor", 1000, random_state=args.seed)
    widths = (4, 32) if args.quick else (4, 8, 16, 32)
    rows = []
    for m in widths:
        for method in ("empirical", "noise_scale"):
            t = time.perf_counter()
            est = ShallowMLPRegressor(m, random_state=args.seed)
            r = estimate_critical_batch_size(est, X, y, method=method, n_pilots=2 if args.quick else 4)
            rows.append({"m": m, "method": method, "B_crit": r.batch_size, "value": r.value,
                         "target_r2": r.target_r2, "E_min": r.e_min, "S_min": r.s_min, "B_simple": r.b_simple,
                         "seconds": time.perf_counter() - t})
    df = pd.DataFrame(rows)
    print(df.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    return df


if __name__ == "__main__":
    main()
