"""The findings of a phase-diagram run, stated with their evidence and computed from its cells.

Each statement answers one question of the phase diagram (:ref:`phase-findings`): does the
emergence region move with the width and with the batch size, where does it sit relative to
the learnability boundary, and does it agree with the study's slices where they overlap. A
statement says what the cells show, including that no region emerged.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["PLANES", "ranges_for", "findings"]

#: The two planes the findings read: the axis that varies beside the family parameter, and the
#: setting that holds the other one fixed.
PLANES = (("hidden_units", "batch_size", "batch_at", "width m"), ("batch_size", "hidden_units", "width_at",
                                                                   "batch size B"))


#: How a family parameter is written in the report's prose.
SYMBOLS = {"lam": "λ", "alpha": "α"}


def _param(family: str) -> str:
    from ..experiments import FAMILIES

    return FAMILIES[family][0]


def _symbol(family: str) -> str:
    return SYMBOLS.get(_param(family), _param(family))


def ranges_for(settings: Mapping[str, Any], family: str, cells: pd.DataFrame) -> pd.DataFrame:
    """The emergence and learnable ranges along the family parameter, per width (at the run's
    ``batch_at``) and per batch size (at its ``width_at``).

    Returns
    -------
    pandas.DataFrame
        :func:`~sklearn_ka.experiments.goldilocks_ranges` rows with ``function``, ``axis`` (the
        varying axis), ``value`` (its value) and ``held`` (the fixed one, e.g. ``"batch_size=250"``).
    """
    from ..experiments import goldilocks_ranges

    frames = []
    for axis, other, key, _ in PLANES:
        plane = cells[cells[other] == settings[key]]
        if plane.empty:
            continue
        r = goldilocks_ranges(plane, _param(family), axis, r2_level=settings["r2_level"])
        r = r.rename(columns={axis: "value"})
        r.insert(0, "held", f"{other}={settings[key]}")
        r.insert(0, "axis", axis)
        r.insert(0, "function", family)
        frames.append(r)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _span(row) -> str:
    if row["n_emerged"] == 0:
        return "none"
    lo, hi = row["emerged_low"], row["emerged_high"]
    text = f"{lo:g}" if lo == hi else f"{lo:g}–{hi:g}"
    return text + (" (scattered: " + row["emerged_values"] + ")" if row["region"] == "scattered" else "")


def _trend(values: np.ndarray) -> str:
    """``"up"``, ``"down"``, ``"flat"`` or ``"mixed"``: how a sequence changes along the axis."""
    d = np.diff(values)
    if np.allclose(d, 0):
        return "flat"
    if np.all(d >= 0):
        return "up"
    if np.all(d <= 0):
        return "down"
    return "mixed"


#: How the region changes, by the trends of its lower and upper edges.
_SHAPES = {("flat", "flat"): "does not move", ("down", "up"): "widens", ("flat", "up"): "widens",
           ("down", "flat"): "widens", ("up", "down"): "narrows", ("flat", "down"): "narrows",
           ("up", "flat"): "narrows", ("up", "up"): "moves to larger {lam}", ("down", "down"): "moves to smaller {lam}"}


def _movement(rows: pd.DataFrame, name: str, lam: str) -> str:
    """Whether and how the emerged range moves along ``name``, with the ranges as evidence."""
    evidence = "; ".join(f"{name} = {v:g}: {_span(r)}" for v, r in zip(rows["value"], rows.to_dict("records")))
    hit = rows[rows["n_emerged"] > 0]
    if hit.empty:
        return f"No clear region: no cell emerged at any {name} ({evidence})."
    missing = rows.loc[rows["n_emerged"] == 0, "value"].tolist()
    absent = f" No cell emerged at {name} ∈ {{{', '.join(f'{v:g}' for v in missing)}}}." if missing else ""
    lows, highs = hit["emerged_low"].to_numpy(dtype=float), hit["emerged_high"].to_numpy(dtype=float)
    if len(hit) == 1:
        trend = f"A region appears at a single {name} only, so whether it moves cannot be read."
    else:
        shape = _SHAPES.get((_trend(lows), _trend(highs)), "shifts without a monotone trend").format(lam=lam)
        first, last = hit["value"].iloc[0], hit["value"].iloc[-1]
        trend = (f"As {name} grows from {first:g} to {last:g} the region {shape}: its lower edge goes "
                 f"{' → '.join(f'{v:g}' for v in lows)}, its upper edge {' → '.join(f'{v:g}' for v in highs)}.")
    scattered = hit.loc[hit["region"] == "scattered", "value"].tolist()
    listed = ", ".join(f"{v:g}" for v in scattered)
    gaps = f" The emerged cells are not contiguous along {lam} at {name} ∈ {{{listed}}}." if scattered else ""
    size = f" Emerged cells per {name}: {', '.join(str(n) for n in hit['n_emerged'])}."
    return f"{trend}{absent}{gaps}{size} Ranges of {lam}: {evidence}."


def _learnability(rows: pd.DataFrame, name: str, lam: str, level: float) -> str:
    """Where the emerged cells sit relative to the mean-R² level (the learnability boundary)."""
    hit = rows[rows["n_emerged"] > 0]
    if hit.empty:
        learn = "; ".join(f"{name} = {v:g}: {_learn_span(r)}" for v, r in zip(rows["value"],
                                                                              rows.to_dict("records")))
        return f"No region to place against the learnability boundary (test R² ≥ {level:g}: {learn})."
    parts, inside, total = [], int(hit["n_emerged_learnable"].sum()), int(hit["n_emerged"].sum())
    for v, r in zip(hit["value"], hit.to_dict("records")):
        if not r["n_learnable"]:
            where = "no learnable cell"
        elif r["emerged_high"] > r["learnable_high"]:
            where = "extends beyond the boundary"
        elif r["emerged_high"] == r["learnable_high"]:
            where = "ends at the boundary"
        else:
            where = "ends inside the learnable range"
        parts.append(f"{name} = {v:g}: emerged {_span(r)}, learnable {_learn_span(r)} ({where})")
    return (f"{inside} of {total} emerged cells are learnable (mean test R² ≥ {level:g}). Along {lam}: "
            + "; ".join(parts) + ".")


def _learn_span(r) -> str:
    if not r["n_learnable"]:
        return "none"
    lo, hi = r["learnable_low"], r["learnable_high"]
    return f"{lo:g}" if lo == hi else f"{lo:g}–{hi:g}"


def _paper(rows: pd.DataFrame, family: str, settings: Mapping[str, Any], cells: pd.DataFrame) -> str:
    """Our emergence at the study's slice (width 32, batch 250) against its Goldilocks range."""
    from ..experiments import PAPER_GOLDILOCKS

    lam, sym = _param(family), _symbol(family)
    lo, hi = PAPER_GOLDILOCKS[family]
    at = cells[(cells["hidden_units"] == 32) & (cells["batch_size"] == PAPER_ONLY_BATCH)]
    if at.empty:
        return (f"The study's slice (m = 32, B = {PAPER_ONLY_BATCH}) is not in this run's grid; no comparison with "
                f"its range {lo:g} ≲ {sym} ≲ {hi:g}.")
    values = at[lam].to_numpy(dtype=float)
    em = at["emerged"].fillna(False).to_numpy(dtype=bool)
    inside = (values >= lo - 1e-9) & (values <= hi + 1e-9)
    ours = ", ".join(f"{v:g}" for v in values[em]) or "none"
    both, ours_only, paper_only = int((em & inside).sum()), int((em & ~inside).sum()), int((~em & inside).sum())
    if not em.any():
        verdict = "disagrees: no cell emerged at our significance level, where the study reports a region"
    elif ours_only == 0 and paper_only == 0:
        verdict = "agrees on every grid value"
    elif both == 0:
        verdict = "disagrees: the emerged cells lie outside the study's range"
    else:
        verdict = (f"agrees in part ({both} value(s) in both, {ours_only} emerged outside the study's range, "
                   f"{paper_only} inside it without emerging)")
    r2 = ", ".join(f"{v:g}: {r:.2f}" for v, r in zip(values, at["test_r2_mean"]))
    return (f"At the study's slice (m = 32, B = {PAPER_ONLY_BATCH}; {int(at['n_seeds'].max())} seeds, emergence at "
            f"FDR {settings['alpha']:g}) cells emerged at {sym} ∈ {{{ours}}}; the study reports {lo:g} ≲ {sym} ≲ "
            f"{hi:g} (4 seeds, no significance test). Ours {verdict}. Mean test R² along the slice: {r2}.")


