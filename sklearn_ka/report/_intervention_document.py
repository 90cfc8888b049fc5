"""The intervention report as a document: the question, settings, arms, findings, tables, figures and run time.

The findings are stated from the statistics frame of
:func:`~sklearn_ka.experiments.intervention_statistics` (each with its numbers), negative results
included; the figures come from :class:`~sklearn_ka.plotting.InterventionDisplay`.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pandas as pd

from .._utils import observable_key
from ._context import ReportRun
from ._paper import PAPER, PAPER_URL
from ._render import Document

__all__ = ["INTERVENTION_TITLE", "ALPHA", "build_intervention_document", "figures", "findings", "headline_observables"]

INTERVENTION_TITLE = "sklearn-ka: interventions on training (oscillatory activation, KA term in the loss)"
#: The level at which a log-rank or permutation p-value is called significant in the findings.
ALPHA = 0.05
_ARM_TEXT = {
    "control": "GeLU, plain mean squared error (the study's training)",
    "osc_start": "hidden activation z + 0.1 sin(10 z) from the first epoch",
    "osc_r2_0.3": "GeLU until the training R² first reaches 0.3, then z + 0.1 sin(10 z)",
    "osc_r2_0.5": "GeLU until the training R² first reaches 0.5, then z + 0.1 sin(10 z)",
    "ka_plus": "loss = MSE + β·KA(θ), β > 0: pushed toward KA geometry",
    "ka_minus": "loss = MSE − β·KA(θ): pushed away from KA geometry (a control of the term)",
}


def headline_observables(columns: Any) -> list[str]:
    """The observables the report's tables and figures show, of the largest minor size analysed."""
    cols = set(columns)
    ks = [k for k in (3, 2, 1) if observable_key("pr_normalized", k) in cols]
    if not ks:
        return []
    k = ks[0]
    names = [observable_key("pr_normalized", k), observable_key("rotation_ratio_normalized", k),
             observable_key("zero_rows", k, 0.01)]
    return [c for c in names if c in cols]


# ------------------------------------------------------------------------------------------ numbers
def _g(v: Any, digits: int = 3) -> str:
    v = float(v)
    if math.isnan(v):
        return "–"
    if math.isinf(v):
        return "∞" if v > 0 else "−∞"
    return f"{v:.{digits}g}"


def _p(v: Any) -> str:
    v = float(v)
    return "–" if math.isnan(v) else f"{v:.2g}" if v >= 0.001 else f"{v:.1e}"


def _median(v: Any, unit: str = "") -> str:
    v = float(v)
    return "not reached by half" if math.isinf(v) else _g(v, 4) + unit


def _interval(row: pd.Series, digits: int = 3) -> str:
    if math.isnan(float(row["ci_low"])) and math.isnan(float(row["ci_high"])):
        return "[no interval]"
    return f"[{_g(row['ci_low'], digits)}, {_g(row['ci_high'], digits)}]"


def _get(st: pd.DataFrame, cond: str, arm: str, quantity: str) -> pd.Series | None:
    hit = st[(st["condition"] == cond) & (st["arm"] == arm) & (st["quantity"] == quantity)]
    return None if hit.empty else hit.iloc[0]


def _verdict(row: pd.Series | None, control: pd.Series | None) -> str:
    """``"sooner"``, ``"later"``, ``"no significant difference"``, ``"neither reaches it"`` or ``"not
    comparable"`` (a time row of an arm, and the control's own row of the same quantity)."""
    if row is None or control is None:
        return "not measured"
    p, z = float(row["p_value"]), float(row["logrank_z"])
    if math.isnan(p):
        if row["n_reached"] == 0 and control["n_reached"] == 0:
            return "neither reaches it"
        return "not comparable"  # e.g. every control run ended before the arm's first reached the level
    if p < ALPHA:
        return "sooner" if z > 0 else "later"
    return "no significant difference"


