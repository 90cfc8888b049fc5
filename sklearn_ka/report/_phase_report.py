"""``phase_report``: run the KA phase diagram and write its report (Markdown + HTML + PNG + CSV).

A short list of steps: check the settings (``--quick`` or ``--full`` preset, overrides), check the
output directory (a run of the same settings resumes from its sweep stores; another report is
refused unless ``overwrite``), state the estimated run time, run
:func:`~sklearn_ka.experiments.phase_diagram` per target family, write the tables, the maps, the
slices beside the study's figures, and the findings with their evidence. The diagram is
described in the user guide (:ref:`phase-diagram`).

References
----------
.. [1] M. Freedman and M. Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in
   Shallow MLPs", arXiv:2509.12326, 2025. https://arxiv.org/abs/2509.12326
"""

from __future__ import annotations

import copy
import os
import time
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._utils import (
    PAPER_PROTOCOL,
    InstanceOf,
    Integers,
    InvalidParameterError,
    Options,
    Reals,
    check_device,
    check_int,
    check_param,
    check_sequence,
)
from ._context import ReportRun
from ._out_dir import SETTINGS_FILE, plain, prepare_preset_dir
from ._phase_findings import findings, ranges_for
from ._run_info import load_average, write_run_info

__all__ = ["PHASE_QUICK_SETTINGS", "PHASE_FULL_SETTINGS", "MEASURED_COSTS", "at_preset_scale", "count_models",
           "estimate_run_time", "measured_costs", "phase_report"]

#: The lambda values of the quick maps: a coarse grid over the paper's [0.5, 1.5], with xor (1.0).
_QUICK_LAMBDAS = [0.5, 0.75, 1.0, 1.25, 1.5]

#: Haar rotations per analysis in ``--quick`` (the study's 400 in ``--full``): the Haar frames of
#: the rotation ratio at k = 1, 2 are the bulk of the analysis time below width 64 (about 3.5 times
#: less with 100; measured by ``benchmarks/bench_rotation_cost.py``). The emergence rule reads the
#: ratio at k = n = 3, which the Haar method computes exactly whatever the number of rotations.
_QUICK_ROTATIONS = 100

#: ``--quick``: lambda-xor only, two planes sharing their (lambda, 32, 250) cells: (lambda x width)
#: at batch 250 and (lambda x batch size) at width 32, coarse grids, 8 seeds per cell, 100 Haar
#: rotations per analysis.
PHASE_QUICK_SETTINGS: dict[str, Any] = {
    "families": ["lambda_xor"],
    "values": {"lambda_xor": _QUICK_LAMBDAS},
    "widths": [4, 8, 16, 32, 64],
    "batch_sizes": [32, 128, 250, 1000],
    "layout": "planes",
    "width_at": 32,
    "batch_at": PAPER_PROTOCOL.batch_size,
    "seeds": list(range(8)),
    "n_samples": PAPER_PROTOCOL.n_samples,
    "max_epochs": PAPER_PROTOCOL.max_epochs,
    "patience": PAPER_PROTOCOL.patience,
    "monitor": "test",
    "analyzer": {"n_rotations": _QUICK_ROTATIONS, "rotation_method": "haar"},
    "alpha": 0.05,
    "n_resamples": 9999,
    "r2_level": 0.9,
    "device": "cpu",
}

#: ``--full``: both families of the study's slices (lambda-xor and G(lambda)), the full cube of
#: their default axes (:func:`~sklearn_ka.experiments.default_axes`), 8 seeds per cell, the study's
#: 400 Haar rotations per analysis.
PHASE_FULL_SETTINGS: dict[str, Any] = {
    **copy.deepcopy(PHASE_QUICK_SETTINGS),
    "families": ["lambda_xor", "gaussian"],
    "values": {"lambda_xor": None, "gaussian": None},
    "widths": [4, 8, 16, 32, 64],
    "batch_sizes": [32, 64, 128, 250, 512, 1000],
    "layout": "cube",
    "analyzer": {"n_rotations": PAPER_PROTOCOL.n_rotations, "rotation_method": "haar"},
}

