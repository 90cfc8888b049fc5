"""``intervention_report``: run the intervention experiment and write its report (Markdown + HTML + PNG + CSV).

A short list of steps: check the settings (``--quick`` or ``--full`` preset, overrides), check the
output directory (a run of the same settings resumes from its store; another report is refused
unless ``overwrite``), state the estimated run time, run
:func:`~sklearn_ka.experiments.intervention`, write the tables, the figures, and the findings with
their evidence. The experiment is described in the user guide (:ref:`interventions`).

References
----------
.. [1] M. Freedman and M. Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in
   Shallow MLPs", arXiv:2509.12326, 2025. https://arxiv.org/abs/2509.12326
"""

from __future__ import annotations

import copy
import math
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
from ._run_info import load_average, write_run_info

__all__ = ["INTERVENTION_QUICK_SETTINGS", "INTERVENTION_FULL_SETTINGS", "MEASURED_COSTS", "at_preset_scale",
           "count_models", "estimate_run_time", "measured_costs", "intervention_report"]

_OWNER = "intervention_report"
_ARMS = ["control", "osc_start", "osc_r2_0.3", "osc_r2_0.5", "ka_plus", "ka_minus"]
_ALL_CONDITIONS = ["xor_m8", "xor_m16", "xor_m32", "lambda_xor_1.2_m32", "lambda_xor_1.35_m32", "random_m32"]

#: ``--quick``: every arm, 8 seeds, on four of the six conditions (xor at m = 8 and 16, lambda-xor at
#: the hard edge lambda = 1.35 and the random target, both at m = 32), the KA term on minor sizes 1
#: and 2, and 100 Haar rotations for the rotation ratio. It leaves out xor(32) and lambda-xor at
#: 1.2 (m = 32), whose runs last a thousand epochs or more, and the size-3 term, whose cost at m = 32
#: is over a hundred times a plain epoch: measured, they would not fit 15 minutes on 2 cores.
INTERVENTION_QUICK_SETTINGS: dict[str, Any] = {
    "conditions": ["xor_m8", "xor_m16", "lambda_xor_1.35_m32", "random_m32"],
    "arms": list(_ARMS),
    "seeds": list(range(8)),
    "n_samples": PAPER_PROTOCOL.n_samples,
    "batch_size": PAPER_PROTOCOL.batch_size,
    "max_epochs": PAPER_PROTOCOL.max_epochs,
    "patience": PAPER_PROTOCOL.patience,
    "monitor": "test",
    "ka_term": "participation_ratio",
    "ka_orders": [1, 2],
    "beta": 0.01,
    "levels": [0.5, 0.9, 0.95],
    "analyzer": {"n_rotations": 100},
    "confidence_level": 0.95,
    "n_resamples": 9999,
    "device": "cpu",
}

#: ``--full``: all six conditions, the KA term on minor sizes 1, 2 and 3, 400 Haar rotations
#: (the study's), 8 seeds per arm.
INTERVENTION_FULL_SETTINGS: dict[str, Any] = {
    **copy.deepcopy(INTERVENTION_QUICK_SETTINGS),
    "conditions": list(_ALL_CONDITIONS),
    "ka_orders": [1, 2, 3],
    "analyzer": {"n_rotations": PAPER_PROTOCOL.n_rotations},
}

