"""The loss early stopping monitors in a sweep: ``monitor="test"`` (the eval_set) or ``"train"``."""

import json

import numpy as np
import pytest

from sklearn_ka import ShallowMLPRegressor
from sklearn_ka._utils import InvalidParameterError
from sklearn_ka.sweeps import _sweep as sweep_module
from sklearn_ka.sweeps import load_sweep, make_sweep_data, sweep

# random targets at full batch: the test loss stops improving at once, the training loss keeps falling
GRID = {"hidden_units": [8], "max_epochs": [300], "patience": [10], "batch_size": [None]}
ARGS = dict(functions=["random"], seeds=[0, 1], n_samples=100, analyzer=False, verbose=0)


@pytest.fixture(scope="module")
def both():
    return {m: sweep(GRID, monitor=m, **ARGS) for m in ("test", "train")}


def test_the_two_monitors_stop_differently_on_an_unlearnable_target(both):
    test, train = both["test"], both["train"]
    assert list(test["monitor"]) == ["test", "test"] and list(train["monitor"]) == ["train", "train"]
    # the test loss of a random target has nothing to improve: training stops on its first plateau
    assert (test["stop_reason"] == "patience").all() and (test["n_epochs"] < 100).all()
    # the training loss of the same models keeps improving (memorisation) up to max_epochs
    assert (train["n_epochs"] > 2 * test["n_epochs"]).all()
    assert (train["train_r2"] > test["train_r2"] + 0.1).all()
    assert (train["test_r2"] < test["test_r2"]).all()  # what it memorises does not generalise


def test_monitor_train_is_a_fit_without_eval_set(both):
    X, y, Xt, yt = make_sweep_data("random", 1, n_samples=100)
    alone = ShallowMLPRegressor(8, max_epochs=300, patience=10, batch_size=None, random_state=1).fit(X, y)
    row = both["train"].iloc[1]
    assert row["n_epochs"] == alone.n_epochs_ and row["best_epoch"] == alone.best_epoch_
    assert row["train_r2"] == pytest.approx(alone.score(X, y), abs=1e-5)
    held = ShallowMLPRegressor(8, max_epochs=300, patience=10, batch_size=None, random_state=1).fit(
        X, y, eval_set=(Xt, yt))
    assert both["test"].iloc[1]["n_epochs"] == held.n_epochs_


def test_monitor_column_follows_seed_and_is_no_result_column(both):
    df = both["test"]
    cols = list(df.columns)
    assert cols.index("monitor") == cols.index("seed") + 1
    assert "monitor" not in df.attrs["sweep"]["result_columns"]


def test_monitor_is_part_of_the_store_definition(tmp_path):
    store = tmp_path / "s"
    first = sweep(GRID, monitor="test", store=store, **ARGS)
    manifest = json.loads((store / "manifest.json").read_text())
    assert manifest["definition"]["monitor"] == "test"
    with pytest.raises(ValueError, match=r"different sweep definition \(differs in: monitor\)"):
        sweep(GRID, monitor="train", store=store, **ARGS)
    again = sweep(GRID, monitor="test", store=store, **ARGS)
    assert again.attrs["sweep"]["n_loaded_tasks"] == again.attrs["sweep"]["n_tasks"]
    assert again.drop(columns="fit_time").equals(first.drop(columns="fit_time"))
    assert list(load_sweep(store)["monitor"]) == ["test", "test"]
    trained = sweep(GRID, monitor="train", store=tmp_path / "t", **ARGS)
    assert list(load_sweep(tmp_path / "t")["monitor"]) == ["train", "train"]
    assert load_sweep(tmp_path / "t")["n_epochs"].tolist() == trained["n_epochs"].tolist()


def test_stores_written_before_the_monitor_existed_are_test_stores(tmp_path, monkeypatch):
    """Every sweep monitored the test set before ``monitor`` existed: a test sweep reuses such a
    store, a train sweep refuses it."""
    store = tmp_path / "legacy"
    real = sweep_module.definition

    def legacy_definition(**kwargs):
        spec = real(**kwargs)
        del spec["monitor"]
        return spec

    monkeypatch.setattr(sweep_module, "definition", legacy_definition)
    old = sweep(GRID, store=store, **ARGS)
    monkeypatch.undo()
    assert "monitor" not in json.loads((store / "manifest.json").read_text())["definition"]
    assert list(load_sweep(store)["monitor"]) == ["test", "test"]
    with pytest.raises(ValueError, match=r"differs in: monitor"):
        sweep(GRID, monitor="train", store=store, **ARGS)
    reused = sweep(GRID, monitor="test", store=store, **ARGS)
    assert reused.attrs["sweep"]["n_computed_tasks"] == 0
    np.testing.assert_array_equal(reused["train_r2"], old["train_r2"])
    # the legacy manifest is left as it was
    assert "monitor" not in json.loads((store / "manifest.json").read_text())["definition"]


@pytest.mark.parametrize("bad", ["valid", "Test", None, 1])
def test_bad_monitor_is_refused_before_any_work(bad, tmp_path):
    with pytest.raises(InvalidParameterError, match=r"sweep: monitor must be one of 'test', 'train'"):
        sweep(GRID, monitor=bad, store=tmp_path / "s", **ARGS)
    assert not (tmp_path / "s").exists()