def _level_phrase(st, cond, arm, level) -> str:
    ep = _get(st, cond, arm, f"epochs_to_r2_{level:g}")
    tm = _get(st, cond, arm, f"time_to_r2_{level:g}")
    ctrl = _get(st, cond, "control", f"epochs_to_r2_{level:g}")
    if ep is None or ctrl is None:
        return f"R² ≥ {level:g}: not measured"
    verdict = _verdict(ep, ctrl)
    head = (f"R² ≥ {level:g}: {verdict} (reached by {int(ep['n_reached'])}/{int(ep['n_seeds'])} runs, control "
            f"{int(ctrl['n_reached'])}/{int(ctrl['n_seeds'])}")
    if verdict == "neither reaches it":
        return head + ")"
    text = (f"; median {_median(ep['value'])} vs {_median(ep['control_value'])} epochs, Δ {_g(ep['difference'], 4)} "
            f"{_interval(ep, 4)}, log-rank p = {_p(ep['p_value'])}")
    if tm is not None:
        text += (f"; wall time {_median(tm['value'], ' s')} vs {_median(tm['control_value'], ' s')}, Δ "
                 f"{_g(tm['difference'])} s {_interval(tm)}, p = {_p(tm['p_value'])} "
                 f"({_verdict(tm, _get(st, cond, 'control', f'time_to_r2_{level:g}'))})")
    return head + text + ")"


def _final_phrase(st, cond, arm, quantity, label) -> str | None:
    r = _get(st, cond, arm, quantity)
    if r is None or math.isnan(float(r["value"])):
        return None
    return (f"{label} {_g(r['value'])} vs {_g(r['control_value'])} (Δ {_g(r['difference'])} {_interval(r)}, "
            f"p = {_p(r['p_value'])})")


def _arm_bullet(st, cond, arm, levels, observables) -> str:
    parts = [_level_phrase(st, cond, arm, level) for level in levels]
    finals = [_final_phrase(st, cond, arm, "train_r2", "final training R²"),
              _final_phrase(st, cond, arm, "test_r2", "test R²")]
    finals += [_final_phrase(st, cond, arm, q, q) for q in observables]
    cost = _get(st, cond, arm, "seconds_per_epoch")
    if cost is not None and math.isfinite(float(cost["ratio"])):
        finals.append(f"wall time per epoch × {_g(cost['ratio'], 2)} the control's")
    return f"{arm}: " + "; ".join(parts) + ". At the end: " + "; ".join(f for f in finals if f) + "."


# ---------------------------------------------------------------------------------------- findings
def _verdicts(st, arm, levels, clock, conditions) -> str:
    """Per level, the conditions grouped by verdict (an arm against the control on one clock)."""
    prefix = "epochs_to_" if clock == "epochs" else "time_to_"
    order = ("sooner", "later", "no significant difference", "not comparable", "neither reaches it", "not measured")
    out = []
    for level in levels:
        by: dict[str, list[str]] = {}
        for cond in conditions:
            q = f"{prefix}r2_{level:g}"
            by.setdefault(_verdict(_get(st, cond, arm, q), _get(st, cond, "control", q)), []).append(cond)
        out.append(f"R² ≥ {level:g}: " + ", ".join(f"{v} ({', '.join(by[v])})" for v in order if by.get(v)))
    return "; ".join(out)