#: The study's slices were trained with batch 250 (its critical batch size).
PAPER_ONLY_BATCH = 250


def _dead_rows(models: pd.DataFrame, cells: pd.DataFrame, family: str, rule) -> str | None:
    """How much of the zero-row criterion of the emerged cells is consistently zero rows (dead neurons)."""
    from .._utils import observable_key, parse_observable_key
    from ..observables import induced_false_positive_rate

    keys = [parse_observable_key(k) for k, _ in rule if parse_observable_key(k).name == "zero_rows"]
    if not keys:
        return None
    key = keys[0]
    zero, dead = str(key), observable_key("consistent_zero_rows", key.k, key.q)
    if dead not in models.columns:
        return None
    lam, sym = _param(family), _symbol(family)
    cell = [lam, "hidden_units", "batch_size"]
    means = models.groupby(cell)[[zero, dead]].mean().reset_index()
    em = cells[cells["emerged"].fillna(False).astype(bool)].merge(means, on=cell, how="left")
    if em.empty:
        return None
    em["share"] = em[dead] / em[zero]
    em["rest"] = em[zero] - em[dead]
    em["q"] = [float(induced_false_positive_rate(key.q, int(m), key.k)) for m in em["hidden_units"]]
    high = em[em["share"] > 0.5].sort_values(cell)
    listed = "; ".join(f"({sym} = {r[lam]:g}, m = {r['hidden_units']:g}, B = {r['batch_size']:g}: "
                       f"{100 * r['share']:.0f} % dead, remainder {100 * r['rest']:.1f} % vs q = {100 * r['q']:.1f} %)"
                       for _, r in high.iterrows()) or "none"
    above = int((em["rest"] > em["q"]).sum())
    return (f"of the {zero} rows of the emerged cells, a median {100 * em['share'].median():.0f} % are consistently "
            f"zero (zero at ≥ 99 % of the examples: dead neurons, not the example-dependent texture of KA geometry). "
            f"Cells where they are the majority: {listed}. Without them, the example-dependent remainder still "
            f"exceeds q(k) on average in {above} of the {len(em)} emerged cells (means over seeds, not a test).")


