"""The intervention experiment: the time-to-level measure, censoring, the statistics on synthetic arms with
known answers, and tiny training runs (store resume and refusal, the monitor, n_jobs invariance)."""

import json
import warnings
from types import SimpleNamespace

import joblib
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sklearn_ka._utils import InvalidParameterError
from sklearn_ka.experiments import (
    INTERVENTION_ARMS,
    INTERVENTION_CONDITIONS,
    TimeToLevelMeasure,
    intervention,
    intervention_statistics,
    time_to_level_curves,
)
from sklearn_ka.experiments._intervention_statistics import durations, km_median
from sklearn_ka.interventions import KAPenalty

TIMING = ("fit_time", "analysis_time", "wall_time", "seconds_per_epoch", "time_to_r2_0.2", "time_to_r2_0.5")
TINY = dict(n_samples=120, batch_size=40, max_epochs=30, patience=10, analyzer={"n_rotations": 4},
            n_resamples=99, ka_orders=(1,))


# ------------------------------------------------------------------------------------ the measure
def _fake_model(r2, times, started=None, blend=0.0):
    return SimpleNamespace(history_={"train_r2": np.asarray(r2, dtype=float)}, epoch_times_=np.asarray(times),
                           intervention_epochs_=started or {"activation": None, "ka_penalty": None},
                           activation_blend_=blend)


def test_measure_reads_the_first_epoch_at_each_level_and_censors_the_others():
    model = _fake_model([-0.2, 0.6, 0.4, 0.95, 0.93], [0.5, 1.0, 1.5, 2.0, 2.5], {"activation": 1, "ka_penalty": None})
    out = TimeToLevelMeasure((0.5, 0.9, 0.99))(model, None, None)
    assert (out["epochs_to_r2_0.5"], out["time_to_r2_0.5"], out["reached_r2_0.5"]) == (2.0, 1.0, True)
    assert (out["epochs_to_r2_0.9"], out["time_to_r2_0.9"], out["reached_r2_0.9"]) == (4.0, 2.0, True)
    assert np.isnan(out["epochs_to_r2_0.99"]) and np.isnan(out["time_to_r2_0.99"]) and not out["reached_r2_0.99"]
    assert out["wall_time"] == 2.5 and out["seconds_per_epoch"] == 0.5
    assert out["activation_start_epoch"] == 1.0 and np.isnan(out["penalty_start_epoch"])
    np.testing.assert_allclose(np.array(out["curve_train_r2"].split(","), dtype=float), [-0.2, 0.6, 0.4, 0.95, 0.93])


def test_a_level_reached_exactly_counts_and_a_nan_epoch_does_not():
    out = TimeToLevelMeasure((0.5,))(_fake_model([np.nan, 0.5], [1.0, 2.0]), None, None)
    assert out["epochs_to_r2_0.5"] == 2.0


# ------------------------------------------------------------------------------ Kaplan-Meier
def test_km_median_respects_censoring():
    # reached at 10, 20 and 100; censored (stopped before reaching) at 30, 31, 32: three of six runs
    # reach it by 20, but the three censored at 30-32 may still reach it, so the median is 100
    t = np.array([10.0, 20, 30, 31, 32, 100])
    e = np.array([True, True, False, False, False, True])
    assert km_median(t, e) == 100.0
    assert np.median(t[e]) == 20.0  # what ignoring the censored runs would say
    res = stats.ecdf(stats.CensoredData(uncensored=t[e], right=t[~e]))
    assert res.cdf.quantiles[np.argmax(res.cdf.probabilities >= 0.5)] == 100.0


