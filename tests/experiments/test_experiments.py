"""Tests of sklearn_ka.experiments at tiny scale (a few epochs, tens of examples)."""

import json

import numpy as np
import pandas as pd
import pytest
import torch

from sklearn_ka.experiments import (
    batch_size_experiment,
    bootstrap_experiment,
    evolution,
    interpolation,
    paired_observables,
    significance,
    snapshot_levels,
    static_comparison,
    static_tables,
    tails,
    train_deep_mlp,
)
from sklearn_ka.observables import induced_false_positive_rate

TINY = dict(n_samples=40, batch_size=20, max_epochs=4, patience=3)
AN = {"n_rotations": 8}


@pytest.fixture(scope="module")
def static():
    return static_comparison(["xor", "linear"], [3, 4], [0, 1], analyzer=AN, **TINY)


def test_static_rows_and_columns(static):
    assert len(static) == 2 * 2 * 2
    assert static[["function", "hidden_units", "seed"]].drop_duplicates().shape[0] == 8
    for c in ("train_r2", "test_r2", "zero_rows_k3_q0.01", "dependent_zero_rows_k3_q0.01", "pr_k3", "pr_initial_k3",
              "rotation_ratio_normalized_k3", "column_kl_k3"):
        assert c in static.columns
    assert static["zero_rows_k3_q0.01"].between(0, 1).all()


def test_static_tables_values(static):
    t = static_tables(static, width=4)
    assert set(t["table"]) == {"I", "II", "III"}
    t1 = t[t["table"] == "I"]
    assert len(t1) == 4  # 2 functions x 2 widths
    cell = t1[(t1["row"] == "xor") & (t1["column"] == "m = 3")].iloc[0]
    vals = static[(static["function"] == "xor") & (static["hidden_units"] == 3)]["train_r2"]
    assert cell["mean"] == pytest.approx(vals.mean()) and cell["std"] == pytest.approx(vals.std(ddof=1))
    t2 = t[t["table"] == "II"]
    assert len(t2) == 2 * 3 * 3 and set(t2["unit"]) == {"%"}
    z = t2[(t2["row"] == "linear(4)") & (t2["quantity"] == "zero") & (t2["column"] == "q1 = 1%")].iloc[0]
    sub = static[(static["function"] == "linear") & (static["hidden_units"] == 4)]
    assert z["mean"] == pytest.approx(100 * sub["zero_rows_k3_q0.01"].mean())
    t3 = t[t["table"] == "III"]
    assert set(t3["row"]) == {"xor(4)", "linear(4)", "initial(4)", "PR_max(4)"}
    pr_max = t3[(t3["row"] == "PR_max(4)") & (t3["column"] == "k = 1")]["mean"].iloc[0]
    assert pr_max == pytest.approx(np.sqrt(4 * 3))


def test_static_tables_bad_frame():
    with pytest.raises(ValueError, match="static_comparison"):
        static_tables(pd.DataFrame({"a": [1]}))


def test_static_bad_widths():
    with pytest.raises(ValueError, match="widths"):
        static_comparison(["xor"], [0], [0], analyzer=False, **TINY)
    with pytest.raises(ValueError, match="duplicates"):
        static_comparison(["xor"], [4, 4], [0], analyzer=False, **TINY)


def test_significance_paired_exact(static):
    res = significance(static, observables=["pr_k3", "zero_rows_k3_q0.01", "column_kl_k3"])
    assert len(res) == 4 * 3
    row = res[(res["function"] == "xor") & (res["hidden_units"] == 4) & (res["observable"] == "pr_k3")].iloc[0]
    sub = static[(static["function"] == "xor") & (static["hidden_units"] == 4)]
    assert row["mean_difference"] == pytest.approx((sub["pr_k3"] - sub["pr_initial_k3"]).mean())
    assert row["min_p_value"] == pytest.approx(0.5)  # 2 seeds: 2 / 2**2
    assert 0 < row["p_value"] <= 1
    z = res[(res["observable"] == "zero_rows_k3_q0.01") & (res["hidden_units"] == 4)].iloc[0]
    assert z["mean_initial"] == pytest.approx(induced_false_positive_rate(0.01, 4, 3))


def test_significance_detects_a_clear_effect():
    df = pd.DataFrame({"function": "xor", "hidden_units": 32, "seed": range(8),
                       "pr_k3": np.linspace(15, 17, 8), "pr_initial_k3": np.linspace(26, 28, 8)[::-1]})
    res = significance(df, n_resamples=999)
    r = res.iloc[0]
    assert r["p_value"] == pytest.approx(2 / 2 ** 8)
    assert r["ci_low"] < r["mean_difference"] < r["ci_high"] < 0
    ind = significance(df, paired=False, n_resamples=999).iloc[0]
    assert ind["test"] == "independent" and ind["p_value"] < 0.01