def findings(settings: Mapping[str, Any], family: str, cells: pd.DataFrame, ranges: pd.DataFrame,
             models: pd.DataFrame | None = None, rule=None) -> list[str]:
    """The statements of one family, each with its evidence (ranges, counts, R²; dead rows with ``models``)."""
    lam = _symbol(family)
    out = []
    for axis, other, key, name in PLANES:
        rows = ranges[(ranges["function"] == family) & (ranges["axis"] == axis)]
        if rows.empty:
            continue
        out.append(f"With {name} ({other} = {settings[key]}): {_movement(rows, name.split()[-1], lam)}")
        out.append(f"Learnability, along {name}: {_learnability(rows, name.split()[-1], lam, settings['r2_level'])}")
    out.append(f"Emergence and learning: {_unlearned(cells, family, settings['r2_level'])}")
    dead = _dead_rows(models, cells, family, rule) if models is not None and rule is not None else None
    if dead:
        out.append(f"Dead neurons: {dead}")
    if family in ("lambda_xor", "gaussian"):
        out.append(f"The study's slice: {_paper(ranges, family, settings, cells)}")
    return out


def _unlearned(cells: pd.DataFrame, family: str, level: float) -> str:
    """The emerged cells whose mean test R² is below the learnable level; the learnable ones that did not emerge."""
    lam, sym = _param(family), _symbol(family)
    em = cells["emerged"].fillna(False).astype(bool)
    learn = cells["test_r2_mean"] >= level

    def listing(sel):
        rows = cells[sel].sort_values([lam, "hidden_units", "batch_size"])
        return "; ".join(f"({sym} = {r[lam]:g}, m = {r['hidden_units']:g}, B = {r['batch_size']:g}: R² = "
                         f"{r['test_r2_mean']:.2f})" for _, r in rows.iterrows()) or "none"

    return (f"{int(em.sum())} of {len(cells)} cells emerged, {int((em & learn).sum())} of them learnable (mean test R² "
            f"≥ {level:g}). Emerged without being learnable: {listing(em & ~learn)}. Learnable without emerging: "
            f"{int((learn & ~em).sum())} cell(s).")
