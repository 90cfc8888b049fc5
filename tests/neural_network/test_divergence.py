"""Training that overflows is never silent: a ConvergenceWarning, or an error on request.

Data that the training precision cannot represent are refused before training; a loss that becomes
NaN or infinite while training stops the run with a warning that names the epoch and the fixes
(``error_on_divergence=True`` raises a FloatingPointError with the same message instead).
"""

import re
import time
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from sklearn_ka import ShallowMLPClassifier, ShallowMLPRegressor, fit_many, make_ka_regression
from sklearn_ka.neural_network import estimate_critical_batch_size


@pytest.fixture(scope="module")
def data():
    return make_ka_regression("xor", 60, random_state=0)


def _model(**params):
    return ShallowMLPRegressor(**{"hidden_units": 4, "max_epochs": 20, "random_state": 0, **params})


def _diverged_message(record):
    messages = [str(w.message) for w in record
                if issubclass(w.category, ConvergenceWarning) and "diverged" in str(w.message)]
    assert len(messages) == 1, messages
    return messages[0]


@pytest.mark.parametrize("what", ["X", "y"])
def test_data_beyond_float32_are_refused_before_training(what, data):
    X, y = data
    X, y = (X * 1e39, y) if what == "X" else (X, y * 1e39)
    model = _model()
    start = time.perf_counter()
    with pytest.raises(ValueError, match=rf"^ShallowMLPRegressor: {what} holds values up to .*e\+38 in magnitude, "
                                         r"beyond the range of float32 .*Scale the data .* dtype='float64'"):
        model.fit(X, y)
    assert time.perf_counter() - start < 1.0
    assert not hasattr(model, "coefs_")


def test_eval_set_beyond_float32_is_refused(data):
    X, y = data
    with pytest.raises(ValueError, match="eval_set X_val holds values up to"):
        _model().fit(X, y, eval_set=(X * 1e39, y))
    with pytest.raises(ValueError, match="eval_set y_val holds values up to"):
        _model().fit(X, y, eval_set=(X, y * 1e39))


def test_float64_training_accepts_what_float32_cannot_hold(data):
    X, y = data
    model = _model(dtype="float64", max_epochs=2).fit(X * 1e39, y)
    assert model.n_epochs_ >= 1  # a float64 run starts; whatever it does is reported


def test_integer_inputs_near_2_62_warn_with_the_epoch_and_the_fixes(data):
    X, y = data
    Xi = (X * 2**62).astype(np.int64)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        model = _model().fit(Xi, y)
    message = _diverged_message(record)
    assert re.search(r"^ShallowMLPRegressor: training diverged: the training loss became (inf|nan) at epoch 1, so "
                     r"the model keeps the initial weights \(best_epoch_=0\)", message), message
    assert "max |X| = 4.6e+18" in message and "Scale the data" in message and "lower the learning_rate" in message
    assert "error_on_divergence=True" in message
    assert model.stop_reason_ == "non_finite" and model.best_epoch_ == 0
    np.testing.assert_array_equal(model.coefs_[0], model.initial_coefs_[0])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_huge_targets_that_overflow_the_loss_warn(dtype, data):
    X, y = data
    scale = 1e20 if dtype == "float32" else 1e160  # finite targets whose squares overflow
    with pytest.warns(ConvergenceWarning, match=r"training diverged: .* at epoch 1.*max \|y\| = "):
        model = _model(dtype=dtype).fit(X, y * scale)
    assert model.stop_reason_ == "non_finite"


def test_huge_learning_rate_warns_and_names_it(data):
    X, y = data
    with pytest.warns(ConvergenceWarning, match=r"lower the learning_rate \(now 1e\+30\)"):
        model = _model(learning_rate=1e30).fit(X, y)
    assert model.stop_reason_ == "non_finite"


def test_a_learning_rate_whose_steps_overflow_the_precision_is_refused(data):
    from sklearn_ka._utils import InvalidParameterError

    X, y = data
    model = _model(learning_rate=1e38)  # Adam's first step scale lr / (1 - 0.9) overflows float32
    with pytest.raises(InvalidParameterError, match=r"^ShallowMLPRegressor: learning_rate=1e\+38 is too large for "
                                                    r"float32 training: Adam's first step scale learning_rate / "
                                                    r"\(1 - betas\[0\]\) = 1e\+39 exceeds the largest float32"):
        model.fit(X, y)
    assert not hasattr(model, "coefs_")
    with pytest.warns(ConvergenceWarning, match="training diverged"):  # float64 holds the steps; the run diverges
        _model(learning_rate=1e300, dtype="float64").fit(X, y)


def test_error_on_divergence_raises_and_keeps_the_run_for_inspection(data):
    X, y = data
    model = _model(learning_rate=1e30, error_on_divergence=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # raising replaces the warning
        with pytest.raises(FloatingPointError, match=r"^ShallowMLPRegressor: training diverged: .* at epoch 1.*"
                                                     r"error_on_divergence=True"):
            model.fit(X, y)
    assert model.stop_reason_ == "non_finite" and len(model.history_["train_loss"]) == model.n_epochs_


def test_error_on_divergence_must_be_a_bool(data):
    with pytest.raises(ValueError, match=r"error_on_divergence must be a bool; got 'yes'"):
        _model(error_on_divergence="yes").fit(*data)


def test_classifier_divergence(data):
    X, y = data
    labels = (y > 0).astype(int)
    with pytest.warns(ConvergenceWarning, match=r"^ShallowMLPClassifier: training diverged: .*max \|X\| = "):
        model = ShallowMLPClassifier(4, max_epochs=10, learning_rate=1e30, random_state=0).fit(X, labels)
    assert model.stop_reason_ == "non_finite"
    with pytest.raises(FloatingPointError, match="ShallowMLPClassifier: training diverged"):
        ShallowMLPClassifier(4, max_epochs=10, learning_rate=1e30, random_state=0,
                             error_on_divergence=True).fit(X, labels)


def test_fit_many_warns_once_per_diverged_model_by_index(data):
    X, y = data
    models = [_model(), _model(learning_rate=1e30), _model(random_state=1)]
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        fit_many(models, X, y)
    message = _diverged_message(record)
    assert message.startswith("fit_many: estimators[1] (ShallowMLPRegressor): training diverged")
    assert [m.stop_reason_ == "non_finite" for m in models] == [False, True, False]


def test_fit_many_raises_after_fitting_every_model(data):
    X, y = data
    models = [_model(), _model(learning_rate=1e30, error_on_divergence=True)]
    with pytest.raises(FloatingPointError, match=r"^fit_many: estimators\[1\] \(ShallowMLPRegressor\): training "
                                                 r"diverged"):
        fit_many(models, X, y)
    assert models[0].stop_reason_ != "non_finite" and models[0].score(X, y) > -1


def test_a_healthy_fit_warns_nothing(data):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _model(max_epochs=10**4, patience=5).fit(*data)


def test_critical_batch_size_refuses_diverged_pilots(data):
    X, y = data
    with pytest.raises(FloatingPointError, match=r"^estimate_critical_batch_size: the training of full-batch pilot "
                                                 r"0 diverged .* at epoch 1\), so no critical batch size can be "
                                                 r"estimated.*learning_rate \(now 1e\+30\)"):
        estimate_critical_batch_size(_model(learning_rate=1e30), X, y, n_pilots=2, small_batch=8)
