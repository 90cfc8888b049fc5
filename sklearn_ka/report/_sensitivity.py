"""Protocol sensitivity: where the monitored loss or a longer patience changes a conclusion of the study [1]_.

"Early stopping with patience 50" does not say which loss is monitored. The section re-runs the
results that sit at a limit of learnability under each alternative protocol of its setting (the
other monitor, a longer patience): Table I's random row, the edge of λ-xor (λ ≥ 1.2), G(λ) at
small λ, and (from their own sections) Appendix B. Every setting is always shown; for each
block the section says which setting agrees with the paper and whether the change is an
artefact of stopping (the test R² moves) or memorisation at a limit of learnability (only the
training R² moves).

References
----------
.. [1] M. Freedman and M. Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in
   Shallow MLPs", arXiv:2509.12326, 2025. https://arxiv.org/abs/2509.12326
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._utils import observable_key
from ._claims import CLAIMS, HOLDS, check_claims, claims_by_id
from ._comparison import pm
from ._context import protocol_label
from ._paper import paper_tables
from ._sections import OptionalSection

__all__ = ["Sensitivity", "protocols", "diagnosis"]

#: The columns kept per model (the observables at the paper's headline k = 3, q1 = 1 %).
_ZERO = observable_key("zero_rows", 3, 0.01)
_ROT = observable_key("rotation_ratio_normalized", 3)
_KEEP = ["block", "protocol", "monitor", "patience", "function", "hidden_units", "value", "seed", "train_r2",
         "test_r2", "n_epochs", _ZERO, _ROT]
#: The interpolation blocks: family -> block name.
_BLOCKS = {"lambda_xor": "λ-xor edge", "gaussian": "G(λ) at small λ"}
#: The claims checked again under each protocol, per block.
_BLOCK_CLAIMS = {"Table I": ("random-unlearnable",), "λ-xor edge": ("lambda-edge",),
                 "G(λ) at small λ": ("gaussian-learnable",)}
#: A change of R² smaller than this is no change (random's R² is about 0.01: a change of 0.02 is not small).
_R2_CHANGE = 0.02


def protocols(settings: dict) -> list[dict]:
    """The run's protocol (``monitor``, ``patience``) first, then each alternative of the setting."""
    primary = {"monitor": settings["monitor"], "patience": settings["patience"]}
    out = [primary]
    for alt in settings["sensitivity"]["alternatives"]:
        p = {**primary, **alt}
        if p not in out:
            out.append(p)
    return out


def diagnosis(primary: pd.DataFrame, other: pd.DataFrame) -> str:
    """What another protocol changes at the same points: nothing, memorisation, or learning (words)."""
    d_train = float(other["train_r2"].mean() - primary["train_r2"].mean())
    d_test = float(other["test_r2"].mean() - primary["test_r2"].mean())
    moved = f"training R² {d_train:+.3f}, test R² {d_test:+.3f}"
    if d_test > _R2_CHANGE:
        return f"an artefact of stopping: it learns more ({moved})"
    if d_train > _R2_CHANGE:
        return f"a limit of learnability: it memorises without generalising ({moved})"
    return f"robust: R² moves by less than {_R2_CHANGE} ({moved})"


def _tidy(frame, block, p, value_col=None):
    out = frame.assign(block=block, protocol=protocol_label(p["monitor"], p["patience"]), patience=p["patience"],
                       value=frame[value_col].astype(float) if value_col else np.nan)
    return out[[c for c in _KEEP if c in out.columns]]


