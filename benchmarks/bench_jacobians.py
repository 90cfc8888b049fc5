"""Analytic Jacobians of the inner map against torch.func, in one run.

    python benchmarks/bench_jacobians.py [--quick]

For a ShallowMLPRegressor, ``mlp.jacobian(X)`` (``sigma'(z) A^T``, float64, NumPy) against
``inner_jacobian`` of the same map written as a torch module (``torch.func`` + ``vmap``, float64),
for a paper-sized model (n = 3, m = 32) and a wide one (n = 784, m = 256). Both give the same
numbers (checked); the figure is the ratio.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from sklearn_ka import ShallowMLPRegressor
from sklearn_ka.jacobians import inner_jacobian


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--quick", action="store_true")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    cases = [(3, 32, 20_000 if args.quick else 100_000), (784, 256, 200 if args.quick else 1000)]
    for n, m, B in cases:
        X = rng.uniform(-1, 1, (B, n))
        mlp = ShallowMLPRegressor(m, max_epochs=1, random_state=0).fit(X[:50], rng.normal(size=50))
        module = torch.nn.Sequential(torch.nn.Linear(n, m), torch.nn.GELU())
        with torch.no_grad():
            module[0].weight.copy_(torch.tensor(mlp.coefs_[0].T))
            module[0].bias.copy_(torch.tensor(mlp.intercepts_[0]))
        t = time.perf_counter()
        J = mlp.jacobian(X)
        t_analytic = time.perf_counter() - t
        t = time.perf_counter()
        J_func = inner_jacobian(module, X)
        t_func = time.perf_counter() - t
        assert np.allclose(J, J_func, rtol=1e-10, atol=1e-12)
        print(f"n={n:4d} m={m:4d} {B:7d} examples: analytic {t_analytic:7.3f} s, torch.func {t_func:7.3f} s, "
              f"ratio {t_func / t_analytic:6.1f}x (same values)")


if __name__ == "__main__":
    main()
