"""The claims checklist: every qualitative claim of the study [1]_, one line each, tested on our numbers.

Each :class:`Claim` holds the paper's claim in our words, where the paper makes it, the frames of
the report it needs, and a check that returns a verdict (``holds``, ``partly``, ``fails``) with
the numbers behind it. A claim whose experiment did not run (``--quick``) is ``not run``. The
claims of Appendix B depend on which loss early stopping monitors: they are checked under each
monitor the report ran and are ``partly`` when they hold under one only.

References
----------
.. [1] M. Freedman and M. Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in
   Shallow MLPs", arXiv:2509.12326, 2025. https://arxiv.org/abs/2509.12326
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from .._utils import observable_key
from ..observables import induced_false_positive_rate
from ._context import monitor_label

__all__ = ["HOLDS", "PARTLY", "FAILS", "NOT_RUN", "Claim", "CLAIMS", "check_claims", "claims_by_id", "monitor_verdict"]

HOLDS, PARTLY, FAILS, NOT_RUN = "holds", "partly", "fails", "not run"
#: The rate q1 and minor size of the zero rows the claims read (the paper's headline columns).
_Q, _K = 0.01, 3
_ZERO, _DEP = observable_key("zero_rows", _K, _Q), observable_key("dependent_zero_rows", _K, _Q)


@dataclass(frozen=True)
class Claim:
    """One qualitative claim of the paper.

    Attributes
    ----------
    id : str
        A short name (``"random-unlearnable"``), for the sections that check a claim again.
    source : str
        Where the paper makes it (table, appendix, figure or part of the main text).
    text : str
        The claim, in our words.
    needs : tuple of str
        The report frames the check reads (e.g. ``("static",)``).
    check : callable
        ``check(frames, width) -> (verdict, numbers)``.
    """

    id: str
    source: str
    text: str
    needs: tuple[str, ...]
    check: Callable[[dict, int], tuple[str, str]]


# ----------------------------------------------------------------------- helpers
def _where(frame: pd.DataFrame, **conditions) -> pd.DataFrame:
    for col, value in conditions.items():
        frame = frame[np.isclose(frame[col], value)] if isinstance(value, float) else frame[frame[col] == value]
    return frame


def _mean(frame: pd.DataFrame, col: str, **conditions) -> float:
    values = _where(frame, **conditions)[col] if col in frame else pd.Series(dtype=float)
    return float(values.mean()) if len(values) else float("nan")


def _verdict(all_of: bool, some_of: bool = False) -> str:
    return HOLDS if all_of else PARTLY if some_of else FAILS


def _nums(values, fmt=".3f") -> str:
    return ", ".join(format(float(v), fmt) for v in values)


def _ints(values) -> str:
    return ", ".join(str(int(v)) for v in values)


def monitor_verdict(frame: pd.DataFrame, check: Callable[[pd.DataFrame], tuple[str, str]]) -> tuple[str, str]:
    """Run ``check`` on each monitor's rows; holds under all -> holds, under some -> partly."""
    verdicts, numbers = [], []
    for monitor, sub in frame.groupby("monitor", sort=True):
        v, n = check(sub)
        numbers.append(f"{monitor_label(monitor)}: {v} ({n})")
        if v != NOT_RUN:
            verdicts.append(v)
    if not verdicts:
        overall = NOT_RUN
    elif all(v == HOLDS for v in verdicts):
        overall = HOLDS
    elif any(v in (HOLDS, PARTLY) for v in verdicts):
        overall = PARTLY
    else:
        overall = FAILS
    return overall, "; ".join(numbers)


# ----------------------------------------------------------------- Tables I-III
def _xor_width(frames, W):
    s = frames["static"]
    widths = sorted(_where(s, function="xor")["hidden_units"].unique())
    r2 = [_mean(s, "train_r2", function="xor", hidden_units=m) for m in widths]
    if len(widths) < 2:
        return NOT_RUN, "needs two widths or more"
    return _verdict(bool(np.all(np.diff(r2) > 0)), r2[-1] > r2[0]), f"m = {_ints(widths)}: R² {_nums(r2)}"


