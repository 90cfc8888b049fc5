"""``sklearn-ka reproduce``: the report of :func:`sklearn_ka.report.reproduce`."""

from __future__ import annotations

import argparse

from ._options import add_run_options, checked_workers
from ._types import MIN_SEEDS, seeds

__all__ = ["DEFAULT_OUT", "add_parser", "run"]

#: Output directory per mode when ``--out`` is not given (separate, so that the two modes' sweep
#: stores never meet in one directory).
DEFAULT_OUT = {"quick": "reproduce-report", "full": "reproduce-full"}

_DESCRIPTION = (
    "Run the experiments of M. Freedman and M. Mulligan, \"Spontaneous Kolmogorov-Arnold Geometry in Shallow "
    "MLPs\" (arXiv:2509.12326), and write report.md and report.html (the same content) with figures/*.png and "
    "the numbers as CSV files. Every sweep is stored under OUT/store as it goes: rerunning the same command "
    "into the same directory resumes where it stopped. A directory holding a report of other settings is refused "
    "unless --overwrite."
)


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``reproduce`` command to an argparse sub-parsers object.

    Parameters
    ----------
    sub : argparse._SubParsersAction
        The object returned by :meth:`argparse.ArgumentParser.add_subparsers`.

    Returns
    -------
    argparse.ArgumentParser
        The parser of the command.
    """
    p = sub.add_parser("reproduce", help="run the paper's experiments; write a report with figures",
                       description=_DESCRIPTION)
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--quick", dest="full", action="store_false",
                      help="Tables I-III (48 models: 3 targets x m in {4, 8, 16, 32} x 4 seeds), their figures, one "
                           "evolution run and the tails of three models (default; a few minutes on 2 cores)")
    mode.add_argument("--full", dest="full", action="store_true",
                      help="every experiment at the paper's scale (hours on 2 cores; resumable)")
    p.set_defaults(full=False)
    p.add_argument("--out", default=None, metavar="DIR",
                   help=f"output directory, created if needed (default: {DEFAULT_OUT['quick']} with --quick, "
                        f"{DEFAULT_OUT['full']} with --full)")
    p.add_argument("--seeds", type=seeds, default=None, metavar="SEEDS",
                   help=f"N for the seeds 0, 1, ..., N-1, or a comma-separated list of distinct seeds such as "
                        f"0,1,5 (at least {MIN_SEEDS}); each seed fixes the data, the target's draw and the "
                        "initialisation of one model per cell. The figures use the first seed, and --quick's "
                        "evolution run too (default: 4, the paper's seeds 0-3)")
    add_run_options(p, monitor_help=(
        "the loss early stopping monitors in every experiment: the independent test set or the "
        "training loss (the paper does not say which; default: test). --full shows Appendix B and "
        "the protocol sensitivity under both whatever this says"))
    return p


def run(args: argparse.Namespace, parser: argparse.ArgumentParser | None = None) -> int:
    """Run the command from parsed arguments.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed by the parser of :func:`add_parser`.
    parser : argparse.ArgumentParser or None, default=None
        Reports an unusable ``--device`` as a usage error (exit status 2); ``None`` raises
        ``SystemExit`` with the message instead.

    Returns
    -------
    int
        The exit status.
    """
    from ..report import reproduce

    workers = checked_workers(args, parser)
    out = args.out if args.out is not None else DEFAULT_OUT["full" if args.full else "quick"]
    res = reproduce(out, quick=not args.full, n_jobs=workers, seeds=args.seeds, device=args.device,
                    monitor=args.monitor, patience=args.patience, overwrite=args.overwrite,
                    verbose=0 if args.quiet else 1)
    if not args.quiet:
        print(f"report: {res['out_dir'] / 'report.md'} and report.html ({res['run_time_s']:.0f} s)")
    return 0
