"""``reproduce``: run the experiments of the study [1]_ and write a report (Markdown + HTML + PNG + CSV).

The experiments are described in the user guide (:ref:`experiments`). :func:`reproduce` is a short
list of steps: check the arguments (:mod:`._settings`) and the output directory (:mod:`._out_dir`:
resume a run of the same settings, refuse another report unless ``overwrite``), check that the
analysis of every width fits its memory budget, record the run's ``settings.json``, run each
section of the report in turn (:mod:`._sections`: the experiment, its CSV files and figures), then
write ``settings.json`` again (with timings) and the report itself (:mod:`._document`).

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

from .._utils import PAPER_PROTOCOL, InvalidParameterError, check_int
from .._version import __version__
from ._context import ReportRun
from ._document import build_document
from ._order import DOCUMENT_ORDER, RUN_ORDER
from ._out_dir import SETTINGS_FILE, prepare_out_dir
from ._settings import resolve_settings

__all__ = ["reproduce"]


def reproduce(out_dir: str | os.PathLike = "reproduce-report", quick: bool = True, *, n_jobs: int | None = None,
              seeds: int | Iterable[int] | None = None, device: str | None = None,
              monitor: str | None = None, patience: int | None = None,
              settings: Mapping[str, Any] | None = None, overwrite: bool = False,
              verbose: int = 1) -> dict[str, Any]:
    """Run the experiments of the KA-geometry study [1]_ and write a self-contained report.

    The experiments and their observables are described in the user guide
    (:ref:`experiments`, :ref:`observables`); ``python -m sklearn_ka reproduce`` calls this.

    Writes into ``out_dir``: ``report.md`` and ``report.html`` (the same content), ``figures/*.png``,
    ``static.csv`` (one row per model of the static grid: every number), ``tables.csv`` (Tables
    I-III, ours beside the paper's, with the deviation of each cell), ``significance.csv``,
    ``evolution.csv``, ``tails.csv`` (and with ``quick=False`` ``interpolation.csv``,
    ``batch_size.csv``, ``bootstrap.csv``), ``settings.json`` (settings, timings, versions) and the
    sweep stores under ``store/`` (a rerun into the same directory resumes from them).

    Output directory rule: ``settings.json`` (written when the run starts and again when it
    ends) identifies the run that owns ``out_dir``. A rerun with the same mode and settings
    resumes there (the stores skip every finished model; the report is written again). A
    directory holding the report of other settings is refused (``FileExistsError``) unless
    ``overwrite=True``, which first deletes that report's files and stores (never other files).

    Parameters
    ----------
    out_dir : str or os.PathLike, default="reproduce-report"
        Output directory (created).
    quick : bool, default=True
        ``True``: Tables I-III from the 48-model static grid (xor/linear/random x m in {4, 8, 16, 32} x
        4 seeds, paper protocol: 1000 examples, batch 250, patience 50, the test set monitored by default
        (the paper leaves the monitored loss open);
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
    monitor : {"test", "train"} or None, default=None
        The loss early stopping monitors in every experiment (:ref:`early-stopping-monitor`);
        replaces the ``"monitor"`` setting. ``None``: the setting (``"test"``, the independent
        test set). Appendix B and the protocol sensitivity of ``quick=False`` always show both.
    patience : int or None, default=None
        Early-stopping patience in epochs; replaces the ``"patience"`` setting (50).
    settings : dict or None, default=None
        Overrides of :data:`QUICK_SETTINGS` / :data:`FULL_SETTINGS` (nested dicts are updated), e.g.
        for a tiny test run. Overridden settings are recorded in ``settings.json`` and the report.
    overwrite : bool, default=False
        Replace a report of other settings found in ``out_dir`` (see the rule above) instead of
        refusing to run.
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
    FileExistsError
        ``out_dir`` holds the report of other settings and ``overwrite`` is False (before any work).
    MinorBudgetError
        The analysis of the widest models cannot fit the analyzer's memory budget (before any work).

    References
    ----------
    .. [1] M. Freedman and M. Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in
       Shallow MLPs", arXiv:2509.12326, 2025. https://arxiv.org/abs/2509.12326
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    verbose = check_int("verbose", verbose, 0, owner="reproduce")
    n_jobs = _check_n_jobs(n_jobs)
    s = resolve_settings(quick, settings, seeds, device, monitor, patience)
    _check_analysis_memory(s)
    out, resumed = prepare_out_dir(out_dir, "quick" if quick else "full", s, overwrite)
    run = ReportRun(s, quick, out, n_jobs, verbose)
    if resumed:
        run.log(f"resuming the run in {out} (same settings; finished models are read from {out / 'store'})")
    _estimate(run)
    _write_settings(run, final=False)
    for section in RUN_ORDER:
        if section.enabled(run):
            section.run(run)
    run.timings["total_s"] = run_time = time.perf_counter() - run.t0
    info = _write_settings(run)
    _write_report(run, info)
    run.log(f"report written to {run.out / 'report.md'} ({run_time:.0f} s)")
    return {"out_dir": run.out, "files": run.written, "tables": run.frames["tables"],
            "deviations": run.frames["deviations"], "run_time_s": run_time}


def _check_n_jobs(n_jobs: Any) -> int | None:
    """joblib's ``n_jobs``, with the package's ceiling on local workers."""
    from .._utils import check_n_jobs

    return check_n_jobs(n_jobs, owner="reproduce")


def _check_analysis_memory(s: dict) -> None:
    """Refuse at once settings whose analysis of some width cannot fit the analyzer's memory budget."""
    from ..analysis import KAGeometryAnalyzer
    from ..sweeps import check_analysis_memory

    try:
        analyzer = KAGeometryAnalyzer(**s["analyzer"])
    except TypeError as exc:
        raise InvalidParameterError(f"reproduce: settings['analyzer'] holds an unknown KAGeometryAnalyzer parameter "
                                    f"({exc}).") from None
    check_analysis_memory(analyzer, [*s["widths"], s["table_width"]], PAPER_PROTOCOL.n_features, owner="reproduce")


def _estimate(run: ReportRun) -> None:
    """Time the calibration workload and estimate the run time from the reference per-model costs."""
    from ._estimate import calibrate, estimate_run_time

    if estimate_run_time(run.settings, run.quick, run.n_jobs, 1.0) is None:
        run.log("no run-time estimate: the settings change the scale the per-model costs were measured at")
        return
    run.calibration_s = calibrate(run.settings["device"], run.settings["analyzer"])
    run.estimate = estimate_run_time(run.settings, run.quick, run.n_jobs, run.calibration_s)
    run.log(f"estimated run time: {run.estimate['total'] / 60:.1f} min (per-model costs of the reference run, scaled "
            f"by this machine's calibration: {run.calibration_s:.2f} s; finished models in the stores are not "
            "subtracted)")


def _write_settings(run: ReportRun, final: bool = True) -> dict:
    """``settings.json``: the settings, timings and versions of the run; returned as a dict.

    Written when the run starts (``final=False``: it then identifies the run owning the
    directory, see :mod:`._out_dir`) and again when it ends, with the timings and files.
    """
    info = {"mode": "quick" if run.quick else "full", "status": "finished" if final else "running",
            "settings": run.settings, "timings_s": run.timings, "estimate_s": run.estimate,
            "calibration_s": run.calibration_s,
            "n_jobs": run.n_jobs, "sklearn_ka": __version__, "python": platform.python_version(),
            "platform": platform.platform(), "cpu_count": os.cpu_count(), "date": time.strftime("%Y-%m-%d %H:%M:%S %z"),
            "numpy": np.__version__, "pandas": pd.__version__}
    try:
        import torch

        info["torch"] = torch.__version__
    except ImportError:  # pragma: no cover
        pass
    path = run.out / SETTINGS_FILE
    if final:
        run.written.append(path)
        names = [os.path.relpath(p, run.out) for p in run.written]
        info["files"] = names + ["report.md", "report.html"]
    path.write_text(json.dumps(info, indent=2, default=str))
    return info


def _write_report(run: ReportRun, info: dict) -> None:
    """``report.md`` and ``report.html``: the same document."""
    doc = build_document(run, info, [section for section in DOCUMENT_ORDER if section.enabled(run)])
    for name, text in (("report.md", doc.markdown()), ("report.html", doc.html())):
        (run.out / name).write_text(text, encoding="utf-8")
        run.written.append(run.out / name)