def _linear_exact(frames, W):
    s = _where(frames["static"], function="linear")
    low = float(s["train_r2"].min())
    return _verdict(low >= 0.999, low >= 0.99), f"lowest training R² over widths and seeds {low:.5f}"


def _random_unlearnable(frames, W):
    s = frames["static"]
    widths = sorted(_where(s, function="random")["hidden_units"].unique())
    r2 = [_mean(s, "train_r2", function="random", hidden_units=m) for m in widths]
    if not widths:
        return NOT_RUN, "random was not run"
    near_zero = max(r2) < 0.05 and min(r2) > -0.05
    grows = len(r2) > 1 and r2[-1] > r2[0]
    return _verdict(near_zero and grows, near_zero), f"m = {_ints(widths)}: R² {_nums(r2, '.4f')}"


def _test_like_train(frames, W):
    s = _where(frames["static"], hidden_units=W)
    gaps = {f: _mean(s, "train_r2", function=f) - _mean(s, "test_r2", function=f) for f in ("xor", "linear")}
    worst = max(abs(g) for g in gaps.values())
    return _verdict(worst < 0.02, worst < 0.05), ", ".join(f"{f}({W}) train − test R² {g:+.4f}" for f, g in
                                                           gaps.items())


def _xor_zero_rows(frames, W):
    s = _where(frames["static"], hidden_units=W)
    rates = sorted(float(c.rsplit("_q", 1)[1]) for c in s.columns if c.startswith(f"zero_rows_k{_K}_q"))
    ok, parts = [], []
    for q in rates:
        col = observable_key("zero_rows", _K, q)
        z = {f: 100 * _mean(s, col, function=f) for f in ("xor", "linear", "random")}
        q3 = 100 * induced_false_positive_rate(q, W, _K)
        ok.append(z["xor"] > max(z["linear"], z["random"], q3))
        parts.append(f"q1 = {100 * q:g}%: xor {z['xor']:.2f}%, linear {z['linear']:.2f}%, random "
                     f"{z['random']:.2f}%, q(3) {q3:.2f}%")
    return _verdict(all(ok), any(ok)), "; ".join(parts)


def _others_near_initial(frames, W):
    s = _where(frames["static"], hidden_units=W)
    q3 = 100 * induced_false_positive_rate(_Q, W, _K)
    z = {f: 100 * _mean(s, _ZERO, function=f) for f in ("linear", "random")}
    within = [q3 / 2 <= v <= 2 * q3 for v in z.values()]
    return _verdict(all(within), any(within)), (f"q1 = 1%: linear {z['linear']:.2f}%, random {z['random']:.2f}%, "
                                                 f"initial rate q(3) {q3:.2f}%")


def _xor_dependent(frames, W):
    # Table II: xor leads at size 2 for every q1, at size 3 for the two smaller q1 only
    s = _where(frames["static"], hidden_units=W)
    ok, parts = [], []
    for k, rates in ((2, (1e-4, 1e-3, 1e-2)), (3, (1e-4, 1e-3))):
        for q in rates:
            col = observable_key("dependent_zero_rows", k, q)
            if col not in s:
                continue
            d = {f: 100 * _mean(s, col, function=f) for f in ("xor", "linear", "random")}
            ok.append(d["xor"] > max(d["linear"], d["random"]))
            parts.append(f"k = {k}, q1 = {100 * q:g}%: xor {d['xor']:.2f}%, linear {d['linear']:.2f}%, "
                         f"random {d['random']:.2f}%")
    if not ok:
        return NOT_RUN, "no dependent zero rows in the static frame"
    return _verdict(all(ok), any(ok)), "; ".join(parts)


def _xor_concentrated(frames, W):
    s = _where(frames["static"], hidden_units=W)
    ok, parts = [], []
    for k in (2, 3):
        pr = {f: _mean(s, observable_key("pr", k), function=f) for f in ("xor", "linear", "random")}
        init = float(s.drop_duplicates("seed")[observable_key("pr_initial", k)].mean())
        ok.append(pr["xor"] < min(pr["linear"], pr["random"]) and abs(pr["linear"] - init) < 0.05 * init)
        parts.append(f"k = {k}: xor {pr['xor']:.2f}, random {pr['random']:.2f}, linear {pr['linear']:.2f}, "
                     f"initial {init:.2f}")
    return _verdict(all(ok), any(ok)), "; ".join(parts)


