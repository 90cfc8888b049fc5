#!/usr/bin/env python3
"""Regenerate the table of Haar constants ``c(m, r)`` shipped in sklearn_ka/observables/_data/.

    python build_tools/make_haar_constants.py [--n-jobs 2] [--resume PARTIAL.jsonl] [--out FILE]
    python build_tools/make_haar_constants.py --check 20      # recompute 20 entries, compare

``c(m, r) = E max_I |det V[I, :]|`` over Haar-distributed ``m x r`` orthonormal ``V``, the
constant of the rotation ratio's exact ("haar") denominator. Each entry is the package's own
estimator, :func:`sklearn_ka.observables._haar.monte_carlo_constant` (fixed seed
``20240611 + 1000 m + r``, batches of 8192 samples, exact largest minor per sample, stopped at a
standard error <= 0.1 % of the value), so the table equals what the package computes when an entry
is missing, and the script is deterministic: the same entries whatever ``--n-jobs`` or order (up
to the last bits of LAPACK's QR on another machine). Every entry carries its standard error and
sample count. ``r <= m / 2`` only (``c(m, r) = c(m, m - r)``); ``r = 1`` is computed by quadrature
and is not stored.

The grid: ``min(r, m - r)`` in {2, 3} for every ``m`` up to 128, every 8th up to 256, every 32nd
up to 512 and every 64th up to 1024; ``min(r, m - r) = 4`` for ``m`` up to 64. About an hour on
one core; ``--resume`` keeps finished entries in a JSON-lines file, so an interrupted run goes on
where it stopped.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sklearn_ka.observables import _haar  # noqa: E402

REL_SE = 1e-3


def grid() -> list[tuple[int, int]]:
    """The (m, r) entries of the table, cheapest first."""
    widths = [*range(4, 129), *range(136, 257, 8), *range(288, 513, 32), *range(576, 1025, 64)]
    entries = [(m, r) for m in widths for r in (2, 3) if 2 * r <= m]
    entries += [(m, 4) for m in range(8, 65)]
    return sorted(entries, key=lambda e: (e[1] == 4, e[0] * e[1] ** 2))


def compute(m: int, r: int, rel_se: float = REL_SE) -> dict:
    import torch

    torch.set_num_threads(1)
    t = time.perf_counter()
    c, se, n = _haar.monte_carlo_constant(m, r, rel_se)
    return {"m": m, "r": r, "c": c, "se": se, "n_samples": n, "seconds": round(time.perf_counter() - t, 2)}


def write_table(rows: list[dict], out: Path, rel_se: float) -> None:
    import torch

    rows = sorted(rows, key=lambda e: (e["r"], e["m"]))
    meta = {
        "quantity": "c(m, r) = E max_I |det V[I, :]|, V Haar-distributed m x r with orthonormal columns",
        "estimator": "sklearn_ka.observables._haar.monte_carlo_constant",
        "seed": "numpy.random.default_rng(20240611 + 1000 * m + r)",
        "batch": _haar._BATCH, "min_samples": _haar._MIN_SAMPLES, "max_samples": _haar._MAX_SAMPLES,
        "rel_se_target": rel_se, "numpy": np.__version__, "torch": torch.__version__,
        "script": "build_tools/make_haar_constants.py",
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        out, m=np.array([e["m"] for e in rows], dtype=np.int64), r=np.array([e["r"] for e in rows], dtype=np.int64),
        c=np.array([e["c"] for e in rows]), se=np.array([e["se"] for e in rows]),
        n_samples=np.array([e["n_samples"] for e in rows], dtype=np.int64), meta=np.array(json.dumps(meta)))
    worst = max(e["se"] / e["c"] for e in rows)
    print(f"wrote {len(rows)} constants to {out}; largest relative standard error {worst:.2e}")


def check(n_entries: int) -> int:
    """Recompute ``n_entries`` entries of the shipped table spread over it; 1 if any differs."""
    table = _haar.shipped_constants()
    keys = sorted(table)
    pick = [keys[i] for i in np.linspace(0, len(keys) - 1, min(n_entries, len(keys))).round().astype(int)]
    bad = 0
    for m, r in pick:
        got = compute(m, r)
        c, se, n = table[m, r]
        same = got["n_samples"] == n and abs(got["c"] - c) <= 1e-12 * c
        bad += not same
        print(f"c({m}, {r}) = {c:.6f} +- {se:.1e} ({n} samples): recomputed {got['c']:.6f} "
              f"({got['n_samples']} samples) {'same' if same else 'DIFFERENT'}")
    return int(bad > 0)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", type=Path, default=_haar.TABLE_PATH)
    p.add_argument("--n-jobs", type=int, default=1)
    p.add_argument("--resume", type=Path, help="JSON-lines file of finished entries (read, then appended)")
    p.add_argument("--check", type=int, metavar="N", help="recompute N shipped entries and compare")
    args = p.parse_args(argv)
    if args.check:
        return check(args.check)
    done = {}
    if args.resume is not None and args.resume.exists():
        for line in args.resume.read_text().splitlines():
            if line.strip():
                e = json.loads(line)
                done[e["m"], e["r"]] = e
    todo = [e for e in grid() if e not in done]
    print(f"{len(done)} entries finished, {len(todo)} to compute with {args.n_jobs} job(s)", flush=True)
    from joblib import Parallel, delayed

    for entry in Parallel(n_jobs=args.n_jobs, return_as="generator")(delayed(compute)(m, r) for m, r in todo):
        done[entry["m"], entry["r"]] = entry
        print(f"c({entry['m']}, {entry['r']}) = {entry['c']:.6f} +- {entry['se']:.1e} "
              f"({entry['n_samples']} samples, {entry['seconds']} s)", flush=True)
        if args.resume is not None:
            with open(args.resume, "a") as fh:
                fh.write(json.dumps(entry) + "\n")
    write_table([done[e] for e in grid()], args.out, REL_SE)
    return 0


if __name__ == "__main__":
    sys.exit(main())
