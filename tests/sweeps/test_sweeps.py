"""Tests of sklearn_ka.sweeps: sweep, summarize, the store, joblib/Dask parallelism."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator

from sklearn_ka import ShallowMLPRegressor
from sklearn_ka.sweeps import TIMING_COLUMNS, load_sweep, make_sweep_data, summarize, sweep

TINY = {"hidden_units": [3, 5], "max_epochs": [15], "patience": [5], "batch_size": [25]}
KW = dict(functions=["xor", "linear"], seeds=[0, 1], n_samples=60, verbose=0)


class FakeAnalyzer(BaseEstimator):
    """Minimal KAGeometryAnalyzer stand-in: fit(model0, X), score(model, X) -> dict."""

    def __init__(self, scale=1.0, random_state=None, n_jobs=None):
        self.scale = scale
        self.random_state = random_state
        self.n_jobs = n_jobs

    def fit(self, model0, X):
        self.norm0_ = float(np.abs(model0.jacobian(X)).mean())
        self.noise_ = np.random.default_rng(self.random_state).normal()
        return self

    def score(self, model, X):
        return {"jac_ratio": self.scale * float(np.abs(model.jacobian(X)).mean()) / self.norm0_,
                "noise": self.noise_, "n_jobs_seen": self.n_jobs}


def _no_timing(df):
    return df.drop(columns=[c for c in TIMING_COLUMNS if c in df.columns])


def _measure(model, X, y):
    return {"w_norm": float(np.linalg.norm(model.coefs_[0])), "m": model.hidden_units}


@pytest.fixture(scope="module")
def reference():
    return sweep(TINY, analyzer=FakeAnalyzer(), measure=_measure, **KW)


def test_rows_columns_and_seed_protocol(reference):
    df = reference
    assert len(df) == 2 * 2 * 2
    assert list(df.columns[:6]) == ["function", "function_seed", "batch_size", "hidden_units", "max_epochs",
                                    "patience"]
    for c in ("seed", "train_r2", "test_r2", "n_epochs", "best_epoch", "stop_reason", "fit_time",
              "jac_ratio", "noise", "analysis_time", "w_norm", "m"):
        assert c in df.columns
    assert (df["m"] == df["hidden_units"]).all()
    assert (df["n_jobs_seen"] == 1).all()  # analyzer clones run single-threaded
    # seeds vary fastest; the function seed follows the seed
    assert df["seed"].tolist() == [0, 1] * 4
    assert (df["function_seed"] == df["seed"]).all()
    # the analyzer gets random_state=seed
    noise = {s: np.random.default_rng(s).normal() for s in (0, 1)}
    assert np.allclose(df["noise"], df["seed"].map(noise))
    # one row reproduced by hand: same data, single fit
    row = df.iloc[7]
    X, y, Xt, yt = make_sweep_data(row["function"], int(row["seed"]), n_samples=60)
    est = ShallowMLPRegressor(int(row["hidden_units"]), max_epochs=15, patience=5, batch_size=25,
                              random_state=int(row["seed"])).fit(X, y, eval_set=(Xt, yt))
    assert est.n_epochs_ == row["n_epochs"]
    assert np.isclose(est.score(X, y), row["train_r2"], atol=1e-5)
    assert np.isclose(est.score(Xt, yt), row["test_r2"], atol=1e-5)
    assert df.attrs["sweep"]["n_tasks"] == 4


def test_make_sweep_data_protocol():
    X, y, Xt, yt = make_sweep_data("linear", 3, n_samples=40)
    from sklearn_ka import make_ka_regression

    X2, y2 = make_ka_regression("linear", 40, function_seed=3, random_state=np.random.default_rng([3, 0]))
    Xt2, yt2 = make_ka_regression("linear", 40, function_seed=3, random_state=np.random.default_rng([3, 1]))
    np.testing.assert_array_equal(X, X2), np.testing.assert_array_equal(yt, yt2)
    assert not np.allclose(X, Xt)


def test_identical_for_any_n_jobs_and_task_partition_fixed(reference):
    df2 = sweep(TINY, analyzer=FakeAnalyzer(), measure=_measure, n_jobs=2, **KW)
    pd.testing.assert_frame_equal(_no_timing(reference), _no_timing(df2))
    with joblib.parallel_config(backend="threading", n_jobs=2):
        df3 = sweep(TINY, analyzer=FakeAnalyzer(), measure=_measure, **KW)
    pd.testing.assert_frame_equal(_no_timing(reference), _no_timing(df3))


@pytest.mark.slow
def test_dask_local_cluster_matches_local_run(reference):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None, worker_dashboard_address=None) as cluster, \
            distributed.Client(cluster):
        with joblib.parallel_config(backend="dask"):
            df = sweep(TINY, analyzer=FakeAnalyzer(), measure=_measure, **KW)
    pd.testing.assert_frame_equal(_no_timing(reference), _no_timing(df))


def test_function_params_and_fixed_targets():
    from sklearn_ka.targets import make_target

    fixed = make_target("linear", 3, function_seed=7)
    df = sweep({"hidden_units": [3], "max_epochs": [3]}, functions=["lambda_xor", fixed, "so_xor"],
               function_params={"lambda_xor": {"lam": [0.5, 1.5]}, "so_xor": {"alpha": [1]}},
               seeds=[4], n_samples=30, analyzer=False, verbose=0)
    assert df["function"].tolist() == ["lambda_xor", "lambda_xor", "linear", "so_xor"]
    assert df["lam"].tolist()[:2] == [0.5, 1.5] and np.isnan(df["lam"].iloc[2])
    assert df["alpha"].iloc[3] == 1
    assert df["function_seed"].tolist() == [4, 4, 7, 4]


@pytest.mark.parametrize("kwargs, match", [
    (dict(param_grid={"hidden_units": []}), "empty"),
    (dict(param_grid=[]), "empty list"),
    (dict(param_grid={"hidden_unit": [3]}), "Unknown ShallowMLPRegressor parameter"),
    (dict(param_grid={"random_state": [3]}), "seeds set it"),
    (dict(param_grid={"hidden_units": 3}), "list of values"),
    (dict(param_grid={"hidden_units": [0]}), "hidden_units"),
    (dict(param_grid={"batch_size": [1000]}), "batch_size"),
    (dict(functions=["xro"]), "Unknown target function"),
    (dict(functions=[]), "functions is empty"),
    (dict(functions=["xor", "xor"]), "twice"),
    (dict(functions=["lambda_xor"]), "lam"),
    (dict(function_params={"gaussian": {"lam": [0.5]}}), "not among"),
    (dict(seeds=[0, 1.5]), "integer"),
    (dict(seeds=[0, 0]), "duplicates"),
    (dict(seeds=[]), "seeds is empty"),
    (dict(seeds=[-1]), ">= 0"),
    (dict(seeds=[True]), "integer"),
    (dict(analyzer=FakeAnalyzer), "instance"),
    (dict(analyzer=object()), "fit"),
    (dict(measure=3), "measure"),
    (dict(task_size=0), "task_size"),
])
def test_bad_input_fails_before_work(kwargs, match, tmp_path):
    args = dict(param_grid={"hidden_units": [3]}, functions=["xor"], seeds=[0], analyzer=False,
                n_samples=30, verbose=0, store=tmp_path / "s")
    args.update(kwargs)
    with pytest.raises((TypeError, ValueError), match=match):
        sweep(args.pop("param_grid"), **args)
    assert not (tmp_path / "s").exists()  # nothing written


@pytest.mark.parametrize("kwargs, message", [
    (dict(seeds=[0, 1.5]), r"sweep: seeds\[1\] must be an integer >= 0; got 1.5 \(of type float\)"),
    (dict(seeds=3), r"sweep: seeds must be a sequence of values, each an integer >= 0; got 3"),
    (dict(n_samples=1), r"sweep: n_samples must be an integer >= 2; got 1"),
    (dict(n_features=0), r"sweep: n_features must be an integer >= 1; got 0"),
    (dict(verbose=-1), r"sweep: verbose must be an integer >= 0; got -1"),
    (dict(task_size=2.5), r"sweep: task_size must be an integer >= 1 or one of 'auto'; got 2.5"),
    (dict(measure="w_norm"), r"sweep: measure must be a callable measure\(model, X, y\) -> dict or None"),
    (dict(function_params=[("xor", {})]), r"sweep: function_params must be a dict \{function name: parameter grid\}"),
])
def test_argument_messages_name_the_parameter(kwargs, message):
    args = dict(param_grid={"hidden_units": [3]}, functions=["xor"], seeds=[0], analyzer=False, n_samples=30,
                verbose=0)
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        sweep(args.pop("param_grid"), **args)


def test_make_sweep_data_and_summarize_messages():
    with pytest.raises(ValueError, match=r"make_sweep_data: seed must be an integer >= 0; got -1"):
        make_sweep_data("xor", -1)
    with pytest.raises(TypeError, match=r"make_sweep_data: seed must be an integer >= 0; got True"):
        make_sweep_data("xor", True)
    df = pd.DataFrame({"function": ["xor"] * 2, "seed": [0, 1], "train_r2": [0.98, 0.99]})
    with pytest.raises(TypeError, match=r"summarize: df must be a pandas DataFrame; got \[1, 2\]"):
        summarize([1, 2], by="function")
    with pytest.raises(ValueError, match=r"summarize: precision must be an integer >= 0; got -1"):
        summarize(df, by="function", precision=-1)
    with pytest.raises(ValueError, match=r"summarize: ddof must be an integer >= 0; got 0.5"):
        summarize(df, by="function", ddof=0.5)


def test_progress_bar_silent_with_verbose_0(capsys):
    sweep({"hidden_units": [3], "max_epochs": [2]}, functions=["xor"], seeds=[0], n_samples=20,
          analyzer=False, verbose=0)
    out = capsys.readouterr()
    assert out.out == "" and out.err == ""
    sweep({"hidden_units": [3], "max_epochs": [2]}, functions=["xor"], seeds=[0], n_samples=20,
          analyzer=False, verbose=1)
    assert "task" in capsys.readouterr().err


def test_store_resume_refuse_and_corrupt(tmp_path, reference):
    store = tmp_path / "run"
    df = sweep(TINY, analyzer=FakeAnalyzer(), measure=_measure, store=store, **KW)
    pd.testing.assert_frame_equal(_no_timing(reference), _no_timing(df))
    assert (store / "manifest.json").exists()
    files = sorted((store / "tasks").glob("task-*.parquet"))
    assert len(files) == 4
    # rerun: nothing computed, identical frame (timings included: they are stored)
    again = sweep(TINY, analyzer=FakeAnalyzer(), measure=_measure, store=store, **KW)
    assert again.attrs["sweep"]["n_computed_tasks"] == 0
    pd.testing.assert_frame_equal(df, again)
    # truncated file: detected and recomputed
    files[1].write_bytes(files[1].read_bytes()[:100])
    with pytest.warns(RuntimeWarning, match="corrupt"):
        fixed = sweep(TINY, analyzer=FakeAnalyzer(), measure=_measure, store=store, **KW)
    assert fixed.attrs["sweep"]["n_computed_tasks"] == 1
    pd.testing.assert_frame_equal(_no_timing(df), _no_timing(fixed))
    # load_sweep reads the store without running anything
    loaded = load_sweep(store)
    assert len(loaded) == 8 and np.array_equal(loaded["train_r2"], df["train_r2"])
    # a different definition is refused, not mixed
    with pytest.raises(ValueError, match="different sweep definition.*seeds"):
        sweep(TINY, analyzer=FakeAnalyzer(), measure=_measure, store=store, **{**KW, "seeds": [0, 2]})
    with pytest.raises(ValueError, match="different sweep definition.*analyzer"):
        sweep(TINY, analyzer=FakeAnalyzer(scale=2.0), measure=_measure, store=store, **KW)
    # a non-empty foreign directory is refused
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("x")
    with pytest.raises(ValueError, match="without a sweep manifest"):
        sweep(TINY, analyzer=False, store=tmp_path / "other", **KW)


_KILL_SCRIPT = """
import sys
from sklearn_ka.sweeps import sweep
sweep({"hidden_units": [3, 4, 5, 6, 7, 8], "max_epochs": [200], "patience": [200], "batch_size": [10]},
      functions=["xor"], seeds=[0, 1], n_samples=40, analyzer=False, verbose=0, store=sys.argv[1])