def _xor_axis_aligned(frames, W):
    s = _where(frames["static"], hidden_units=W)
    ks = [k for k in (1, 2, 3) if observable_key("rotation_ratio_normalized", k) in s]
    rr = {f: [_mean(s, observable_key("rotation_ratio_normalized", k), function=f) for k in ks]
          for f in ("xor", "linear")}
    grows = rr["xor"][0] > 1 and bool(np.all(np.diff(rr["xor"]) > 0))
    flat = all(0.9 <= v <= 1.1 for v in rr["linear"])
    numbers = f"trained/initial at k = {_ints(ks)}: xor {_nums(rr['xor'], '.2f')}; linear {_nums(rr['linear'], '.2f')}"
    return _verdict(grows and flat, rr["xor"][-1] > 1), numbers


def _xor_divergence(frames, W):
    s = _where(frames["static"], hidden_units=W)
    kl = {f: _mean(s, observable_key("column_kl", _K), function=f) for f in ("xor", "linear", "random")}
    return _verdict(kl["xor"] > max(kl["linear"], kl["random"])), ", ".join(f"{f} {v:.4f}" for f, v in kl.items())


# ------------------------------------------------------------------- evolution
def _evolution_growth(frames, W):
    evo = frames["evolution"]
    pts = evo[evo["stage"] != "final"].dropna(subset=["train_r2", _ZERO])
    rr = observable_key("rotation_ratio_normalized", _K)
    if len(pts) < 3:
        return NOT_RUN, f"{len(pts)} analysed points; a correlation needs 3 or more"
    rho_z = stats.spearmanr(pts["train_r2"], pts[_ZERO]).statistic if len(pts) > 2 else np.nan
    rho_r = stats.spearmanr(pts["train_r2"], pts[rr]).statistic if len(pts) > 2 and rr in pts else np.nan
    return (_verdict(rho_z > 0.5 and rho_r > 0.5, rho_z > 0 or rho_r > 0),
            f"Spearman correlation with training R² over {len(pts)} snapshots: zero rows {rho_z:.2f}, "
            f"rotation ratio {rho_r:.2f}")


def _evolution_dependent(frames, W):
    evo = frames["evolution"]
    first = evo[evo["stage"] == "initial"].set_index("seed")[_DEP]
    last = evo[evo["stage"] == "final"].set_index("seed")[_DEP]
    grew = (last > first).reindex(first.index).fillna(False)
    return (_verdict(bool(grew.all()), bool(grew.any())),
            f"dependent(3) zero rows, q1 = 1%: initial {100 * first.mean():.3f}% → final {100 * last.mean():.3f}% "
            f"(grew in {int(grew.sum())} of {len(grew)} runs)")


# --------------------------------------------------------------- interpolation
def _family(frames, fam):
    it = frames["interpolation"]
    return it[it["function"] == fam]


def _goldilocks(fam):
    from ..experiments import PAPER_GOLDILOCKS

    def check(frames, W):
        fr = _family(frames, fam)
        if fr.empty:
            return NOT_RUN, f"{fam} was not run"
        z = fr.groupby("value")[_ZERO].mean()
        best = float(z.idxmax())
        lo, hi = PAPER_GOLDILOCKS[fam]
        inside = lo - 1e-9 <= best <= hi + 1e-9
        interior = z.index.min() < best < z.index.max()
        return (_verdict(inside and interior, interior),
                f"zero rows (k = 3, q1 = 1%) peak at λ = {best:g} ({100 * z.max():.2f}%; {100 * z.iloc[0]:.2f}% at "
                f"λ = {z.index[0]:g}, {100 * z.iloc[-1]:.2f}% at λ = {z.index[-1]:g}); paper's range {lo:g}–{hi:g}")

    return check