#: Per-model costs in seconds measured by ``--quick`` on a 2-core x86-64 machine (n_jobs=2,
#: lambda-xor, 8 seeds per task; :func:`measured_costs` of its models): the training of one task
#: (all its seeds, stacked) per width at batch 250, the factor a batch size multiplies it by (at
#: width 32; sizes not measured take the nearest one's), the analysis of one model per width with
#: ``analysis_rotations`` Haar rotations, the factor other rotation counts multiply it by (per
#: width, measured by ``benchmarks/bench_rotation_cost.py``), and the calibration workload timed
#: on that machine at the start of the run (1-minute load average 0.3 then, about 2 during the run,
#: which took 13.1 min). :func:`estimate_run_time` scales the costs by the current machine's
#: calibration over that one.
MEASURED_COSTS: dict[str, Any] = {
    "train_task_s": {4: 6.15, 8: 6.94, 16: 10.36, 32: 11.85, 64: 18.98},
    "batch_factor": {32: 1.48, 128: 1.0, 250: 1.0, 1000: 2.19},
    "analysis_s": {4: 0.35, 8: 0.73, 16: 1.03, 32: 2.16, 64: 13.0},
    "analysis_rotations": 100,
    "rotation_factor": {100: {4: 0.27, 8: 0.30, 16: 0.29, 32: 0.27, 64: 0.91},
                        400: {4: 1.0, 8: 1.0, 16: 1.0, 32: 1.0, 64: 1.0}},
    "calibration_s": 2.26,
}

_OUT = {"quick": "phase-report", "full": "phase-full"}


_FILES = ("report.md", "report.html", "cells.csv", "tests.csv", "models.csv", "ranges.csv", SETTINGS_FILE)


def _lookup(table: Mapping[int, float], key: int) -> float:
    """The value at ``key``, else at the nearest key on a log scale."""
    if key in table:
        return float(table[key])
    keys = np.array(sorted(table), dtype=float)
    return float(table[int(keys[np.argmin(np.abs(np.log(keys) - np.log(key)))])])


def estimate_run_time(settings: Mapping[str, Any], n_jobs: int | None = None,
                      costs: Mapping[str, Any] | None = None, calibration_s: float | None = None) -> float:
    """Estimated seconds of a phase-diagram run, from measured per-model costs.

    Per cell: the training of its task (all seeds trained together: ``train_task_s`` at its
    width times ``batch_factor`` at its batch size, scaled by the seeds beyond 8) plus the
    analysis of each seed's model (``analysis_s`` at its width); the cells are shared among
    ``min(n_jobs, CPUs)`` workers, and the total is scaled by ``calibration_s`` over the
    calibration time of the machine the costs were measured on. Costs were measured on lambda-xor;
    a family whose models stop earlier or later scales accordingly.

    Parameters
    ----------
    settings : dict
        :data:`PHASE_QUICK_SETTINGS` or :data:`PHASE_FULL_SETTINGS` (or overrides of them).
    n_jobs : int or None, default=None
        Parallel workers (``None``: 1; -1: every CPU).
    costs : dict or None, default=None
        Per-model costs (default :data:`MEASURED_COSTS`; :func:`measured_costs` makes them).
    calibration_s : float or None, default=None
        This machine's time for the calibration workload (``None``: no scaling).

    Returns
    -------
    float
    """
    costs = MEASURED_COSTS if costs is None else costs
    cpus = os.cpu_count() or 1
    workers = cpus if n_jobs is not None and n_jobs < 0 else int(n_jobs or 1)
    workers = max(1, min(workers, cpus))
    n_seeds = len(settings["seeds"])
    total = 0.0
    for family in settings["families"]:
        for m, b in _cells_of(settings):
            train = _lookup(costs["train_task_s"], m) * _lookup(costs["batch_factor"], b) * max(1.0, n_seeds / 8)
            total += _n_values(settings, family) * (train + n_seeds * _analysis_cost(costs, settings, m))
    speed = 1.0 if calibration_s is None else calibration_s / float(costs["calibration_s"])
    return total / workers * speed


