"""``python -m sklearn_ka reproduce``: the report of :func:`sklearn_ka.report.reproduce`."""

from __future__ import annotations


def add_parser(sub):
    """Add the ``reproduce`` subcommand to an argparse subparsers object."""
    p = sub.add_parser("reproduce", help="run the paper's experiments and write report.md/report.html with figures")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--quick", dest="full", action="store_false",
                      help="Tables I-III and their figures (default; about 5-10 minutes on 2 cores)")
    mode.add_argument("--full", dest="full", action="store_true",
                      help="every experiment at the paper's scale (hours; resumable through OUT/store)")
    p.set_defaults(full=False)
    p.add_argument("--out", default="reproduce-report", help="output directory (default: reproduce-report)")
    p.add_argument("--n-jobs", type=int, default=None,
                   help="parallel sweep tasks (default: the number of CPUs, at most 8)")
    p.add_argument("--quiet", action="store_true", help="no progress messages")
    return p


def run(args):
    """Run the subcommand; returns the exit status."""
    import os

    from ..report import reproduce

    n_jobs = args.n_jobs
    if n_jobs is None:
        n_jobs = max(1, min(8, os.cpu_count() or 1))
    elif n_jobs == 0 or n_jobs < -1:
        raise SystemExit("--n-jobs must be a positive integer or -1 (all CPUs).")
    res = reproduce(args.out, quick=not args.full, n_jobs=n_jobs, verbose=0 if args.quiet else 1)
    if not args.quiet:
        print(f"report: {res['out_dir'] / 'report.md'} and report.html ({res['run_time_s']:.0f} s)")
    return 0