def _lambda_edge(frames, W):
    fr = _family(frames, "lambda_xor")
    r2 = fr.groupby("value")[["train_r2", "test_r2"]].mean()
    centre = r2.loc[np.isclose(r2.index, 1.0)]
    edge = r2[r2.index >= 1.2 - 1e-9]
    if centre.empty or edge.empty:
        return NOT_RUN, "λ = 1 or λ ≥ 1.2 not run"
    drop = float(centre["train_r2"].iloc[0] - edge["train_r2"].min())
    return (_verdict(drop > 0.2, drop > 0.05),
            f"training R² {centre['train_r2'].iloc[0]:.3f} at λ = 1 vs {_nums(edge['train_r2'])} at λ = "
            f"{_nums(edge.index, 'g')} (test R² {_nums(edge['test_r2'])})")


def _gaussian_learnable(frames, W):
    fr = _family(frames, "gaussian")
    r2 = fr.groupby("value")["train_r2"].mean()
    if r2.empty:
        return NOT_RUN, "G(λ) not run"
    wide, narrow = r2[r2.index >= 0.5 - 1e-9], r2[r2.index <= 0.2 + 1e-9]
    ok_wide = bool(len(wide)) and float(wide.min()) > 0.9
    hard_narrow = bool(len(narrow)) and float(narrow.min()) < float(wide.min()) - 0.2
    return (_verdict(ok_wide and hard_narrow, ok_wide or hard_narrow),
            f"training R² {_nums(r2.values)} at λ = {_nums(r2.index, 'g')}")


def _so_xor(frames, W):
    fr = _family(frames, "so_xor")
    s = _where(frames["static"], function="xor", hidden_units=W)
    if fr.empty:
        return NOT_RUN, "SO(α)-xor not run"
    ks = [k for k in (1, 2, 3) if observable_key("rotation_ratio_normalized", k) in fr]
    so = [float(fr[observable_key("rotation_ratio_normalized", k)].mean()) for k in ks]
    xr = [_mean(s, observable_key("rotation_ratio_normalized", k)) for k in ks]
    z_so, z_x = 100 * float(fr[_ZERO].mean()), 100 * _mean(s, _ZERO)
    same_zero = 0.5 * z_x <= z_so <= 2 * z_x
    aligned = so[-1] > 1.1
    return (_verdict(same_zero and aligned, same_zero or aligned),
            f"zero rows {z_so:.2f}% (mean over α) vs xor {z_x:.2f}%; rotation ratio trained/initial at k = "
            f"{_ints(ks)}: SO(α)-xor {_nums(so, '.2f')} vs xor {_nums(xr, '.2f')}")


# ----------------------------------------------------------------------- tails
def _heavier_tails(frames, W):
    t = frames["tails"]
    t = t[(t["function"] == "xor") & (t["k"] == t["k"].max())].drop_duplicates(["seed", "model"])
    ratio = t.groupby("model")["quantile_ratio"].mean()
    if not {"trained", "initial"} <= set(ratio.index):
        return NOT_RUN, "no tails of xor"
    return (_verdict(ratio["trained"] > ratio["initial"]),
            f"0.99/0.01 quantile ratio of the size-{int(t['k'].max())} minors: trained {ratio['trained']:.3g}, "
            f"initial {ratio['initial']:.3g}")


# ------------------------------------------------------------------ Appendix B
def _dead_neurons(frames, W):
    from ..experiments import ConsistentRowMeasure

    def check(bs):
        n = bs[ConsistentRowMeasure.column("consistent_neurons", _Q)]
        overlap = float(bs[ConsistentRowMeasure.column("consistent_small_weight_overlap", _Q)].mean())
        chance = float((n / W).mean())
        neg = float(bs[ConsistentRowMeasure.column("consistent_negative_bias", _Q)].mean())
        base = float(bs["negative_bias_fraction"].mean())
        if not np.isfinite(overlap):
            return NOT_RUN, "no consistently zero neuron"
        return (_verdict(overlap > chance or neg > base),
                f"{n.mean():.1f} consistent neurons; among the smallest |A|: {overlap:.2f} (chance {chance:.2f}); "
                f"negative bias: {neg:.2f} (all neurons {base:.2f})")

    return monitor_verdict(frames["batch_size"], check)


