"""The exact analyzer on wide inputs: 30 features, and the rotation ratio for k < n.

    python benchmarks/bench_wide_inputs.py [--quick] [--digits]

Times ``KAGeometryAnalyzer(minor_sizes=(1, 2)).fit(mlp.initial_model(), X).score(mlp, X)``, every
observable, for ``ShallowMLPClassifier(32)`` trained on ``make_classification(n_samples=400,
n_features=30)`` (target: <= 60 s), single-threaded, wall clock and CPU time of this process (other
processes share this machine: the CPU time is what the analysis costs). The same-process
reference is the "haar" denominator of the rotation ratio at k = 2 as computed before the
per-example frames (``C_2(Q_p) C_2(P)`` for every Stiefel sample, the products C(32, 2) x C(30, 2)
x C(30, 2)), timed on a few examples and extrapolated to the 800 Jacobians (400 trained, 400
initial). ``--digits`` adds scikit-learn's 8x8 digits (1797 examples, 64 features) at k = 1, 2.
``--quick``: 100 examples, 300 training epochs.
"""

from __future__ import annotations

import argparse
import time
import warnings

import torch

from sklearn_ka import KAGeometryAnalyzer, ShallowMLPClassifier
from sklearn_ka.exterior import compound_chain
from sklearn_ka.observables import RotationReference


def timed(fn):
    """(wall seconds, CPU seconds of this process, result)."""
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return time.perf_counter() - wall, time.process_time() - cpu, out


def shared_frames_denominator(J, k, ref):
    """The k < min(m, n) "haar" denominator before per-example frames: mean_p max |C_k(Q_p) C_k(P)|."""
    Ck_Q = compound_chain(ref.stiefel, k)[-1]  # (N, C(m, k), C(r, k)): once per analysis
    P = torch.linalg.qr(torch.from_numpy(J))[1]
    P = P * torch.sign(torch.diagonal(P, dim1=-2, dim2=-1))[..., None]
    Ck_P = compound_chain(P, k)[-1]  # (B, C(r, k), C(n, k))
    return torch.stack([(Ck_Q @ Ck_P[b]).abs_().amax(dim=(1, 2)).mean() for b in range(len(J))])


def analyse(X, y, epochs, label):
    mlp = ShallowMLPClassifier(32, max_epochs=epochs, random_state=0).fit(X, y)
    init = mlp.initial_model()
    B, n = X.shape
    wall, cpu, scores = timed(lambda: KAGeometryAnalyzer(minor_sizes=(1, 2), random_state=0).fit(init, X)
                              .score(mlp, X))
    print(f"{label}: {B} examples, {n} features, m = 32, train accuracy {mlp.score(X, y):.3f}")
    print(f"  exact analyzer, fit + score, every observable, k <= 2: {wall:.1f} s wall, {cpu:.1f} s CPU")
    print("  rotation ratios: " + ", ".join(f"{k} {v:.4f}" for k, v in scores.items() if k.startswith("rotation")))
    return mlp, init, cpu


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--digits", action="store_true")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    warnings.simplefilter("ignore", RuntimeWarning)
    from sklearn.datasets import make_classification

    B = 100 if args.quick else 400
    X, y = make_classification(n_samples=B, n_features=30, random_state=0)
    mlp, init, cpu = analyse(X, y, 300 if args.quick else 2000, "make_classification")
    # the same-process reference: the denominator before per-example frames, on a few examples
    ref = RotationReference.build(32, 30, (2,), "haar", 400, random_state=0)
    few = 2
    J = mlp.jacobian(X[:few])
    old_wall, old_cpu, _ = timed(lambda: shared_frames_denominator(J, 2, ref))
    per_jacobian = old_cpu / few
    print(f"  reference, the k = 2 'haar' denominator before per-example frames: {per_jacobian:.2f} s CPU per "
          f"Jacobian (timed on {few}), so about {per_jacobian * 2 * B:.0f} s CPU for the {2 * B} Jacobians")
    print(f"  whole analysis now / that denominator alone before: {cpu / (per_jacobian * 2 * B):.3f} "
          f"(target: <= 60 s for 400 examples; measured {cpu:.1f} s CPU)")
    if args.digits:
        from sklearn.datasets import load_digits

        Xd, yd = load_digits(return_X_y=True)
        analyse(Xd / 16.0, yd, 300, "load_digits")


if __name__ == "__main__":
    main()