def test_km_median_matches_scipy_on_random_censored_samples_with_ties():
    rng = np.random.default_rng(0)
    for _ in range(200):
        n = int(rng.integers(1, 12))
        t = rng.integers(1, 8, size=n).astype(float)  # many ties, between events and censorings too
        e = rng.uniform(size=n) < 0.6
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            res = stats.ecdf(stats.CensoredData(uncensored=t[e], right=t[~e]))
        hit = res.cdf.probabilities >= 0.5 - 1e-9
        expected = res.cdf.quantiles[np.argmax(hit)] if hit.any() else np.inf
        assert km_median(t, e) == expected
    # rows at once give the same as one by one
    T, E = rng.integers(1, 9, size=(50, 6)).astype(float), rng.uniform(size=(50, 6)) < 0.5
    np.testing.assert_array_equal(km_median(T, E), [km_median(a, b) for a, b in zip(T, E)])


def test_all_censored_median_is_infinite():
    assert km_median([5.0, 6.0], [False, False]) == np.inf


# ------------------------------------------------------------------------------ synthetic arms
def _arms_frame(control, arms, n_epochs=1000, level=0.9, seeds=None):
    """One row per (arm, seed): ``control`` and each ``arms[name]`` are epochs to the level (NaN: never)."""
    rows = []
    for name, times in {"control": control, **arms}.items():
        for seed, t in enumerate(times):
            reached = bool(np.isfinite(t))
            rows.append({"condition": "c", "arm": name, "seed": seed if seeds is None else seeds[seed],
                         f"reached_r2_{level:g}": reached, f"epochs_to_r2_{level:g}": t if reached else np.nan,
                         f"time_to_r2_{level:g}": t / 100 if reached else np.nan, "n_epochs": n_epochs,
                         "wall_time": n_epochs / 100, "train_r2": 0.9 + seed / 100})
    return pd.DataFrame(rows)


def _row(res, arm, quantity):
    return res[(res["arm"] == arm) & (res["quantity"] == quantity)].iloc[0]


def test_an_arm_shifted_by_100_epochs_is_measured_exactly():
    base = np.arange(100.0, 108.0)
    res = intervention_statistics(_arms_frame(base, {"late": base + 100, "same": base}), n_resamples=999)
    late, same = _row(res, "late", "epochs_to_r2_0.9"), _row(res, "same", "epochs_to_r2_0.9")
    assert late["difference"] == 100 and late["ci_low"] == 100 and late["ci_high"] == 100
    assert late["p_value"] < 1e-3 and late["logrank_z"] < 0  # the arm reaches the level later
    assert late["value"] == km_median(base + 100, np.ones(8, bool)) and late["control_value"] == km_median(
        base, np.ones(8, bool))
    assert same["difference"] == 0 and same["ci_low"] == 0 and same["ci_high"] == 0 and same["p_value"] == 1.0
    time_row = _row(res, "late", "time_to_r2_0.9")
    assert time_row["difference"] == pytest.approx(1.0)


def test_final_quantities_use_the_exact_sign_flip_test():
    base = np.arange(100.0, 108.0)
    frame = _arms_frame(base, {"better": base})
    frame.loc[frame["arm"] == "better", "train_r2"] += 0.05
    res = intervention_statistics(frame, n_resamples=9999)
    r = _row(res, "better", "train_r2")
    assert r["difference"] == pytest.approx(0.05) and r["ci_low"] == pytest.approx(0.05)
    assert r["p_value"] == pytest.approx(2 / 2**8) and r["min_p_value"] == pytest.approx(2 / 2**8)
    assert r["test"] == "sign-flip"


def test_all_censored_arms():
    base = np.arange(100.0, 108.0)
    never = np.full(8, np.nan)
    res = intervention_statistics(_arms_frame(base, {"never": never}), n_resamples=499)
    r = _row(res, "never", "epochs_to_r2_0.9")
    assert r["n_reached"] == 0 and r["fraction_reached"] == 0 and r["value"] == np.inf
    assert r["difference"] == np.inf and r["ci_low"] == np.inf  # never reached: beyond every control median
    assert r["p_value"] < 1e-3 and r["logrank_z"] < 0
    both = intervention_statistics(_arms_frame(never, {"never": never}), n_resamples=99)
    r = _row(both, "never", "epochs_to_r2_0.9")
    assert np.isnan(r["difference"]) and np.isnan(r["p_value"]) and np.isnan(r["ci_low"])
    assert np.isnan(r["ci_undefined_fraction"])  # no interval is drawn around an undefined difference