def _random_full_batch(frames, W):
    def check(bs):
        r = _where(bs, function="random")
        full = int(r["batch_size"].max())
        r2 = _mean(r, "train_r2", batch_size=full)
        z = 100 * _mean(r, _ZERO, batch_size=full)
        return _verdict(r2 > 0.1, r2 > 0.05), f"B = {full}: training R² {r2:.3f}, zero rows {z:.2f}%"

    return monitor_verdict(frames["batch_size"], check)


def _deep_memorises(frames, W):
    def check(b):
        deep = next(m for m in b["model"].unique() if m.startswith("deep"))
        base = next(m for m in b["model"].unique() if m.startswith("base"))
        d, s = _mean(b, "train_r2", model=deep), _mean(b, "train_r2", model=base)
        return _verdict(d > 0.5 and d > s + 0.2, d > s + 0.05), f"{deep} R² {d:.3f} vs {base} {s:.3f} (all B)"

    return monitor_verdict(frames["bootstrap"], check)


def _bootstrap_helps(frames, W):
    def check(b):
        boot, init = _mean(b, "train_r2", model="bootstrapped"), _mean(b, "train_r2", model="bootstrapped_initial")
        wide = next(m for m in b["model"].unique() if m.startswith("wide"))
        w = _mean(b, "train_r2", model=wide)
        return (_verdict(boot > init + 0.05 and boot > w + 0.05, boot > init + 0.05 or boot > w + 0.05),
                f"bootstrapped R² {boot:.3f}, on the initial map {init:.3f}, {wide} {w:.3f} (all B)")

    return monitor_verdict(frames["bootstrap"], check)


def _not_run(reason):
    return lambda frames, W: (NOT_RUN, reason)


