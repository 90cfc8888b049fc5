"""A store that readers cannot break and that never mixes results: fingerprints, checksums, the lock, big integers,
and the analysis budget checked before training."""

import json
import os
import socket
import subprocess
import sys
import time
import warnings

import numpy as np
import pandas as pd
import pytest

from sklearn_ka.sweeps import load_sweep, sweep
from sklearn_ka.sweeps._lock import LOCK_NAME, STALE_AFTER_S, StoreLock
from sklearn_ka.sweeps._store import FORMAT_VERSION
from sklearn_ka.targets import register_target

GRID = {"hidden_units": [3], "max_epochs": [2], "batch_size": [10]}
KW = dict(seeds=[0], n_samples=20, analyzer=False, verbose=0)


def _tree(path):
    """Every file and folder under ``path`` with its size and modification time (ns)."""
    return {str(p.relative_to(path)): (p.is_dir(), p.stat().st_size if p.is_file() else 0, p.stat().st_mtime_ns)
            for p in sorted(path.rglob("*"))}


# --------------------------------------------------------------- what produced a store
def test_two_lambdas_never_share_a_store(tmp_path):
    store = tmp_path / "s"
    first = sweep(GRID, functions=[lambda X: X[:, 0]], store=store, **KW)  # noqa: E731 - the case under test
    with pytest.raises(ValueError, match=r"different sweep definition \(differs in: functions\)"):
        sweep(GRID, functions=[lambda X: X[:, 1]], store=store, **KW)
    # the same function again (a new lambda object with the same values) resumes
    again = sweep(GRID, functions=[lambda X: X[:, 0]], store=store, **KW)
    assert again.attrs["sweep"]["n_computed_tasks"] == 0
    pd.testing.assert_frame_equal(first, again)


def test_values_below_the_stated_precision_do_not_count(tmp_path):
    store = tmp_path / "s"
    sweep(GRID, functions=[lambda X: X[:, 0] * X[:, 1]], store=store, **KW)
    again = sweep(GRID, functions=[lambda X: X[:, 0] * X[:, 1] * (1 + 1e-14)], store=store, **KW)
    assert again.attrs["sweep"]["n_computed_tasks"] == 0


def test_a_re_registered_target_is_detected(tmp_path):
    def half(n_features, function_seed):
        return lambda X: 0.5 * X[:, 0]

    def third(n_features, function_seed):
        return lambda X: X[:, 0] / 3

    register_target("store_safety_target", half, overwrite=True)
    try:
        store = tmp_path / "s"
        sweep(GRID, functions=["store_safety_target"], store=store, **KW)
        register_target("store_safety_target", third, overwrite=True)
        with pytest.raises(ValueError, match=r"different sweep definition \(differs in: functions\)"):
            sweep(GRID, functions=["store_safety_target"], store=store, **KW)
        manifest = json.loads((store / "manifest.json").read_text())
        assert "values_sha256" in manifest["definition"]["functions"][0]
    finally:
        register_target("store_safety_target", half, overwrite=True)


def _measure_version(version):
    # the same qualified name, module and signature for both: only the code differs
    if version == 1:
        def measure(model, X, y):
            return {"extra": 1.0}
    else:
        def measure(model, X, y):
            return {"extra": 2.0}
    return measure


class ScaledMeasure:
    """A measure object with one parameter and an optional version."""

    def __init__(self, scale):
        self.scale = scale

    def __call__(self, model, X, y):
        return {"scaled": self.scale * float(model.coefs_[0].sum())}


def test_a_changed_measure_is_detected(tmp_path):
    kw = dict(functions=["xor"], **KW)
    cases = [
        (_measure_version(1), _measure_version(2)),  # same name, other code
        (ScaledMeasure(1.0), ScaledMeasure(2.0)),  # other parameters
    ]
    c1, c2 = 1.0, 2.0
    cases.append((lambda m, X, y: {"c": c1}, lambda m, X, y: {"c": c2}))  # same code, other closure values
    versioned = ScaledMeasure(1.0)
    versioned.version = 2
    cases.append((ScaledMeasure(1.0), versioned))  # an explicit version
    for i, (old, new) in enumerate(cases):
        store = tmp_path / f"s{i}"
        sweep(GRID, measure=old, store=store, **kw)
        with pytest.raises(ValueError, match=r"different sweep definition \(differs in: measure\)"):
            sweep(GRID, measure=new, store=store, **kw)
        assert sweep(GRID, measure=old, store=store, **kw).attrs["sweep"]["n_computed_tasks"] == 0, i


