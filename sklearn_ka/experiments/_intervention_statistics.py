"""Statistics of the intervention experiment: times to R² levels under censoring, and each arm against the control.

A run that ends without reaching a level is handled by the reason it ended. Cut by the epoch
budget (``stop_reason == "max_epochs"``), it is *right-censored* at its end: it says only that
the level takes longer than that. Stopped by early stopping (its monitored loss stopped
improving) or by divergence, it never reaches the level under the protocol: by default
(``stopped="never"``) it counts as not reached through the end of the observations, i.e. it is
censored after every other run's end, so the estimate below is the fraction of runs that reach
the level under the protocol; ``stopped="censored"`` censors it at its end instead (the usual
Kaplan-Meier reading, which assumes it could have reached the level later like the runs still
training, and answers "how soon, had the runs gone on"). The fraction of runs that
reached a level by a given time is the Kaplan-Meier estimate (:func:`scipy.stats.ecdf` on
:class:`scipy.stats.CensoredData`, with its pointwise confidence band), and the median time to
the level is where that fraction first reaches one half (infinite when it never does: the median
lies beyond what was observed). Each arm is compared with the control of its condition:

* times to a level: the difference of the Kaplan-Meier medians, with a percentile bootstrap
  interval over seeds (the medians recomputed on every resample, censoring respected; with
  ``paired`` the same seeds are drawn for arm and control), and the log-rank test
  (:func:`scipy.stats.logrank`);
* final R², epochs, wall time per epoch and every KA observable at the end: the mean difference,
  with a bootstrap interval and a permutation p-value (the machinery of
  :func:`~sklearn_ka.experiments.significance`; with ``paired`` an exact sign-flip test of the
  per-seed differences, since arm and control share data and initialisation seed by seed).

See the user guide, :ref:`interventions`.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .._utils import (
    SEED_HIGH,
    InstanceOf,
    Integers,
    Options,
    Reals,
    as_generator,
    check_memory,
    check_sequence,
    validate_params,
)
from ._common import check_frame, observable_of
from ._phase_statistics import bh_adjust
from ._significance import _test

__all__ = ["STATISTICS_CONSTRAINTS", "CLOCKS", "level_label", "levels_of", "durations", "km_median",
           "time_to_level_curves", "intervention_statistics"]

#: The constraints of the statistical settings (shared with :func:`intervention`).
STATISTICS_CONSTRAINTS = {
    "confidence_level": [Reals(0, 1, low_open=True, high_open=True)],
    "n_resamples": [Integers(1)],
    "paired": [InstanceOf(bool, "True or False")],
    "stopped": [Options("never", "censored")],
}
#: Stop reasons of runs cut short by a budget: without reaching a level, they are censored at their end.
_BUDGET_STOPS = ("max_epochs", "callback")
#: The clocks a time to a level is read on: the column prefix of the time and the censoring column.
CLOCKS: dict[str, tuple[str, str]] = {"epochs": ("epochs_to_", "n_epochs"), "time": ("time_to_", "wall_time")}
#: Per-model quantities compared at the end of training (besides the KA observables).
_FINAL = ("train_r2", "test_r2", "n_epochs", "fit_time", "seconds_per_epoch")
#: Observable names that describe the initial model or a bound, the same in every arm: not compared.
_NOT_COMPARED = ("pr_initial", "pr_max", "rotation_ratio_initial", "column_entropy_initial", "n_rank_deficient_initial")
#: Slack of the comparison of a Kaplan-Meier fraction with one half (products of (1 - 1/n) round off).
_HALF_SLACK = 1e-9
_OWNER = "intervention_statistics"
_LEVEL_RE = re.compile(r"^reached_r2_(.+)$")


def level_label(level: float) -> str:
    """The column suffix of a training R² level: ``0.9 -> "r2_0.9"``."""
    return f"r2_{float(level):g}"


def levels_of(columns: Iterable[str]) -> list[float]:
    """The levels of a frame's ``reached_r2_<level>`` columns, ascending."""
    out = []
    for c in columns:
        m = _LEVEL_RE.match(str(c))
        if m:
            try:
                out.append(float(m.group(1)))
            except ValueError:
                continue
    return sorted(out)