def test_significance_errors(static):
    with pytest.raises(ValueError, match="no initial-model reference"):
        significance(static, observables=["train_r2"])
    with pytest.raises(ValueError, match="no observable"):
        significance(static[["function", "hidden_units", "train_r2"]])
    with pytest.raises(TypeError):
        significance("not a frame")
    assert ("pr_k2", "pr_initial_k2") in paired_observables(["pr_k2", "pr_initial_k2"])


def test_evolution_points():
    df = evolution("xor", 4, [0], r2_step=0.25, analyzer={"n_rotations": 8, "minor_sizes": (1, 2)}, **TINY)
    assert set(df["stage"]) == {"initial", "snapshot", "final"}
    assert df.loc[df["stage"] == "initial", "epoch"].tolist() == [0]
    snaps = df[df["stage"] == "snapshot"]
    assert snaps["epoch"].is_unique and snaps["epoch"].min() == 1
    init = df[df["stage"] == "initial"].iloc[0]
    assert init["pr_k1"] == pytest.approx(init["pr_initial_k1"])
    assert init["column_kl_k1"] == pytest.approx(0, abs=1e-12)
    assert snapshot_levels(0.5)[1:] == (0.0, 0.5, 1.0)
    with pytest.raises(ValueError, match="step must be"):
        snapshot_levels(0)


def test_interpolation_and_errors():
    df = interpolation("lambda_xor", [0.5, 1.0], 4, [0], analyzer=False, **TINY)
    assert df["value"].tolist() == [0.5, 1.0] and set(df["parameter"]) == {"lam"}
    so = interpolation("so_xor", [0, 1], 4, [0], analyzer=False, **TINY)
    assert so["alpha"].tolist() == [0, 1]
    with pytest.raises(ValueError, match="family"):
        interpolation("nope", [1.0], 4, [0], **TINY)
    with pytest.raises(ValueError, match="integers"):
        interpolation("so_xor", [0.5], 4, [0], **TINY)


def test_batch_size_split_and_overlap():
    df = batch_size_experiment(["xor"], [10, 40], 4, [0], n_samples=40, max_epochs=3, patience=3,
                               analyzer={"n_rotations": 8})
    assert df["batch_size"].tolist() == [10, 40]
    for q in ("0.0001", "0.001", "0.01"):
        dep = df[f"example_dependent_zero_rows_k1_q{q}"]
        assert np.allclose(dep, df[f"zero_rows_k1_q{q}"] - df[f"consistent_zero_rows_k1_q{q}"])
        n_c = df[f"consistent_neurons_q{q}"]
        assert ((n_c >= 0) & (n_c <= 4)).all()
        ov = df[f"consistent_small_weight_overlap_q{q}"]
        assert (ov.isna() == (n_c == 0)).all()
    with pytest.raises(ValueError, match="exceed n_samples"):
        batch_size_experiment(["xor"], [50], 4, [0], n_samples=40)


def test_consistent_row_measure_finds_dead_neurons():
    from sklearn_ka import ShallowMLPRegressor, make_ka_regression
    from sklearn_ka.experiments import ConsistentRowMeasure

    X, y = make_ka_regression("xor", 200, 3, random_state=0)
    model = ShallowMLPRegressor(6, max_epochs=1, batch_size=100, random_state=0).fit(X, y)
    model.intercepts_[0] = model.intercepts_[0].copy()
    model.intercepts_[0][[1, 4]] = -50.0  # dead: sigma'(z) = 0 everywhere
    out = ConsistentRowMeasure((1e-2,))(model, X, y)
    assert out["consistent_neurons_q0.01"] == 2
    assert out["consistent_negative_bias_q0.01"] == 1.0


def test_bootstrap_models():
    df = bootstrap_experiment("xor", [20], 4, [0], wide_units=6, second_units=3, hidden_layer_sizes=(4, 4),
                              n_samples=40, max_epochs=3, patience=3)
    assert sorted(df["model"]) == ["base(4)", "bootstrapped", "bootstrapped_initial", "deep(4, 4)", "wide(6)"]
    assert df["train_r2"].notna().all() and (df["n_epochs"] >= 1).all()
    with pytest.raises(TypeError, match="registered target name"):
        bootstrap_experiment(lambda X: X[:, 0], [20], 4, [0], n_samples=40, max_epochs=2)