_DESCRIBE = """
import json, sys
from sklearn_ka.experiments import SnapshotMeasure, TailMeasure
from sklearn_ka.analysis import KAGeometryAnalyzer
from sklearn_ka.sweeps._tasks import describe_measure
def measure(model, X, y):
    return {"a": float(X.shape[0] in {1, 2, 3}), "b": "x" in {"x", "y", "z"}}
print(json.dumps([describe_measure(m) for m in
                  (measure, TailMeasure((1, 2)), SnapshotMeasure(KAGeometryAnalyzer(n_rotations=8)))], sort_keys=True))
"""


@pytest.mark.slow
def test_measure_descriptions_are_the_same_in_every_process():
    # string hashing differs per process (sets of strings in the code, object addresses): the description must not
    outs = []
    for seed in ("1", "2"):
        res = subprocess.run([sys.executable, "-c", _DESCRIBE], capture_output=True, text=True, timeout=120,
                             env={**os.environ, "PYTHONHASHSEED": seed})
        assert res.returncode == 0, res.stderr
        outs.append(res.stdout)
    assert outs[0] == outs[1]
    assert " at 0x" not in outs[0]


# ------------------------------------------------------------------- the manifest
@pytest.fixture
def small_store(tmp_path):
    store = tmp_path / "s"
    df = sweep({"hidden_units": [3, 4], "max_epochs": [2], "batch_size": [10]}, functions=["xor"], store=store, **KW)
    return store, df


def test_load_sweep_refuses_an_edited_manifest(small_store):
    store, df = small_store
    path = store / "manifest.json"
    original = path.read_text()
    manifest = json.loads(original)
    manifest["models"][0]["hidden_units"] = 99  # edited by hand: not part of the definition
    path.write_text(json.dumps(manifest))
    with pytest.raises(ValueError, match=r"load_sweep: the sweep manifest .* was modified after it was written.*"
                                         r"manifest_sha256"):
        load_sweep(store)
    with pytest.raises(ValueError, match=r"modified after it was written"):
        sweep({"hidden_units": [3, 4], "max_epochs": [2], "batch_size": [10]}, functions=["xor"], store=store, **KW)
    manifest = json.loads(original)
    manifest["definition"]["n_samples"] = 21
    path.write_text(json.dumps(manifest))
    with pytest.raises(ValueError, match=r"its definition hashes to .*not the recorded definition_sha256"):
        load_sweep(store)
    path.write_text(original)
    pd.testing.assert_frame_equal(load_sweep(store)[["hidden_units", "train_r2"]], df[["hidden_units", "train_r2"]])


@pytest.mark.parametrize("text, match", [
    ("{\"format\": \"sklearn_ka.sweep\", \"defin", r"cannot be read \(JSONDecodeError.*truncated or not JSON"),
    ("", r"cannot be read .*truncated or not JSON"),
    ("[1, 2]", r"is not a sklearn_ka sweep manifest"),
    ("{\"format\": \"sklearn_ka.sweep\", \"format_version\": 2}", r"lacks \['definition'"),
    ("\xff\xfe", r"cannot be read"),
])
def test_load_sweep_on_a_broken_manifest(small_store, text, match):
    store, _ = small_store
    (store / "manifest.json").write_bytes(text.encode("latin-1"))
    with pytest.raises(ValueError, match=match):
        load_sweep(store)


def test_load_sweep_bad_paths(tmp_path):
    with pytest.raises(TypeError, match=r"load_sweep: store must be a directory path .*got 123 \(of type int\)"):
        load_sweep(123)
    with pytest.raises(FileNotFoundError, match=r"holds no sweep store \(no manifest.json\)"):
        load_sweep(tmp_path)
    with pytest.raises(TypeError, match=r"sweep: store must be a directory path"):
        sweep(GRID, functions=["xor"], store=123, **KW)