def test_identical_arms_give_large_p_values_and_calibrated_ones_under_the_null():
    rng = np.random.default_rng(1)
    frames = []
    for rep in range(100):  # 100 conditions, each with an arm drawn from the control's distribution
        control, arm = rng.exponential(200, 8), rng.exponential(200, 8)
        control[control > 400], arm[arm > 400] = np.nan, np.nan  # censored at 400 epochs
        frames.append(_arms_frame(control, {"same": arm}, n_epochs=400).drop(columns="train_r2").assign(
            condition=f"c{rep}"))
    res = intervention_statistics(pd.concat(frames, ignore_index=True), clocks=["epochs"], n_resamples=19)
    p = res.loc[(res["arm"] == "same") & (res["kind"] == "time_to_level"), "p_value"].to_numpy()
    assert p.size == 100
    assert np.mean(p < 0.05) <= 0.12  # the log-rank test holds its level (5 %; 0.12 is 3 standard errors above)
    assert np.mean(p < 0.5) == pytest.approx(0.5, abs=0.16)


def test_the_bootstrap_keeps_the_seeds_paired():
    # the arm is each seed's control time + 10, while seeds vary widely: paired resampling sees the 10
    base = np.array([50.0, 400, 120, 800, 60, 300, 90, 700])
    res = intervention_statistics(_arms_frame(base, {"slow": base + 10}, n_epochs=2000), n_resamples=999)
    r = _row(res, "slow", "epochs_to_r2_0.9")
    assert r["ci_low"] == 10 and r["ci_high"] == 10
    unpaired = intervention_statistics(_arms_frame(base, {"slow": base + 10}, n_epochs=2000), n_resamples=999,
                                       paired=False)
    r = _row(unpaired, "slow", "epochs_to_r2_0.9")
    assert r["ci_low"] < 0 < r["ci_high"]


def test_statistics_need_a_control_in_every_condition():
    frame = _arms_frame(np.arange(5.0), {"late": np.arange(5.0)})
    with pytest.raises(ValueError, match="no 'control' arm"):
        intervention_statistics(frame[frame["arm"] != "control"])
    with pytest.raises(ValueError, match="level"):
        intervention_statistics(frame, levels=[0.5])


def test_time_to_level_curves_are_the_scipy_kaplan_meier_curves():
    control = np.array([10.0, 20, np.nan, 40, np.nan])
    frame = _arms_frame(control, {}, n_epochs=50)
    frame.loc[2, "n_epochs"] = 30  # a run stopped at 30 epochs without reaching the level
    curve = time_to_level_curves(frame, clocks=["epochs"], stopped="censored")
    t, e = durations(frame, 0.9, "epochs", stopped="censored")
    res = stats.ecdf(stats.CensoredData(uncensored=t[e], right=t[~e]))
    np.testing.assert_allclose(curve["time"], np.r_[0, res.cdf.quantiles])
    np.testing.assert_allclose(curve["fraction_reached"], np.r_[0, res.cdf.probabilities])
    assert (curve["low"] <= curve["fraction_reached"]).all() and (curve["high"] >= curve["fraction_reached"]).all()
    assert curve["fraction_reached"].iloc[-1] == pytest.approx(1 - 0.8 * 0.75 * 0.5)


