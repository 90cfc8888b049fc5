"""sweep(n_jobs=2) against a plain loop of single fits and analyses, on the paper's 48-model grid.

    python benchmarks/bench_sweep.py [--quick] [--no-analysis] [--n-jobs 2] [--skip-loop]

The grid (the paper's static experiment): xor/linear/random x hidden_units in {4, 8, 16, 32} x 4 seeds,
1000 training examples, an independent 1000-example test set monitored for early stopping
(the package's default; the paper does not say which loss it monitors), batch 250, Adam lr=0.01,
patience 50, at most 10,000 epochs; every model analysed against its own initialisation with the
default KAGeometryAnalyzer (unless ``--no-analysis`` or the analyzer is not available). ``--quick``:
2 seeds, at most 300 epochs.

Both sides run in this process, one after the other, on the same data (the sweep's seed
protocol); the loop is what one would write by hand: ``est.fit(X, y, eval_set=(Xt, yt))`` then
``analyzer.fit(est.initial_model(), X).score(est, X)``, one model at a time. The goal is the
whole grid, training and analysis, in at most 90 s on a 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
from sklearn.base import clone

from sklearn_ka import ShallowMLPRegressor
from sklearn_ka.sweeps import make_sweep_data, sweep

FUNCTIONS = ("xor", "linear", "random")
WIDTHS = (4, 8, 16, 32)


def _analyzer(no_analysis):
    if no_analysis:
        return False
    try:
        from sklearn_ka.analysis import KAGeometryAnalyzer
    except ImportError:
        print("sklearn_ka.analysis.KAGeometryAnalyzer is not available: benchmarking training only.")
        return False
    return KAGeometryAnalyzer()


def plain_loop(seeds, max_epochs, analyzer):
    rows = []
    for f in FUNCTIONS:
        for m in WIDTHS:
            for s in seeds:
                X, y, Xt, yt = make_sweep_data(f, s, n_samples=1000)
                est = ShallowMLPRegressor(m, batch_size=250, max_epochs=max_epochs, patience=50, random_state=s)
                est.fit(X, y, eval_set=(Xt, yt))
                row = {"function": f, "hidden_units": m, "seed": s, "train_r2": est.score(X, y)}
                if analyzer is not False:
                    an = clone(analyzer).set_params(random_state=s)
                    row.update(an.fit(est.initial_model(), X).score(est, X))
                rows.append(row)
    return rows


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="2 seeds, at most 300 epochs")
    p.add_argument("--no-analysis", action="store_true", help="train only")
    p.add_argument("--n-jobs", type=int, default=2)
    p.add_argument("--skip-loop", action="store_true", help="time the sweep only")
    p.add_argument("--task-size", default="auto", help="models per task (default: auto)")
    args = p.parse_args(argv)
    seeds = list(range(2) if args.quick else range(4))
    max_epochs = 300 if args.quick else 10000
    analyzer = _analyzer(args.no_analysis)
    n_models = len(FUNCTIONS) * len(WIDTHS) * len(seeds)
    print(f"{n_models} models ({'quick' if args.quick else 'paper protocol'}), analysis: "
          f"{'no' if analyzer is False else 'yes'}, {os.cpu_count()} CPUs")

    t0 = time.perf_counter()
    df = sweep({"hidden_units": list(WIDTHS), "batch_size": [250], "max_epochs": [max_epochs], "patience": [50]},
               functions=list(FUNCTIONS), seeds=seeds, analyzer=analyzer, n_samples=1000,
               n_jobs=args.n_jobs, verbose=0,
               task_size=args.task_size if args.task_size == "auto" else int(args.task_size))
    t_sweep = time.perf_counter() - t0
    print(f"sweep(n_jobs={args.n_jobs}): {t_sweep:7.1f} s  ({df.attrs['sweep']['n_tasks']} tasks; "
          f"total epochs {int(df['n_epochs'].sum())}, sum of fit_time {df['fit_time'].sum():.1f} s"
          + (f", sum of analysis_time {df['analysis_time'].sum():.1f} s" if "analysis_time" in df else "") + ")")
    print(df.groupby(["function", "hidden_units"])["train_r2"].agg(["mean", "std"]).round(4).to_string())
    if args.skip_loop:
        return
    t0 = time.perf_counter()
    rows = plain_loop(seeds, max_epochs, analyzer)
    t_loop = time.perf_counter() - t0
    print(f"plain loop:    {t_loop:7.1f} s")
    print(f"ratio loop / sweep: {t_loop / t_sweep:.2f}x")
    loop_r2 = np.array([r["train_r2"] for r in rows])
    print(f"max |train R2 (sweep) - train R2 (loop)| = {np.max(np.abs(loop_r2 - df['train_r2'].to_numpy())):.2e}")


if __name__ == "__main__":
    main()
