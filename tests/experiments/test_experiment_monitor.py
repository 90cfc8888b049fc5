"""Every experiment takes ``monitor`` (the loss early stopping monitors) and ``patience``, and uses them."""

import inspect

import numpy as np
import pytest

from sklearn_ka import experiments
from sklearn_ka._utils import InvalidParameterError
from sklearn_ka.experiments import (
    batch_size_experiment,
    bootstrap_experiment,
    evolution,
    interpolation,
    static_comparison,
    tails,
    train_deep_mlp,
)
from sklearn_ka.sweeps import make_sweep_data

EXPERIMENTS = ("static_comparison", "evolution", "interpolation", "batch_size_experiment", "bootstrap_experiment",
               "tails")
# a random target at full batch: the test loss stops improving at once, the training loss does not
RANDOM = dict(n_samples=60, max_epochs=120, patience=5)
AN = {"n_rotations": 8, "minor_sizes": (1,)}


@pytest.mark.parametrize("name", EXPERIMENTS)
def test_every_experiment_takes_monitor_and_patience(name):
    params = inspect.signature(getattr(experiments, name)).parameters
    assert params["monitor"].default == "test" and params["patience"].default == 50
    assert inspect.signature(train_deep_mlp).parameters["monitor"].default == "test"


@pytest.mark.parametrize("name", EXPERIMENTS)
def test_a_bad_monitor_is_refused_by_name(name):
    with pytest.raises(InvalidParameterError, match=rf"{name}: monitor must be one of 'test', 'train'; got 'val'"):
        getattr(experiments, name)(monitor="val")


def test_static_comparison_stops_where_its_monitor_says():
    args = dict(functions=["random"], widths=[8], seeds=[0, 1], batch_size=60, analyzer=False, **RANDOM)
    test = static_comparison(monitor="test", **args)
    train = static_comparison(monitor="train", **args)
    assert set(test["monitor"]) == {"test"} and set(train["monitor"]) == {"train"}
    assert (train["n_epochs"] > 2 * test["n_epochs"]).all()
    assert (train["train_r2"] > test["train_r2"]).all()


def test_bootstrap_models_all_follow_the_monitor():
    args = dict(batch_sizes=[60], hidden_units=8, seeds=[0], wide_units=12, second_units=8,
                hidden_layer_sizes=(8, 8), **RANDOM)
    test = bootstrap_experiment(monitor="test", **args).set_index("model")
    train = bootstrap_experiment(monitor="train", **args).set_index("model")
    assert set(test["function"]) == {"random"}  # the study's target of this experiment
    assert set(train["monitor"]) == {"train"} and set(test["monitor"]) == {"test"}
    assert sorted(train.index) == ["base(8)", "bootstrapped", "bootstrapped_initial", "deep(8, 8)", "wide(12)"]
    # every model, the controls included, trains longer and fits its training set better on the training loss
    assert (train["n_epochs"] > test["n_epochs"]).all()
    assert (train["train_r2"] > test["train_r2"]).all()


def test_deep_control_monitors_the_training_loss():
    X, y, Xt, yt = make_sweep_data("random", 0, n_samples=60)
    kw = dict(hidden_layer_sizes=(8, 8), batch_size=60, max_epochs=150, patience=5, random_state=0)
    held = train_deep_mlp(X, y, Xt, yt, monitor="test", **kw)
    own = train_deep_mlp(X, y, Xt, yt, monitor="train", **kw)
    assert held["n_epochs"] < own["n_epochs"]
    assert own["train_r2"] > held["train_r2"]
    # the best epoch of the training loss is (for full-batch Adam on this target) the last one
    assert own["best_epoch"] >= own["n_epochs"] - kw["patience"]


def test_the_other_experiments_pass_the_monitor_on():
    small = dict(hidden_units=4, seeds=[0], n_samples=40, max_epochs=3, patience=2, monitor="train")
    evo = evolution(batch_size=20, r2_step=0.5, analyzer=AN, **small)
    assert set(evo["monitor"]) == {"train"}
    inter = interpolation("gaussian", [0.5], batch_size=20, analyzer=False, **small)
    assert set(inter["monitor"]) == {"train"}
    bs = batch_size_experiment(["xor"], [40], analyzer=AN, **small)
    assert set(bs["monitor"]) == {"train"}
    t = tails(["xor"], minor_sizes=(1,), batch_size=20, **small)
    assert set(t["monitor"]) == {"train"} and np.isfinite(t["quantile_ratio"]).all()


def test_dependent_readings_as_defined_is_the_analyzers_value():
    from sklearn_ka.experiments import READINGS, dependent_readings

    args = dict(hidden_units=6, seeds=[0, 1], n_samples=60, batch_size=30, max_epochs=20, patience=5)
    d = dependent_readings("xor", **args)
    assert set(d["reading"]) == set(READINGS) and set(d["monitor"]) == {"test"}
    static = static_comparison(["xor"], [6], [0, 1], analyzer={"n_rotations": 8, "minor_sizes": (1, 2)}, **{
        k: v for k, v in args.items() if k not in ("hidden_units", "seeds")})
    for q1 in (1e-4, 1e-3, 1e-2):
        ours = d[(d["reading"] == "as defined") & np.isclose(d["q1"], q1)].sort_values("seed")["value"].to_numpy()
        np.testing.assert_allclose(ours, 100 * static[f"dependent_zero_rows_k2_q{q1:g}"].to_numpy(), rtol=1e-12)
    wide = d.pivot_table(index=["seed", "q1"], columns="reading", values="value")
    # looser readings can only count more: a weaker condition, a smaller denominator
    assert (wide["one unit non-zero"] >= wide["as defined"]).all()
    assert (wide["% of eligible pairs"] >= wide["as defined"] - 1e-12).all()
    assert (wide["% of zero pairs"] >= wide["as defined"] - 1e-12).all()
    assert wide["on the test set"].notna().all()


def test_dependent_readings_needs_two_units():
    from sklearn_ka.experiments import dependent_readings

    with pytest.raises(ValueError, match=r"dependent_readings: size-2 minors need hidden_units >= 2; got 1"):
        dependent_readings(hidden_units=1)