def durations(frame: pd.DataFrame, level: float, clock: str = "epochs", *, stopped: str = "never",
              horizon: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per row: the time to ``level`` on ``clock`` (a censoring time when not reached), and whether reached.

    A run that did not reach the level is censored at its end (``n_epochs`` or ``wall_time``) when
    its ``stop_reason`` is ``"max_epochs"`` or ``"callback"`` (cut by a budget) or when ``stopped``
    is ``"censored"``; otherwise (it stopped early, or diverged: it never reaches the level) at
    ``horizon`` (default: the latest end of the rows), after every event. Rows whose time is not
    finite are left out.
    """
    label = level_label(level)
    prefix, censor = CLOCKS[clock]
    reached = frame[f"reached_{label}"].to_numpy(dtype=bool)
    end = frame[censor].to_numpy(dtype=float)
    if stopped == "never":
        budget = frame["stop_reason"].isin(_BUDGET_STOPS).to_numpy() if "stop_reason" in frame.columns else \
            np.zeros(len(frame), dtype=bool)
        last = float(np.nanmax(end)) if np.isfinite(end).any() else np.nan
        end = np.where(budget, end, last if horizon is None else max(float(horizon), last))
    t = np.where(reached, frame[f"{prefix}{label}"].to_numpy(dtype=float), end)
    ok = np.isfinite(t)
    return t[ok], reached[ok]


def km_median(times: Any, reached: Any) -> np.ndarray:
    """Kaplan-Meier median time to the event of each row of ``times`` (``inf``: the fraction never reaches 1/2).

    Parameters
    ----------
    times : array-like of shape (..., n)
        Event or censoring times.
    reached : array-like of bool, shape (..., n)
        True where the time is an event, False where it is censored.

    Returns
    -------
    ndarray of shape (...)
        The smallest time at which the Kaplan-Meier fraction of events reaches 1/2. Computed for
        many samples at once (bootstrap resamples); ties put events before censorings, as the
        Kaplan-Meier estimator does.
    """
    t = np.asarray(times, dtype=float)
    e = np.asarray(reached, dtype=bool)
    if t.shape[-1] == 0:
        return np.full(t.shape[:-1], np.inf)
    order = np.lexsort((~e, t), axis=-1)
    t, e = np.take_along_axis(t, order, -1), np.take_along_axis(e, order, -1)
    n = t.shape[-1]
    survival = np.cumprod(np.where(e, 1.0 - 1.0 / (n - np.arange(n)), 1.0), axis=-1)
    hit = survival <= 0.5 + _HALF_SLACK
    first = np.argmax(hit, axis=-1)
    median = np.take_along_axis(t, first[..., None], -1)[..., 0]
    return np.where(hit.any(axis=-1), median, np.inf)


def _km_curve(t: np.ndarray, e: np.ndarray, confidence_level: float) -> tuple[np.ndarray, ...]:
    """Times, Kaplan-Meier fraction reached, and its pointwise band, from (0, 0); the band falls back on the
    estimate where scipy's formula is undefined (no run at risk, or a fraction of 0 or 1)."""
    if t.size == 0:
        return (np.zeros(1),) * 4
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        res = stats.ecdf(stats.CensoredData(uncensored=t[e], right=t[~e]))
        band = res.cdf.confidence_interval(confidence_level)
    f = res.cdf.probabilities
    low, high = band.low.probabilities, band.high.probabilities
    low, high = np.where(np.isfinite(low), low, f), np.where(np.isfinite(high), high, f)
    return (np.r_[0.0, res.cdf.quantiles], np.r_[0.0, f], np.r_[0.0, np.minimum(low, f)],
            np.r_[0.0, np.maximum(high, f)])


def _first_at_half(times: np.ndarray, fraction: np.ndarray) -> float:
    hit = fraction >= 0.5 - _HALF_SLACK
    return float(times[np.argmax(hit)]) if hit.any() else np.inf


def time_to_level_curves(models: pd.DataFrame, *, levels: Sequence[float] | None = None,
                         clocks: Sequence[str] = tuple(CLOCKS), stopped: str = "never",
                         confidence_level: float = 0.95) -> pd.DataFrame:
    """Kaplan-Meier curves of the fraction of runs that reached each R² level, per condition and arm.

    Parameters
    ----------
    models : pandas.DataFrame
        The ``models`` of :func:`intervention` (``condition``, ``arm``, ``reached_r2_<level>``,
        ``epochs_to_r2_<level>``, ``time_to_r2_<level>``, ``n_epochs``, ``wall_time``).
    levels : sequence of float or None, default=None
        ``None``: every level of the frame.
    clocks : sequence of {"epochs", "time"}, default=("epochs", "time")
        Epochs, or wall seconds.
    stopped : {"never", "censored"}, default="never"
        A run that stopped early without reaching the level: it never reaches it (the curve is
        the fraction of runs that reach the level under the protocol), or it is censored at its
        end (see :func:`intervention_statistics`). Runs cut at ``max_epochs`` are censored at
        their end either way.
    confidence_level : float, default=0.95
        Of the pointwise band (Greenwood's formula, :func:`scipy.stats.ecdf`).

    Returns
    -------
    pandas.DataFrame
        One row per step of each curve, from ``(0, 0)``: ``condition``, ``arm``, ``level``,
        ``clock``, ``time``, ``fraction_reached``, ``low``, ``high`` and ``n_seeds``. The curve is a
        right-continuous step function (draw it with ``where="post"``); it ends at the latest
        end of the condition's runs.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_ka.experiments import time_to_level_curves
    >>> df = pd.DataFrame({"condition": "c", "arm": "control", "reached_r2_0.9": [True, True, False],
    ...                    "epochs_to_r2_0.9": [10.0, 30.0, float("nan")], "n_epochs": [50, 60, 40]})
    >>> curve = time_to_level_curves(df, clocks=["epochs"])
    >>> curve[["time", "fraction_reached"]].round(3).values.tolist()
    [[0.0, 0.0], [10.0, 0.333], [30.0, 0.667], [40.0, 0.667]]
    """
    models, levels = _check_models(models, levels, clocks, paired=False)
    a = validate_params(dict(confidence_level=confidence_level, stopped=stopped), STATISTICS_CONSTRAINTS,
                        owner="time_to_level_curves")
    cl = a["confidence_level"]
    ends = _ends(models, clocks)
    parts = []
    for (cond, arm), g in models.groupby(["condition", "arm"], sort=False):
        for level in levels:
            for clock in clocks:
                t, e = durations(g, level, clock, stopped=a["stopped"], horizon=ends[cond, clock])
                x, f, lo, hi = _km_curve(t, e, cl)
                parts.append(pd.DataFrame({"condition": cond, "arm": arm, "level": level, "clock": clock, "time": x,
                                           "fraction_reached": f, "low": lo, "high": hi, "n_seeds": t.size}))
    return pd.concat(parts, ignore_index=True)


def _ends(models: pd.DataFrame, clocks: Sequence[str]) -> dict[tuple[Any, str], float]:
    """The latest end of the runs of each condition on each clock (where "never reached" is censored)."""
    out = {}
    for cond, g in models.groupby("condition", sort=False):
        for clock in clocks:
            end = g[CLOCKS[clock][1]].to_numpy(dtype=float)
            out[cond, clock] = float(np.nanmax(end)) if np.isfinite(end).any() else np.nan
    return out


def _check_models(models, levels, clocks, paired) -> tuple[pd.DataFrame, list[float]]:
    owner = _OWNER
    models = check_frame(models, owner=owner, what="models")
    found = levels_of(models.columns)
    if levels is None:
        levels = found
    else:
        levels = check_sequence("levels", levels, Reals(0, 1, low_open=True), unique=True, owner=owner)
        absent = [v for v in levels if v not in found]
        if absent:
            raise ValueError(f"{owner}: models has no columns for level(s) {absent}; its levels are {found}.")
    clocks = check_sequence("clocks", clocks, [Options(*CLOCKS)], unique=True, owner=owner)
    need = ["condition", "arm"] + (["seed"] if paired else [])
    for level in levels:
        label = level_label(level)
        need += [f"reached_{label}"] + [f"{CLOCKS[c][0]}{label}" for c in clocks] + [CLOCKS[c][1] for c in clocks]
    missing = sorted(set(need) - set(models.columns))
    if missing:
        raise ValueError(f"{owner}: models has no column(s) {missing}; pass the models frame of intervention().")
    if not levels:
        raise ValueError(f"{owner}: models has no reached_r2_<level> column; pass the models frame of intervention().")
    return models, [float(v) for v in levels]


# ---------------------------------------------------------------------------------------- statistics
class _Streams:
    """One random stream per comparison, seeded in a fixed order from ``random_state``: no comparison's numbers
    depend on how much another one drew (a resampling skipped for a constant sample draws nothing)."""

    def __init__(self, random_state: Any) -> None:
        self.base = int(as_generator(random_state).integers(0, SEED_HIGH))
        self.count = 0

    def next(self) -> np.random.Generator:
        self.count += 1
        return np.random.default_rng([self.base, self.count])


def _median_difference(ta, ea, tc, ec, *, paired, n_resamples, confidence_level, rng):
    """Point difference of Kaplan-Meier medians (arm - control), its bootstrap interval, and the share of
    resamples left out because neither median was reached there."""
    with np.errstate(invalid="ignore"):
        point = float(km_median(ta, ea) - km_median(tc, ec))
    if ta.size < 2 or tc.size < 2 or np.isnan(point):
        return point, np.nan, np.nan, np.nan  # no interval around an undefined difference
    ia = rng.integers(0, ta.size, size=(n_resamples, ta.size))
    ic = ia if paired else rng.integers(0, tc.size, size=(n_resamples, tc.size))
    with np.errstate(invalid="ignore"):
        d = km_median(ta[ia], ea[ia]) - km_median(tc[ic], ec[ic])
    ok = ~np.isnan(d)
    if not ok.any():
        return point, np.nan, np.nan, 1.0
    a = 1.0 - confidence_level
    low, high = np.quantile(d[ok], [a / 2, 1 - a / 2], method="inverted_cdf")
    return point, float(low), float(high), float(1.0 - ok.mean())


def _logrank(ta, ea, tc, ec) -> tuple[float, float]:
    """Two-sided log-rank p-value of arm vs control, and its z statistic (> 0: the arm reaches the level sooner)."""
    if not (ea.any() or ec.any()) or ta.size == 0 or tc.size == 0:
        return np.nan, np.nan  # no event in either arm: nothing to compare
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        res = stats.logrank(stats.CensoredData(uncensored=ta[ea], right=ta[~ea]),
                            stats.CensoredData(uncensored=tc[ec], right=tc[~ec]))
    return float(res.pvalue), float(res.statistic)


def _aligned(arm: pd.DataFrame, control: pd.DataFrame, paired: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Arm and control rows on their common seeds in seed order (paired), or as they are."""
    if not paired:
        return arm, control
    common = sorted(set(arm["seed"]) & set(control["seed"]))
    if len(set(arm["seed"])) != len(arm) or len(set(control["seed"])) != len(control):
        raise ValueError(f"{_OWNER}: a seed appears twice in one arm of a condition; paired statistics need one row "
                         "per seed (pass paired=False to compare independent samples).")
    return (arm.set_index("seed").loc[common].reset_index(), control.set_index("seed").loc[common].reset_index())


def _time_rows(cond, arm_name, arm, control, aligned, levels, clocks, ends, s, streams) -> list[dict]:
    """Per level and clock: the arm's Kaplan-Meier summary and (``control`` given) its comparison, made on the
    ``aligned`` arm and control rows."""
    rows = []
    a2, c2 = aligned
    for level in levels:
        for clock in clocks:
            how = dict(stopped=s["stopped"], horizon=ends[cond, clock])
            t, e = durations(arm, level, clock, **how)
            x, f, lo, hi = _km_curve(t, e, s["confidence_level"])
            row = dict(condition=cond, arm=arm_name, quantity=f"{CLOCKS[clock][0]}{level_label(level)}",
                       kind="time_to_level", level=level, clock=clock, n_seeds=int(t.size), n_reached=int(e.sum()),
                       fraction_reached=float(e.mean()) if t.size else np.nan, value=_first_at_half(x, f),
                       value_low=_first_at_half(x, hi), value_high=_first_at_half(x, lo))
            if control is not None:
                ta, ea = durations(a2, level, clock, **how)
                tc, ec = durations(c2, level, clock, **how)
                diff, ci_low, ci_high, undefined = _median_difference(
                    ta, ea, tc, ec, paired=s["paired"] and ta.size == tc.size, n_resamples=s["n_resamples"],
                    confidence_level=s["confidence_level"], rng=streams.next())
                control_value = float(km_median(*durations(control, level, clock, **how)))
                p_value, z = _logrank(ta, ea, tc, ec)
                row.update(control_value=control_value, difference=diff, ci_low=ci_low, ci_high=ci_high,
                           ci_undefined_fraction=undefined, p_value=p_value, logrank_z=z, test="log-rank")
            rows.append(row)
    return rows


def _final_rows(cond, arm_name, arm, control, aligned, quantities, s, streams) -> list[dict]:
    """Per quantity: the arm's mean and (``control`` given) its comparison, made on the ``aligned`` rows."""
    rows = []
    a2, c2 = (arm, None) if control is None else aligned
    for q in quantities:
        x = a2[q].to_numpy(dtype=float)
        row = dict(condition=cond, arm=arm_name, quantity=q, kind="final", level=np.nan, clock="",
                   n_seeds=int(np.isfinite(x).sum()))
        if control is None:
            row["value"] = float(np.nanmean(x)) if np.isfinite(x).any() else np.nan
            rows.append(row)
            continue
        y = c2[q].to_numpy(dtype=float)
        if s["paired"]:
            ok = np.isfinite(x) & np.isfinite(y)
            x, y = x[ok], y[ok]
        else:
            x, y = x[np.isfinite(x)], y[np.isfinite(y)]
        res = _test(x, y, paired=s["paired"], n_resamples=s["n_resamples"], confidence_level=s["confidence_level"],
                    rng=streams.next())
        row.update(n_seeds=res["n_seeds"], value=res["mean_trained"], control_value=res["mean_initial"],
                   difference=res["mean_difference"], ci_low=res["ci_low"], ci_high=res["ci_high"],
                   p_value=res["p_value"], min_p_value=res["min_p_value"],
                   test="sign-flip" if s["paired"] else "permutation")
        rows.append(row)
    return rows


def _quantities(models: pd.DataFrame, observables: Any) -> list[str]:
    """The per-model columns compared at the end: the final quantities, then the KA observables."""
    if observables is None:
        observables = [c for c in models.columns
                       if (key := observable_of(c)) is not None and key.name not in _NOT_COMPARED]
    else:
        observables = check_sequence("observables", [observables] if isinstance(observables, str) else observables,
                                     InstanceOf(str, "a column name"), unique=True, owner=_OWNER)
        missing = [c for c in observables if c not in models.columns]
        if missing:
            raise ValueError(f"{_OWNER}: observables names column(s) {missing} that models does not have.")
    return [c for c in _FINAL if c in models.columns] + [c for c in observables if c not in _FINAL]


_COLUMNS = ["condition", "arm", "quantity", "kind", "level", "clock", "n_seeds", "n_reached", "fraction_reached",
            "value", "value_low", "value_high", "control_value", "difference", "ratio", "ci_low", "ci_high",
            "ci_undefined_fraction", "p_value", "q_value", "min_p_value", "logrank_z", "test"]


def intervention_statistics(
    models: pd.DataFrame,
    *,
    control: str = "control",
    levels: Sequence[float] | None = None,
    clocks: Sequence[str] = tuple(CLOCKS),
    observables: str | Sequence[str] | None = None,
    paired: bool = True,
    stopped: str = "never",
    confidence_level: float = 0.95,
    n_resamples: int = 9999,
    random_state: int | np.random.Generator | None = 0,
) -> pd.DataFrame:
    """Every arm against the control: times to R² levels (censoring handled), final R² and KA observables.

    See the module description above and the user guide, :ref:`interventions`.

    Parameters
    ----------
    models : pandas.DataFrame
        One row per model, as :func:`intervention` returns: ``condition``, ``arm``, ``seed``, the
        :class:`TimeToLevelMeasure` columns, ``n_epochs``, ``wall_time``, ``train_r2``, ... and the
        observables.
    control : str, default="control"
        The arm every other arm is compared with (it must be present in every condition).
    levels : sequence of float or None, default=None
        ``None``: every level of the frame.
    clocks : sequence of {"epochs", "time"}, default=("epochs", "time")
        Times in epochs and in wall seconds.
    observables : str, sequence of str or None, default=None
        The KA observable columns compared (``None``: every observable column except those of
        the initial model, which every arm shares).
    paired : bool, default=True
        Pair arm and control by seed (they share data, initialisation and shuffling): the
        bootstrap draws the same seeds for both, and the p-values of the final quantities come
        from an exact sign-flip test (smallest two-sided p-value ``2 / 2**n_seeds``). ``False``:
        independent samples.
    stopped : {"never", "censored"}, default="never"
        A run that stopped early (or diverged) without reaching a level: it never reaches it
        (censored after every run's end: the comparison is of the fraction of runs that reach
        the level under the protocol, and how soon), or it is censored at its end (the usual
        Kaplan-Meier reading: had it gone on, it might have reached the level like the runs
        still training). Runs cut at ``max_epochs`` are censored at their end either way.
    confidence_level : float, default=0.95
    n_resamples : int, default=9999
        Bootstrap resamples and the permutation budget.
    random_state : int, Generator or None, default=0

    Returns
    -------
    pandas.DataFrame
        Per condition and arm (the control too, without comparison), rows of two kinds.
        ``kind="time_to_level"``: per level and clock (``quantity`` such as ``epochs_to_r2_0.9``),
        ``n_seeds``, ``n_reached``, ``fraction_reached``, ``value`` (the Kaplan-Meier median; ``inf``
        when fewer than half the runs reached the level, counting censoring), ``value_low`` and
        ``value_high`` (where the pointwise band reaches one half), ``control_value``,
        ``difference`` (arm - control medians), ``ratio`` (arm / control; NaN unless the
        control's value is positive), ``ci_low`` and
        ``ci_high`` (percentile bootstrap; NaN when neither median is reached),
        ``ci_undefined_fraction`` (resamples where neither median was reached, left out of the
        interval), ``p_value`` (log-rank; NaN when no run of either reached the level, or when
        the control's runs all ended before the arm's first reached it) and ``logrank_z`` (its statistic:
        positive when the arm reaches the level sooner than the control). ``kind="final"``: per quantity
        (``train_r2``, ``test_r2``, ``n_epochs``, ``fit_time``, ``seconds_per_epoch`` and each
        observable), ``value`` and ``control_value`` (means over seeds), ``difference``,
        ``ratio``, ``ci_low``, ``ci_high``, ``p_value`` (two-sided permutation test) and
        ``min_p_value`` (the smallest the design allows). Every row with a p-value also has
        ``q_value``: the Benjamini-Hochberg adjustment over the comparisons of the same quantity
        (every condition and arm), for reading many comparisons at once.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from sklearn_ka.experiments import intervention_statistics
    >>> base = np.arange(100.0, 108.0)
    >>> df = pd.DataFrame({"condition": "c", "arm": ["control"] * 8 + ["late"] * 8, "seed": list(range(8)) * 2,
    ...                    "reached_r2_0.9": True, "epochs_to_r2_0.9": np.r_[base, base + 100],
    ...                    "n_epochs": 500, "train_r2": 0.95})
    >>> res = intervention_statistics(df, clocks=["epochs"], n_resamples=999)
    >>> row = res[(res["arm"] == "late") & (res["kind"] == "time_to_level")].iloc[0]
    >>> float(row["difference"]), float(row["ci_low"]), float(row["ci_high"])
    (100.0, 100.0, 100.0)
    """
    s = validate_params(dict(confidence_level=confidence_level, n_resamples=n_resamples, paired=paired,
                             stopped=stopped), STATISTICS_CONSTRAINTS, owner=_OWNER)
    models, levels = _check_models(models, levels, clocks, paired=s["paired"])
    clocks = list(clocks)
    ends = _ends(models, clocks)
    quantities = _quantities(models, observables)
    streams = _Streams(random_state)
    n_max = int(models.groupby(["condition", "arm"]).size().max()) if len(models) else 0
    check_memory(6 * 8 * s["n_resamples"] * max(n_max, 1), f"{s['n_resamples']} bootstrap resamples of {n_max} seeds",
                 owner=_OWNER, alternatives="fewer n_resamples (9999 gives a 95 % interval to about 0.1 %).")
    rows = []
    for cond, group in models.groupby("condition", sort=False):
        ctrl = group[group["arm"] == control]
        if ctrl.empty:
            raise ValueError(f"{_OWNER}: condition {cond!r} has no {control!r} arm; every condition needs one (the "
                             f"arms there are {list(pd.unique(group['arm']))}).")
        for arm_name, arm in group.groupby("arm", sort=False):
            ref = None if arm_name == control else ctrl
            aligned = (None, None) if ref is None else _aligned(arm, ref, s["paired"])
            rows += _time_rows(cond, arm_name, arm, ref, aligned, levels, clocks, ends, s, streams)
            rows += _final_rows(cond, arm_name, arm, ref, aligned, quantities, s, streams)
    out = pd.DataFrame(rows).reindex(columns=_COLUMNS)
    with np.errstate(divide="ignore", invalid="ignore"):
        control_value = out["control_value"].to_numpy(dtype=float)
        out["ratio"] = np.where(control_value > 0, out["value"].to_numpy(dtype=float) / control_value, np.nan)
    out["test"] = out["test"].fillna("")
    out["q_value"] = out.groupby(["kind", "quantity"], sort=False)["p_value"].transform(lambda p: bh_adjust(p))
    return out
