"""The run time of a reproduction, estimated from measured per-model costs before any work.

Cost model. Each section's cost is its number of models times a cost per model measured on a
reference run of the preset (:data:`REFERENCE`: seconds of wall time per model with two workers
on two cores). Before a run, :func:`calibrate` times a small fixed workload on this machine
(training four xor(32) models for a fixed number of epochs, then analysing one) and the
reference costs are scaled by the ratio of that time to the reference machine's. The estimate
assumes the run's scale is the preset's (it is None otherwise) and the tasks spread evenly over
the workers; the report sets it beside the measured time of every section.
"""

from __future__ import annotations

import math
import os
import time
from typing import Any

from .._utils import PAPER_PROTOCOL

__all__ = ["REFERENCE", "calibrate", "count_models", "estimate_run_time"]

#: Costs measured on the reference run: ``"calibration_s"`` (the :func:`calibrate` workload on that
#: machine), ``"workers"`` and, per cost key, seconds of wall time per model. Keys are section
#: names, with the monitor (``"batch_size:train"``) or the protocol of a sensitivity alternative
#: (``"sensitivity:train:50"``). Reference: ``sklearn-ka reproduce --full --n-jobs 2`` on a 2-core
#: x86-64 machine (the run published on the documentation's reproduction page).
REFERENCE: dict[str, Any] = {
    "calibration_s": 4.55,
    "workers": 2,
    "per_model_s": {
        "static": 4.35, "significance": 1.1, "figures": 11.1, "evolution": 160.5, "tails": 2.58,
        "interpolation": 6.30, "batch_size:test": 4.52, "batch_size:train": 5.85, "bootstrap:test": 1.52,
        "bootstrap:train": 51.1, "dependent": 2.44, "sensitivity:train:50": 4.42, "sensitivity:test:200": 3.42,
        "claims": 0.14,
    },
}
#: The R² step of the reference run's evolution experiment.
_EVOLUTION_STEP = 0.05
#: The settings that fix the scale of a run: the estimate holds only when they equal the preset's.
_SCALE = ("n_samples", "batch_size", "max_epochs", "analyzer", "table_width")
#: The calibration workload: models, width and epochs (no early stopping), and its repeats (the
#: median is kept: a machine shared with other work is timed at its typical, not its worst, load).
_CALIBRATION = {"n_models": 4, "width": 32, "epochs": 60, "repeats": 3}


def calibrate(device: str = "cpu", analyzer: dict | None = None) -> float:
    """Seconds this machine takes for the reference workload (train four xor(32) models, analyse one).

    The median of a few repeats.
    """
    import warnings

    from ..analysis import KAGeometryAnalyzer
    from ..neural_network import ShallowMLPRegressor, fit_many
    from ..sweeps import make_sweep_data

    X, y, Xt, yt = make_sweep_data("xor", 0, n_samples=PAPER_PROTOCOL.n_samples)
    c = _CALIBRATION
    times = []
    for _ in range(c["repeats"]):
        models = [ShallowMLPRegressor(c["width"], max_epochs=c["epochs"], patience=c["epochs"] + 1, random_state=i,
                                      device=device) for i in range(c["n_models"])]
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # stopped at max_epochs by design
            fit_many(models, X, y, eval_set=(Xt, yt), n_threads=1)
        an = KAGeometryAnalyzer(**dict(analyzer or {}), random_state=0, n_jobs=1).fit(models[0].initial_model(), X)
        an.score(models[0], X)
        times.append(time.perf_counter() - t0)
    return float(sorted(times)[len(times) // 2])


def count_models(s: dict, quick: bool) -> dict[str, float]:
    """The number of models (or runs) behind each cost key of a run with settings ``s``.

    An evolution run counts in units of the reference's (R² steps of 0.05): a coarser step
    analyses proportionally fewer snapshots.
    """
    from ..experiments import FAMILIES

    n_seeds = len(s["seeds"])
    counts = {"static": len(s["functions"]) * len(s["widths"]) * n_seeds, "significance": 1,
              "figures": len(s["functions"]), "claims": 1}
    if s.get("evolution"):
        counts["evolution"] = len(s["evolution"]["seeds"]) * _EVOLUTION_STEP / s["evolution"]["r2_step"]
    if s.get("tails"):
        counts["tails"] = len(s["tails"]["functions"]) * n_seeds
    if s.get("interpolation"):
        values = s["interpolation"].get("values")
        counts["interpolation"] = n_seeds * sum(len(values) if values else len(FAMILIES[f][1])
                                                for f in s["interpolation"]["families"])
    for name, per in (("batch_size_experiment", "batch_size"), ("bootstrap", "bootstrap")):
        b = s.get(name)
        if b:
            n = len(b["batch_sizes"]) * n_seeds * len(b.get("functions", [b.get("function")]))
            for monitor in b.get("monitors") or ["test"]:
                counts[f"{per}:{monitor}"] = n
    if s.get("dependent_readings"):
        counts["dependent"] = n_seeds
    if s.get("sensitivity"):
        from ._sensitivity import protocols

        sens = s["sensitivity"]
        n = n_seeds * (len(sens["static_functions"]) * len(s["widths"]) + len(sens.get("lambda_xor") or [])
                       + len(sens.get("gaussian") or []))
        for p in protocols(s)[1:]:
            counts[f"sensitivity:{p['monitor']}:{p['patience']}"] = n
    return counts


def estimate_run_time(s: dict, quick: bool, n_jobs: Any, calibration_s: float) -> dict[str, float] | None:
    """Seconds per cost key (and ``"total"``) of a run, from :data:`REFERENCE` scaled by ``calibration_s``.

    None when the run's scale differs from the preset's (the reference costs would not apply).
    """
    from ._settings import FULL_SETTINGS, QUICK_SETTINGS

    preset = QUICK_SETTINGS if quick else FULL_SETTINGS
    if any(s.get(k) != preset.get(k) for k in _SCALE):
        return None
    workers = max(1, min(os.cpu_count() or 1, n_jobs if isinstance(n_jobs, int) and n_jobs > 0 else
                         os.cpu_count() or 1))
    speed = calibration_s / REFERENCE["calibration_s"] * REFERENCE["workers"] / workers
    per = REFERENCE["per_model_s"]
    out = {}
    for key, n in count_models(s, quick).items():
        cost = per.get(key, per.get(key.split(":")[0] + ":test", per.get(key.split(":")[0], math.nan)))
        out[key] = n * cost * speed
    out["total"] = sum(v for v in out.values() if math.isfinite(v))
    return out