def _analysis_cost(costs: Mapping[str, Any], settings: Mapping[str, Any], width: int) -> float:
    """Seconds of one model's analysis at ``width`` with the run's Haar rotations."""
    measured = int(costs.get("analysis_rotations", PAPER_PROTOCOL.n_rotations))
    wanted = int(settings["analyzer"].get("n_rotations", PAPER_PROTOCOL.n_rotations))
    base = _lookup(costs["analysis_s"], width)
    if wanted == measured:
        return base
    factors = costs["rotation_factor"]
    return base * _lookup(factors[wanted], width) / _lookup(factors[measured], width) if wanted in factors \
        and measured in factors else base * wanted / measured


def measured_costs(models: pd.DataFrame, *, width_at: int = 32, batch_at: int = PAPER_PROTOCOL.batch_size,
                   calibration_s: float | None = None, n_rotations: int | None = None) -> dict[str, Any]:
    """The per-model costs of a run (the layout of :data:`MEASURED_COSTS`) from its ``models`` frame.

    The models of a task are trained together until the last one stops, so a task's training
    time is the largest ``fit_time`` of its rows (one task per cell of at most 8 seeds); the
    training cost of a width is the mean over the target values of its task at ``batch_at``, the
    factor of a batch size the same at ``width_at`` over its value at ``batch_at``, and the
    analysis cost of a width the mean ``analysis_time`` of its models.
    """
    param = next(c for c in ("lam", "alpha") if c in models.columns)
    cell = [param, "hidden_units", "batch_size"]
    tasks = models.groupby(cell)["fit_time"].max().reset_index()
    at_b = tasks[tasks["batch_size"] == batch_at].groupby("hidden_units")["fit_time"].mean()
    at_w = tasks[tasks["hidden_units"] == width_at].groupby("batch_size")["fit_time"].mean()
    base = at_w.get(batch_at, np.nan)
    return {"train_task_s": {int(m): round(float(v), 2) for m, v in at_b.items()},
            "batch_factor": {int(b): round(float(v / base), 2) for b, v in at_w.items()},
            "analysis_s": {int(m): round(float(v), 2)
                           for m, v in models.groupby("hidden_units")["analysis_time"].mean().items()},
            "analysis_rotations": int(n_rotations if n_rotations is not None else PAPER_PROTOCOL.n_rotations),
            "rotation_factor": MEASURED_COSTS["rotation_factor"],
            "calibration_s": calibration_s if calibration_s is not None else MEASURED_COSTS["calibration_s"]}


#: The settings that fix the cost of one model: the estimate holds only when they equal the presets'.
_SCALE = ("n_samples", "max_epochs", "patience", "monitor", "analyzer", "device")


def at_preset_scale(settings: Mapping[str, Any]) -> bool:
    """Whether a run's per-model scale is one preset's (so that :data:`MEASURED_COSTS` apply)."""
    return any(all(plain(settings[k]) == plain(preset[k]) for k in _SCALE)
               for preset in (PHASE_QUICK_SETTINGS, PHASE_FULL_SETTINGS))


def count_models(settings: Mapping[str, Any]) -> int:
    """The number of models a run of these settings trains."""
    per_family = len(_cells_of(settings)) * len(settings["seeds"])
    return sum(_n_values(settings, f) * per_family for f in settings["families"])


def _n_values(settings, family):
    from ..experiments import FAMILIES

    values = settings["values"].get(family)
    return len(FAMILIES[family][1]) if values is None else len(values)


def _cells_of(settings) -> list[tuple[int, int]]:
    """The (width, batch size) points of a run's layout, each once."""
    w, b = settings["widths"], settings["batch_sizes"]
    if settings["layout"] == "cube":
        return [(m, bs) for m in w for bs in b]
    pts = [(m, settings["batch_at"]) for m in w] + [(settings["width_at"], bs) for bs in b]
    return list(dict.fromkeys(pts))


def _planes(settings, family) -> list[dict]:
    """The ``axes`` of :func:`~sklearn_ka.experiments.phase_diagram` for one family."""
    from ..experiments import FAMILIES

    param, default = FAMILIES[family]
    values = list(default) if settings["values"].get(family) is None else list(settings["values"][family])
    if settings["layout"] == "cube":
        return [{param: values, "hidden_units": settings["widths"], "batch_size": settings["batch_sizes"]}]
    return [{param: values, "hidden_units": settings["widths"], "batch_size": [settings["batch_at"]]},
            {param: values, "hidden_units": [settings["width_at"]], "batch_size": settings["batch_sizes"]}]