def findings(st: pd.DataFrame, settings: dict) -> tuple[list[str], dict[str, list[str]]]:
    """The overall statements and, per condition, one statement per arm (each with its numbers)."""
    conditions = list(pd.unique(st["condition"]))
    arms = [a for a in pd.unique(st["arm"]) if a != "control"]
    levels = [float(v) for v in settings["levels"]]
    top = max(levels)
    observables = headline_observables(st["quantity"])
    overall = []
    for arm in arms:
        for clock, what in (("epochs", "epochs"), ("time", "wall time")):
            overall.append(f"{arm} against the control, {what} to reach (log-rank, p < {ALPHA:g}): "
                           + _verdicts(st, arm, levels, clock, conditions) + ".")
    osc = [a for a in ("osc_start", "osc_r2_0.3", "osc_r2_0.5") if a in arms]
    if len(osc) > 1:
        for cond in conditions:
            med = {a: _get(st, cond, a, f"epochs_to_r2_{top:g}") for a in ["control", *osc]}
            overall.append(f"Timing of the switch at {cond}: median epochs to R² ≥ {top:g} (runs that reached it): "
                           + ", ".join(f"{a} {_median(r['value'])} ({int(r['n_reached'])}/{int(r['n_seeds'])})"
                                       for a, r in med.items() if r is not None) + ".")
    for arm in [a for a in ("ka_plus", "ka_minus") if a in arms]:
        costs = [_get(st, c, arm, "seconds_per_epoch") for c in conditions]
        ratios = [float(r["ratio"]) for r in costs if r is not None and math.isfinite(float(r["ratio"]))]
        if ratios:
            overall.append(f"{arm} costs {min(ratios):.1f}× to {max(ratios):.1f}× the control's wall time per epoch "
                           f"(KA term on minor sizes {settings['ka_orders']}, β = {settings['beta']:g}).")
        for q in observables[:1]:
            moved = []
            for c in conditions:
                r = _get(st, c, arm, q)
                if r is not None and math.isfinite(float(r["p_value"])):
                    sig = "significant" if float(r["p_value"]) < ALPHA else "not significant"
                    moved.append(f"{c}: Δ {_g(r['difference'])} {_interval(r)}, p = {_p(r['p_value'])} ({sig})")
            if moved:
                overall.append(f"Does {arm} move the observables? {q} (arm − control, lower is more KA-like): "
                               + "; ".join(moved) + ".")
    low = f"epochs_to_r2_{min(levels):g}"
    never = [c for c in conditions
             if all(_verdict(_get(st, c, a, low), _get(st, c, "control", low)) == "neither reaches it" for a in arms)]
    if never:
        overall.append(f"Negative result: at {', '.join(never)} neither the control nor any arm reaches training R² ≥ "
                       f"{min(levels):g} (the runs stop early on the {settings['monitor']} loss).")
    per_condition = {c: [_arm_bullet(st, c, a, levels, observables) for a in arms] for c in conditions}
    return overall, per_condition


# ------------------------------------------------------------------------------------------ figures
def figures(run: ReportRun, res: Any) -> None:
    """Per level, the fraction of runs that reached it (epochs and wall time); the observables against R²."""
    import matplotlib.pyplot as plt

    from ..plotting import InterventionDisplay

    models, conditions = res.models, list(res.conditions)
    n = len(conditions)
    for level in res.levels:
        fig, axes = plt.subplots(2, n, figsize=(4.2 * n, 7.2), squeeze=False)
        InterventionDisplay.from_frame(models, level=level, clock="epochs", conditions=conditions, ax=axes[0])
        InterventionDisplay.from_frame(models, level=level, clock="time", conditions=conditions, xscale="log",
                                       ax=axes[1], legend=False)
        fig.tight_layout()
        run.save_figure(fig, f"time_to_r2_{level:g}.png",
                        f"Fraction of runs whose training R² has reached {level:g}, against epochs (top) and wall time "
                        "(bottom, log scale), per arm: Kaplan-Meier estimate with its 95 % pointwise band; runs that "
                        "never reach the level are censored at their last epoch.")
    for q in headline_observables(models.columns):
        fig, axes = plt.subplots(1, n, figsize=(4.2 * n, 3.8), squeeze=False)
        InterventionDisplay.from_frame(models, kind="observable", observable=q, conditions=conditions, ax=axes[0])
        fig.tight_layout()
        run.save_figure(fig, f"observable_{q}.png",
                        f"{q} at the end of training against the final training R², one point per model; diamonds: "
                        "the arm's mean ± one standard deviation in both directions.")


