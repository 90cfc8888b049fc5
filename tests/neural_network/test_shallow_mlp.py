"""ShallowMLPRegressor: protocol, fitted attributes, inference, bad input."""

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline

from sklearn_ka import ShallowMLPRegressor, make_ka_regression


@pytest.fixture(scope="module")
def xor_data():
    X, y = make_ka_regression("xor", 200, random_state=0)
    Xt, yt = make_ka_regression("xor", 200, random_state=1)
    return X, y, Xt, yt


@pytest.fixture(scope="module")
def fitted(xor_data):
    X, y, Xt, yt = xor_data
    return ShallowMLPRegressor(16, batch_size=50, max_epochs=150, patience=20, random_state=0).fit(
        X, y, eval_set=(Xt, yt))


def test_learns_and_records_history(fitted, xor_data):
    X, y, Xt, yt = xor_data
    assert fitted.score(X, y) > 0.3
    hist = pd.DataFrame(fitted.history_)
    assert list(hist.columns) == ["epoch", "train_loss", "monitored_loss", "train_r2", "monitored_r2"]
    assert len(hist) == fitted.n_epochs_ == fitted.n_iter_
    # the kept weights are the best monitored ones, and they are what predicts
    assert fitted.best_epoch_ == int(np.argmin(hist.monitored_loss)) + 1
    assert fitted.best_loss_ == pytest.approx(np.mean((fitted.predict(Xt) - yt) ** 2), rel=1e-4)
    assert fitted.batch_size_ == 50


def test_initialisation_follows_the_paper_and_ignores_the_target():
    X, y = make_ka_regression("xor", 100, random_state=0)
    _, y_lin = make_ka_regression("linear", 100, random_state=0)
    a = ShallowMLPRegressor(64, max_epochs=1, random_state=5).fit(X, y)
    b = ShallowMLPRegressor(64, max_epochs=1, random_state=5).fit(X, y_lin)
    for ca, cb in zip(a.initial_coefs_, b.initial_coefs_):
        np.testing.assert_array_equal(ca, cb)
    assert np.all(a.initial_intercepts_[0] == 0) and a.initial_intercepts_[1][0] == 0
    A0, B0 = a.initial_coefs_
    assert A0.std() == pytest.approx(3**-0.5, rel=0.2)
    assert B0.std() == pytest.approx(64**-0.5, rel=0.3)
    c = ShallowMLPRegressor(64, max_epochs=1, random_state=6).fit(X, y)
    assert not np.array_equal(c.initial_coefs_[0], A0)


def test_initial_model_is_the_network_at_initialisation(fitted, xor_data):
    X = xor_data[0]
    init = fitted.initial_model()
    assert init.is_initial_model_ and init.n_epochs_ == 0
    np.testing.assert_array_equal(init.coefs_[0], fitted.initial_coefs_[0])
    H = init.transform(X)
    z = X @ fitted.initial_coefs_[0]
    np.testing.assert_allclose(H, torch.nn.functional.gelu(torch.tensor(z)).numpy(), rtol=1e-12)
    assert not np.allclose(init.predict(X), fitted.predict(X))
    assert fitted.coefs_[0] is not init.coefs_[0]


@pytest.mark.parametrize("activation", ["gelu", "relu", "tanh", "silu", "oscillatory"])
def test_jacobian_matches_autograd(activation, xor_data):
    X = xor_data[0][:20]
    m = ShallowMLPRegressor(6, activation=activation, max_epochs=2, random_state=0).fit(*xor_data[:2])
    J = m.jacobian(X)
    assert J.shape == (20, 6, 3) and J.dtype == np.float64
    A = torch.tensor(m.coefs_[0])
    a = torch.tensor(m.intercepts_[0])
    from sklearn_ka.engine import get_activation

    f = get_activation(activation).torch_fn
    ref = torch.func.vmap(torch.func.jacrev(lambda x: f(x @ A + a)))(torch.tensor(X))
    np.testing.assert_allclose(J, ref.numpy(), rtol=1e-10, atol=1e-12)


def test_transform_names_and_pipeline(fitted, xor_data):
    X, y = xor_data[:2]
    names = fitted.get_feature_names_out()
    assert list(names) == [f"shallowmlpregressor{i}" for i in range(16)]
    out = clone(fitted).set_output(transform="pandas").fit(X, y).transform(X)
    assert isinstance(out, pd.DataFrame) and out.shape == (200, 16)
    # a frozen inner map as a feature extractor (the bootstrapped model)
    pipe = make_pipeline(fitted, Ridge()).fit(X, y)
    assert pipe.predict(X).shape == (200,)