# ----------------------------------------------------------------------------------- settings
def _resolve(quick, settings, seeds, device) -> dict:
    check_param("quick", quick, [InstanceOf(bool, "True or False")], owner="phase_report")
    s = copy.deepcopy(PHASE_QUICK_SETTINGS if quick else PHASE_FULL_SETTINGS)
    settings = check_param("settings", settings, [InstanceOf(Mapping, "a dict of overrides"), None],
                           owner="phase_report") or {}
    unknown = sorted(set(settings) - set(s))
    if unknown:
        raise InvalidParameterError(f"phase_report: unknown setting(s) {unknown}; known: {sorted(s)}.")
    for key, value in settings.items():
        s[key] = {**s[key], **value} if isinstance(s[key], dict) and isinstance(value, Mapping) else value
    if seeds is not None:
        s["seeds"] = list(range(seeds)) if Integers().accepts(seeds) else seeds
    if device is not None:
        s["device"] = device
    return _check(s)


def _check(s: dict) -> dict:
    """Every setting checked (messages name ``settings['key']``) before any work."""
    from ..experiments import FAMILIES

    owner = "phase_report"

    def seq(key, item, **kw):
        s[key] = check_sequence(f"settings[{key!r}]", s[key], item, unique=True, owner=owner, **kw)

    seq("families", [Options(*(f for f in FAMILIES if f != "so_xor"))])
    seq("widths", Integers(1))
    seq("batch_sizes", Integers(1))
    seq("seeds", Integers(0))
    if len(s["seeds"]) < 2:
        raise InvalidParameterError(f"phase_report: at least 2 seeds are needed (8 let a cell reach p < 0.01); got "
                                    f"settings['seeds']={s['seeds']!r}.")
    for key, spec in {"n_samples": [Integers(2)], "max_epochs": [Integers(1)], "patience": [Integers(1)],
                      "width_at": [Integers(1)], "batch_at": [Integers(1)], "monitor": [Options("test", "train")],
                      "layout": [Options("planes", "cube")], "analyzer": [InstanceOf(Mapping, "a dict")],
                      "values": [InstanceOf(Mapping, "a dict {family: values or None}")],
                      "alpha": [Reals(0, 1, low_open=True, high_open=True)], "n_resamples": [Integers(1)],
                      "r2_level": [Reals()]}.items():
        s[key] = check_param(f"settings[{key!r}]", s[key], spec, owner=owner)
    s["device"] = check_device(s["device"], owner=owner)
    too_big = [b for b in s["batch_sizes"] + [s["batch_at"]] if b > s["n_samples"]]
    if too_big:
        raise InvalidParameterError(f"phase_report: batch sizes {too_big} exceed settings['n_samples']="
                                    f"{s['n_samples']}.")
    if s["layout"] == "planes" and (s["width_at"] not in s["widths"] or s["batch_at"] not in s["batch_sizes"]):
        raise InvalidParameterError("phase_report: settings['width_at'] must be one of settings['widths'] and "
                                    "settings['batch_at'] one of settings['batch_sizes'] (the planes share them).")
    return s


# ------------------------------------------------------------------------------- out dir
def _prepare_out_dir(out_dir: Any, mode: str, settings: dict, overwrite: Any) -> tuple[Path, dict | None]:
    """Resume a run of the same settings, refuse another report (unless ``overwrite``), create ``figures/``.

    Returns the directory and, when a run of the same settings is resumed, what its ``settings.json``
    says of the run that computed the models (``None`` otherwise).
    """
    def differences(previous):
        now = plain({"mode": mode, "settings": settings})
        return [k for k in ("mode", "settings") if previous.get(k) != now[k]]

    out, previous = prepare_preset_dir(out_dir, overwrite, owner="phase_report", files=_FILES,
                                       differences=differences)
    return out, None if previous is None else _first_run(previous)


