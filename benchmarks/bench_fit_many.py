"""fit_many against a per-model loop of ordinary fits, on the paper's 48-model grid.

    python benchmarks/bench_fit_many.py [--quick] [--device cpu|cuda]

The grid: xor/linear/random x m in {4, 8, 16, 32} x 4 seeds, 1000 training examples, an
independent 1000-example test set monitored for early stopping, batch 250, Adam lr=0.01,
patience 50, at most 10,000 epochs. Both sides run in this process, one after the other;
the figure that matters is their ratio.
"""

from __future__ import annotations

import argparse
import time

from sklearn.base import clone

from sklearn_ka import ShallowMLPRegressor, fit_many, make_ka_regression


def grid(seeds, max_epochs, device):
    jobs = []
    for f in ("xor", "linear", "random"):
        for m in (4, 8, 16, 32):
            for s in seeds:
                train = make_ka_regression(f, 1000, 3, random_state=2 * s, function_seed=s)
                test = make_ka_regression(f, 1000, 3, random_state=2 * s + 1, function_seed=s)
                est = ShallowMLPRegressor(m, batch_size=250, max_epochs=max_epochs, random_state=s, device=device)
                jobs.append((est, train, test))
    return jobs


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--quick", action="store_true", help="2 seeds, at most 300 epochs")
    p.add_argument("--device", default="cpu")
    p.add_argument("--n-jobs", type=int, default=1, help="fit_many's n_jobs (stacks trained concurrently)")
    args = p.parse_args(argv)
    seeds = range(2) if args.quick else range(4)
    jobs = grid(seeds, 300 if args.quick else 10000, args.device)

    t = time.perf_counter()
    many = fit_many([clone(e) for e, _, _ in jobs], [tr[0] for _, tr, _ in jobs], [tr[1] for _, tr, _ in jobs],
                    eval_set=[te for _, _, te in jobs], n_jobs=args.n_jobs)
    t_many = time.perf_counter() - t

    t = time.perf_counter()
    loop = [clone(e).fit(*tr, eval_set=te) for e, tr, te in jobs]
    t_loop = time.perf_counter() - t

    epochs_many = sum(m.n_epochs_ for m in many)
    diffs = [abs(a.score(*tr) - b.score(*tr)) for a, b, (_, tr, _) in zip(many, loop, jobs)]
    print(f"models: {len(jobs)}; epochs run (sum over models): fit_many {epochs_many}, "
          f"loop {sum(m.n_epochs_ for m in loop)}")
    print(f"fit_many (n_jobs={args.n_jobs}): {t_many:8.2f} s")
    print(f"per-model loop  : {t_loop:8.2f} s")
    print(f"speed-up (loop / fit_many): {t_loop / t_many:.1f}x")
    print(f"max |train R^2 difference| between the two: {max(diffs):.2e} (float32 rounding in long runs)")
    return t_loop / t_many


if __name__ == "__main__":
    main()