def test_pandas_input_and_float32(xor_data):
    X, y = xor_data[:2]
    df = pd.DataFrame(X, columns=["u", "v", "w"])
    m = ShallowMLPRegressor(4, max_epochs=3, random_state=0).fit(df, pd.Series(y))
    assert list(m.feature_names_in_) == ["u", "v", "w"]
    m32 = ShallowMLPRegressor(4, max_epochs=3, random_state=0).fit(X.astype(np.float32), y.astype(np.float32))
    np.testing.assert_allclose(m.predict(df), m32.predict(X), rtol=1e-5)


def test_same_random_state_same_model_and_float64_dtype(xor_data):
    X, y = xor_data[:2]
    kw = dict(hidden_units=8, max_epochs=20, random_state=3, batch_size=40)
    p1 = ShallowMLPRegressor(**kw).fit(X, y).predict(X)
    p2 = ShallowMLPRegressor(**kw).fit(X, y).predict(X)
    np.testing.assert_array_equal(p1, p2)
    p64 = ShallowMLPRegressor(**kw, dtype="float64").fit(X, y).predict(X)
    np.testing.assert_allclose(p1, p64, rtol=1e-3, atol=1e-4)


def test_validation_fraction_and_training_loss_monitoring(xor_data):
    X, y = xor_data[:2]
    m = ShallowMLPRegressor(8, max_epochs=30, validation_fraction=0.25, random_state=0).fit(X, y)
    assert not np.allclose(m.history_["train_loss"], m.history_["monitored_loss"])
    m = ShallowMLPRegressor(8, max_epochs=30, random_state=0).fit(X, y)
    np.testing.assert_array_equal(m.history_["train_loss"], m.history_["monitored_loss"])


def test_snapshots(xor_data):
    X, y = xor_data[:2]
    m = ShallowMLPRegressor(16, batch_size=50, max_epochs=100, snapshot_r2=[0.05, 0.1, 0.2], random_state=0).fit(X, y)
    assert [s["level"] for s in m.snapshots_] == [0.05, 0.1, 0.2]
    for i, s in enumerate(m.snapshots_):
        snap = m.snapshot_model(i)
        assert snap.score(X, y) == pytest.approx(s["train_r2"], abs=1e-4)
        assert snap.score(X, y) >= s["level"] - 1e-4


def test_no_history_when_not_fitted():
    with pytest.raises(NotFittedError):
        ShallowMLPRegressor().predict(np.zeros((3, 3)))
    with pytest.raises(NotFittedError):
        ShallowMLPRegressor().initial_model()


@pytest.mark.parametrize(
    "params, match",
    [
        ({"activation": "swish2"}, "activation must be one of 'gelu', 'relu'.*; got 'swish2'"),
        ({"batch_size": 0}, "batch_size must be an integer >= 1 or None or one of 'auto', 'critical'; got 0"),
        ({"batch_size": -3}, "batch_size must be an integer >= 1"),
        ({"batch_size": 201}, r"batch_size must be in \[1, n_train_samples=200\]"),
        ({"batch_size": "big"}, "batch_size must be an integer >= 1 or None or one of 'auto', 'critical'; got 'big'"),
        ({"hidden_units": 0}, "hidden_units must be an integer >= 1"),
        ({"learning_rate": -1.0}, "learning_rate must be a finite number"),
        ({"betas": (0.9,)}, "betas must be a pair"),
        ({"max_epochs": 0}, "max_epochs must be an integer >= 1"),
        ({"patience": 2.5}, "patience must be an integer"),
        ({"dtype": "float16"}, "dtype must be 'float32' or 'float64'"),
        ({"snapshot_r2": [0.5, 2.0]}, "snapshot_r2 must be"),
        ({"validation_fraction": 1.5}, "validation_fraction must be"),
        ({"device": "tpu"}, "device must be"),
    ],
)
def test_bad_parameters_are_clear_errors(params, match, xor_data):
    X, y = xor_data[:2]
    with pytest.raises((ValueError, TypeError), match=match):
        ShallowMLPRegressor(**{"max_epochs": 2, **params}).fit(X, y)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error raised on a machine without a GPU")
def test_cuda_without_gpu_is_a_clear_error(xor_data):
    with pytest.raises(ValueError, match="no CUDA GPU is available"):
        ShallowMLPRegressor(device="cuda", max_epochs=2).fit(*xor_data[:2])