#: Costs measured on a 2-core x86-64 machine with n_jobs=2 (1-minute load average 0.5 to 2).
#: ``task_s``: seconds of training of one (condition, arm) task of 8 seeds, for the arms without the
#: KA term: the ``--quick`` run for its four conditions, and ``intervention(["xor_m32",
#: "lambda_xor_1.2_m32"], [those four arms], seeds=8, n_jobs=2)`` for the other two. ``ka_factor``:
#: an arm's task with the KA term over the control's task, per minor sizes and width: for sizes 1-2
#: the ``--quick`` run's ratio of wall time per epoch; for sizes 1-3 (and 1) the ratio of one epoch
#: with and without the term (8 xor models stacked, batch 250, one thread), for 1-3 multiplied by
#: the ``--quick`` run's ratio over the same measurement of sizes 1-2 at that width. It assumes an
#: arm with the term runs as many epochs as the control (the ``--quick`` run: within 10 % in total).
#: ``analysis_s``: seconds of the analysis of one model per number of Haar rotations and width (100:
#: the ``--quick`` run; 400: scaled by the ratio of the two on one thread). ``calibration_s``: the
#: calibration workload of the ``--quick`` run.
MEASURED_COSTS: dict[str, Any] = {
    "task_s": {
        "xor_m8": {"control": 4.78, "osc_start": 4.49, "osc_r2_0.3": 2.38, "osc_r2_0.5": 2.96},
        "xor_m16": {"control": 6.86, "osc_start": 5.37, "osc_r2_0.3": 5.42, "osc_r2_0.5": 7.21},
        "xor_m32": {"control": 7.11, "osc_start": 5.87, "osc_r2_0.3": 10.03, "osc_r2_0.5": 10.77},
        "lambda_xor_1.2_m32": {"control": 9.64, "osc_start": 6.92, "osc_r2_0.3": 13.38, "osc_r2_0.5": 17.51},
        "lambda_xor_1.35_m32": {"control": 0.61, "osc_start": 9.17, "osc_r2_0.3": 0.73, "osc_r2_0.5": 0.86},
        "random_m32": {"control": 0.59, "osc_start": 0.74, "osc_r2_0.3": 0.53, "osc_r2_0.5": 0.54},
    },
    "ka_factor": {"1": {8: 10.8, 16: 7.6, 32: 8.2}, "1,2": {8: 18.3, 16: 35.4, 32: 16.8},
                  "1,2,3": {8: 21.3, 16: 83.2, 32: 183.5}},
    "analysis_s": {"100": {8: 0.42, 16: 0.85, 32: 1.3}, "400": {8: 1.83, 16: 2.58, 32: 5.55}},
    "calibration_s": 1.99,
}
#: The analyzer of the calibration workload (fixed, so that calibrations of every run compare).
CALIBRATION_ANALYZER = {"n_rotations": 100}

_OUT = {"quick": "intervention-report", "full": "intervention-full"}
_FILES = ("report.md", "report.html", "models.csv", "statistics.csv", SETTINGS_FILE)
#: The settings that fix the cost of one model: the estimate holds only when they equal the presets'.
_SCALE = ("n_samples", "batch_size", "max_epochs", "patience", "monitor", "device", "ka_term", "beta")



def _orders_key(orders: Iterable[int]) -> str:
    return ",".join(str(int(k)) for k in sorted(orders))


def _width(condition: str) -> int:
    from ..experiments import INTERVENTION_CONDITIONS

    return int(INTERVENTION_CONDITIONS[condition]["hidden_units"])


def _lookup(table: Mapping, key: int) -> float:
    """``table[key]`` (keys as ints or strings), else the value at the nearest key on a log scale."""
    table = {int(k): float(v) for k, v in table.items()}
    if key in table:
        return table[key]
    keys = np.array(sorted(table), dtype=float)
    return table[int(keys[np.argmin(np.abs(np.log(keys) - np.log(key)))])]


