"""Bad inputs of the estimators give errors that name the estimator, the parameter and what is accepted.

Each fails in ``fit``'s validation, before anything is trained.
"""

import numpy as np
import pandas as pd
import pytest

from sklearn_ka import ShallowMLPClassifier, ShallowMLPRegressor, fit_many, make_ka_regression
from sklearn_ka._utils import InvalidParameterError
from sklearn_ka.neural_network import estimate_critical_batch_size


@pytest.fixture(scope="module")
def data():
    return make_ka_regression("xor", 40, random_state=0)


@pytest.mark.parametrize("y", [np.array(["a"] * 40), ["low", "high"] * 20, pd.Series(["a", 1.0] * 20)])
def test_string_targets_for_the_regressor(y, data):
    model = ShallowMLPRegressor(max_epochs=2)
    with pytest.raises(ValueError, match=r"^ShallowMLPRegressor: y must be numeric \(floats or integers\); got values "
                                         r"such as '(a|low)' that are not numbers\. For class labels use "
                                         r"ShallowMLPClassifier\."):
        model.fit(data[0], y)
    assert not hasattr(model, "coefs_")


def test_numeric_strings_are_numbers_as_in_scikit_learn(data):
    X, y = data
    model = ShallowMLPRegressor(4, max_epochs=2, random_state=0).fit(X, y.astype(str).astype(object))
    assert model.n_epochs_ == 2


def test_string_inputs_and_eval_set(data):
    X, y = data
    with pytest.raises(ValueError, match=r"^ShallowMLPRegressor: X must be numeric .* such as 'x'.*OneHotEncoder"):
        ShallowMLPRegressor(max_epochs=2).fit(np.full((40, 3), "x"), y)
    with pytest.raises(ValueError, match=r"^ShallowMLPRegressor: eval_set y_val must be numeric .* such as 'b'"):
        ShallowMLPRegressor(max_epochs=2).fit(X, y, eval_set=(X, ["b"] * 40))
    with pytest.raises(ValueError, match=r"^ShallowMLPClassifier: eval_set X_val must be numeric"):
        ShallowMLPClassifier(max_epochs=2).fit(X, y > 0, eval_set=(np.full((40, 3), "x"), y > 0))


@pytest.mark.parametrize("estimator", [ShallowMLPRegressor, ShallowMLPClassifier])
@pytest.mark.parametrize("params, match", [
    ({"dtype": object()}, r"dtype must be 'float32' or 'float64' \(or the numpy or torch dtype of either\); got "
                          r"<object object at .*> \(of type object\)"),
    ({"dtype": "float16"}, r"dtype must be 'float32' or 'float64'.*got 'float16'"),
    ({"device": "mps"}, r"device must be 'cpu'.*'cuda.*got 'mps'"),
    ({"device": 3.5}, r"device must be 'cpu', 'cuda', 'cuda:N'.*got 3\.5"),
    ({"random_state": 2**40}, r"random_state must be None, an integer in \[0, 2\*\*32 - 1\] or a numpy RandomState; "
                              r"got 1099511627776 \(of type int\)"),
    ({"random_state": np.random.default_rng(0)}, r"random_state must be None, an integer in \[0, 2\*\*32 - 1\] or a "
                                                 r"numpy RandomState; got Generator"),
    ({"betas": 0.9}, r"betas must be a pair of floats in \[0, 1\); got 0\.9"),
])
def test_parameter_errors_name_the_estimator(estimator, params, match, data):
    X, y = data
    y = y if estimator is ShallowMLPRegressor else (y > 0).astype(int)
    model = estimator(max_epochs=2, **params)
    with pytest.raises(InvalidParameterError, match=rf"^{estimator.__name__}: {match}"):
        model.fit(X, y)
    assert not hasattr(model, "coefs_")


def test_random_state_instances_are_used_as_given(data):
    X, y = data
    a = ShallowMLPRegressor(4, max_epochs=3, random_state=np.random.RandomState(5)).fit(X, y)
    b = ShallowMLPRegressor(4, max_epochs=3, random_state=np.random.RandomState(5)).fit(X, y)
    np.testing.assert_array_equal(a.coefs_[0], b.coefs_[0])


@pytest.mark.parametrize("estimators, error, match", [
    (ShallowMLPRegressor(), TypeError, r"^fit_many: estimators must be a list .*; got ShallowMLPRegressor \(pass a "
                                       r"list: \[estimator\]\)"),
    (5, TypeError, r"^fit_many: estimators must be a list .*; got int\.$"),
    ("abc", TypeError, r"^fit_many: estimators must be a list .*; got str\.$"),
    ([], ValueError, r"needs at least one estimator"),
    ([object()], TypeError, r"trains ShallowMLPRegressor-like estimators; got object"),
])
def test_fit_many_estimators(estimators, error, match, data):
    with pytest.raises(error, match=match):
        fit_many(estimators, *data)


def test_fit_many_n_jobs_zero(data):
    with pytest.raises(InvalidParameterError, match=r"^fit_many: n_jobs must be None, a positive number of workers, "
                                                    r"or -1 for every CPU \(-2 for all but one, \.\.\.\); got 0"):
        fit_many([ShallowMLPRegressor(max_epochs=2)], *data, n_jobs=0)


def test_critical_batch_size_needs_a_regressor(data):
    with pytest.raises(TypeError, match=r"^estimate_critical_batch_size: estimator must be a ShallowMLPRegressor .*; "
                                        r"got ShallowMLPClassifier"):
        estimate_critical_batch_size(ShallowMLPClassifier(), *data)
