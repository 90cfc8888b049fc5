"""fit_many against a per-model loop of ordinary fits, on the paper's 48-model grid.

    python benchmarks/bench_fit_many.py [--quick] [--device cpu|cuda] [--skip-throughput]

The grid: xor/linear/random x m in {4, 8, 16, 32} x 4 seeds, 1000 training examples, an
independent 1000-example test set monitored for early stopping, batch 250, Adam lr=0.01,
patience 50, at most 10,000 epochs. ``fit_many`` runs with ``n_jobs=1`` and ``n_jobs=2`` and the
loop once, all in this process, one after the other; the figures that matter are the ratios. The
R^2 of every model is printed beside the loop's.

The throughput part trains 4 and then 200 models of width 32 (xor, 1000 examples, the test set
monitored, at most 300 epochs) and prints model-epochs per second: with 200 models the stack is
full and models join as others stop (continuous batching).
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning

from sklearn_ka import ShallowMLPRegressor, fit_many, make_ka_regression


def grid(seeds, max_epochs, device, functions=("xor", "linear", "random"), widths=(4, 8, 16, 32)):
    jobs = []
    for f in functions:
        for m in widths:
            for s in seeds:
                train = make_ka_regression(f, 1000, 3, random_state=2 * s, function_seed=s)
                test = make_ka_regression(f, 1000, 3, random_state=2 * s + 1, function_seed=s)
                est = ShallowMLPRegressor(m, batch_size=250, max_epochs=max_epochs, random_state=s, device=device)
                jobs.append((est, train, test))
    return jobs


def run_many(jobs, n_jobs):
    start = time.perf_counter()
    models = fit_many([clone(e) for e, _, _ in jobs], [tr[0] for _, tr, _ in jobs], [tr[1] for _, tr, _ in jobs],
                      eval_set=[te for _, _, te in jobs], n_jobs=n_jobs)
    return models, time.perf_counter() - start


def run_loop(jobs):
    start = time.perf_counter()
    models = [clone(e).fit(*tr, eval_set=te) for e, tr, te in jobs]
    return models, time.perf_counter() - start


def speed_up(args):
    seeds = range(2) if args.quick else range(4)
    jobs = grid(seeds, 300 if args.quick else 10000, args.device)
    one, t_one = run_many(jobs, 1)
    two, t_two = run_many(jobs, 2)
    loop, t_loop = run_loop(jobs)
    r2 = np.array([[m.score(*tr) for m in (a, b, c)] for a, b, c, (_, tr, _) in zip(one, two, loop, jobs)])
    print(f"models: {len(jobs)}; epochs run (sum over models): fit_many {sum(m.n_epochs_ for m in one)}, "
          f"loop {sum(m.n_epochs_ for m in loop)}; model-epochs x width: "
          f"{sum(m.n_epochs_ * m.hidden_units for m in loop)}; slowest model: {max(m.n_epochs_ for m in loop)} epochs")
    print(f"fit_many (n_jobs=1): {t_one:8.2f} s   speed-up (loop / fit_many): {t_loop / t_one:.1f}x")
    print(f"fit_many (n_jobs=2): {t_two:8.2f} s   speed-up (loop / fit_many): {t_loop / t_two:.1f}x")
    print(f"per-model loop     : {t_loop:8.2f} s")
    print("train R^2 per model (fit_many n_jobs=1 | n_jobs=2 | loop):")
    for (est, _, _), row in zip(jobs, r2):
        print(f"  m={est.hidden_units:2d} seed={est.random_state}: {row[0]:.6f} | {row[1]:.6f} | {row[2]:.6f}")
    print(f"max |train R^2 difference| fit_many vs loop: {np.abs(r2[:, 0] - r2[:, 2]).max():.2e} (n_jobs=1), "
          f"{np.abs(r2[:, 1] - r2[:, 2]).max():.2e} (n_jobs=2)")
    return t_loop / t_one, t_loop / t_two


def throughput(args):
    for n_models in (4, 200):
        jobs = grid(range(n_models), 300, args.device, functions=("xor",), widths=(32,))
        models, elapsed = run_many(jobs, 1)
        epochs = sum(m.n_epochs_ for m in models)
        print(f"throughput, {n_models:3d} models of width 32: {epochs / elapsed:8.0f} model-epochs/s "
              f"({epochs} model-epochs in {elapsed:.1f} s)")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="2 seeds, at most 300 epochs")
    p.add_argument("--device", default="cpu")
    p.add_argument("--skip-throughput", action="store_true")
    p.add_argument("--skip-speed-up", action="store_true")
    args = p.parse_args(argv)
    warnings.simplefilter("ignore", ConvergenceWarning)  # the quick runs stop at max_epochs on purpose
    if not args.skip_throughput:
        throughput(args)
    if not args.skip_speed_up:
        return speed_up(args)


if __name__ == "__main__":
    main()