def test_a_version_1_store_is_read_but_not_extended(small_store):
    store, df = small_store
    path = store / "manifest.json"
    manifest = json.loads(path.read_text())
    assert manifest["format_version"] == FORMAT_VERSION == 2
    manifest["format_version"] = 1
    del manifest["manifest_sha256"]
    path.write_text(json.dumps(manifest))
    with pytest.warns(UserWarning, match="older store format"):
        old = load_sweep(store)
    assert np.array_equal(old["train_r2"], df["train_r2"])
    with pytest.raises(ValueError, match=r"older store format \(version 1.*delete the directory or use another"):
        sweep({"hidden_units": [3, 4], "max_epochs": [2], "batch_size": [10]}, functions=["xor"], store=store, **KW)


# --------------------------------------------------------------------- readers
def test_load_sweep_changes_nothing(small_store):
    store, df = small_store
    tasks = store / "tasks"
    inflight = tasks / ".tmp-inflight.part"  # a running writer's file, not yet moved into place
    inflight.write_bytes(b"half a parquet file")
    bad = tasks / "task-000009-0123456789abcdef.parquet"  # not a task of this sweep
    bad.write_bytes(b"junk")
    lock = StoreLock(store).acquire()  # a writer is running
    try:
        time.sleep(0.01)
        before = _tree(store)
        with pytest.warns(RuntimeWarning, match="task-000009.*skipped"):
            loaded = load_sweep(store)
        assert _tree(store) == before  # nothing created, deleted, renamed or written
        assert inflight.read_bytes() == b"half a parquet file" and bad.exists()
        assert loaded.attrs["sweep"]["writer"]["pid"] == os.getpid()
        assert np.array_equal(loaded["train_r2"], df["train_r2"])
    finally:
        lock.release()
    with pytest.warns(RuntimeWarning, match="skipped"):
        assert load_sweep(store).attrs["sweep"]["writer"] is None


# ------------------------------------------------------------------------- the lock
def test_a_second_writer_is_refused_before_any_work(small_store, monkeypatch):
    store, _ = small_store
    lock = StoreLock(store).acquire()
    try:
        with pytest.raises(RuntimeError, match=r"is being written by another sweep \(process \d+ on host .*lock file "
                                               rf".*{LOCK_NAME}.*If no sweep is running.*delete"):
            sweep({"hidden_units": [5], "max_epochs": [2], "batch_size": [10]}, functions=["xor"], store=store, **KW)
    finally:
        lock.release()
    assert not (store / LOCK_NAME).exists()
    assert len(list((store / "tasks").glob("task-*.parquet"))) == 2  # nothing written by the refused sweep


def _dead_pid():
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_stale_lock_is_taken_over_with_a_warning(small_store):
    store, df = small_store
    grid = {"hidden_units": [3, 4], "max_epochs": [2], "batch_size": [10]}
    lock = store / LOCK_NAME
    # a writer of this host that died
    lock.write_text(json.dumps({"pid": _dead_pid(), "host": socket.gethostname(), "created": "then", "token": "x"}))
    with pytest.warns(RuntimeWarning, match=r"taking over the lock of process \d+ .*not running"):
        again = sweep(grid, functions=["xor"], store=store, **KW)
    assert again.attrs["sweep"]["n_computed_tasks"] == 0 and not lock.exists()
    # a writer of another host whose heartbeat stopped
    lock.write_text(json.dumps({"pid": 1, "host": "elsewhere.invalid", "created": "then", "token": "y"}))
    old = time.time() - STALE_AFTER_S - 5
    os.utime(lock, (old, old))
    with pytest.warns(RuntimeWarning, match=r"no heartbeat for \d+ s"):
        sweep(grid, functions=["xor"], store=store, **KW)
    # a writer of another host with a recent heartbeat holds the store
    lock.write_text(json.dumps({"pid": 1, "host": "elsewhere.invalid", "created": "now", "token": "z"}))
    with pytest.raises(RuntimeError, match="elsewhere.invalid"):
        sweep(grid, functions=["xor"], store=store, **KW)
    lock.unlink()


def test_the_lock_is_released_when_a_sweep_fails(tmp_path):
    def broken(model, X, y):
        raise ArithmeticError("measure failed")

    store = tmp_path / "s"
    with pytest.raises(ArithmeticError, match="measure failed"):
        sweep(GRID, functions=["xor"], measure=broken, store=store, **KW)
    assert (store / "manifest.json").exists() and not (store / LOCK_NAME).exists()


