"""What a preset report records of its run in ``settings.json``: settings, timings, machine, load."""

from __future__ import annotations

import json
import os
import platform
import time

import numpy as np
import pandas as pd

from .._version import __version__
from ._context import ReportRun
from ._out_dir import SETTINGS_FILE, plain

__all__ = ["load_average", "write_run_info"]


def load_average() -> float | None:
    """The 1-minute load average (None where the platform has none)."""
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):  # pragma: no cover - Windows
        return None


def write_run_info(run: ReportRun, status: str, estimate_s: float | None, report: str | None = None) -> dict:
    """Write ``settings.json`` of a preset report (``status`` "running" or "finished"); return its content.

    ``report`` names the kind of report (recorded when given, so that another kind's directory is
    recognised); a finished run also lists the files it wrote.
    """
    info = {"mode": "quick" if run.quick else "full", "status": status, "settings": run.settings,
            "estimated_run_time_s": estimate_s, "calibration_s": run.calibration_s, "timings_s": run.timings,
            "sweeps": run.frames.get("sweeps", {}), "n_jobs": run.n_jobs, "sklearn_ka": __version__,
            "python": platform.python_version(), "platform": platform.platform(), "cpu_count": os.cpu_count(),
            "date": time.strftime("%Y-%m-%d %H:%M:%S %z"), "numpy": np.__version__, "pandas": pd.__version__,
            "load_average": {"start": run.frames.get("load_start"), "end": load_average()}}
    if report is not None:
        info = {"report": report, **info}
    try:
        import torch

        info["torch"] = torch.__version__
    except ImportError:  # pragma: no cover
        pass
    if run.frames.get("first_run"):
        info["first_run"] = run.frames["first_run"]
    if status == "finished":
        info["files"] = [os.path.relpath(p, run.out) for p in run.written] + ["report.md", "report.html",
                                                                               SETTINGS_FILE]
    (run.out / SETTINGS_FILE).write_text(json.dumps(plain(info), indent=2),
                                         encoding="utf-8")
    return info
