"""The phase-diagram report as a document: the run, the rule, the findings, the tables, figures and files."""

from __future__ import annotations

import json
from collections.abc import Callable

import pandas as pd

from ._context import ReportRun
from ._paper import PAPER, PAPER_URL
from ._render import Document

__all__ = ["PHASE_TITLE", "build_phase_document"]

PHASE_TITLE = "sklearn-ka: the KA phase diagram"

#: Cells tables longer than this list only the emerged cells.
_MAX_CELL_ROWS = 80


def build_phase_document(run: ReportRun, results: dict, info: dict, findings: Callable) -> tuple[Document, list]:
    """The report of a finished phase-diagram run and the list of its findings (one string each)."""
    doc = Document(PHASE_TITLE)
    _introduction(doc, run, info)
    _rule(doc, run, results)
    statements = []
    doc.h(1, "Findings")
    doc.p("Each statement gives its evidence: the emerged values of the target parameter per width and batch size "
          "(ranges.csv), the learnable range (mean test R² at or above the level) and the study's slice. 'No clear "
          "region' is stated as such.")
    for family, res in results.items():
        items = findings(run.settings, family, res.cells, run.frames["ranges"], res.models, res.rule)
        statements += [f"{family}: {s}" for s in items]
        doc.h(2, family)
        doc.ul(items)
    cells = run.frames["cells"]
    if ((cells["hidden_units"] == 32) & (cells["batch_size"] == 250)).any():
        doc.p("The slice at m = 32, B = 250 is computed exactly as the interpolation experiment computes λ-xor(32) "
              "(same seed protocol, one sweep task per cell, the same analyzer), so its per-seed numbers are that "
              "experiment's; the package's tests check the identity on a small shared setting.")
    _tables(doc, run)
    doc.h(1, "Figures")
    for path, caption in run.figures:
        doc.img(path, caption)
    _files(doc)
    _run_time(doc, run, info)
    return doc, statements


def _introduction(doc: Document, run: ReportRun, info: dict) -> None:
    s, t = run.settings, info["timings_s"]
    doc.p(f"{PAPER} ({PAPER_URL}) ends on its next goal: mapping out the KA phase diagram, showing how, when and "
          "where KA-like geometry emerges through training. Its own data are one-dimensional slices (λ-xor and G(λ) "
          "at m = 32 and batch 250, widths in Table I, batch sizes in Appendix B), 4 seeds each, without a "
          "significance test. This report maps target complexity jointly with the width m and the batch size B, "
          "with a significance test per cell and false-discovery control across cells. Definitions: the sklearn-ka "
          "user guide (pages 'Observables' and 'The KA phase diagram').")
    est = info["estimated_run_time_s"]
    estimate = (f"estimated beforehand for computing every model: {est:.0f} s" if est is not None
                else "no estimate: not the presets' scale")
    first = info.get("first_run") or {}
    computed = sum((v or {}).get("n_computed_tasks") or 0 for v in (info.get("sweeps") or {}).values())
    took = f"Run time {t['total_s']:.0f} s ({estimate})"
    if first.get("timings_s") and not computed:
        took = (f"The models were computed by an earlier run of these settings in {first['timings_s']['total_s']:.0f} "
                f"s (finished {first.get('date')}); this report was rendered from its stores in {t['total_s']:.0f} s")
    doc.p(f"Mode: {'--quick' if run.quick else '--full'}. {took} on {info['cpu_count']} CPU(s) "
          f"(n_jobs={info['n_jobs']}, device {s['device']}), {info['date']}. sklearn-ka {info['sklearn_ka']}, "
          f"Python {info['python']}, torch {info.get('torch', '?')}.")
    doc.h(1, "Settings")
    layout = ("two planes sharing their (λ, m = {w}, B = {b}) cells: (λ × m) at B = {b} and (λ × B) at m = {w}"
              .format(w=s["width_at"], b=s["batch_at"]) if s["layout"] == "planes" else "the full cube λ × m × B")
    doc.ul([
        f"Families {s['families']}; values of λ: "
        + "; ".join(f"{f}: {v if v is not None else 'the interpolation defaults'}" for f, v in s["values"].items()
                    if f in s["families"]) + ".",
        f"Widths m ∈ {s['widths']}, batch sizes B ∈ {s['batch_sizes']}; layout: {layout}.",
        f"Seeds {s['seeds']} per cell (the sweep's seed protocol: a seed fixes initialisation, shuffling, the "
        "target's draw, training and test data).",
        f"Protocol: {s['n_samples']} training examples and an independent test set of the same size; Adam; at most "
        f"{s['max_epochs']} epochs, early stopping with patience {s['patience']} on the "
        f"{'test set' if s['monitor'] == 'test' else 'training loss'}, best weights kept.",
        f"Analyzer: KAGeometryAnalyzer({', '.join(f'{k}={v!r}' for k, v in s['analyzer'].items())}), defaults "
        "otherwise (k = 1, 2, 3; q1 ∈ {1e-4, 1e-3, 1e-2}); every model against its own initialisation, on its "
        "training data.",
        f"Statistics: false discovery rate {s['alpha']:g}, {s['n_resamples']} bootstrap resamples, learnable = mean "
        f"test R² ≥ {s['r2_level']:g}.",
    ])
    doc.code(json.dumps(s, default=str))