class Sensitivity(OptionalSection):
    """Table I's random row, the λ-xor and G(λ) edges and Appendix B under each protocol."""

    setting = "sensitivity"

    def run(self, run):
        with run.timed("sensitivity_s"):
            frames = []
            for i, p in enumerate(protocols(run.settings)):
                run.log(f"protocol sensitivity: {protocol_label(p['monitor'], p['patience'])}")
                with run.timed(f"sensitivity:{p['monitor']}:{p['patience']}_s"):
                    frames += self._static(run, p, primary=i == 0) + self._edges(run, p, primary=i == 0)
            sens = pd.concat(frames, ignore_index=True)
            run.write_csv(sens, "sensitivity.csv")
            run.frames["sensitivity"] = sens

    @staticmethod
    def _store(run, p, name):
        return run.store / f"sensitivity-{p['monitor']}-p{p['patience']}" / name

    def _static(self, run, p, primary):
        from ..experiments import static_comparison

        s, fs = run.settings, run.settings["sensitivity"]["static_functions"]
        if primary:
            static = run.frames["static"]
            static = static[static["function"].isin(fs)]
        else:
            static = static_comparison(fs, s["widths"], s["seeds"], batch_size=s["batch_size"], analyzer=False,
                                       store=self._store(run, p, "static"), **{**run.common, **p})
        return [_tidy(static, "Table I", p)]

    def _edges(self, run, p, primary):
        from ..experiments import interpolation

        s, out = run.settings, []
        for fam, block in _BLOCKS.items():
            values = s["sensitivity"].get(fam)
            if not values:
                continue
            done = run.frames.get("interpolation")
            if primary and done is not None and set(values) <= set(done.loc[done["function"] == fam, "value"]):
                fr = done[(done["function"] == fam) & done["value"].isin(values)]
            else:
                fr = interpolation(fam, values, run.width, s["seeds"], batch_size=s["batch_size"],
                                   analyzer=run.analyzer, store=self._store(run, p, fam), **{**run.common, **p})
            out.append(_tidy(fr, block, p, "value"))
        return out

    # ------------------------------------------------------------------ markdown
    def markdown(self, doc, run):
        sens = run.frames["sensitivity"]
        labels = list(dict.fromkeys(sens["protocol"]))
        doc.h(1, "Protocol sensitivity: which loss is monitored, and for how long")
        doc.p("The paper trains with \"early stopping with patience 50\" without saying which loss is monitored. "
              f"This run's protocol is: {labels[0]}. Below, the results that sit at a limit of learnability are "
              f"repeated under {', '.join(labels[1:])}. Every setting is shown, none is chosen for agreeing with "
              "the paper. A change that moves the test R² is an artefact of stopping (the model had more to learn); "
              "one that moves only the training R² is memorisation at a limit of learnability.")
        self._table_1(doc, run, sens, labels)
        for fam, block in _BLOCKS.items():
            self._edge(doc, run, sens[sens["block"] == block], labels, fam, block)
        self._appendix_b(doc, run)

    @staticmethod
    def _verdicts(run, frames_of, claims) -> list[str]:
        """Each claim under each protocol, then which protocols agree with the paper on it."""
        out, agree = [], {}
        for label, frames in frames_of.items():
            checked = check_claims(frames, run.width, claims)
            out += [f"{label}: \"{r['claim']}\" {r['verdict']} ({r['numbers']})" for _, r in checked.iterrows()]
            for _, r in checked.iterrows():
                agree.setdefault(r["claim"], []).append((label, r["verdict"]))
        for claim, verdicts in agree.items():
            yes = [lb for lb, v in verdicts if v == HOLDS]
            out.append(f"Agrees with the paper on \"{claim}\": {'; '.join(yes) if yes else 'no protocol'}"
                       + (f" (not: {'; '.join(lb for lb, v in verdicts if v != HOLDS)})" if len(yes) < len(verdicts)
                          else " (every protocol)"))
        return out

    def _table_1(self, doc, run, sens, labels):
        t1 = sens[sens["block"] == "Table I"]
        if t1.empty:
            return
        paper = paper_tables()
        paper = paper[(paper["table"] == "I")].set_index(["row", "column"])
        doc.h(2, "Table I, random row: training R² under each protocol")
        rows, agree = [], {lb: 0 for lb in labels}
        for (f, m), g in t1.groupby(["function", "hidden_units"], sort=True):
            key = (f, f"m = {m}")
            pm_, ps = (paper.loc[key, "paper_mean"], paper.loc[key, "paper_std"]) if key in paper.index else (np.nan,
                                                                                                              np.nan)
            row = {"function": f, "m": int(m), "paper": pm(pm_, ps)}
            for lb in labels:
                v = g.loc[g["protocol"] == lb, "train_r2"]
                row[lb] = pm(v.mean(), v.std())
                agree[lb] += bool(np.isfinite(pm_) and abs(v.mean() - pm_) <= 2 * ps)
            rows.append(row)
        doc.table(pd.DataFrame(rows))
        n = len(rows)
        doc.ul([f"{lb}: {agree[lb]} of {n} cells within the paper's mean ± 2 std; mean epochs "
                f"{t1.loc[t1['protocol'] == lb, 'n_epochs'].mean():.0f}" for lb in labels]
               + [f"{lb} against {labels[0]}: {diagnosis(t1[t1['protocol'] == labels[0]], t1[t1['protocol'] == lb])}"
                  for lb in labels[1:]]
               + self._verdicts(run, {lb: {"static": t1[t1["protocol"] == lb]} for lb in labels},
                                claims_by_id(*_BLOCK_CLAIMS["Table I"])))

    def _edge(self, doc, run, block_frame, labels, fam, block):
        if block_frame.empty:
            return
        doc.h(2, f"{block}: R² and KA geometry under each protocol")
        order = {lb: i for i, lb in enumerate(labels)}
        g = block_frame.groupby(["value", "protocol"], sort=True)
        tab = g[["train_r2", "test_r2", "n_epochs"]].mean()
        if _ZERO in block_frame:
            tab["zero rows % (k = 3, q1 = 1%)"] = 100 * g[_ZERO].mean()
        if _ROT in block_frame:
            tab["rotation ratio k = 3 (trained/initial)"] = g[_ROT].mean()
        tab = tab.reset_index().sort_values(["value", "protocol"], key=lambda c: c.map(order) if c.name == "protocol"
                                            else c, kind="stable")
        doc.table(tab.rename(columns={"value": "λ", "train_r2": "train R²", "test_r2": "test R²",
                                      "n_epochs": "epochs"}))
        first = block_frame[block_frame["protocol"] == labels[0]]
        lines = [f"{lb} against {labels[0]}: {diagnosis(first, block_frame[block_frame['protocol'] == lb])}"
                 for lb in labels[1:]]
        frames_of = {lb: {"interpolation": block_frame[block_frame["protocol"] == lb].assign(function=fam)}
                     for lb in labels}
        doc.ul(lines + self._verdicts(run, frames_of, claims_by_id(*_BLOCK_CLAIMS[block])))

    @staticmethod
    def _appendix_b(doc, run):
        have = [n for n in ("batch_size", "bootstrap") if n in run.frames]
        if not have:
            return
        doc.h(2, "Appendix B under each monitor")
        claims = tuple(c for c in CLAIMS if c.source.startswith("Appendix B") and set(c.needs) <= set(have))
        checked = check_claims(run.frames, run.width, claims)
        doc.p("From the two Appendix B sections (each runs under both monitors, patience "
              f"{run.settings['patience']}):")
        doc.ul([f"{r['claim']} {r['verdict']}: {r['numbers']}" for _, r in checked.iterrows()])
