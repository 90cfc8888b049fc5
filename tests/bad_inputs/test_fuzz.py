"""Malformed values thrown at every public entry point (hypothesis).

Each test starts from a small, fast, valid call and replaces one argument with a value drawn from a
wide strategy: None, booleans, huge and negative integers, NaN and infinities, short strings, lists,
arrays, mappings, complex numbers, arbitrary objects. The call must either succeed or raise a
``ValueError`` or ``TypeError`` (the library's parameter errors and memory-budget refusals are
both) with a non-empty message. Anything else (``AttributeError``, ``KeyError``, ``IndexError``,
``OverflowError``, ``MemoryError``, a torch ``RuntimeError``, ...) is a defect: it means a value
got past validation.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sklearn_ka import (
    KAGeometryAnalyzer,
    SampledKAGeometryAnalyzer,
    ShallowMLPClassifier,
    ShallowMLPRegressor,
    estimate_critical_batch_size,
    fit_many,
    ka_scorer,
    load_sweep,
    make_ka_regression,
    summarize,
    sweep,
)

pytestmark = pytest.mark.slow

MALFORMED = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, -1, 2**31, 2**32, 2**40, 2**63, 10**12]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([float("nan"), float("inf"), -float("inf"), 1e300, -1e-300, 0.5]),
    st.text(max_size=6),
    st.sampled_from(["", "auto", "1GB", "0.01", "cuda", "mps", "gelu", "haar"]),
    st.lists(st.integers(min_value=-5, max_value=5), max_size=3),
    st.just(np.array([1.0, 2.0])),
    st.just({"a": 1}),
    st.complex_numbers(max_magnitude=10),
    st.just(object()),
)

FUZZ = settings(max_examples=20, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])

RNG = np.random.default_rng(0)
X = RNG.uniform(-1, 1, (24, 3))
Y = np.sin(np.pi * X).prod(axis=1)
LABELS = (X[:, 0] > 0).astype(int)
FAST = {"hidden_units": 4, "max_epochs": 2, "batch_size": 8, "random_state": 0}


@contextlib.contextmanager
def _in_scratch_dir():
    """Run in an empty temporary working directory: fuzzed paths never land in the checkout."""
    old = os.getcwd()
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)
        try:
            yield tmp
        finally:
            os.chdir(old)


def _fails_cleanly(call):
    """``call()`` succeeds, or raises ValueError/TypeError with a message; anything else fails the test."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            call()
        except (ValueError, TypeError) as exc:
            assert str(exc).strip(), f"{type(exc).__name__} without a message"


def _init_model():
    return ShallowMLPRegressor(**FAST).fit(X, Y).initial_model()


INIT = None


def _baseline():
    global INIT
    if INIT is None:
        INIT = _init_model()
    return INIT


@pytest.mark.parametrize("param", sorted(ShallowMLPRegressor().get_params()))
@FUZZ
@given(value=MALFORMED)
def test_regressor_parameters(param, value):
    _fails_cleanly(lambda: ShallowMLPRegressor(**{**FAST, param: value}).fit(X, Y))


@pytest.mark.parametrize("param", ["hidden_units", "activation", "batch_size", "learning_rate", "dtype", "device",
                                   "random_state"])
@FUZZ
@given(value=MALFORMED)
def test_classifier_parameters(param, value):
    _fails_cleanly(lambda: ShallowMLPClassifier(**{**FAST, param: value}).fit(X, LABELS))


@pytest.mark.parametrize("which", ["X", "y"])
@FUZZ
@given(value=MALFORMED)
def test_regressor_data(which, value):
    data = {"X": X, "y": Y, which: value}
    _fails_cleanly(lambda: ShallowMLPRegressor(**FAST).fit(data["X"], data["y"]))


@pytest.mark.parametrize("arg", ["estimators", "n_jobs", "n_threads", "max_units", "eval_set"])
@FUZZ
@given(value=MALFORMED)
def test_fit_many(arg, value):
    kwargs = {"estimators": [ShallowMLPRegressor(**FAST)], "n_jobs": 1, arg: value}
    estimators = kwargs.pop("estimators")
    _fails_cleanly(lambda: fit_many(estimators, X, Y, **kwargs))


@pytest.mark.parametrize("arg", ["method", "small_batch", "criterion", "target_r2", "n_pilots", "max_epochs",
                                 "random_state"])