def _rule(doc: Document, run: ReportRun, results: dict) -> None:
    res = next(iter(results.values()))
    n = len(run.settings["seeds"])
    crit = "; ".join(f"{key} {direction} its reference" for key, direction in res.rule)
    doc.h(1, "When a cell is called emerged")
    doc.p(f"Rule: {crit}. References: the initial model's own value for PR and the rotation ratio, the induced "
          "false-positive rate q(k) for zero rows. Per cell and criterion, the paired differences trained − reference "
          f"over the {n} seeds are tested with an exact sign-flip permutation test (2^{n} = {2 ** n} sign patterns); "
          "the one-sided p-value in the rule's direction is half the two-sided one when the mean difference lies on "
          f"that side, else 1; the smallest attainable one-sided p-value is 1/2^{n} = {1 / 2 ** n:.4g}. A cell's "
          "emergence p-value is the largest of its criteria's (an intersection-union test: every criterion must "
          "hold). The Benjamini–Hochberg procedure across all cells of a family controls the false discovery rate "
          f"at {run.settings['alpha']:g}: a cell has emerged when its adjusted value (emergence_q_value) is at most "
          "that. Every observable's difference also has a 95 % percentile-bootstrap interval and a two-sided p-value "
          "adjusted across cells (tests.csv); the maps mark cells whose adjusted value exceeds the rate.")


def _tables(doc: Document, run: ReportRun) -> None:
    ranges = run.frames["ranges"]
    doc.h(1, "Emergence and learnable ranges")
    doc.p("Per width (at the fixed batch size) and per batch size (at the fixed width): the emerged values of the "
          "target parameter, their extent and shape (contiguous or scattered), and the learnable range.")
    if len(ranges):
        doc.table(ranges[["function", "axis", "value", "held", "n_emerged", "emerged_values", "region",
                          "learnable_low", "learnable_high", "n_emerged_learnable"]], precision=3)
    cells = run.frames["cells"]
    param = [c for c in ("lam", "alpha") if c in cells.columns]
    cols = ["function", *param, "hidden_units", "batch_size", "n_seeds", "train_r2_mean", "test_r2_mean",
            "emergence_p_value", "emergence_q_value", "emerged"]
    shown = cells if len(cells) <= _MAX_CELL_ROWS else cells[cells["emerged"]]
    doc.h(1, "Cells")
    doc.p(f"{len(cells)} cells, {int(cells['emerged'].sum())} emerged"
          + ("" if shown is cells else " (only those are listed)") + "; every column of every cell: cells.csv.")
    doc.table(pd.DataFrame(shown[[c for c in cols if c in shown.columns]]), precision=4)


def _files(doc: Document) -> None:
    doc.h(1, "Files")
    doc.ul(["cells.csv: one row per cell (R² over seeds, the normalised observables, each criterion's difference "
            "and one-sided p-value, the emergence p-value, q-value and call)",
            "tests.csv: one row per cell and observable (mean difference from the reference, bootstrap interval, "
            "permutation p-value, Benjamini–Hochberg q-value, mean trained / reference)",
            "models.csv: one row per model (every observable, R², epochs, times)",
            "ranges.csv: the emergence and learnable ranges per width and batch size",
            "settings.json: settings, timings, versions; store/: the sweep stores (a rerun resumes from them)"])


