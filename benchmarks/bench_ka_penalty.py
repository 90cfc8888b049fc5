"""The cost of the KA gradient: seconds per training step with a KAPenalty against plain training.

    python benchmarks/bench_ka_penalty.py [--quick] [--device cpu|cuda] [--models 8] [--epochs E]

For each width m in {8, 16, 32, 64} and minor size k in {1, 2, 3}, ``--models`` (4) models of width m
(xor, n = 3 inputs, 1000 examples, batch 250, so 4 steps an epoch) train for a fixed number of
epochs (no early stopping) in one stack, once plain and once with
``KAPenalty(beta=0.01, term="participation_ratio", orders=k)``; the plain run is repeated after the
penalised one and the faster of the two is the reference. Printed: seconds per step (the whole
stack's step), the overhead ratio penalised / plain, and the sizes behind it (C(m, k) rows per
example). Then the three terms side by side at k = 3 (m = 32), and the default orders (1, 2, 3).
Everything runs in this process, one torch thread; the ratios are the figures that matter.
"""

from __future__ import annotations

import argparse
import math
import time
import warnings

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning

from sklearn_ka import make_ka_regression
from sklearn_ka.engine import train_models
from sklearn_ka.interventions import KA_TERMS, KAPenalty

N_FEATURES, N_SAMPLES, BATCH = 3, 1000, 250


def _models(width, count):
    out = []
    for s in range(count):
        rng = np.random.default_rng(s)
        out.append((rng.normal(0, N_FEATURES ** -0.5, (N_FEATURES, width)), np.zeros(width),
                    rng.normal(0, width ** -0.5, width), np.zeros(())))
    return out


def seconds_per_step(width, count, epochs, device, penalty=None):
    X, y = make_ka_regression("xor", N_SAMPLES, N_FEATURES, random_state=0)
    models = _models(width, count)
    terms = None if penalty is None else [penalty] * count
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        train_models(models, X[None], y[None], batch_size=BATCH, max_epochs=epochs, patience=epochs + 1,
                     device=device, loss_terms=terms, n_threads=1)
    return (time.perf_counter() - start) / (epochs * math.ceil(N_SAMPLES / BATCH))


def overhead(width, k, args, term="participation_ratio", orders=None):
    pen = KAPenalty(beta=0.01, term=term, orders=orders or (k,))
    plain1 = seconds_per_step(width, args.models, args.epochs, args.device)
    with_pen = seconds_per_step(width, args.models, args.epochs, args.device, pen)
    plain2 = seconds_per_step(width, args.models, args.epochs, args.device)
    plain = min(plain1, plain2)
    return plain, with_pen, with_pen / plain


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--quick", action="store_true", help="m in {8, 16}, fewer epochs")
    p.add_argument("--device", default="cpu")
    p.add_argument("--models", type=int, default=4)
    p.add_argument("--epochs", type=int, default=None)
    args = p.parse_args(argv)
    args.epochs = args.epochs or (2 if args.quick else 3)
    torch.set_num_threads(1)
    widths = (8, 16) if args.quick else (8, 16, 32, 64)
    print(f"KA penalty overhead: {args.models} models per stack, {args.epochs} epochs of "
          f"{math.ceil(N_SAMPLES / BATCH)} steps, batch {BATCH}, n = {N_FEATURES}, device {args.device}")
    print(f"{'m':>4} {'k':>2} {'C(m,k)':>7} {'plain s/step':>13} {'penalty s/step':>15} {'ratio':>8}")
    for width in widths:
        for k in (1, 2, 3):
            plain, pen, ratio = overhead(width, k, args)
            print(f"{width:>4} {k:>2} {math.comb(width, k):>7} {plain:>13.5f} {pen:>15.5f} {ratio:>7.1f}x")
    width = 16 if args.quick else 32
    print(f"\nterms at m = {width}:")
    for term in KA_TERMS:
        for orders in ((3,), (1, 2, 3)):
            plain, pen, ratio = overhead(width, None, args, term=term, orders=orders)
            print(f"  {term:>20} k={','.join(map(str, orders)):<6} plain {plain:.5f} s/step, with the term "
                  f"{pen:.5f} s/step: {ratio:.1f}x")


if __name__ == "__main__":
    main()
