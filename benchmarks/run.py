"""Run every benchmark and print each one's figures (times, same-run references, ratios).

    python benchmarks/run.py [--quick] [--device cpu|cuda] [--only NAME ...]

Each benchmark measures the project against a reference in the same process (this machine is
noisy: the ratios are the figures that matter). ``--device cuda`` runs the cases that take a
device on the GPU (the GPU script: ``benchmarks/gpu.sh``).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
#: name -> (script, takes --device, arguments for --quick)
BENCHMARKS = {
    "observables": ("bench_observables.py", False, ["--quick"]),
    "analyzer": ("bench_analyzer.py", True, ["--quick"]),
    "jacobians": ("bench_jacobians.py", False, ["--quick"]),
    "fit_many": ("bench_fit_many.py", True, ["--quick"]),
    "ka_penalty": ("bench_ka_penalty.py", True, ["--quick"]),
    "rotation_cost": ("bench_rotation_cost.py", False, ["--widths", "4", "8"]),
    "critical_batch": ("bench_critical_batch.py", False, ["--quick"]),
    "sweep": ("bench_sweep.py", False, ["--quick"]),
    "scale": ("bench_scale.py", False, ["--examples", "200", "--exact-examples", "6"]),
    "cli": ("bench_cli.py", False, ["--quick"]),
}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--device", default="cpu")
    p.add_argument("--only", nargs="*", choices=sorted(BENCHMARKS), default=None)
    args = p.parse_args(argv)
    failed = []
    for name, (script, device, quick_args) in BENCHMARKS.items():
        if args.only and name not in args.only:
            continue
        if args.device != "cpu" and not device:
            continue
        cmd = [sys.executable, str(HERE / script)] + (quick_args if args.quick else [])
        if device:
            cmd += ["--device", args.device]
        print(f"\n=== {name}: {' '.join(cmd[1:])}", flush=True)
        t = time.perf_counter()
        rc = subprocess.call(cmd)
        print(f"--- {name}: exit {rc}, {time.perf_counter() - t:.1f} s wall", flush=True)
        if rc:
            failed.append(name)
    if failed:
        print(f"\nfailed: {failed}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