def estimate_run_time(settings: Mapping[str, Any], n_jobs: int | None = None, costs: Mapping[str, Any] | None = None,
                      calibration_s: float | None = None) -> float:
    """Estimated seconds of an intervention run, from measured costs.

    Per condition: the training of each arm's task (``task_s`` of the condition and arm; an arm
    with the KA term costs the control's task times ``ka_factor`` of its minor sizes and width,
    which assumes it runs as many epochs as the control), scaled by the seeds beyond 8, plus the
    analysis of every model (``analysis_s`` at the run's number of Haar rotations and the width).
    The total is shared among ``min(n_jobs, CPUs)`` workers and scaled by ``calibration_s`` over the
    calibration of the machine the costs were measured on.

    Parameters
    ----------
    settings : dict
        :data:`INTERVENTION_QUICK_SETTINGS` or :data:`INTERVENTION_FULL_SETTINGS` (or overrides).
    n_jobs : int or None, default=None
        Parallel workers (``None``: 1; -1: every CPU).
    costs : dict or None, default=None
        Measured costs (default :data:`MEASURED_COSTS`; :func:`measured_costs` makes them).
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
    rotations = str(int(dict(settings["analyzer"]).get("n_rotations", PAPER_PROTOCOL.n_rotations)))
    analysis = costs["analysis_s"].get(rotations) or next(iter(costs["analysis_s"].values()))
    factor = costs["ka_factor"][_orders_key(settings["ka_orders"])]
    total = 0.0
    for cond in settings["conditions"]:
        m = _width(cond)
        task = costs["task_s"][cond]
        for arm in settings["arms"]:
            base = task.get(arm, task["control"])
            if arm in ("ka_plus", "ka_minus"):
                base = task["control"] * _lookup(factor, m)
            total += base * max(1.0, n_seeds / 8) + n_seeds * _lookup(analysis, m)
    speed = 1.0 if calibration_s is None else calibration_s / float(costs["calibration_s"])
    return total / workers * speed


def measured_costs(models: pd.DataFrame, settings: Mapping[str, Any], *,
                   calibration_s: float | None = None) -> dict[str, Any]:
    """The costs of a run (the layout of :data:`MEASURED_COSTS`) from its ``models`` frame, completed by
    :data:`MEASURED_COSTS` where the run has none (conditions it did not train, other minor sizes).

    A task's training time is the largest ``fit_time`` of its rows (its models train together until
    the last one stops); the KA factor of a width is the median over its conditions of the KA arms'
    ``seconds_per_epoch`` over the control's; the analysis cost of a width is the mean
    ``analysis_time`` of its models.
    """
    out = copy.deepcopy(plain(MEASURED_COSTS))
    unpenalised = models[~models["arm"].isin(["ka_plus", "ka_minus"])]
    for cond, g in unpenalised.groupby("condition", sort=False):
        out["task_s"][cond] = {a: round(float(t["fit_time"].max()), 2) for a, t in g.groupby("arm", sort=False)}
    per_epoch = models.groupby(["condition", "arm", "hidden_units"])["seconds_per_epoch"].median().reset_index()
    ratios = {}
    for (_, m), g in per_epoch.groupby(["condition", "hidden_units"]):
        control = g.loc[g["arm"] == "control", "seconds_per_epoch"]
        ka = g.loc[g["arm"].isin(["ka_plus", "ka_minus"]), "seconds_per_epoch"]
        if len(control) and len(ka):
            ratios.setdefault(int(m), []).append(float(ka.mean() / control.iloc[0]))
    if ratios:
        key = _orders_key(settings["ka_orders"])
        out["ka_factor"].setdefault(key, {}).update({str(m): round(float(np.median(v)), 1) for m, v in ratios.items()})
    if "analysis_time" in models.columns:
        rotations = str(int(dict(settings["analyzer"]).get("n_rotations", PAPER_PROTOCOL.n_rotations)))
        means = models.groupby("hidden_units")["analysis_time"].mean()
        out["analysis_s"].setdefault(rotations, {}).update({str(int(m)): round(float(v), 2) for m, v in means.items()})
    out["calibration_s"] = calibration_s if calibration_s is not None else MEASURED_COSTS["calibration_s"]
    return out


def at_preset_scale(settings: Mapping[str, Any]) -> bool:
    """Whether a run's per-model scale is the presets' (so that :data:`MEASURED_COSTS` apply)."""
    return (all(plain(settings[k]) == plain(INTERVENTION_QUICK_SETTINGS[k]) for k in _SCALE)
            and set(settings["arms"]) <= set(_ARMS) and set(settings["conditions"]) <= set(_ALL_CONDITIONS))


def count_models(settings: Mapping[str, Any]) -> int:
    """The number of models a run of these settings trains."""
    return len(settings["conditions"]) * len(settings["arms"]) * len(settings["seeds"])


# ----------------------------------------------------------------------------------- settings
def _resolve(quick, settings, seeds, device) -> dict:
    check_param("quick", quick, [InstanceOf(bool, "True or False")], owner=_OWNER)
    s = copy.deepcopy(INTERVENTION_QUICK_SETTINGS if quick else INTERVENTION_FULL_SETTINGS)
    settings = check_param("settings", settings, [InstanceOf(Mapping, "a dict of overrides"), None],
                           owner=_OWNER) or {}
    unknown = sorted(set(settings) - set(s))
    if unknown:
        raise InvalidParameterError(f"{_OWNER}: unknown setting(s) {unknown}; known: {sorted(s)}.")
    for key, value in settings.items():
        s[key] = {**s[key], **value} if isinstance(s[key], dict) and isinstance(value, Mapping) else value
    if seeds is not None:
        s["seeds"] = list(range(seeds)) if Integers(1).accepts(seeds) else seeds
    if device is not None:
        s["device"] = device
    return _check(s)


def _check(s: dict) -> dict:
    """Every setting checked (messages name ``settings['key']``) before any work."""
    from ..experiments import INTERVENTION_ARMS, INTERVENTION_CONDITIONS
    from ..interventions import KA_TERMS

    def seq(key, item, **kw):
        s[key] = check_sequence(f"settings[{key!r}]", s[key], item, unique=True, owner=_OWNER, **kw)

    seq("conditions", [Options(*INTERVENTION_CONDITIONS)])
    seq("arms", [Options(*INTERVENTION_ARMS)])
    seq("seeds", Integers(0))
    seq("ka_orders", Integers(1, PAPER_PROTOCOL.n_features))
    seq("levels", Reals(0, 1, low_open=True))
    if "control" not in s["arms"]:
        raise InvalidParameterError(f"{_OWNER}: settings['arms'] must include 'control'; got {s['arms']!r}.")
    if len(s["seeds"]) < 2:
        raise InvalidParameterError(f"{_OWNER}: at least 2 seeds are needed (8 let a comparison reach p < 0.01); got "
                                    f"settings['seeds']={s['seeds']!r}.")
    for key, spec in {"n_samples": [Integers(2)], "batch_size": [Integers(1)], "max_epochs": [Integers(1)],
                      "patience": [Integers(1)], "monitor": [Options("test", "train")],
                      "ka_term": [Options(*KA_TERMS)], "beta": [Reals(0, low_open=True)],
                      "analyzer": [InstanceOf(Mapping, "a dict of KAGeometryAnalyzer parameters")],
                      "confidence_level": [Reals(0, 1, low_open=True, high_open=True)],
                      "n_resamples": [Integers(1)]}.items():
        s[key] = check_param(f"settings[{key!r}]", s[key], spec, owner=_OWNER)
    s["device"] = check_device(s["device"], owner=_OWNER)
    if s["batch_size"] > s["n_samples"]:
        raise InvalidParameterError(f"{_OWNER}: settings['batch_size']={s['batch_size']} exceeds settings['n_samples']"
                                    f"={s['n_samples']}.")
    return s


# ------------------------------------------------------------------------------- out dir
def _differences(previous: dict, mode: str, settings: dict) -> list[str]:
    """What differs between a previous run (its ``settings.json``) and this one; empty when the same."""
    diff = [] if previous.get("mode") == mode else [f"mode ({previous.get('mode')!r} there, {mode!r} now)"]
    old, new = previous.get("settings"), plain(settings)
    if not isinstance(old, dict):
        return diff + ["settings"]
    return diff + [k for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)]


def _prepare_out_dir(out_dir: Any, mode: str, settings: dict, overwrite: Any) -> tuple[Path, dict | None]:
    """Resume a run of the same settings, refuse another report (unless ``overwrite``), create ``figures/``.

    Returns the directory and, when a run of the same settings is resumed, its ``settings.json``.
    """
    def differences(previous):
        if previous.get("report") != "intervention":
            return [f"its {SETTINGS_FILE} is not an intervention report's"]
        return _differences(previous, mode, settings)

    return prepare_preset_dir(out_dir, overwrite, owner=_OWNER, files=_FILES, differences=differences)


# ----------------------------------------------------------------------------------- run
def intervention_report(out_dir: str | os.PathLike | None = None, quick: bool = True, *, n_jobs: int | None = None,
                        seeds: int | Iterable[int] | None = None, device: str | None = None,
                        settings: Mapping[str, Any] | None = None, overwrite: bool = False,
                        verbose: int = 1) -> dict[str, Any]:
    """Run the intervention experiment and write its report: times to R² levels, costs, observables, findings.

    Writes into ``out_dir``: ``report.md`` and ``report.html`` (the same content),
    ``figures/*.png`` (per level, the fraction of runs that reached it against epochs and wall
    time, per arm and condition; KA observables against the final R²), ``models.csv`` (every
    model), ``statistics.csv`` (every arm against the control: Kaplan-Meier medians with bootstrap
    intervals and log-rank p-values, final quantities with bootstrap intervals and permutation
    p-values) and ``settings.json``; the models are stored under ``store/`` as each (condition, arm)
    task ends (a rerun of the same settings resumes from it; a directory holding another report is
    refused unless ``overwrite``). ``python -m sklearn_ka intervene`` calls this. See the user
    guide: :ref:`interventions`.

    Parameters
    ----------
    out_dir : str, os.PathLike or None, default=None
        Output directory (created); ``None``: ``intervention-report`` (quick) or ``intervention-full``.
    quick : bool, default=True
        ``True``: :data:`INTERVENTION_QUICK_SETTINGS` (four conditions, the KA term on minor sizes 1
        and 2; about 10 minutes on 2 cores); ``False``: :data:`INTERVENTION_FULL_SETTINGS` (six
        conditions, minor sizes 1 to 3; hours). The estimated run time (:func:`estimate_run_time`)
        is printed before the run starts.
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
        ``out_dir``, ``files``, ``models``, ``statistics``, ``findings`` (the statements of the
        report), ``run_time_s`` and ``estimated_run_time_s``.

    References
    ----------
    .. [1] M. Freedman and M. Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in
       Shallow MLPs", arXiv:2509.12326, 2025. https://arxiv.org/abs/2509.12326
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    from .._utils import check_n_jobs
    from ._estimate import calibrate

    verbose = check_int("verbose", verbose, 0, owner=_OWNER)
    n_jobs = check_n_jobs(n_jobs, owner=_OWNER)
    s = _resolve(quick, settings, seeds, device)
    mode = "quick" if quick else "full"
    out, resumed = _prepare_out_dir(_OUT[mode] if out_dir is None else out_dir, mode, s, overwrite)
    run = ReportRun(s, quick, out, n_jobs, verbose)
    run.frames["load_start"] = load_average()
    if resumed is not None and (resumed.get("first_run") or resumed.get("status") == "finished"):
        run.frames["first_run"] = resumed.get("first_run") or {k: resumed.get(k) for k in (
            "date", "timings_s", "n_jobs", "cpu_count", "calibration_s", "estimated_run_time_s", "load_average",
            "status")}
    with warnings.catch_warnings():  # the workload stops at a fixed epoch on purpose
        warnings.simplefilter("ignore")
        run.calibration_s = calibrate(s["device"], CALIBRATION_ANALYZER)
    estimate = estimate_run_time(s, n_jobs, calibration_s=run.calibration_s) if at_preset_scale(s) else None
    run.log(f"interventions ({mode}, {count_models(s)} models: {len(s['conditions'])} conditions x {len(s['arms'])} "
            f"arms x {len(s['seeds'])} seeds): "
            + (f"estimated run time {estimate / 60:.0f} min with n_jobs={n_jobs} (measured costs scaled by this "
               f"machine's calibration, {run.calibration_s:.2f} s)" if estimate is not None else
               "no run-time estimate (the scale differs from the presets')")
            + (f"; resuming from {out / 'store'}" if resumed is not None else ""))
    write_run_info(run, "running", estimate, report="intervention")
    res = _run(run)
    _write_tables(run, res)
    from ._intervention_document import figures

    figures(run, res)
    run.timings["total_s"] = run_time = time.perf_counter() - run.t0
    info = write_run_info(run, "finished", estimate, report="intervention")
    statements = _write_report(run, res, info)
    run.log(f"report written to {out / 'report.md'} ({run_time:.0f} s)")
    return {"out_dir": out, "files": run.written, "models": res.models, "statistics": res.statistics,
            "findings": statements, "run_time_s": run_time, "estimated_run_time_s": estimate}


def _run(run: ReportRun):
    from ..experiments import intervention

    s = run.settings
    with run.timed("experiment_s"):
        analyzer = dict(s["analyzer"], **({} if s["device"] == "cpu" else {"device": s["device"]}))
        res = intervention(s["conditions"], s["arms"], s["seeds"], n_samples=s["n_samples"],
                           batch_size=s["batch_size"], max_epochs=s["max_epochs"], patience=s["patience"],
                           monitor=s["monitor"], ka_term=s["ka_term"], ka_orders=tuple(s["ka_orders"]),
                           beta=s["beta"], levels=s["levels"], analyzer=analyzer,
                           confidence_level=s["confidence_level"], n_resamples=s["n_resamples"], random_state=0,
                           n_jobs=run.n_jobs, store=run.out / "store", verbose=max(0, run.verbose - 1),
                           device=s["device"])
    run.frames["sweeps"] = dict(res.models.attrs.get("sweep", {}))
    run.log(f"experiment done ({run.timings['experiment_s']:.0f} s, {len(res.models)} models, "
            f"{run.frames['sweeps'].get('n_computed_tasks')} tasks computed)")
    return res


def _write_tables(run: ReportRun, res) -> None:
    """``models.csv`` and ``statistics.csv``."""
    run.write_csv(res.models, "models.csv")
    run.write_csv(res.statistics, "statistics.csv")
    run.frames.update(models=res.models, statistics=res.statistics)


def _write_report(run: ReportRun, res, info: dict) -> list[str]:
    from ._intervention_document import build_intervention_document

    doc, statements = build_intervention_document(run, res, info)
    for name, text in (("report.md", doc.markdown()), ("report.html", doc.html())):
        (run.out / name).write_text(text, encoding="utf-8")
        run.written.append(run.out / name)
    return statements


def full_estimate(run: ReportRun, info: dict) -> tuple[float, str]:
    """The estimated seconds of ``--full`` with this run's workers, and where its costs come from."""
    s = run.settings
    computed = (info.get("sweeps") or {}).get("n_computed_tasks")
    first = info.get("first_run") or {}
    calibration = info["calibration_s"] if computed or not first else first.get("calibration_s")
    own = at_preset_scale(s) and s["ka_orders"] == INTERVENTION_QUICK_SETTINGS["ka_orders"]
    costs = measured_costs(run.frames["models"], s, calibration_s=calibration) if own else MEASURED_COSTS
    seconds = estimate_run_time(INTERVENTION_FULL_SETTINGS, info["n_jobs"], costs=costs, calibration_s=calibration)
    where = ("the costs measured by the run that computed these models (its tasks, KA factors of sizes 1-2 and "
             "analyses), completed by the reference costs for what it did not train (the other conditions, the "
             "size-3 term)" if own else "the reference costs, scaled by this machine's calibration")
    return (seconds if math.isfinite(seconds) else float("nan")), where