#: Every claim of the paper the report checks, in the order of the paper.
CLAIMS: tuple[Claim, ...] = (
    Claim("xor-width", "Table I",
          "xor's training R² grows with the width m (0.38 at m = 4 to 0.985 at m = 32).", ("static",), _xor_width),
    Claim("linear-exact", "Table I", "linear is fitted exactly at every width (R² = 1.0000).", ("static",),
          _linear_exact),
    Claim("random-unlearnable", "Table I",
          "random cannot be learned: training R² stays near 0 (0.004 to 0.021), growing slowly with m.", ("static",),
          _random_unlearnable),
    Claim("test-like-train", "Training protocol",
          "The published runs report test R² indistinguishable from training R².", ("static",), _test_like_train),
    Claim("xor-zero-rows", "Table II",
          "Trained xor(32) has more size-3 zero rows than linear(32), random(32) and the initial rate q(3), at every "
          "q1 (KA geometry emerges for xor).", ("static",), _xor_zero_rows),
    Claim("others-near-initial", "Table II",
          "linear(32) and random(32) keep zero rows near the initial rate q(3) (within a factor 2).", ("static",),
          _others_near_initial),
    Claim("xor-dependent", "Table II",
          "xor(32) has more dependent zero rows than linear(32) and random(32): of size 2 at every q1, of size 3 at "
          "q1 = 0.01% and 0.1% only (at q1 = 1% its dependent(3) is the lowest of the three).", ("static",),
          _xor_dependent),
    Claim("xor-concentrated", "Table III",
          "xor(32)'s minors are the most concentrated: lowest PR at k = 2, 3; linear(32) stays at the initial PR.",
          ("static",), _xor_concentrated),
    Claim("xor-axis-aligned", "Rotation ratios",
          "xor(32)'s Jacobian becomes axis-aligned: its rotation ratio (trained/initial) exceeds 1 and grows with k; "
          "linear(32)'s stays near 1.", ("static",), _xor_axis_aligned),
    Claim("xor-divergence", "Column divergences",
          "xor(32)'s columns move furthest from the initial model's (largest column KL).", ("static",),
          _xor_divergence),
    Claim("evolution-growth", "Evolution",
          "KA geometry grows as xor(32) learns: zero rows and rotation ratio rise with training R².", ("evolution",),
          _evolution_growth),
    Claim("evolution-dependent", "Evolution", "Dependent zero rows appear over training (final above initial).",
          ("evolution",), _evolution_dependent),
    Claim("lambda-goldilocks", "Interpolation, λ-xor",
          "KA geometry is strongest in a Goldilocks range of λ (about 0.7–1.2), weaker at both ends of [0.5, 1.5].",
          ("interpolation",), _goldilocks("lambda_xor")),
    Claim("lambda-edge", "Interpolation, λ-xor", "Beyond λ ≈ 1.2 λ-xor becomes hard to learn: training R² falls.",
          ("interpolation",), _lambda_edge),
    Claim("gaussian-learnable", "Interpolation, G(λ)",
          "G(λ) is learned except at small λ, where the peak is too narrow.", ("interpolation",), _gaussian_learnable),
    Claim("gaussian-goldilocks", "Interpolation, G(λ)", "The KA geometry of G(λ) is strongest within λ ≈ 0.15–0.8.",
          ("interpolation",), _goldilocks("gaussian")),
    Claim("so-xor", "Interpolation, SO(α)-xor",
          "KA geometry does not depend on the input basis: SO(α)-xor (xor in a Haar-rotated input basis) develops it "
          "as xor does, with zero rows of xor's size and a rotation ratio (trained/initial) above 1.",
          ("interpolation", "static"), _so_xor),
    Claim("heavier-tails", "Tails", "Trained xor(32)'s minors have heavier tails than at initialisation.",
          ("tails",), _heavier_tails),
    Claim("dead-neurons", "Appendix B, batch-size study",
          "Consistently zero rows (zero at 99% of the examples or more) are dead neurons, not KA texture: neurons "
          "with the smallest weight rows or large negative biases.", ("batch_size",), _dead_neurons),
    Claim("random-full-batch", "Appendix B, Fig. 15",
          "random(32) trained at full batch keeps fitting its training set, well beyond Table I's R² = 0.02 "
          "(memorisation: random has nothing to learn).", ("batch_size",), _random_full_batch),
    Claim("deep-memorises", "Appendix B, Fig. 16",
          "The two-hidden-layer control deep(32, 32) memorises random(32): it reaches a high training R² on a target "
          "with nothing to learn.", ("bootstrap",), _deep_memorises),
    Claim("bootstrap-helps", "Appendix B, Fig. 16",
          "The bootstrapped model (a second one-hidden-layer MLP trained on base(32)'s frozen trained inner map) fits "
          "random(32) better than the same model on the untrained inner map and than wide(264), a one-hidden-layer "
          "MLP of comparable size.", ("bootstrap",), _bootstrap_helps),
    Claim("critical-batch", "Critical batch size",
          "xor's critical batch size is B_c = E_min / S_min = 250 (the largest over m = 4, 8, 16, 32).", (),
          _not_run("not run by the report: benchmarks/bench_critical_batch.py measures it (Performance page)")),
)


def claims_by_id(*ids: str) -> tuple[Claim, ...]:
    """The claims of these ids, in the given order."""
    known = {c.id: c for c in CLAIMS}
    return tuple(known[i] for i in ids)


def check_claims(frames: dict, width: int, claims: tuple[Claim, ...] = CLAIMS) -> pd.DataFrame:
    """Every claim's verdict and numbers: one row per claim (``id``, ``source``, ``claim``, ``verdict``, ``numbers``).

    A claim whose frames are missing is ``not run``; a check that fails on the data (e.g. a
    missing column) is ``not run`` with the reason.
    """
    rows = []
    for c in claims:
        missing = [n for n in c.needs if n not in frames or frames[n] is None or len(frames[n]) == 0]
        if missing:
            verdict, numbers = NOT_RUN, f"needs the {', '.join(missing)} experiment (--full)"
        else:
            try:
                verdict, numbers = c.check(frames, width)
            except (KeyError, ValueError, IndexError, StopIteration) as exc:
                verdict, numbers = NOT_RUN, f"could not be checked ({type(exc).__name__}: {exc})"
        rows.append({"id": c.id, "source": c.source, "claim": c.text, "verdict": verdict, "numbers": numbers})
    return pd.DataFrame(rows)
