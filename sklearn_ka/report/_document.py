"""The reproduction report as a document: introduction, settings, each section's text, figures, files."""

from __future__ import annotations

import json
from collections.abc import Sequence

from .._utils import PAPER_PROTOCOL
from ._context import ReportRun
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
    _files(doc, run.quick)
    _full_run_time(doc)
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
        f"test set of the same size as the early-stopping eval_set; batch size {s['batch_size']}, Adam lr "
        f"{PAPER_PROTOCOL.learning_rate}, at most {s['max_epochs']} epochs, patience {s['patience']}, best weights "
        "kept; exact GeLU; float32 training.",
        f"Analyzer: KAGeometryAnalyzer({', '.join(f'{k}={v!r}' for k, v in s['analyzer'].items())}) with defaults "
        "otherwise (k = 1, 2, 3; q1 ∈ {1e-4, 1e-3, 1e-2}; PR convention ‖·‖₁/‖·‖₂; softmax column probabilities; "
        "consistently zero = zero at ≥ 99 % of the examples); observables on the training data, each model against "
        "its own initialisation.",
        f"Tables II and III and the single-model figures use m = {run.width}; figures of one model use seed "
        f"{s['figure_seed']}.",
        f"Device: {s['device']} (training and analysis).",
        "Timings (s): " + ", ".join(f"{k[:-2]} {v:.0f}" for k, v in t.items()),
    ])
    doc.code(json.dumps(s, default=str))


def _files(doc, quick):
    doc.h(1, "Files")
    doc.ul(["static.csv: one row per model of the static grid (every number of Tables I–III and more)",
            "tables.csv: Tables I–III, ours beside the paper's, with differences and status",
            "significance.csv, evolution.csv, tails.csv" + (", interpolation.csv, batch_size.csv, bootstrap.csv"
                                                              if not quick else ""),
            "settings.json: settings, timings and versions; store/: the sweep stores (a rerun resumes)"])


def _full_run_time(doc):
    doc.h(1, "Run time of --full")
    doc.p("--full runs every experiment of the paper at its scale (user guide: Experiments), here with the default "
          "4 seeds: the static grid (48 models), evolution (4 seeds, R² steps of 0.05, about 20 analysed snapshots per "
          "seed), interpolation (31 parameter values × 4 seeds = 124 models), batch size (2 functions × 6 batch "
          "sizes × 4 seeds = 48 models; small batches cost up to 8× more steps per epoch), the bootstrapped model "
          "(24 base models, each with two second-stage MLPs and a deep control, plus 24 models of width 264) and "
          "tails (12 models). Estimated from the per-model costs of --quick: about 1.5–3 hours with n_jobs=2 on 2 "
          "cores; the model count grows in proportion to --seeds. Every sweep is written to store/ as it goes, so an "
          "interrupted run resumes where it stopped when rerun into the same directory.")
