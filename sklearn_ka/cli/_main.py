"""Argument parsing for the ``sklearn-ka`` command (also ``python -m sklearn_ka``).

This module imports only the standard library and :mod:`sklearn_ka._version`, so that ``--help``
and ``--version`` answer at once: torch, scikit-learn, pandas and matplotlib are imported by the
commands that need them, when they run.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Sequence

from .._utils import PAPER_PROTOCOL
from .._version import __version__
from ._types import int_at_least

__all__ = ["DEBUG_ENV", "UsageError", "build_parser", "main"]

#: Set this environment variable to 1 to see the Python traceback of an error (like ``--debug``).
DEBUG_ENV = "SKLEARN_KA_DEBUG"


class UsageError(Exception):
    """A command refused before doing any work (reported like an argument error, exit status 2)."""

#: The program name of the installed console script; ``python -m sklearn_ka`` passes its own.
PROG = "sklearn-ka"

DESCRIPTION = """\
Train shallow MLPs f(x) = sigma(xA + a) B + b and measure the Kolmogorov-Arnold
(KA) geometry of their inner map x -> sigma(xA + a), as in M. Freedman and
M. Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in Shallow MLPs",
arXiv:2509.12326 (2025)."""

EPILOG = """\
exit status: 0 on success, 2 when the command line is refused before any work (bad
arguments, an analysis that cannot fit its memory budget, an output directory holding
another report), 1 when an error stops a running command, 130 when interrupted. Errors
are printed as one line; --debug (or {debug_env}=1) prints the Python traceback.

examples:
  {prog} demo
      train xor, linear and random at m = 32 and print a table
  {prog} reproduce --quick
      Tables I-III of the paper with figures, written to reproduce-report/
  {prog} reproduce --full --n-jobs 4
      every experiment at the paper's scale, written to reproduce-full/
  {prog} phase --quick --n-jobs 2
      the KA phase diagram of lambda-xor over width and batch size, written to phase-report/
  {prog} intervene --quick --n-jobs 2
      oscillatory activation and a KA term in the loss against a control, written to intervention-report/
"""

#: The demo's mini-batch size (the paper's); the training set must hold at least one batch.
#: (The conventions layer loads lazily: reading the protocol imports neither numpy nor torch.)
DEMO_BATCH_SIZE = PAPER_PROTOCOL.batch_size


def _add_demo_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    demo = sub.add_parser(
        "demo",
        help="train xor, linear and random (m = 32); print a table",
        description="Train the three published targets (xor, linear, random; n = 3 inputs) with the paper's "
                    "protocol, all at once, and print training and test R^2, epochs and time, then the main KA "
                    "observables of each model beside the same network at initialisation.",
    )
    demo.add_argument("--hidden-units", type=int_at_least(1), default=32, metavar="M",
                      help="hidden width m of every model (default: %(default)s)")
    demo.add_argument("--n-samples", type=int_at_least(DEMO_BATCH_SIZE, f"the training set holds at least one "
                                                                          f"mini-batch of {DEMO_BATCH_SIZE} examples"),
                      default=1000, metavar="N",
                      help=f"training examples per target, at least {DEMO_BATCH_SIZE} (one mini-batch); an "
                           "independent test set of the same size is the early-stopping set (default: %(default)s)")
    demo.add_argument("--max-epochs", type=int_at_least(1), default=10000, metavar="E",
                      help="at most this many epochs; early stopping (patience 50) usually ends training sooner "
                           "(default: %(default)s)")
    demo.add_argument("--seed", type=int_at_least(0), default=0, metavar="S",
                      help="seed of the data, the targets' random draw and the initialisation (default: %(default)s)")
    demo.add_argument("--no-analysis", action="store_true",
                      help="print only the training table, skipping the KA observables (faster)")
    return demo


def build_parser(prog: str = PROG) -> argparse.ArgumentParser:
    """The argument parser of the command line.

    Parameters
    ----------
    prog : str, default="sklearn-ka"
        Program name shown in the usage line.

    Returns
    -------
    argparse.ArgumentParser
    """
    from ._intervene import add_parser as add_intervene_parser
    from ._phase import add_parser as add_phase_parser
    from ._reproduce import add_parser

    parser = argparse.ArgumentParser(prog=prog, description=DESCRIPTION,
                                     epilog=EPILOG.format(prog=prog, debug_env=DEBUG_ENV),
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"sklearn-ka {__version__}",
                        help="print the version of sklearn-ka and exit")
    parser.add_argument("--debug", action="store_true",
                        help=f"on an error, print the Python traceback instead of one line (also {DEBUG_ENV}=1)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                title="commands", description="run '%(prog)s COMMAND --help' for the options "
                                                              "of one command")
    _add_demo_parser(sub)
    add_parser(sub)
    add_phase_parser(sub)
    add_intervene_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None, *, prog: str = PROG) -> int:
    """Run the command line.

    Parameters
    ----------
    argv : sequence of str or None, default=None
        The arguments (``None``: ``sys.argv[1:]``).
    prog : str, default="sklearn-ka"
        Program name shown in usage and error messages; ``python -m sklearn_ka`` passes
        ``"python -m sklearn_ka"``.

    Returns
    -------
    int
        The exit status: 0 on success; 2 when the command is refused before any work (argparse
        exits with 2 on bad arguments; the commands' own up-front checks return 2 with the usage
        line); 1 when an error stops a running command (one line on stderr, no traceback unless
        ``--debug`` or ``SKLEARN_KA_DEBUG=1``); 130 when interrupted.
    """
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    debug = args.debug or os.environ.get(DEBUG_ENV, "") not in ("", "0")
    sub = parser._subparsers._group_actions[0].choices[args.command]
    try:
        if args.command == "demo":
            from ._demo import check_demo, run_demo

            check_demo(args.hidden_units, analysis=not args.no_analysis, n_samples=args.n_samples)
            run_demo(hidden_units=args.hidden_units, n_samples=args.n_samples, max_epochs=args.max_epochs,
                     seed=args.seed, analysis=not args.no_analysis)
            return 0
        if args.command == "phase":
            from ._phase import run as run_phase

            return run_phase(args, parser)
        if args.command == "intervene":
            from ._intervene import run as run_intervene

            return run_intervene(args, parser)
        from ._reproduce import run

        return run(args, parser)
    except KeyboardInterrupt:
        if debug:
            raise
        print(f"{sub.prog}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - every error becomes one line (or a traceback with --debug)
        if debug:
            traceback.print_exc()
        message = _one_line(exc).removeprefix(f"{args.command}: ")
        if _refused_before_work(exc):
            sub.print_usage(sys.stderr)
            print(f"{sub.prog}: error: {message}", file=sys.stderr)
            return 2
        print(f"{sub.prog}: error: {message}", file=sys.stderr)
        if not debug:
            print(f"{sub.prog}: (run with --debug, or {DEBUG_ENV}=1, for the Python traceback)", file=sys.stderr)
        return 1


def _refused_before_work(exc: BaseException) -> bool:
    """Errors of the up-front checks: bad parameters, an existing report, a refused analysis."""
    if isinstance(exc, (UsageError, FileExistsError)):
        return True
    from .._utils import InvalidParameterError

    return isinstance(exc, InvalidParameterError)


def _one_line(exc: BaseException) -> str:
    """The message of ``exc`` on one line (its type when the message is empty)."""
    text = " ".join(str(exc).split())
    if isinstance(exc, (UsageError, FileExistsError)) or text and type(exc).__module__.startswith("sklearn_ka"):
        return text or type(exc).__name__
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
