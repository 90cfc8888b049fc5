"""Options and checks shared by the commands that run experiments (``reproduce``, ``phase``)."""

from __future__ import annotations

import argparse

from ._types import device, int_at_least, n_jobs

__all__ = ["add_run_options", "checked_workers"]


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
