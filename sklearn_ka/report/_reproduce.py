"""``reproduce``: run the experiments of the study [1]_ and write a report (Markdown + HTML + PNG + CSV).

The experiments are described in the user guide (:ref:`experiments`). :func:`reproduce` is a short
list of steps: check the arguments (:mod:`._settings`), run each section of the report in turn
(:mod:`._sections`: the experiment, its CSV files and figures), then write ``settings.json`` and the
report itself (:mod:`._document`).

References
----------
.. [1] M. Freedman and M. Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in
   Shallow MLPs", arXiv:2509.12326, 2025. https://arxiv.org/abs/2509.12326
"""

from __future__ import annotations

import json
import os
import platform
import time
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from .._utils import check_int
from .._version import __version__
from ._context import ReportRun
from ._document import build_document
from ._sections import DOCUMENT_ORDER, RUN_ORDER
from ._settings import check_out_dir, resolve_settings

__all__ = ["reproduce"]


def reproduce(out_dir: str | os.PathLike = "reproduce-report", quick: bool = True, *, n_jobs: int | None = None,
              seeds: int | Iterable[int] | None = None, device: str | None = None,
              settings: Mapping[str, Any] | None = None, verbose: int = 1) -> dict[str, Any]:
    """Run the experiments of the KA-geometry study [1]_ and write a self-contained report.

    The experiments and their observables are described in the user guide
    (:ref:`experiments`, :ref:`observables`); ``python -m sklearn_ka reproduce`` calls this.

    Writes into ``out_dir``: ``report.md`` and ``report.html`` (the same content), ``figures/*.png``,
    ``static.csv`` (one row per model of the static grid: every number), ``tables.csv`` (Tables
    I-III, ours beside the paper's, with the deviation of each cell), ``significance.csv``,
    ``evolution.csv``, ``tails.csv`` (and with ``quick=False`` ``interpolation.csv``,
    ``batch_size.csv``, ``bootstrap.csv``), ``settings.json`` (settings, timings, versions) and the
    sweep stores under ``store/`` (a rerun into the same directory resumes from them).

    Parameters
    ----------
    out_dir : str or os.PathLike, default="reproduce-report"
        Output directory (created).
    quick : bool, default=True
        ``True``: Tables I-III from the 48-model static grid (xor/linear/random x m in {4, 8, 16, 32} x
        4 seeds, paper protocol: 1000 examples, batch 250, patience 50, the test set as eval_set;
        :ref:`exp-static`), their figures, one evolution run (xor(32), seed 0, R^2 steps of 0.1;
        :ref:`exp-evolution`) and the MEFs of the m = 32 models of seed 0 (:ref:`exp-tails`).
        ``False``: every experiment of the study at the paper's scale (see :data:`FULL_SETTINGS`;
        the report estimates its run time), resumable through the stores.
    n_jobs : int or None, default=None
        Parallel sweep tasks (joblib); ``None`` uses 1 (or the active ``joblib.parallel_config``).
    seeds : int, sequence of int or None, default=None
        ``N``: the seeds ``0, ..., N-1``; a sequence: those seeds (distinct, >= 0); at least
        ``MIN_SEEDS`` = 2. They replace the ``"seeds"`` setting (every multi-seed experiment);
        the figures then use the first seed (``"figure_seed"``), and so does the quick mode's
        evolution run (the full mode's runs every seed). ``None``: the settings' seeds (0-3, as in
        the paper).
    device : str or None, default=None
        Torch device that trains the models and runs the analysis: ``"cpu"``, ``"cuda"`` or
        ``"cuda:N"``; replaces the ``"device"`` setting. ``None``: the setting (``"cpu"``).
    settings : dict or None, default=None
        Overrides of :data:`QUICK_SETTINGS` / :data:`FULL_SETTINGS` (nested dicts are updated), e.g.
        for a tiny test run. Overridden settings are recorded in ``settings.json`` and the report.
    verbose : int, default=1
        Progress messages when positive (sweep progress bars when > 1).

    Returns
    -------
    dict
        ``out_dir``, ``files`` (paths written), ``tables`` (the merged tidy tables),
        ``deviations`` (their deviation rows), ``run_time_s``.

    Raises
    ------
    TypeError, ValueError
        Bad arguments (checked before any work starts), e.g. fewer than two seeds or a CUDA device
        on a machine without a GPU.

    References
    ----------
    .. [1] M. Freedman and M. Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in
       Shallow MLPs", arXiv:2509.12326, 2025. https://arxiv.org/abs/2509.12326
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    verbose = check_int("verbose", verbose, 0, owner="reproduce")
    s = resolve_settings(quick, settings, seeds, device)
    run = ReportRun(s, quick, check_out_dir(out_dir), n_jobs, verbose)
    for section in RUN_ORDER:
        if section.enabled(run):
            section.run(run)
    run.timings["total_s"] = run_time = time.perf_counter() - run.t0
    info = _write_settings(run)
    _write_report(run, info)
    run.log(f"report written to {run.out / 'report.md'} ({run_time:.0f} s)")
    return {"out_dir": run.out, "files": run.written, "tables": run.frames["tables"],
            "deviations": run.frames["deviations"], "run_time_s": run_time}


def _write_settings(run: ReportRun) -> dict:
    """``settings.json``: the settings, timings and versions of the run; returned as a dict."""
    info = {"mode": "quick" if run.quick else "full", "settings": run.settings, "timings_s": run.timings,
            "n_jobs": run.n_jobs, "sklearn_ka": __version__, "python": platform.python_version(),
            "platform": platform.platform(), "cpu_count": os.cpu_count(), "date": time.strftime("%Y-%m-%d %H:%M:%S %z"),
            "numpy": np.__version__, "pandas": pd.__version__}
    try:
        import torch

        info["torch"] = torch.__version__
    except ImportError:  # pragma: no cover
        pass
    path = run.out / "settings.json"
    path.write_text(json.dumps(info, indent=2, default=str))
    run.written.append(path)
    return info


def _write_report(run: ReportRun, info: dict) -> None:
    """``report.md`` and ``report.html``: the same document."""
    doc = build_document(run, info, [section for section in DOCUMENT_ORDER if section.enabled(run)])
    for name, text in (("report.md", doc.markdown()), ("report.html", doc.html())):
        (run.out / name).write_text(text, encoding="utf-8")
        run.written.append(run.out / name)
