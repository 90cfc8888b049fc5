"""``sklearn-ka intervene``: the intervention report of :func:`sklearn_ka.report.intervention_report`."""

from __future__ import annotations

import argparse

from ._options import add_mode_options, run_report

__all__ = ["DEFAULT_OUT", "add_parser", "run"]

#: Output directory per mode when ``--out`` is not given (separate, so that the two modes' stores
#: never meet in one directory).
DEFAULT_OUT = {"quick": "intervention-report", "full": "intervention-full"}

_DESCRIPTION = (
    "Do the interventions M. Freedman and M. Mulligan (\"Spontaneous Kolmogorov-Arnold Geometry in Shallow MLPs\", "
    "arXiv:2509.12326) name as tools to induce KA geometry speed learning? Trains xor, lambda-xor and a random "
    "target under a control and five arms (the oscillatory activation z + 0.1 sin(10 z) from the start or switched "
    "on at training R^2 0.3 or 0.5; a KA term in the loss with beta > 0 or beta < 0), 8 seeds each, and compares "
    "every arm with the control: epochs and wall time to reach training R^2 0.5, 0.9 and 0.95 (censored runs "
    "handled), final R^2 and the KA observables, with bootstrap intervals and log-rank and permutation p-values. "
    "Writes report.md and report.html with figures/*.png, models.csv, statistics.csv and settings.json. Each "
    "(condition, arm) is stored under OUT/store as it ends: rerunning the same command into the same directory "
    "resumes where it stopped."
)


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``intervene`` command to an argparse sub-parsers object.

    Parameters
    ----------
    sub : argparse._SubParsersAction
        The object returned by :meth:`argparse.ArgumentParser.add_subparsers`.

    Returns
    -------
    argparse.ArgumentParser
        The parser of the command.
    """
    p = sub.add_parser("intervene", help="oscillatory activation and KA term in the loss against a control; "
                                         "write a report", description=_DESCRIPTION)
    add_mode_options(
        p, quick_help="xor at m = 8 and 16, lambda-xor at 1.35 and random at m = 32, the KA term on minor sizes 1 "
                      "and 2, 8 seeds per arm (default; about 10 minutes on 2 cores)",
        full_help="also xor at m = 32 and lambda-xor at 1.2, the KA term on minor sizes 1 to 3 (hours; the estimate "
                  "is printed before it starts; resumable)",
        default_out=DEFAULT_OUT)
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
    from ..report import intervention_report

    return run_report(intervention_report, args, parser, DEFAULT_OUT)