def test_bad_data_are_clear_errors(xor_data):
    X, y, Xt, yt = xor_data
    Xn = X.copy()
    Xn[3, 1] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        ShallowMLPRegressor(max_epochs=2).fit(Xn, y)
    Xi = X.copy()
    Xi[0, 0] = np.inf
    with pytest.raises(ValueError, match="Input X contains infinity"):
        ShallowMLPRegressor(max_epochs=2).fit(Xi, y)
    yn = y.copy()
    yn[0] = np.nan
    with pytest.raises(ValueError, match="Input y contains NaN"):
        ShallowMLPRegressor(max_epochs=2).fit(X, yn)
    with pytest.raises(ValueError, match="1 sample"):
        ShallowMLPRegressor(max_epochs=2).fit(X[:1], y[:1])
    with pytest.raises(ValueError, match="X has 2 features, but ShallowMLPRegressor is expecting 3"):
        ShallowMLPRegressor(max_epochs=2).fit(X, y, eval_set=(Xt[:, :2], yt))
    with pytest.raises(ValueError, match="same, non-zero number of samples"):
        ShallowMLPRegressor(max_epochs=2).fit(X, y, eval_set=(Xt, yt[:5]))
    with pytest.raises(ValueError, match="eval_set must be a pair"):
        ShallowMLPRegressor(max_epochs=2).fit(X, y, eval_set=Xt)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"hidden_units": 2.0}, r"^ShallowMLPRegressor: hidden_units must be an integer >= 1; got 2\.0 \(of type "
                                r"float\)"),
        ({"tol": -0.1}, r"^ShallowMLPRegressor: tol must be a finite number in \[0, inf\)"),
        ({"epsilon": 0.0}, r"^ShallowMLPRegressor: epsilon must be a finite number in \(0, inf\)"),
        ({"betas": (0.9, 1.0)}, r"betas\[1\] must be a finite number in \[0, 1\); got 1\.0"),
        ({"verbose": True}, r"^ShallowMLPRegressor: verbose must be an integer >= 0; got True \(of type bool\)"),
        ({"random_state": -1}, r"^ShallowMLPRegressor: random_state must be None, an integer in \[0, 2\*\*32 - 1\] "
                               r"or a numpy RandomState"),
        ({"random_state": "0"}, r"random_state must be .*; got '0' \(of type str\)"),
        ({"critical_batch_params": [1]}, r"critical_batch_params must be None or an instance of dict"),
        ({"validation_fraction": 0.0}, r"validation_fraction must be None or a finite number in \(0, 1\)"),
    ],
)
def test_parameter_errors_name_the_estimator_and_the_accepted_values(params, match, xor_data):
    from sklearn_ka._utils import InvalidParameterError

    with pytest.raises(InvalidParameterError, match=match):
        ShallowMLPRegressor(**{"max_epochs": 2, **params}).fit(*xor_data[:2])


def test_classifier_parameter_errors_name_the_classifier():
    from sklearn_ka import ShallowMLPClassifier

    X = np.random.default_rng(0).uniform(-1, 1, (20, 3))
    with pytest.raises(ValueError, match=r"^ShallowMLPClassifier: patience must be an integer >= 1; got 0"):
        ShallowMLPClassifier(patience=0).fit(X, np.arange(20) % 2)


def test_validated_values_are_converted_and_parameters_left_untouched(xor_data):
    X, y = xor_data[:2]
    m = ShallowMLPRegressor(np.int64(4), max_epochs=np.int64(2), learning_rate=np.float32(0.01), random_state=0)
    m.fit(X, y)
    assert m.coefs_[0].shape == (3, 4) and m.n_epochs_ == 2
    assert type(m.get_params()["max_epochs"]) is np.int64  # get_params gives back what was set


def test_defaults_are_the_published_protocol():
    import inspect

    from sklearn_ka import ShallowMLPClassifier
    from sklearn_ka._utils import PAPER_PROTOCOL
    from sklearn_ka.engine import train_stacked

    for est in (ShallowMLPRegressor(), ShallowMLPClassifier()):
        params = est.get_params()
        assert params["learning_rate"] == PAPER_PROTOCOL.learning_rate
        assert {k: params[k] for k in ("max_epochs", "patience")} == {
            k: v for k, v in PAPER_PROTOCOL.training().items() if k != "batch_size"}
    engine = {k: p.default for k, p in inspect.signature(train_stacked).parameters.items()}
    assert {k: engine[k] for k in PAPER_PROTOCOL.training()} == PAPER_PROTOCOL.training()
    assert engine["learning_rate"] == PAPER_PROTOCOL.learning_rate
    X, y = make_ka_regression("xor", 2 * PAPER_PROTOCOL.batch_size, random_state=0)
    m = ShallowMLPRegressor(4, max_epochs=1, random_state=0).fit(X, y)  # batch_size="auto"
    assert m.batch_size_ == PAPER_PROTOCOL.batch_size