def test_train_deep_mlp_learns_linear():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (200, 3))
    y = X @ np.array([0.5, -0.3, 0.2])
    res = train_deep_mlp(X, y, X, y, (8, 8), batch_size=100, max_epochs=60, patience=20)
    assert res["train_r2"] > 0.9 and 1 <= res["best_epoch"] <= res["n_epochs"]
    with pytest.raises(ValueError, match="batch_size"):
        train_deep_mlp(X, y, X, y, (4,), batch_size=500)


def test_tails_frame():
    df = tails(["xor"], 4, [0], minor_sizes=(1, 2), quantile_ranks=[0.9, 0.95], **TINY)
    assert len(df) == 2 * 2 * 2  # k x model x rank
    g = df.groupby(["k", "model"])
    assert (g["fit_slope"].nunique() == 1).all()
    assert (df["quantile_ratio"] >= 1).all()
    with pytest.raises(ValueError, match="quantile_ranks"):
        tails(["xor"], 4, [0], quantile_ranks=[1.5], **TINY)


def test_train_deep_mlp_constant_target_scores_like_scikit_learn():
    # R^2 is scikit-learn's: a constant target gives 1.0 (predicted exactly) or 0.0, never NaN
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (60, 3))
    y = np.full(60, 0.5)
    res = train_deep_mlp(X, y, X, y, (4,), batch_size=30, max_epochs=3, patience=2)
    assert res["train_r2"] in (0.0, 1.0) and res["test_r2"] in (0.0, 1.0)


def test_cpu_device_changes_no_number_and_no_store(tmp_path):
    kw = dict(analyzer=False, **TINY)
    default = static_comparison(["xor"], [3], [0, 1], store=tmp_path / "a", **kw)
    on_cpu = static_comparison(["xor"], [3], [0, 1], store=tmp_path / "b", device="cpu", **kw)
    timing = ["fit_time"]
    pd.testing.assert_frame_equal(default.drop(columns=timing), on_cpu.drop(columns=timing))
    assert "device" not in on_cpu.columns
    manifests = [(tmp_path / d / "manifest.json").read_text() for d in ("a", "b")]
    shas = [json.loads(m)["definition_sha256"] for m in manifests]
    assert shas[0] == shas[1]
    # the deep control: the same numbers with device="cpu" as by default
    rng = np.random.default_rng(1)
    X = rng.uniform(-1, 1, (50, 3))
    y = X[:, 0] * X[:, 1]
    assert train_deep_mlp(X, y, X, y, (4,), batch_size=25, max_epochs=5) == train_deep_mlp(
        X, y, X, y, (4,), batch_size=25, max_epochs=5, device="cpu")


_RUNS = {
    "static_comparison": lambda **kw: static_comparison(["xor"], [3], [0], analyzer=False, **TINY, **kw),
    "evolution": lambda **kw: evolution("xor", 3, [0], **TINY, **kw),
    "interpolation": lambda **kw: interpolation("lambda_xor", [1.0], 3, [0], analyzer=False, **TINY, **kw),
    "batch_size_experiment": lambda **kw: batch_size_experiment(["xor"], [20], 3, [0], n_samples=40,
                                                                max_epochs=2, **kw),
    "bootstrap_experiment": lambda **kw: bootstrap_experiment("xor", [20], 3, [0], n_samples=40, max_epochs=2,
                                                              **kw),
    "tails": lambda **kw: tails(["xor"], 3, [0], **TINY, **kw),
}


@pytest.mark.parametrize("name", sorted(_RUNS))
def test_bad_device_fails_before_any_work(name, tmp_path):
    with pytest.raises(ValueError, match=rf"^{name}: device must be 'cpu', 'cuda'"):
        _RUNS[name](device="tpu", store=tmp_path / "s")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match=rf"^{name}: device='cuda' was requested but no CUDA GPU"):
            _RUNS[name](device="cuda", store=tmp_path / "s")
    assert not (tmp_path / "s").exists()


