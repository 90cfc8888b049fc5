"""The reproduction report as a document: introduction, settings, each section's text, figures, files."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pandas as pd

from .._utils import PAPER_PROTOCOL
from ._context import ReportRun, monitor_label
from ._paper import PAPER, PAPER_URL
from ._render import Document

__all__ = ["TITLE", "build_document"]

TITLE = "sklearn-ka: reproduction of the KA-geometry study"


def build_document(run: ReportRun, info: dict, sections: Sequence) -> Document:
    """The report of a finished run: its settings, then each section's text, then figures and files.

    Parameters
    ----------
    run : ReportRun
        The finished run.
    info : dict
        What ``settings.json`` holds (timings, versions, date).
    sections : sequence of Section
        The sections whose text the report holds, in order (those that ran).
    """
    doc = Document(TITLE)
    _introduction(doc, run, info)
    for section in sections:
        section.markdown(doc, run)
    doc.h(1, "Figures")
    for path, caption in run.figures:
        doc.img(path, caption)
    _not_reproduced(doc, run)
    _files(doc, run.quick)
    _run_time(doc, run, info)
    return doc


def _introduction(doc, run, info):
    s, t = run.settings, info["timings_s"]
    doc.p(f"A reproduction of {PAPER} ({PAPER_URL}) with sklearn-ka: our numbers beside the published ones, with "
          "every setting used. The definitions are those of the sklearn-ka user guide (pages 'Observables' and "
          "'Experiments'), which follows the paper.")
    doc.p(f"Mode: {'--quick' if run.quick else '--full'}. Run time {t['total_s']:.0f} s on {info['cpu_count']} "
          f"CPU(s) (n_jobs={info['n_jobs']}, device {s['device']}), {info['date']}. sklearn-ka {info['sklearn_ka']}, "
          f"Python {info['python']}, torch {info.get('torch', '?')}.")
    doc.h(1, "Settings")
    doc.ul([
        f"Functions {s['functions']}, widths m ∈ {s['widths']}, seeds {s['seeds']} (seed protocol of "
        "sklearn_ka.sweeps: the seed fixes initialisation, shuffling, the function's own draw, training and test "
        "data).",
        f"Protocol: n = {PAPER_PROTOCOL.n_features} inputs, {s['n_samples']} training examples and an independent "
        f"test set of the same size; batch size {s['batch_size']}, Adam lr {PAPER_PROTOCOL.learning_rate}, at most "
        f"{s['max_epochs']} epochs, early stopping with patience {s['patience']} ({monitor_label(s['monitor'])}: the "
        "paper does not say which loss it monitors; Appendix B and the protocol sensitivity show both), best "
        "weights kept; exact GeLU; float32 training.",
        f"Analyzer: KAGeometryAnalyzer({', '.join(f'{k}={v!r}' for k, v in s['analyzer'].items())}) with defaults "
        "otherwise (k = 1, 2, 3; q1 ∈ {1e-4, 1e-3, 1e-2}; PR convention ‖·‖₁/‖·‖₂; softmax column probabilities; "
        "consistently zero = zero at ≥ 99 % of the examples); observables on the training data, each model against "
        "its own initialisation.",
        f"Tables II and III and the single-model figures use m = {run.width}; figures of one model use seed "
        f"{s['figure_seed']}.",
        f"Device: {s['device']} (training and analysis).",
        "Timings (s): " + ", ".join(f"{k[:-2]} {v:.0f}" for k, v in t.items() if ":" not in k),
    ])
    doc.code(json.dumps(s, default=str))


def _files(doc, quick):
    doc.h(1, "Files")
    doc.ul(["static.csv: one row per model of the static grid (every number of Tables I–III and more)",
            "tables.csv: Tables I–III, ours beside the paper's, with differences and status",
            "significance.csv, evolution.csv, tails.csv, dependent_readings.csv, claims.csv"
            + (", interpolation.csv, batch_size.csv and bootstrap.csv (with a monitor column), sensitivity.csv"
               if not quick else ""),
            "settings.json: settings, timings, the run-time estimate and versions; store/: the sweep stores (a rerun "
            "resumes)"])


#: Figures of the paper that the report does not reproduce, and why.
NOT_REPRODUCED = (
    "Illustrations of the Kolmogorov-Arnold construction and of Jacobian textures drawn by hand or from the "
    "construction itself: they show no trained model, so there is nothing to reproduce.",
    "The critical-batch-size measurement (E_min and S_min against the training criterion): the report trains at "
    "the published B_c = 250; benchmarks/bench_critical_batch.py measures B_c with both methods of "
    "sklearn_ka.estimate_critical_batch_size (see the Performance page), outside the report to keep its run time "
    "bounded.",
    "Per-figure styling: the report draws every observable the paper plots (against m, training R², λ, α, batch "
    "size, and the MEFs) but in its own layout, one panel per observable at k = 3 and q1 = 1% (every k and q1 is in "
    "the CSV files), so panels do not map one to one onto the paper's figures.",
)


def _not_reproduced(doc, run):
    doc.h(1, "Figures of the paper not reproduced")
    items = list(NOT_REPRODUCED)
    if run.quick:
        items.insert(0, "--quick draws the figures of Tables I–III, one evolution run and the tails of three models; "
                        "the interpolation, batch-size and bootstrapped-model figures (Appendix B) need --full.")
    doc.ul(items)


def _run_time(doc, run, info):
    """Estimated (from measured per-model costs) against measured time, per section."""
    t = info["timings_s"]
    doc.h(1, "Run time: estimate and measurement")
    est = run.estimate
    if est is None:
        doc.p(f"Measured: {t['total_s']:.0f} s. No estimate: the settings change the scale at which the per-model "
              "costs were measured.")
    else:
        rows = [{"section": key, "estimated (s)": value, "measured (s)": t.get(f"{key}_s", float("nan"))}
                for key, value in est.items() if key != "total"]
        rows.append({"section": "total", "estimated (s)": est["total"], "measured (s)": t["total_s"]})
        doc.p(f"Estimated before the run from the per-model costs of a reference run, scaled by this machine's "
              f"calibration ({run.calibration_s:.2f} s for a fixed workload: four xor(32) models trained for 60 epochs "
              "and one analysed); measured by the run itself. A resumed run reads finished models from its stores, "
              "so it takes less than the estimate.")
        doc.table(pd.DataFrame(rows), precision=0)
    _full_run_time(doc, run)


def _full_run_time(doc, run):
    """In a quick report: what --full would take on this machine (the same cost model, the full preset)."""
    if not run.quick:
        return
    from ._estimate import estimate_run_time
    from ._settings import resolve_settings

    doc.h(1, "Run time of --full")
    full = resolve_settings(False, None, run.settings["seeds"], run.settings["device"], run.settings["monitor"],
                            run.settings["patience"])
    est = None if run.calibration_s is None else estimate_run_time(full, False, run.n_jobs, run.calibration_s)
    guess = (f"On this machine it would take about {est['total'] / 60:.0f} min with n_jobs={run.n_jobs} (estimated "
             "from the per-model costs of a reference run, scaled by this run's calibration); " if est else "")
    doc.p("--full runs every experiment of the paper at its scale, Appendix B under both monitors and the protocol "
          f"sensitivity included. {guess}`sklearn-ka reproduce --full` prints its own estimate before it starts. "
          "Every sweep is written to store/ as it goes, so an interrupted run resumes where it stopped when rerun "
          "into the same directory.")
