"""fit_many: many estimators at once end as their own fit would."""

import numpy as np
import pytest

from sklearn_ka import ShallowMLPRegressor, fit_many, make_ka_regression


@pytest.fixture(scope="module")
def data():
    X, y = make_ka_regression("xor", 300, random_state=0)
    Xt, yt = make_ka_regression("xor", 300, random_state=1)
    return X, y, Xt, yt


def test_each_model_ends_as_its_own_fit(data):
    X, y, Xt, yt = data
    grid = [dict(hidden_units=m, random_state=s) for m in (4, 8, 16, 32) for s in range(2)]
    common = dict(batch_size=100, max_epochs=25, patience=5)
    many = fit_many([ShallowMLPRegressor(**g, **common) for g in grid], X, y, eval_set=(Xt, yt))
    for g, est in zip(grid, many):
        alone = ShallowMLPRegressor(**g, **common).fit(X, y, eval_set=(Xt, yt))
        first = slice(0, 5)
        np.testing.assert_allclose(est.history_["train_loss"][first], alone.history_["train_loss"][first], rtol=1e-5)
        np.testing.assert_allclose(est.history_["monitored_loss"][first], alone.history_["monitored_loss"][first],
                                   rtol=1e-5)
        assert est.coefs_[0].shape == (3, g["hidden_units"])
        np.testing.assert_array_equal(est.initial_coefs_[0], alone.initial_coefs_[0])


def test_per_estimator_data_and_mixed_settings(data):
    X, y, Xt, yt = data
    X2, y2 = make_ka_regression("linear", 300, random_state=2)
    ests = [ShallowMLPRegressor(8, batch_size=50, max_epochs=10, random_state=0),
            ShallowMLPRegressor(8, batch_size=100, max_epochs=10, random_state=0)]
    fit_many(ests, [X, X2], [y, y2], eval_set=[(Xt, yt), (Xt, yt)])
    alone = ShallowMLPRegressor(8, batch_size=100, max_epochs=10, random_state=0).fit(X2, y2, eval_set=(Xt, yt))
    np.testing.assert_allclose(ests[1].predict(X2), alone.predict(X2), rtol=1e-5, atol=1e-6)
    assert ests[0].batch_size_ == 50 and ests[1].batch_size_ == 100


def test_fit_many_errors(data):
    X, y = data[:2]
    with pytest.raises(ValueError, match="at least one estimator"):
        fit_many([], X, y)
    with pytest.raises(TypeError, match="ShallowMLPRegressor-like"):
        fit_many([object()], X, y)
    est = ShallowMLPRegressor(max_epochs=2)
    with pytest.raises(ValueError, match="same estimator object twice"):
        fit_many([est, est], X, y)
    with pytest.raises(ValueError, match="2 estimators were given"):
        fit_many([ShallowMLPRegressor(max_epochs=2), ShallowMLPRegressor(max_epochs=2)], [X, X, X], [y, y, y])
    with pytest.raises(ValueError, match="one \\(X_val, y_val\\) pair per estimator"):
        fit_many([ShallowMLPRegressor(max_epochs=2)], [X], [y], eval_set=(X, y))


def test_results_do_not_depend_on_n_jobs_or_stack_size(data):
    X, y, Xt, yt = data
    grid = [dict(hidden_units=m, random_state=s) for m in (4, 8) for s in range(3)]
    common = dict(batch_size=100, max_epochs=8)
    one = fit_many([ShallowMLPRegressor(**g, **common) for g in grid], X, y, eval_set=(Xt, yt))
    two = fit_many([ShallowMLPRegressor(**g, **common) for g in grid], X, y, eval_set=(Xt, yt), n_jobs=2)
    for a, b in zip(one, two):
        np.testing.assert_array_equal(a.coefs_[0], b.coefs_[0])
    # one model at a time (the others queue): continuous batching changes nothing
    small = fit_many([ShallowMLPRegressor(**g, **common) for g in grid], X, y, eval_set=(Xt, yt), max_units=1)
    for a, b in zip(one, small):
        np.testing.assert_allclose(a.coefs_[0], b.coefs_[0], rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="max_units must be"):
        fit_many([ShallowMLPRegressor(max_epochs=2)], X, y, max_units=0)


@pytest.mark.parametrize("kw, match", [
    ({"max_units": 0}, r"^fit_many: max_units must be an integer >= 1 or one of 'auto' or None; got 0"),
    ({"max_units": "big"}, r"max_units must be .*; got 'big' \(of type str\)"),
    ({"n_threads": 0}, r"^fit_many: n_threads must be an integer >= 1 or one of 'auto' or None; got 0"),
    ({"n_jobs": 1.5}, r"^fit_many: n_jobs must be None, a positive number of workers, .*; got 1\.5"),
    ({"n_jobs": 2**40}, r"^fit_many: n_jobs=1099511627776 would start 1099511627776 local workers"),
])
def test_fit_many_parameter_errors(kw, match, data):
    from sklearn_ka._utils import InvalidParameterError

    X, y = data[:2]
    with pytest.raises(InvalidParameterError, match=match):
        fit_many([ShallowMLPRegressor(max_epochs=2)], X, y, **kw)