"""


@pytest.mark.slow
def test_killed_run_resumes_to_the_uninterrupted_result(tmp_path):
    store = tmp_path / "killed"
    script = tmp_path / "run.py"
    script.write_text(textwrap.dedent(_KILL_SCRIPT))
    proc = subprocess.Popen([sys.executable, str(script), str(store)], env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        deadline = time.time() + 120
        while time.time() < deadline and proc.poll() is None:
            if len(list((store / "tasks").glob("task-*.parquet"))) >= 2 if (store / "tasks").exists() else False:
                break
            time.sleep(0.05)
        assert proc.poll() is None, "the sweep finished before it could be killed; make it longer"
        grid = {"hidden_units": [3, 4, 5, 6, 7, 8], "max_epochs": [200], "patience": [200], "batch_size": [10]}
        kw = dict(functions=["xor"], seeds=[0, 1], n_samples=40, analyzer=False, verbose=0)
        # while it runs: a reader reads (and breaks nothing), a second writer is refused
        during = load_sweep(store)
        assert during.attrs["sweep"]["writer"]["pid"] == proc.pid and len(during) >= 4
        with pytest.raises(RuntimeError, match=rf"being written by another sweep \(process {proc.pid} "):
            sweep(grid, store=store, **kw)
        assert proc.poll() is None
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
    n_done = len(list((store / "tasks").glob("task-*.parquet")))
    assert 2 <= n_done < 6
    # the killed writer left its lock: stale (its process is gone), taken over with a warning
    assert (store / "sweep.lock").exists()
    with pytest.warns(RuntimeWarning, match=rf"taking over the lock of process {proc.pid} .*not running"):
        resumed = sweep(grid, store=store, **kw)
    assert resumed.attrs["sweep"]["n_loaded_tasks"] == n_done
    fresh = sweep(grid, **kw)
    pd.testing.assert_frame_equal(_no_timing(resumed), _no_timing(fresh))


def test_summarize():
    df = pd.DataFrame({"function": ["xor"] * 4 + ["linear"] * 4, "hidden_units": [4, 4, 8, 8] * 2,
                       "seed": [0, 1] * 4, "train_r2": [0.3, 0.5, 0.6, 0.8, 1, 1, 1, 1.0],
                       "stop_reason": ["patience"] * 8})
    s = summarize(df, by=["function", "hidden_units"])
    assert list(s.columns.get_level_values(1)) == ["mean", "std", "sem", "count", "mean ± std"]
    r = s.loc[("xor", 4)]
    assert np.isclose(r[("train_r2", "mean")], 0.4)
    assert np.isclose(r[("train_r2", "std")], np.std([0.3, 0.5], ddof=1))
    assert np.isclose(r[("train_r2", "sem")], np.std([0.3, 0.5], ddof=1) / np.sqrt(2))
    assert r[("train_r2", "count")] == 2
    assert r[("train_r2", "mean ± std")] == "0.4000 ± 0.1414"
    assert s.loc[("linear", 8), ("train_r2", "mean ± std")] == "1.0000 ± 0.0000"
    with pytest.raises(ValueError, match="unknown column"):
        summarize(df, by=["nope"])


def test_summarize_sweep_output(reference):
    s = summarize(reference, by=["function", "hidden_units"])
    assert s.shape[0] == 4
    cols = set(s.columns.get_level_values(0))
    assert {"train_r2", "test_r2", "jac_ratio"} <= cols and "seed" not in cols and "stop_reason" not in cols


def test_real_analyzer():
    from sklearn_ka.analysis import KAGeometryAnalyzer

    kw = dict(functions=["xor"], seeds=[0], n_samples=40, verbose=0)
    grid = {"hidden_units": [4], "max_epochs": [5]}
    df = sweep(grid, analyzer={"n_rotations": 8}, **kw)
    assert any(c.startswith("pr_normalized") for c in df.columns)
    df2 = sweep(grid, analyzer=KAGeometryAnalyzer(n_rotations=8), **kw)
    pd.testing.assert_frame_equal(_no_timing(df), _no_timing(df2))


def test_backend_without_generator_support_runs_in_waves(reference, tmp_path):
    from joblib._parallel_backends import ThreadingBackend

    class ListOnlyBackend(ThreadingBackend):  # like Ray's joblib backend: no return_as="generator*"
        supports_return_generator = False

    joblib.register_parallel_backend("sklearn_ka_list_only", ListOnlyBackend)
    with joblib.parallel_config(backend="sklearn_ka_list_only", n_jobs=1):
        df = sweep(TINY, analyzer=FakeAnalyzer(), measure=_measure, store=tmp_path / "w", **KW)
    pd.testing.assert_frame_equal(_no_timing(reference), _no_timing(df))
    assert len(list((tmp_path / "w" / "tasks").glob("task-*.parquet"))) == 4


def test_ray_backend_matches_local_run(reference):
    ray = pytest.importorskip("ray")
    from ray.util.joblib import register_ray

    # the workers import this test module (FakeAnalyzer, _measure are pickled by reference)
    ray.init(num_cpus=2, include_dashboard=False, _node_ip_address="127.0.0.1",
             runtime_env={"env_vars": {"PYTHONPATH": str(Path(__file__).parent)}})
    try:
        register_ray()
        with joblib.parallel_config(backend="ray", n_jobs=2):
            df = sweep(TINY, analyzer=FakeAnalyzer(), measure=_measure, **KW)
    finally:
        ray.shutdown()
    pd.testing.assert_frame_equal(_no_timing(reference), _no_timing(df))


def test_task_partition_is_per_cell_and_growing_the_grid_keeps_rows(reference):
    small = sweep({**TINY, "hidden_units": [5]}, analyzer=FakeAnalyzer(), measure=_measure, **KW)
    grown = reference[reference["hidden_units"] == 5].reset_index(drop=True)
    pd.testing.assert_frame_equal(_no_timing(small), _no_timing(grown))
    many = sweep({"hidden_units": [3], "max_epochs": [1]}, functions=["xor"], seeds=range(10),
                 n_samples=20, analyzer=False, verbose=0)
    assert many.attrs["sweep"]["n_tasks"] == 2  # 10 seeds -> tasks of 8 and 2
    explicit = sweep({"hidden_units": [3], "max_epochs": [1]}, functions=["xor"], seeds=range(10),
                     n_samples=20, analyzer=False, verbose=0, task_size=3)
    assert explicit.attrs["sweep"]["n_tasks"] == 4