# ----------------------------------------------------------------- big integers
def _big(model, X, y):
    return {"big": 2**63, "bigger": 2**64 + 1, "negative": -(2**63) - 1, "small": 3, "u64": np.uint64(2**63 + 5)}


def _sometimes(model, X, y):
    # beyond float64's exact range (2**53) for seed 0, missing for seed 1
    return {"sometimes": 2**60 + 1 if model.random_state == 0 else None}


def test_integers_beyond_int64_keep_their_values(tmp_path):
    store = tmp_path / "s"
    df = sweep(GRID, functions=["xor", "linear"], measure=_big, store=store, **KW)
    for frame in (df, sweep(GRID, functions=["xor", "linear"], measure=_big, store=store, **KW), load_sweep(store)):
        assert frame["big"].tolist() == [2**63] * 2
        assert frame["bigger"].tolist() == [2**64 + 1] * 2
        assert frame["negative"].tolist() == [-(2**63) - 1] * 2
        assert frame["u64"].tolist() == [2**63 + 5] * 2
        assert frame["small"].dtype == np.int64 and frame["small"].tolist() == [3, 3]
    resumed = sweep(GRID, functions=["xor", "linear"], measure=_big, store=store, **KW)
    assert resumed.attrs["sweep"]["n_computed_tasks"] == 0
    pd.testing.assert_frame_equal(df, resumed)


# --------------------------------------------------- the analysis, planned before training
def test_an_analysis_that_cannot_fit_fails_before_training(tmp_path, monkeypatch):
    from sklearn_ka.exterior import MinorBudgetError

    def no_training(*args, **kwargs):
        raise AssertionError("a model was trained")

    monkeypatch.setattr("sklearn_ka.sweeps._tasks.fit_many", no_training)
    t0 = time.perf_counter()
    with pytest.raises(MinorBudgetError, match=r"sweep: the analysis of the models with hidden_units=2000 cannot fit "
                                               r"its memory budget \(checked before training anything\).*size-3 "
                                               r"minors.*Alternatives"):
        sweep({"hidden_units": [4, 2000]}, functions=["xor"], seeds=[0, 1], store=tmp_path / "s", verbose=0)
    assert time.perf_counter() - t0 < 5
    assert not (tmp_path / "s").exists()
    for analyzer, match in (({"n_rotations": "many"}, r"KAGeometryAnalyzer: n_rotations must be an integer >= 1"),
                            ({"minor_sizes": (4,)}, r"minor_sizes \(4,\): every size exceeds min\(n, m\) = 3"),
                            ({"input_columns": [0, 5]}, r"input_columns must be distinct indices in \[0, 3\)")):
        with pytest.raises(ValueError, match=match):
            sweep({"hidden_units": [4]}, functions=["xor"], seeds=[0], analyzer=analyzer, verbose=0)


def test_the_budget_check_agrees_with_the_analyzer():
    # the sweep plans the analysis as KAGeometryAnalyzer.fit does: same refusals at the boundary
    from sklearn_ka.analysis import KAGeometryAnalyzer
    from sklearn_ka.sweeps import check_analysis_memory

    budget = 230_000  # the size-2 minors of m = 40 fit a third of it, those of m = 41 do not
    rng = np.random.default_rng(0)
    outcomes = []
    for m in (38, 39, 40, 41, 42, 43):
        analyzer = KAGeometryAnalyzer(minor_sizes=(1, 2), max_memory_bytes=budget, n_rotations=2, random_state=0)
        try:
            check_analysis_memory(analyzer, [m], 3)
            planned = True
        except ValueError:
            planned = False
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                analyzer.fit(rng.normal(size=(2, m, 3)))
            fitted = True
        except ValueError as exc:
            assert "budget" in str(exc) or "memory" in str(exc), exc
            fitted = False
        outcomes.append(planned)
        assert planned == fitted, (m, planned, fitted)
    assert outcomes[0] and not outcomes[-1]  # the boundary lies inside the range tested


def test_missing_values_do_not_round_big_integers(tmp_path):
    store = tmp_path / "s"
    kw = dict(functions=["xor"], seeds=[0, 1], n_samples=20, analyzer=False, verbose=0, measure=_sometimes)
    df = sweep(GRID, store=store, **kw)
    for frame in (df, sweep(GRID, store=store, **kw), load_sweep(store)):
        assert frame["sometimes"].tolist() == [2**60 + 1, None]