# ----------------------------------------------------------------------------------------- document
def build_intervention_document(run: ReportRun, res: Any, info: dict) -> tuple[Document, list[str]]:
    """The report of a finished intervention run, and the list of its findings (one string each)."""
    doc = Document(INTERVENTION_TITLE)
    _introduction(doc, run, info)
    _settings(doc, run, res)
    overall, per_condition = findings(res.statistics, run.settings)
    doc.h(1, "Findings")
    doc.p(f"Stated from statistics.csv: an arm reaches a level 'sooner' or 'later' than the control when the log-rank "
          f"p-value is below {ALPHA:g} (the sign of its statistic gives the direction); Δ is arm − control, with its "
          "95 % bootstrap interval over seeds. A run that stopped early (its monitored loss no longer improved) "
          "without reaching a level never reaches it under the protocol and counts so; a run cut at the epoch limit "
          "is censored at its end. 'Not comparable': every control run ended before the arm's first reached the "
          "level. The p-values are per comparison; statistics.csv also gives "
          "Benjamini-Hochberg q-values over the comparisons of each quantity. With "
          f"{len(run.settings['seeds'])} seeds the smallest two-sided sign-flip p-value of a final quantity is "
          f"{2 / 2 ** len(run.settings['seeds']):.2g}.")
    doc.ul(overall)
    statements = list(overall)
    for cond, items in per_condition.items():
        doc.h(2, cond)
        doc.ul(items)
        statements += [f"{cond}: {s}" for s in items]
    _time_tables(doc, res.statistics, run.settings)
    _final_tables(doc, res.statistics)
    doc.h(1, "Figures")
    for path, caption in run.figures:
        doc.img(path, caption)
    _files(doc)
    _run_time(doc, run, info)
    return doc, statements


def _introduction(doc: Document, run: ReportRun, info: dict) -> None:
    t = info["timings_s"]
    doc.p(f"{PAPER} ({PAPER_URL}) name two tools that might induce KA geometry in a sequel: switching the hidden "
          "activation to an oscillatory one, z + 0.1 sin(10 z), and a gradient of 'KA-ness' in the loss. This report "
          "asks whether either speeds learning: every condition (a target and a width) is trained under every arm, "
          "with the same seeds (same data, initialisation and shuffling as the control), and each arm is compared "
          "with the control on the epochs and the wall time needed to reach training R² levels (runs that never reach "
          "a level count as censored), on the final R², and on the KA observables at the end. Definitions: the "
          "sklearn-ka user guide (pages 'Observables' and 'Interventions').")
    est = info.get("estimated_run_time_s")
    estimate = f"estimated beforehand at {est:.0f} s" if est is not None else "no estimate: not the presets' scale"
    computed = (info.get("sweeps") or {}).get("n_computed_tasks")
    took = f"Run time {t['total_s']:.0f} s ({estimate})"
    first = info.get("first_run") or {}
    if not computed and (first.get("timings_s") or {}).get("total_s"):
        took = (f"The models were computed by an earlier run of these settings in {first['timings_s']['total_s']:.0f} "
                f"s (finished {first.get('date')}); this report was rendered from its store in {t['total_s']:.0f} s")
    doc.p(f"Mode: {'--quick' if run.quick else '--full'}. {took} on {info['cpu_count']} CPU(s) (n_jobs="
          f"{info['n_jobs']}, device {run.settings['device']}), {info['date']}. sklearn-ka {info['sklearn_ka']}, "
          f"Python {info['python']}, torch {info.get('torch', '?')}.")