def test_runs_stopped_early_never_reach_the_level_and_budget_cuts_are_censored():
    control = np.array([10.0, 20, np.nan, 40, np.nan])
    frame = _arms_frame(control, {}, n_epochs=50)
    frame["stop_reason"] = ["patience", "patience", "patience", "patience", "max_epochs"]
    frame.loc[2, "n_epochs"] = 30
    frame.loc[4, "n_epochs"] = 45
    # the run stopped by patience at 30 never reaches it: censored after every end (50); the run cut at
    # max_epochs is censored at its own end (45)
    t, e = durations(frame, 0.9, "epochs")
    np.testing.assert_array_equal(t, [10, 20, 50, 40, 45])
    curve = time_to_level_curves(frame, clocks=["epochs"])
    np.testing.assert_allclose(curve["fraction_reached"].iloc[-1], 0.6)  # 3 of 5: no one censored early
    censored = time_to_level_curves(frame, clocks=["epochs"], stopped="censored")
    assert censored["fraction_reached"].iloc[-1] == pytest.approx(1 - 0.8 * 0.75 * 0.5)
    assert curve["time"].max() == 50


def test_an_arm_that_learns_against_a_control_that_stops_early():
    # the control stops (patience) after about 100 epochs without reaching the level; the arm reaches it
    # at about 150: under the protocol the arm is sooner; censoring the control at its end makes them
    # incomparable (no control run is at risk when the arm's runs reach it)
    learns = np.arange(150.0, 158.0)
    frame = _arms_frame(np.full(8, np.nan), {"learns": learns}, n_epochs=100)
    frame.loc[frame["arm"] == "learns", ["n_epochs", "wall_time"]] = [300, 3.0]
    frame["stop_reason"] = "patience"
    row = _row(intervention_statistics(frame, n_resamples=99), "learns", "epochs_to_r2_0.9")
    assert row["p_value"] < 1e-3 and row["logrank_z"] > 0 and row["difference"] == -np.inf
    row = _row(intervention_statistics(frame, n_resamples=99, stopped="censored"), "learns", "epochs_to_r2_0.9")
    assert np.isnan(row["p_value"])


# ------------------------------------------------------------------------------- constants
def test_arms_and_conditions_are_the_studied_ones():
    assert list(INTERVENTION_ARMS) == ["control", "osc_start", "osc_r2_0.3", "osc_r2_0.5", "ka_plus", "ka_minus"]
    assert INTERVENTION_ARMS["osc_r2_0.5"]["activation_schedule"].start_r2 == 0.5
    assert INTERVENTION_ARMS["ka_minus"]["ka_penalty"].beta < 0 < INTERVENTION_ARMS["ka_plus"]["ka_penalty"].beta
    assert {c["hidden_units"] for c in INTERVENTION_CONDITIONS.values()} == {8, 16, 32}
    lams = sorted(c.get("lam") for c in INTERVENTION_CONDITIONS.values() if c["function"] == "lambda_xor")
    assert lams == [1.2, 1.35]


# ----------------------------------------------------------------------------------- training
@pytest.fixture(scope="module")
def tiny_store(tmp_path_factory):
    store = tmp_path_factory.mktemp("intervention") / "store"
    res = intervention(["xor_m8"], ["control", "osc_start", "ka_plus"], seeds=2, levels=(0.2, 0.5), store=store,
                       **TINY)
    return store, res


def test_tiny_run_rows_columns_and_monitor(tiny_store):
    _, res = tiny_store
    m = res.models
    assert m[["arm", "seed"]].values.tolist() == [["control", 0], ["control", 1], ["osc_start", 0],
                                                  ["osc_start", 1], ["ka_plus", 0], ["ka_plus", 1]]
    assert (m["monitor"] == "test").all() and (m["condition"] == "xor_m8").all() and (m["hidden_units"] == 8).all()
    assert {"pr_normalized_k3", "epochs_to_r2_0.5", "reached_r2_0.2", "seconds_per_epoch"} <= set(m.columns)
    assert "activation_schedule" not in m.columns and "curve_train_r2" not in m.columns
    assert (m.loc[m["arm"] == "osc_start", "activation_start_epoch"] == 0).all()
    assert (m.loc[m["arm"] == "ka_plus", "penalty_start_epoch"] == 0).all()
    assert m.loc[m["arm"] == "control", ["activation_start_epoch", "penalty_start_epoch"]].isna().all().all()
    penalty = res.arms["ka_plus"]["ka_penalty"]
    assert isinstance(penalty, KAPenalty) and penalty.beta == 0.01 and penalty.orders == (1,)