@FUZZ
@given(value=MALFORMED)
def test_critical_batch_size(arg, value):
    kwargs = {"n_pilots": 2, "max_epochs": 3, "target_r2": -1.0, arg: value}
    _fails_cleanly(lambda: estimate_critical_batch_size(ShallowMLPRegressor(**FAST), X, Y, **kwargs))


@pytest.mark.parametrize("arg", ["function", "n_samples", "n_features", "random_state", "function_seed"])
@FUZZ
@given(value=MALFORMED)
def test_make_ka_regression(arg, value):
    kwargs = {"function": "xor", "n_samples": 10, "n_features": 3, "random_state": 0, arg: value}
    _fails_cleanly(lambda: make_ka_regression(**kwargs))


@pytest.mark.parametrize("param", sorted(KAGeometryAnalyzer().get_params()))
@FUZZ
@given(value=MALFORMED)
def test_analyzer_parameters(param, value):
    base = {"n_rotations": 8, "random_state": 0, param: value}
    _fails_cleanly(lambda: KAGeometryAnalyzer(**base).fit(_baseline(), X))


@pytest.mark.parametrize("param", sorted(SampledKAGeometryAnalyzer().get_params()))
@FUZZ
@given(value=MALFORMED)
def test_sampled_analyzer_parameters(param, value):
    base = {"n_rows": 4, "n_cols": 2, "random_state": 0, param: value}
    _fails_cleanly(lambda: SampledKAGeometryAnalyzer(**base).fit(_baseline(), X))


@pytest.mark.parametrize("which", ["model", "X"])
@FUZZ
@given(value=MALFORMED)
def test_analyzer_inputs(which, value):
    data = {"model": _baseline(), "X": X, which: value}
    _fails_cleanly(lambda: KAGeometryAnalyzer(n_rotations=8, random_state=0).fit(data["model"], data["X"]))


@FUZZ
@given(value=MALFORMED)
def test_scorer_key(value):
    _fails_cleanly(lambda: ka_scorer(value, n_rotations=8))


@pytest.mark.parametrize("arg", ["param_grid", "functions", "seeds", "n_samples", "n_features", "n_jobs", "store",
                                 "task_size", "analyzer", "measure", "function_params"])
@FUZZ
@given(value=MALFORMED)
def test_sweep(arg, value):
    kwargs = {"param_grid": {"hidden_units": [2], "max_epochs": [1]}, "functions": ["xor"], "seeds": [0],
              "n_samples": 20, "n_jobs": 1, "analyzer": False, "verbose": 0, arg: value}
    with _in_scratch_dir():
        _fails_cleanly(lambda: sweep(**kwargs))


@FUZZ
@given(value=MALFORMED)
def test_load_sweep(value):
    with _in_scratch_dir():
        _fails_cleanly(lambda: load_sweep(value))


@pytest.mark.parametrize("arg", ["by", "values", "precision"])
@FUZZ
@given(value=MALFORMED)
def test_summarize(arg, value):
    import pandas as pd

    frame = pd.DataFrame({"function": ["xor", "xor"], "hidden_units": [4, 4], "train_r2": [0.5, 0.6]})
    kwargs = {"by": ["function", "hidden_units"], arg: value}
    _fails_cleanly(lambda: summarize(frame, **kwargs))


@settings(max_examples=20, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(args=st.lists(st.one_of(st.text(max_size=8), st.sampled_from(
    ["demo", "reproduce", "--hidden-units", "--n-samples", "--seeds", "--device", "--n-jobs", "--out", "-1", "0",
     "1e9", "nan", "--version", "--quick", "--full", "x,y"])), max_size=5))
def test_command_line_never_shows_a_traceback(args, capsys):
    from sklearn_ka.cli import main

    if "demo" in args or ("reproduce" in args and "--help" not in args):
        # commands that would start real work: only malformed ones are thrown at them here
        args = [a for a in args if a not in ("demo", "reproduce")] + ["reproduce", "--seeds", "x,y"]
    with _in_scratch_dir():
        try:
            code = main(args)
        except SystemExit as exc:
            code = exc.code
    out = capsys.readouterr()
    assert "Traceback" not in out.err + out.out
    assert code in (0, 1, 2, None)