def _settings(doc: Document, run: ReportRun, res: Any) -> None:
    from ._intervention_report import INTERVENTION_FULL_SETTINGS

    s = run.settings
    doc.h(1, "Settings")
    left_out = [c for c in INTERVENTION_FULL_SETTINGS["conditions"] if c not in s["conditions"]]
    doc.ul([
        "Conditions: " + "; ".join(f"{c} ({', '.join(f'{k}={v}' for k, v in spec.items())})"
                                   for c, spec in res.conditions.items()) + ".",
        f"Seeds {s['seeds']} per arm (the sweep's seed protocol: a seed fixes initialisation, shuffling, the target's "
        "draw, training and test data; every arm trains the same seeds).",
        f"Protocol: {s['n_samples']} training examples and an independent test set of the same size; Adam, batch "
        f"{s['batch_size']}; at most {s['max_epochs']} epochs, early stopping with patience {s['patience']} on the "
        f"{'test set' if s['monitor'] == 'test' else 'training loss'}, best weights kept.",
        f"KA term: {s['ka_term']} on minor sizes {s['ka_orders']}, |β| = {s['beta']:g}, normalised to 1 at "
        "initialisation (lower is more KA-like).",
        f"Training R² levels {s['levels']}; times are epochs and wall seconds from the start of an arm's training (its "
        "seeds are trained together in one stacked run, so an arm's wall time includes all its seeds; the workers "
        "share the machine with each other and with other jobs, so wall times carry that noise).",
        f"Analyzer: KAGeometryAnalyzer({', '.join(f'{k}={v!r}' for k, v in s['analyzer'].items())}), defaults "
        "otherwise; every model against its own initialisation, on its training data.",
        f"Statistics: {s['n_resamples']} bootstrap resamples, {100 * s['confidence_level']:g} % intervals.",
    ] + ([f"This run leaves out the conditions {left_out}" + (f" and the KA term's minor sizes beyond "
                                                              f"{max(s['ka_orders'])}" if run.quick else "")
          + " (--full runs them)."] if left_out else []))
    doc.code(json.dumps(s, default=str))
    doc.h(1, "Arms")
    doc.table(pd.DataFrame({"arm": list(res.arms), "what it changes": [
        _ARM_TEXT.get(a, ", ".join(f"{k}={v}" for k, v in p.items())) for a, p in res.arms.items()],
        "parameters": [", ".join(_describe_param(p) for p in params.values()) or "–" for params in res.arms.values()]}))


def _describe_param(p: Any) -> str:
    """An arm's intervention in words (with the early-stopping restart of a switched activation)."""
    text = p.describe() if hasattr(p, "describe") else repr(p)
    if getattr(p, "start_r2", None) is not None and getattr(p, "restart_stopping", False):
        text += "; early stopping starts afresh at the switch"
    return text


def _time_tables(doc: Document, st: pd.DataFrame, settings: dict) -> None:
    doc.h(1, "Time to training R² levels")
    doc.p("Per condition, arm and level: runs that reached it; the Kaplan-Meier median epochs and wall seconds (∞: "
          "fewer than half the runs reached it, counting censoring) with the interval where the 95 % band crosses "
          "one half; the difference from the control's median with its bootstrap interval, and the log-rank p-value.")
    for cond in pd.unique(st["condition"]):
        rows = []
        for arm in pd.unique(st.loc[st["condition"] == cond, "arm"]):
            for level in settings["levels"]:
                ep = _get(st, cond, arm, f"epochs_to_r2_{level:g}")
                tm = _get(st, cond, arm, f"time_to_r2_{level:g}")
                if ep is None:
                    continue
                row = {"arm": arm, "R² level": f"{level:g}", "reached": f"{int(ep['n_reached'])}/{int(ep['n_seeds'])}",
                       "median epochs [band]": f"{_g(ep['value'], 4)} [{_g(ep['value_low'], 4)}, "
                                               f"{_g(ep['value_high'], 4)}]",
                       "Δ epochs [CI]": "–" if arm == "control" else f"{_g(ep['difference'], 4)} {_interval(ep, 4)}",
                       "p (epochs)": _p(ep["p_value"])}
                if tm is not None:
                    row.update({"median s": _g(tm["value"]),
                                "Δ s [CI]": "–" if arm == "control" else f"{_g(tm['difference'])} {_interval(tm)}",
                                "p (s)": _p(tm["p_value"])})
                rows.append(row)
        doc.h(2, str(cond))
        doc.table(pd.DataFrame(rows))


