"""The figures of a phase-diagram report: the maps of each plane and the slices beside the study's figures.

Every figure is drawn by :class:`~sklearn_ka.plotting.PhaseDiagramDisplay` or
:class:`~sklearn_ka.plotting.PhaseSliceDisplay` (the diagram: :ref:`phase-diagram`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .._utils import parse_observable_key
from ._context import ReportRun
from ._figures import PARAMETER_LABELS
from ._paper import paper_tables

__all__ = ["family_figures", "map_panels"]

#: What the statistic of an observable panel divides by, in words.
_REFERENCE = {"zero_rows": "q(k)", "pr": "initial", "rotation_ratio": "initial"}


def map_panels(rule) -> list[tuple[str, str, str]]:
    """``(quantity, statistic, colour-bar label)`` of the panels of a map: test R², then each criterion."""
    panels = [("test_r2_mean", "mean_difference", "mean test R² (dimensionless)")]
    for key, _ in rule:
        k = parse_observable_key(key)
        ref = _REFERENCE.get(k.name, "reference")
        q = f", q1={100 * k.q:g}%" if k.q is not None else ""
        panels.append((key, "mean_normalized", f"{k.name} k={k.k}{q}: trained / {ref}\n(ratio; 1 = reference)"))
    return panels


def _map_figure(run: ReportRun, family: str, res: Any, x: str, y: str, fixed: dict, name: str, caption: str) -> None:
    import matplotlib.pyplot as plt

    from ..plotting import PhaseDiagramDisplay

    panels = map_panels(res.rule)
    fig, axes = plt.subplots(1, len(panels), figsize=(5.6 * len(panels), 4.6), squeeze=False)
    xlabel = PARAMETER_LABELS.get(family)
    for ax, (quantity, statistic, label) in zip(axes.ravel(), panels):
        disp = PhaseDiagramDisplay.from_frame(res.cells, res.tests, x=x, y=y, quantity=quantity, statistic=statistic,
                                              fixed=fixed, xlabel=xlabel, ax=ax, annotate=True)
        if disp.colorbar_ is not None:
            disp.colorbar_.set_label(label, fontsize=8)
        ax.set_title(quantity if quantity != "test_r2_mean" else "test R²", fontsize=9)
    fig.tight_layout()
    run.save_figure(fig, name, caption)


def _slice_panels(res, r2="test_r2") -> list[tuple[str, float, str, float | None]]:
    """``(column, scale, label, reference)`` of the slice panels: R², then each criterion (normalised)."""
    out = [(r2, 1.0, f"{'test' if r2 == 'test_r2' else 'training'} R² (dimensionless)", None)]
    for key, _ in res.rule:
        k = parse_observable_key(key)
        if k.name == "zero_rows":
            out.append((key, 100.0, f"zero rows k={k.k}, q1={100 * k.q:g}%\n(% of (x, row) pairs)", None))
        else:
            norm = f"{k.name}_normalized_k{k.k}"
            if norm in res.models.columns:
                out.append((norm, 1.0, f"{k.name} k={k.k}, trained / initial\n(ratio; 1 = as initialised)", 1.0))
    return out


def _slice_figure(run, res, x, fixed, name, caption, *, paper_range=None, paper_points=None, xscale="linear",
                  xlabel=None, r2="test_r2"):
    import matplotlib.pyplot as plt

    from ..plotting import PhaseSliceDisplay

    panels = _slice_panels(res, r2)
    fig, axes = plt.subplots(1, len(panels), figsize=(4.6 * len(panels), 3.9), squeeze=False)
    for i, (ax, (col, scale, label, ref)) in enumerate(zip(axes.ravel(), panels)):
        PhaseSliceDisplay.from_frame(res.models, x, col, cells=res.cells, fixed=fixed, scale=scale, reference=ref,
                                     paper_range=paper_range, paper_points=paper_points if i == 0 else None,
                                     xscale=xscale, xlabel=xlabel, ylabel=label, ax=ax, legend=i == 0)
    fig.tight_layout()
    run.save_figure(fig, name, caption)


def _nearest(values, target) -> float | None:
    values = np.asarray(sorted(set(values)), dtype=float)
    if not values.size:
        return None
    v = values[np.argmin(np.abs(values - target))]
    return float(v) if np.isclose(v, target) else None


def family_figures(run: ReportRun, family: str, res: Any) -> None:
    """The maps (lambda x width, lambda x batch size) and the slices of one family."""
    from ..experiments import FAMILIES, PAPER_GOLDILOCKS

    s, lam = run.settings, FAMILIES[family][0]
    w_at, b_at = s["width_at"], s["batch_at"]
    n = len(s["seeds"])
    common = (f"{n} seeds per cell. Outline: cells called emerged (Benjamini–Hochberg across cells at "
              f"FDR {s['alpha']:g}); dashed: mean test R² contours at 0.5 and 0.9; ×: the cell's difference from the "
              "reference is not significant (BH q > α).")
    _map_figure(run, family, res, lam, "hidden_units", {"batch_size": b_at}, f"map_{family}_width.png",
                f"{family}: test R² and the emergence criteria over ({lam} × width m) at batch size {b_at}. {common}")
    _map_figure(run, family, res, lam, "batch_size", {"hidden_units": w_at}, f"map_{family}_batch.png",
                f"{family}: test R² and the emergence criteria over ({lam} × batch size B) at width m = {w_at}. "
                f"{common}")
    lo, hi = PAPER_GOLDILOCKS.get(family, (None, None))
    if ((res.cells["hidden_units"] == 32) & (res.cells["batch_size"] == 250)).any():  # the study's slice
        _slice_figure(run, res, lam, {"hidden_units": 32, "batch_size": 250}, f"slice_{family}_lambda.png",
                      f"{family}(32) at B = 250 against {lam} (mean ± sem over {n} seeds; circles: emerged cells), "
                      f"the study's slice, with its Goldilocks range {lo:g} ≲ {lam} ≲ {hi:g} shaded.",
                      paper_range=(lo, hi) if lo is not None else None,
                      xlabel=PARAMETER_LABELS.get(family))
    xor = _nearest(res.cells[lam], 1.0) if family == "lambda_xor" else None
    if xor is None:
        return
    table = paper_tables()
    t1 = table[(table["table"] == "I") & (table["row"] == "xor")]
    points = pd.DataFrame({"x": [int(c.split("=")[1]) for c in t1["column"]], "y": t1["paper_mean"].to_numpy(),
                           "error": t1["paper_std"].to_numpy()})
    _slice_figure(run, res, "hidden_units", {lam: xor, "batch_size": b_at}, "slice_width.png",
                  f"λ-xor at λ = 1 (xor), B = {b_at}, against width m (mean ± sem over {n} seeds; circles: emerged "
                  "cells); squares in the first panel: the study's Table I (training R² of xor, 4 seeds, mean ± std).",
                  paper_points=points, xscale="log", r2="train_r2")
    _slice_figure(run, res, "batch_size", {lam: xor, "hidden_units": w_at}, "slice_batch.png",
                  f"λ-xor at λ = 1 (xor), m = {w_at}, against the batch size B (mean ± sem over {n} seeds; circles: "
                  "emerged cells). The study's Appendix B varies B for xor(32) without published values to set "
                  "beside these.", xscale="log")
