"""Scale targets of the analysis at scale (sampled and exact minors): time and peak memory.

(a) sampled mode: 1000 examples of an n = 784, m = 256 first layer (A ~ N(0, 1/n), GeLU,
    x ~ U[-1, 1]^784), k = 1, 2, 3, with SampledKAGeometryAnalyzer; target <= 60 s, <= 4 GB.
(b) exact mode: m = 256, n = 3, k = 1, 2, 3 with KAGeometryAnalyzer(max_memory_bytes=1 GiB) on
    ``--exact-examples`` examples (peak memory grows with it: see the printed figures).

Each part runs in its own subprocess so that its peak RSS (``resource.getrusage``
``ru_maxrss``) is its own; numpy allocations are also traced with tracemalloc in (a).

Usage::

    python benchmarks/bench_scale.py                 # both parts
    python benchmarks/bench_scale.py --part sampled  # (a) only
    python benchmarks/bench_scale.py --part exact --exact-examples 48
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time


def _rss_gib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # Linux: KiB


def _first_layer(rng, n_samples, n, m):
    import numpy as np
    import torch

    A = rng.normal(0.0, 1.0 / np.sqrt(n), (n, m))
    a = np.zeros(m)
    X = rng.uniform(-1.0, 1.0, (n_samples, n))
    z = torch.as_tensor(X @ A + a)
    # GeLU'(z) = Phi(z) + z phi(z)
    D = (0.5 * (1 + torch.erf(z / 2**0.5)) + z * torch.exp(-z * z / 2) / (2 * torch.pi) ** 0.5).numpy()
    return D, A.T.copy()


def part_sampled(args):
    import tracemalloc

    import numpy as np

    from sklearn_ka.analysis import SampledKAGeometryAnalyzer

    rng = np.random.default_rng(0)
    B, n, m = args.examples, 784, 256
    D0, W0 = _first_layer(rng, B, n, m)
    # "trained": the same layer with a perturbed, partly pruned weight matrix
    W = W0 * (rng.random((m, 1)) > 0.2) + rng.normal(0, 0.05, W0.shape)
    D = D0 * rng.uniform(0.0, 1.5, D0.shape)
    tracemalloc.start()
    t0 = time.perf_counter()
    an = SampledKAGeometryAnalyzer(minor_sizes=tuple(args.ks), n_rows=args.n_rows, n_cols=args.n_cols,
                                   n_replicates=args.replicates, random_state=0)
    an.fit((D0, W0))
    t1 = time.perf_counter()
    res = an.estimate((D, W))
    t2 = time.perf_counter()
    _, np_peak = tracemalloc.get_traced_memory()
    out = dict(part="sampled", n_samples=B, n=n, m=m, ks=args.ks, n_rows=args.n_rows, n_cols=args.n_cols,
               n_replicates=args.replicates, fit_s=round(t1 - t0, 2), estimate_s=round(t2 - t1, 2),
               total_s=round(t2 - t0, 2), peak_rss_gib=round(_rss_gib(), 3),
               tracemalloc_peak_gib=round(np_peak / 2**30, 3))
    for k in args.ks:
        for key in (f"zero_rows_k{k}_q0.01", f"pr_normalized_k{k}", f"column_entropy_k{k}", f"column_kl_k{k}"):
            v = res[key]
            out[key] = f"{v['estimate']:.5g} [{v['low']:.5g}, {v['high']:.5g}] ({v['kind']})"
    print(json.dumps(out, indent=1))


def part_exact(args):
    import numpy as np

    from sklearn_ka.analysis import KAGeometryAnalyzer

    rng = np.random.default_rng(0)
    B, n, m = args.exact_examples, 3, 256
    D0, W0 = _first_layer(rng, B, n, m)
    D, W = D0 * rng.uniform(0.0, 1.5, D0.shape), W0 + rng.normal(0, 0.1, W0.shape)
    J0, J = D0[:, :, None] * W0, D[:, :, None] * W
    t0 = time.perf_counter()
    an = KAGeometryAnalyzer(max_memory_bytes=1 << 30, n_rotations=args.rotations, random_state=0).fit(J0)
    t1 = time.perf_counter()
    rss_fit = _rss_gib()
    an.score(J)
    t2 = time.perf_counter()
    print(json.dumps(dict(part="exact", n_samples=B, n=n, m=m, ks=[1, 2, 3], max_memory_bytes=1 << 30,
                          n_rotations=args.rotations, fit_s=round(t1 - t0, 2), score_s=round(t2 - t1, 2),
                          peak_rss_after_fit_gib=round(rss_fit, 3), peak_rss_gib=round(_rss_gib(), 3)), indent=1))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--part", choices=["sampled", "exact", "all"], default="all")
    p.add_argument("--examples", type=int, default=1000)
    p.add_argument("--ks", type=int, nargs="+", default=[1, 2, 3])
    p.add_argument("--n-rows", type=int, default=32)
    p.add_argument("--n-cols", type=int, default=32)
    p.add_argument("--replicates", type=int, default=8)
    p.add_argument("--exact-examples", type=int, default=24)
    p.add_argument("--rotations", type=int, default=50)
    args = p.parse_args(argv)
    if args.part == "all":
        for part in ("sampled", "exact"):
            subprocess.run([sys.executable, __file__, "--part", part] + (argv if argv is not None else sys.argv[1:]),
                           check=True)
        return
    (part_sampled if args.part == "sampled" else part_exact)(args)


if __name__ == "__main__":
    main()