def _first_run(previous: dict) -> dict:
    """The run that computed the stored models: the previous run's own record of it, or the previous run."""
    if isinstance(previous.get("first_run"), dict):
        return previous["first_run"]
    keys = ("date", "timings_s", "n_jobs", "cpu_count", "calibration_s", "estimated_run_time_s", "load_average",
            "sweeps", "status")
    return {k: previous.get(k) for k in keys}


def phase_report(out_dir: str | os.PathLike | None = None, quick: bool = True, *, n_jobs: int | None = None,
                 seeds: int | Iterable[int] | None = None, device: str | None = None,
                 settings: Mapping[str, Any] | None = None, overwrite: bool = False,
                 verbose: int = 1) -> dict[str, Any]:
    """Run the KA phase diagram and write its report: maps, slices, every cell, and the findings.

    Writes into ``out_dir``: ``report.md`` and ``report.html`` (the same content), ``figures/*.png``
    (the maps of every family over (lambda x width) and (lambda x batch size), and the slices
    beside the study's figures), ``cells.csv`` (every cell: R², normalised observables, the
    emergence criteria and call), ``tests.csv`` (every cell and observable: difference from the
    initial model, bootstrap interval, permutation p-value, Benjamini-Hochberg q-value),
    ``models.csv`` (every model), ``ranges.csv`` (the emergence and learnable ranges per width
    and batch size) and ``settings.json``; the sweep stores go under ``store/`` (a rerun of the
    same settings resumes from them; a directory holding another report is refused unless
    ``overwrite``). ``python -m sklearn_ka phase`` calls this. See the user guide:
    :ref:`phase-diagram`.

    Parameters
    ----------
    out_dir : str, os.PathLike or None, default=None
        Output directory (created); ``None``: ``phase-report`` (quick) or ``phase-full``.
    quick : bool, default=True
        ``True``: :data:`PHASE_QUICK_SETTINGS` (lambda-xor, two coarse planes, 8 seeds);
        ``False``: :data:`PHASE_FULL_SETTINGS` (lambda-xor and G(lambda), the full cube). The
        estimated run time (:func:`estimate_run_time`) is printed before the run starts.
    n_jobs : int or None, default=None
        Parallel sweep tasks (joblib).
    seeds : int, sequence of int or None, default=None
        ``N``: the seeds ``0..N-1``; a sequence: those seeds; ``None``: the preset's (8).
    device : str or None, default=None
        Torch device for training and analysis (``None``: the preset's, ``"cpu"``).
    settings : dict or None, default=None
        Overrides of the preset (e.g. for a tiny test run); recorded in ``settings.json``.
    overwrite : bool, default=False
        Replace a report of other settings found in ``out_dir`` instead of refusing.
    verbose : int, default=1
        Progress messages when positive (sweep progress bars when > 1).

    Returns
    -------
    dict
        ``out_dir``, ``files``, ``cells``, ``tests``, ``ranges``, ``findings`` (the statements of
        the report), ``run_time_s`` and ``estimated_run_time_s``.

    References
    ----------
    .. [1] M. Freedman and M. Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in
       Shallow MLPs", arXiv:2509.12326, 2025. https://arxiv.org/abs/2509.12326
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    from .._utils import check_n_jobs

    verbose = check_int("verbose", verbose, 0, owner="phase_report")
    n_jobs = check_n_jobs(n_jobs, owner="phase_report")
    s = _resolve(quick, settings, seeds, device)
    _check_analysis_memory(s)
    mode = "quick" if quick else "full"
    out, resumed = _prepare_out_dir(_OUT[mode] if out_dir is None else out_dir, mode, s, overwrite)
    run = ReportRun(s, quick, out, n_jobs, verbose)
    run.frames["load_start"] = load_average()
    if resumed is not None and (resumed.get("sweeps") or {}):
        run.frames["first_run"] = resumed
    from ._estimate import calibrate

    with warnings.catch_warnings():  # the workload stops at a fixed epoch on purpose
        warnings.simplefilter("ignore")
        run.calibration_s = calibrate(s["device"], s["analyzer"])
    estimate = estimate_run_time(s, n_jobs, calibration_s=run.calibration_s) if at_preset_scale(s) else None
    run.log(f"phase diagram ({mode}, {count_models(s)} models): "
            + (f"estimated run time {estimate / 60:.0f} min with n_jobs={n_jobs} (measured per-model costs scaled by "
               f"this machine's calibration, {run.calibration_s:.2f} s)" if estimate is not None else
               "no run-time estimate (the scale differs from the preset's)")
            + (f"; resuming from {out / 'store'}" if resumed is not None else ""))
    write_run_info(run, "running", estimate)
    results = {}
    for family in s["families"]:
        results[family] = _run_family(run, family)
    _write_tables(run, results)
    from ._phase_figures import family_figures

    for family, res in results.items():
        family_figures(run, family, res)
    run.timings["total_s"] = run_time = time.perf_counter() - run.t0
    info = write_run_info(run, "finished", estimate)
    statements = _write_report(run, results, info)
    run.log(f"report written to {out / 'report.md'} ({run_time:.0f} s)")
    return {"out_dir": out, "files": run.written, "cells": run.frames["cells"], "tests": run.frames["tests"],
            "ranges": run.frames["ranges"], "findings": statements, "run_time_s": run_time,
            "estimated_run_time_s": estimate}


def _check_analysis_memory(s: dict) -> None:
    from ..analysis import KAGeometryAnalyzer
    from ..sweeps import check_analysis_memory

    try:
        analyzer = KAGeometryAnalyzer(**s["analyzer"])
    except TypeError as exc:
        raise InvalidParameterError(f"phase_report: settings['analyzer'] holds an unknown KAGeometryAnalyzer "
                                    f"parameter ({exc}).") from None
    check_analysis_memory(analyzer, s["widths"], PAPER_PROTOCOL.n_features, owner="phase_report")


def _run_family(run: ReportRun, family: str):
    from ..experiments import phase_diagram

    s = run.settings
    run.log(f"{family}: {len(s['seeds'])} seeds per cell, layout {s['layout']}")
    with run.timed(f"{family}_s"):
        analyzer = dict(s["analyzer"], **({} if s["device"] == "cpu" else {"device": s["device"]}))
        res = phase_diagram(family, _planes(s, family), s["seeds"], n_samples=s["n_samples"],
                            max_epochs=s["max_epochs"], patience=s["patience"], monitor=s["monitor"],
                            analyzer=analyzer, alpha=s["alpha"], n_resamples=s["n_resamples"],
                            n_jobs=run.n_jobs, store=run.out / "store" / family, verbose=max(0, run.verbose - 1),
                            device=s["device"])
    sweep = res.models.attrs.get("sweep", {})
    run.frames.setdefault("sweeps", {})[family] = {k: sweep.get(k) for k in ("n_tasks", "n_loaded_tasks",
                                                                             "n_computed_tasks")}
    run.log(f"{family} done ({run.timings[f'{family}_s']:.0f} s, {len(res.models)} models, "
            f"{int(res.cells['emerged'].sum())} of {len(res.cells)} cells emerged)")
    return res


def _write_tables(run: ReportRun, results: dict) -> None:
    """``cells.csv``, ``tests.csv``, ``models.csv`` and ``ranges.csv`` (every family)."""
    cells = pd.concat([r.cells for r in results.values()], ignore_index=True)
    tests = pd.concat([r.tests for r in results.values()], ignore_index=True)
    models = pd.concat([r.models for r in results.values()], ignore_index=True)
    ranges = pd.concat([ranges_for(run.settings, family, r.cells) for family, r in results.items()],
                       ignore_index=True)
    for frame, name in ((cells, "cells.csv"), (tests, "tests.csv"), (models, "models.csv"), (ranges, "ranges.csv")):
        run.write_csv(frame, name)
    run.frames.update(cells=cells, tests=tests, models=models, ranges=ranges)


def _write_report(run: ReportRun, results: dict, info: dict) -> list[str]:
    from ._phase_document import build_phase_document

    doc, statements = build_phase_document(run, results, info, findings)
    for name, text in (("report.md", doc.markdown()), ("report.html", doc.html())):
        (run.out / name).write_text(text, encoding="utf-8")
        run.written.append(run.out / name)
    return statements