def _final_tables(doc: Document, st: pd.DataFrame) -> None:
    doc.h(1, "At the end of training")
    doc.p("Per condition and arm: the mean over seeds, and (arms) the difference from the control with its bootstrap "
          "interval and sign-flip p-value, of the final R², the epochs run, the wall time per epoch and the headline "
          "KA observables (every observable: statistics.csv).")
    quantities = ["train_r2", "test_r2", "n_epochs", "seconds_per_epoch", *headline_observables(st["quantity"])]
    for cond in pd.unique(st["condition"]):
        rows = []
        for arm in pd.unique(st.loc[st["condition"] == cond, "arm"]):
            row = {"arm": arm}
            for q in quantities:
                r = _get(st, cond, arm, q)
                if r is None:
                    continue
                row[q] = _g(r["value"]) if arm == "control" else (
                    f"{_g(r['value'])} (Δ {_g(r['difference'])} {_interval(r)}, p {_p(r['p_value'])})")
            rows.append(row)
        doc.h(2, str(cond))
        doc.table(pd.DataFrame(rows))


def _files(doc: Document) -> None:
    doc.h(1, "Files")
    doc.ul(["models.csv: one row per model (condition, arm, seed, epochs and wall time to each level with the reached "
            "flags, epochs run, stop reason, final R², wall time per epoch, when each intervention switched on, every "
            "KA observable)",
            "statistics.csv: every arm against the control (Kaplan-Meier medians, bootstrap intervals, log-rank and "
            "permutation p-values, Benjamini-Hochberg q-values)",
            "settings.json: settings, timings, versions; store/: the sweep stores (a rerun resumes from them)",
            "figures/: the time-to-level curves per level and the observables against the final R²"])


def _run_time(doc: Document, run: ReportRun, info: dict) -> None:
    from ._intervention_report import INTERVENTION_FULL_SETTINGS, MEASURED_COSTS, count_models, full_estimate

    doc.h(1, "Run time")
    t, models = info["timings_s"], run.frames["models"]
    sweeps = info.get("sweeps") or {}
    load = info.get("load_average") or {}
    experiment = t.get("experiment_s", float("nan"))
    doc.p(f"This run: {len(models)} models ({sweeps.get('n_computed_tasks')} of {sweeps.get('n_tasks')} tasks "
          f"computed, the others read from the store) in {t['total_s']:.0f} s (experiment {experiment:.0f} s); "
          f"n_jobs={info['n_jobs']} on {info['cpu_count']} CPU(s); calibration workload "
          f"{info['calibration_s']:.2f} s; 1-minute load average {load.get('start')} at the start, {load.get('end')} "
          "at the end.")
    first = info.get("first_run") or {}
    if not sweeps.get("n_computed_tasks") and (first.get("timings_s") or {}).get("total_s"):
        est, fl = first.get("estimated_run_time_s"), first.get("load_average") or {}
        calibration = first.get("calibration_s") or float("nan")
        doc.p(f"The models were computed by an earlier run of the same settings (finished {first.get('date')}, status "
              f"{first.get('status')}) in {first['timings_s']['total_s']:.0f} s (estimated beforehand at "
              + (f"{est:.0f} s" if est is not None else "–") + f"); n_jobs={first.get('n_jobs')} on "
              f"{first.get('cpu_count')} CPU(s); calibration workload {calibration:.2f} s; 1-minute load average "
              f"{fl.get('start')} at its start, {fl.get('end')} at its end.")
    seconds, where = full_estimate(run, info)
    f = INTERVENTION_FULL_SETTINGS
    factor = float(MEASURED_COSTS["ka_factor"]["1,2,3"][32])
    doc.p(f"--full ({count_models(f)} models: {len(f['conditions'])} conditions × {len(f['arms'])} arms × "
          f"{len(f['seeds'])} seeds, the KA term on minor sizes {f['ka_orders']}) is estimated at "
          f"{seconds / 3600:.1f} h with n_jobs={info['n_jobs']}, from {where}. The KA term on size-3 minors "
          f"dominates: at m = 32 an arm with it is estimated at about {factor:.0f} times the control's training. "
          "The command states its own estimate before it starts; an interrupted run resumes from its store.")