@pytest.mark.parametrize("call, message", [
    (lambda: static_comparison(["xor"], [0], [0], **TINY),
     r"static_comparison: widths\[0\] must be an integer >= 1; got 0"),
    (lambda: static_comparison(["xor"], [3], [0], **{**TINY, "max_epochs": 0}),
     r"static_comparison: max_epochs must be an integer >= 1; got 0"),
    (lambda: evolution("xor", 0, [0], **TINY), r"evolution: hidden_units must be an integer >= 1; got 0"),
    (lambda: evolution("xor", 3, [0], r2_step=1.5, **TINY), r"evolution: r2_step must be a finite number in \(0, 1\]"),
    (lambda: snapshot_levels(0.1, start=0.5, stop=0.2), r"snapshot_levels: need start < stop <= 1"),
    (lambda: interpolation("lambda", [1.0], 3, [0], **TINY),
     r"interpolation: family must be one of 'lambda_xor', 'gaussian', 'so_xor'; got 'lambda'"),
    (lambda: interpolation("gaussian", "0.5", 3, [0], **TINY), r"interpolation: values must be a sequence"),
    (lambda: batch_size_experiment(["xor"], [10, 10], 3, [0], n_samples=40),
     r"batch_size_experiment: batch_sizes contains duplicates"),
    (lambda: batch_size_experiment(["xor"], [1], 3, [0], n_samples=1),
     r"batch_size_experiment: n_samples must be an integer >= 2; got 1"),
    (lambda: bootstrap_experiment("xor", [20], 3, [0], hidden_layer_sizes=(), n_samples=40),
     r"bootstrap_experiment: hidden_layer_sizes is empty"),
    (lambda: bootstrap_experiment("xor", [20], 3, [0], wide_units=0, n_samples=40),
     r"bootstrap_experiment: wide_units must be an integer >= 1; got 0"),
    (lambda: tails(["xor"], 3, [0], quantile_ranks=[0.9, 1.0], **TINY),
     r"tails: quantile_ranks\[1\] must be a finite number in \[0, 1\); got 1.0"),
    (lambda: tails(["xor"], 3, [0], minor_sizes=[], **TINY), r"tails: minor_sizes is empty"),
    (lambda: significance(pd.DataFrame({"pr_k1": [1.0]}), n_resamples=0),
     r"significance: n_resamples must be an integer >= 1; got 0"),
    (lambda: significance(pd.DataFrame({"pr_k1": [1.0]}), confidence_level=1.0),
     r"significance: confidence_level must be a finite number in \(0, 1\); got 1.0"),
    (lambda: train_deep_mlp(np.zeros((4, 2)), np.zeros(4), np.zeros((4, 2)), np.zeros(4), (3, 0), batch_size=2),
     r"train_deep_mlp: hidden_layer_sizes\[1\] must be an integer >= 1; got 0"),
])
def test_argument_messages_name_the_function_and_parameter(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_consistent_row_measure_columns():
    from sklearn_ka.experiments import ConsistentRowMeasure

    assert ConsistentRowMeasure.column("consistent_neurons", 1e-4) == "consistent_neurons_q0.0001"
    with pytest.raises(ValueError, match="quantity must be one of"):
        ConsistentRowMeasure.column("neurons", 0.01)


def test_one_function_name_is_one_function():
    df = static_comparison("xor", [3], [0], analyzer=False, **TINY)  # not the functions 'x', 'o', 'r'
    assert df["function"].tolist() == ["xor"]


def test_later_steps_are_checked_before_anything_trains(monkeypatch):
    from sklearn_ka._utils import MemoryBudgetError

    def no_training(*args, **kwargs):
        raise AssertionError("a model was trained before the refusal")

    monkeypatch.setattr("sklearn_ka.sweeps._tasks.fit_many", no_training)
    with pytest.raises(ValueError, match=r"significance: n_resamples must be an integer >= 1"):
        significance(n_resamples=0, functions=["xor"], widths=[3], seeds=[0, 1], **TINY)
    boot = dict(n_samples=40, max_epochs=2)
    for kwargs, match in ((dict(wide_units=10**7), r"bootstrap_experiment \(the wide model\): training 1 model of "
                                                   r"10000000 hidden units"),
                          (dict(second_units=10**7), r"bootstrap_experiment \(the bootstrapped model\): training "
                                                     r"1 model of 10000000 hidden units on 40 samples of 3 features"),
                          (dict(hidden_layer_sizes=(10**5, 10**5)), r"training the deep control with hidden layers "
                                                                    r"\(100000, 100000\)")):
        with pytest.raises(MemoryBudgetError, match=match):
            bootstrap_experiment("xor", [20], 3, [0], **boot, **kwargs)
    with pytest.raises(MemoryBudgetError, match=r"tails: the analysis of the models with hidden_units=3000"):
        tails(["xor"], 3000, [0], **TINY)
    with pytest.raises(MemoryBudgetError, match=r"evolution: |sweep: the analysis of the models with "
                                                r"hidden_units=3000"):
        evolution("xor", 3000, [0], **TINY)


def test_significance_bootstrap_memory_is_checked(static):
    from sklearn_ka._utils import MemoryBudgetError

    with pytest.raises(MemoryBudgetError, match=r"significance: 100000000000 bootstrap resamples of groups of 2 "
                                                r"seeds needs about"):
        significance(static, n_resamples=10**11)
    with pytest.raises(TypeError, match=r"significance: by must be a column name or a non-empty list"):
        significance(static, by=3)
