"""Start-up time of the command line against ``python -c "import torch"``, in one run.

    python benchmarks/bench_cli.py [--quick] [--repeats N]

Each case is a fresh interpreter, timed from launch to exit (wall clock). The cases run
interleaved, round after round, so that load on this machine hits all of them alike; the figures
are the medians over the rounds and their ratios to ``import torch`` measured in the same run:

* ``sklearn-ka --help`` and ``--version`` (``python -m sklearn_ka ...``): the target is well under
  the cost of importing torch, since they import only the standard library;
* ``from sklearn_ka import ShallowMLPRegressor``: what every command cost before the package root
  became lazy (torch, scikit-learn, pandas through the sub-packages);
* ``python -c pass``: the interpreter's own start-up, the floor of any command.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CASES = {
    "python -c pass": ["-c", "pass"],
    "sklearn-ka --help": ["-m", "sklearn_ka", "--help"],
    "sklearn-ka --version": ["-m", "sklearn_ka", "--version"],
    "import torch (reference)": ["-c", "import torch"],
    "from sklearn_ka import ShallowMLPRegressor": ["-c", "from sklearn_ka import ShallowMLPRegressor"],
}
REFERENCE = "import torch (reference)"


def _time(args):
    t = time.perf_counter()
    subprocess.run([sys.executable, *args], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="3 rounds instead of --repeats")
    p.add_argument("--repeats", type=int, default=9, help="rounds of every case (default: 9)")
    args = p.parse_args(argv)
    rounds = 3 if args.quick else args.repeats
    if rounds < 1:
        p.error("--repeats must be >= 1")
    for argv_ in CASES.values():  # warm the file cache; not timed
        _time(argv_)
    times = {name: [] for name in CASES}
    for _ in range(rounds):
        for name, argv_ in CASES.items():
            times[name].append(_time(argv_))
    ref = statistics.median(times[REFERENCE])
    print(f"python {sys.version.split()[0]}, {rounds} rounds, median wall time per fresh interpreter")
    print(f"{'case':<44} {'median s':>9} {'min s':>7} {'max s':>7} {'/ import torch':>15}")
    for name, values in times.items():
        med = statistics.median(values)
        print(f"{name:<44} {med:9.3f} {min(values):7.3f} {max(values):7.3f} {med / ref:15.2f}")
    help_ratio = statistics.median(times["sklearn-ka --help"]) / ref
    print(f"\n--help costs {help_ratio:.2f} x `import torch` in this run "
          f"({'well under' if help_ratio < 0.5 else 'NOT well under'} it).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