def _timing(info: dict) -> str:
    """A run's conditions: workers, CPUs, the estimate, the calibration and the machine's load."""
    est, load = info.get("estimated_run_time_s"), info.get("load_average") or {}
    parts = [f"n_jobs={info.get('n_jobs')} on {info.get('cpu_count')} CPU(s)",
             f"estimated beforehand at {est:.0f} s for computing every model" if est is not None
             else "no estimate beforehand",
             f"calibration workload {info['calibration_s']:.2f} s" if info.get("calibration_s") else None,
             f"1-minute load average {load['start']:g} at the start, {load['end']:g} at the end"
             if load.get("start") is not None and load.get("end") is not None else None]
    per = ", ".join(f"{k[:-2]} {v:.0f} s" for k, v in (info.get("timings_s") or {}).items() if k != "total_s")
    return "; ".join(p for p in parts if p) + (f". Per family: {per}." if per else ".")


def _run_time(doc: Document, run: ReportRun, info: dict) -> None:
    from ._phase_report import (
        MEASURED_COSTS,
        PHASE_FULL_SETTINGS,
        at_preset_scale,
        count_models,
        estimate_run_time,
        measured_costs,
    )

    doc.h(1, "Run time")
    t, s, f = info["timings_s"], run.settings, PHASE_FULL_SETTINGS
    models = run.frames["models"]
    sweeps = info.get("sweeps") or {}
    computed = sum(v.get("n_computed_tasks") or 0 for v in sweeps.values())
    tasks = sum(v.get("n_tasks") or 0 for v in sweeps.values())
    doc.p(f"This run: {len(models)} models ({computed} of {tasks} sweep tasks computed, the others read from the "
          f"store) in {t['total_s']:.0f} s. " + _timing(info))
    first = info.get("first_run")
    if first and computed < tasks and (first.get("timings_s") or {}).get("total_s"):
        doc.p(f"The stored models were computed by an earlier run of the same settings (finished {first.get('date')}, "
              f"status {first.get('status')}): {first['timings_s']['total_s']:.0f} s. " + _timing(first))
    if not at_preset_scale(s):
        doc.p("This run's scale is not the presets' (training examples, epochs, patience or analyzer differ), so "
              "its per-model costs say nothing about --full.")
        return
    own = s["layout"] == "planes" and "lam" in models.columns and (computed == tasks or first)
    calibration = (first or info).get("calibration_s") if computed < tasks else info["calibration_s"]
    costs = measured_costs(models, width_at=s["width_at"], batch_at=s["batch_at"], calibration_s=calibration,
                           n_rotations=s["analyzer"].get("n_rotations")) if own else MEASURED_COSTS
    full = estimate_run_time(f, info["n_jobs"], costs=costs, calibration_s=calibration)
    doc.p(f"--full ({count_models(f)} models: λ-xor and G(λ), every λ of the interpolation grids × "
          f"{len(f['widths'])} widths × {len(f['batch_sizes'])} batch sizes × {len(f['seeds'])} seeds) is "
          f"estimated at {full / 3600:.1f} h with n_jobs={info['n_jobs']}, from "
          + ("the per-model costs the run that computed these models measured, under its conditions" if own else
             "the per-model costs a reference --quick run measured, scaled by this run's calibration")
          + f" (training of one 8-seed task per width at B = {s['batch_at']}, in s: {costs['train_task_s']}; "
          f"factor per batch size at m = {s['width_at']}: {costs['batch_factor']}, batch sizes not trained taking "
          f"the nearest one's; analysis of one model per width with {costs['analysis_rotations']} Haar rotations, in "
          f"s: {costs['analysis_s']}, times the factor of {f['analyzer']['n_rotations']} rotations per width: "
          f"{costs['rotation_factor'].get(f['analyzer']['n_rotations'])}). The command states "
          "its own estimate before it starts; an interrupted run resumes from its stores.")