def test_tiny_run_levels_agree_with_the_curves(tiny_store):
    _, res = tiny_store
    for (arm, seed), c in res.curves.groupby(["arm", "seed"]):
        row = res.models[(res.models["arm"] == arm) & (res.models["seed"] == seed)].iloc[0]
        assert len(c) == row["n_epochs"]
        for level in (0.2, 0.5):
            hit = np.flatnonzero(c["train_r2"].to_numpy() >= level)
            if hit.size:
                assert row[f"epochs_to_r2_{level:g}"] == hit[0] + 1
                assert row[f"time_to_r2_{level:g}"] == pytest.approx(c["wall_time"].iloc[hit[0]], rel=1e-5)
            else:
                assert not row[f"reached_r2_{level:g}"] and np.isnan(row[f"epochs_to_r2_{level:g}"])
    assert np.isclose(res.models["wall_time"], res.curves.groupby(["arm", "seed"], sort=False)["wall_time"].max()
                      .to_numpy(), rtol=1e-5).all()


def test_store_resumes_and_refuses_other_settings(tiny_store):
    store, first = tiny_store
    again = intervention(["xor_m8"], ["control", "osc_start", "ka_plus"], seeds=2, levels=(0.2, 0.5), store=store,
                         **TINY)
    assert again.models.attrs["sweep"]["n_computed_tasks"] == 0 and again.models.attrs["sweep"]["n_loaded_tasks"] == 3
    pd.testing.assert_frame_equal(again.models, first.models)
    pd.testing.assert_frame_equal(again.curves, first.curves)
    assert json.loads((store / "intervention.json").read_text())["settings"]["max_epochs"] == TINY["max_epochs"]
    with pytest.raises(InvalidParameterError, match=r"other settings \(differs in: levels, max_epochs\)"):
        intervention(["xor_m8"], ["control", "osc_start", "ka_plus"], seeds=2, levels=(0.5,), store=store,
                     **{**TINY, "max_epochs": 31})


def test_same_numbers_whatever_n_jobs_and_the_train_monitor():
    args = dict(conditions={"a": {"function": "xor", "hidden_units": 4},
                            "b": {"function": "lambda_xor", "lam": 1.0, "hidden_units": 4}},
                arms=["control", "osc_r2_0.3"], seeds=[3, 5], levels=(0.2,), monitor="train",
                **{**TINY, "analyzer": False})
    one = intervention(n_jobs=1, **args)
    with joblib.parallel_config(backend="threading"):  # tasks run concurrently, finish in any order
        two = intervention(n_jobs=2, **args)
    assert (one.models["monitor"] == "train").all()
    assert one.models["condition"].tolist() == ["a"] * 4 + ["b"] * 4
    assert one.models.loc[one.models["condition"] == "b", "lam"].eq(1.0).all()
    assert one.models.loc[one.models["condition"] == "a", "lam"].isna().all()
    keep = [c for c in one.models.columns if c not in TIMING]
    pd.testing.assert_frame_equal(one.models[keep], two.models[keep])
    pd.testing.assert_series_equal(one.curves["train_r2"], two.curves["train_r2"])
    untimed = ~one.statistics["quantity"].isin(TIMING) & (one.statistics["clock"] != "time")
    pd.testing.assert_frame_equal(one.statistics[untimed], two.statistics[untimed])


def test_penalty_sizes_beyond_the_width_are_refused_before_training():
    with pytest.raises(InvalidParameterError, match=r"arm 'ka_plus' cannot train condition 'narrow'.*k=3"):
        intervention({"narrow": {"function": "xor", "hidden_units": 2}}, ["control", "ka_plus"], seeds=1,
                     ka_orders=(1, 2, 3), **{k: v for k, v in TINY.items() if k != "ka_orders"})
