"""``sklearn-ka phase``: the KA phase diagram report of :func:`sklearn_ka.report.phase_report`."""

from __future__ import annotations

import argparse

from ._options import add_mode_options, run_report

__all__ = ["DEFAULT_OUT", "add_parser", "run"]

#: Output directory per mode when ``--out`` is not given (separate, so that the two modes' sweep
#: stores never meet in one directory).
DEFAULT_OUT = {"quick": "phase-report", "full": "phase-full"}

_DESCRIPTION = (
    "Map where Kolmogorov-Arnold geometry emerges in shallow MLPs: the KA phase diagram over target complexity "
    "(lambda of lambda-xor, lambda of G(lambda)), hidden width m and batch size B, with a significance test per "
    "cell and false-discovery control across cells (M. Freedman and M. Mulligan, \"Spontaneous Kolmogorov-Arnold "
    "Geometry in Shallow MLPs\", arXiv:2509.12326, name it as their next goal). Writes report.md and report.html "
    "with figures/*.png (maps and slices), cells.csv (every cell), tests.csv, models.csv, ranges.csv and "
    "settings.json. Every sweep is stored under OUT/store as it goes: rerunning the same command into the same "
    "directory resumes where it stopped."
)


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``phase`` command to an argparse sub-parsers object.

    Parameters
    ----------
    sub : argparse._SubParsersAction
        The object returned by :meth:`argparse.ArgumentParser.add_subparsers`.

    Returns
    -------
    argparse.ArgumentParser
        The parser of the command.
    """
    p = sub.add_parser("phase", help="map the KA phase diagram (lambda x width x batch size); write a report",
                       description=_DESCRIPTION)
    add_mode_options(
        p, quick_help="lambda-xor only: the (lambda x m) map at B = 250 and the (lambda x B) map at m = 32 on coarse "
                      "grids, 8 seeds per cell (default; about 10 to 15 minutes on 2 cores)",
        full_help="lambda-xor and G(lambda), every lambda x m in {4..64} x B in {32..1000}, 8 seeds per cell (hours; "
                  "the estimate is printed before it starts; resumable)",
        default_out=DEFAULT_OUT, seeds_note="; with fewer than 5 no cell can reach significance")
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
    from ..report import phase_report

    return run_report(phase_report, args, parser, DEFAULT_OUT)
