"""Options and checks shared by the commands that run experiments (``reproduce``, ``phase``, ``intervene``)."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from ._types import MIN_SEEDS, device, int_at_least, n_jobs, seeds

__all__ = ["add_mode_options", "add_run_options", "checked_workers", "run_report"]

#: The monitored-loss help of the report commands.
MONITOR_HELP = "the loss early stopping monitors: the independent test set or the training loss (default: test)"


def add_mode_options(p: argparse.ArgumentParser, quick_help: str, full_help: str, default_out: dict,
                     seeds_note: str = "") -> None:
    """Add ``--quick`` / ``--full``, ``--out``, ``--seeds`` and the run options of a report command."""
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--quick", dest="full", action="store_false", help=quick_help)
    mode.add_argument("--full", dest="full", action="store_true", help=full_help)
    p.set_defaults(full=False)
    p.add_argument("--out", default=None, metavar="DIR",
                   help=f"output directory, created if needed (default: {default_out['quick']} with --quick, "
                        f"{default_out['full']} with --full)")
    p.add_argument("--seeds", type=seeds, default=None, metavar="SEEDS",
                   help=f"N for the seeds 0, 1, ..., N-1, or a comma-separated list of distinct seeds (at least "
                        f"{MIN_SEEDS}){seeds_note} (default: 8)")
    add_run_options(p, monitor_help=MONITOR_HELP)


def run_report(report: Callable, args: argparse.Namespace, parser: argparse.ArgumentParser | None,
               default_out: dict) -> int:
    """Run a report command (``report(out, quick=..., ...)``) from its parsed arguments; return the exit status."""
    workers = checked_workers(args, parser)
    mode = "full" if args.full else "quick"
    overrides = {k: v for k, v in (("monitor", args.monitor), ("patience", args.patience)) if v is not None}
    res = report(args.out if args.out is not None else default_out[mode], quick=not args.full, n_jobs=workers,
                 seeds=args.seeds, device=args.device, settings=overrides or None, overwrite=args.overwrite,
                 verbose=0 if args.quiet else 1)
    if not args.quiet:
        print(f"report: {res['out_dir'] / 'report.md'} and report.html ({res['run_time_s']:.0f} s)")
    return 0


def add_run_options(p: argparse.ArgumentParser, monitor_help: str) -> None:
    """Add ``--device``, ``--monitor``, ``--patience``, ``--n-jobs``, ``--overwrite`` and ``--quiet``."""
    p.add_argument("--device", type=device, default="cpu", metavar="DEVICE",
                   help="torch device for training and analysis: cpu, cuda or cuda:N (default: %(default)s)")
    p.add_argument("--monitor", choices=("test", "train"), default=None, help=monitor_help)
    p.add_argument("--patience", type=int_at_least(1), default=None, metavar="P",
                   help="early-stopping patience in epochs (default: 50, the paper's)")
    p.add_argument("--n-jobs", type=n_jobs, default=None, metavar="N",
                   help="parallel sweep tasks, -1 for every CPU (default: the number of CPUs, at most 8)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace a report of other settings found in --out (its files and stores are deleted); "
                        "without it such a directory is refused, while a run of the same settings resumes there")
    p.add_argument("--quiet", action="store_true", help="print no progress messages")


def checked_workers(args: argparse.Namespace, parser: argparse.ArgumentParser | None) -> int:
    """Check ``--device`` (a usage error through ``parser``, else ``SystemExit``); return the sweep workers."""
    import os

    from .._utils import check_device

    try:
        check_device(args.device, name="--device")
    except ValueError as exc:
        if parser is None:
            raise SystemExit(str(exc)) from None
        parser.error(str(exc))  # e.g. "--device='cuda' was requested but no CUDA GPU is available ..."
    return args.n_jobs if args.n_jobs is not None else max(1, min(8, os.cpu_count() or 1))
