"""Interventions as estimator parameters: the fitted blend predicts, n_jobs changes nothing, bad input refused."""

import pickle

import numpy as np
import pytest
from sklearn.base import clone

from sklearn_ka import KAGeometryAnalyzer
from sklearn_ka._utils import InvalidParameterError
from sklearn_ka.engine import ActivationSchedule, get_activation
from sklearn_ka.interventions import KAPenalty
from sklearn_ka.neural_network import ShallowMLPRegressor, fit_many


def _data(n=200, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, (n, 3))
    return X, 2 * X[:, 0] + X[:, 1] - X[:, 2]


@pytest.fixture(scope="module")
def ramped():
    X, y = _data()
    est = ShallowMLPRegressor(6, max_epochs=60, patience=60, random_state=0, snapshot_r2=[0.3, 0.9],
                              activation_schedule=ActivationSchedule(start_r2=0.5, ramp_epochs=100))
    return est.fit(X, y), X


def test_fitted_model_predicts_with_the_blend_of_its_kept_weights(ramped):
    est, X = ramped
    t = est.activation_blend_
    assert 0 < t < 1 and t == est.history_["activation_blend"][est.best_epoch_ - 1]
    gelu, osc = get_activation("gelu"), get_activation("oscillatory")
    z = X @ est.coefs_[0] + est.intercepts_[0]
    h = (1 - t) * gelu.numpy_fn(z) + t * osc.numpy_fn(z)
    np.testing.assert_allclose(est.predict(X), (h @ est.coefs_[1] + est.intercepts_[1]).ravel(), rtol=1e-12)
    np.testing.assert_allclose(est.transform(X), h, rtol=1e-12)
    d = (1 - t) * gelu.numpy_deriv(z) + t * osc.numpy_deriv(z)
    np.testing.assert_allclose(est.jacobian(X), d[:, :, None] * est.coefs_[0].T[None], rtol=1e-12)
    assert est.intervention_epochs_["activation"] is not None and est.intervention_epochs_["ka_penalty"] is None
    assert est.epoch_times_.shape == (est.n_epochs_,) and np.all(np.diff(est.epoch_times_) >= 0)


def test_snapshots_and_pickles_keep_their_blend(ramped):
    est, X = ramped
    first = est.snapshot_model(0)
    assert est.snapshots_[0]["activation_blend"] == 0.0 and first.hidden_activation_.name == "gelu"
    again = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(again.predict(X), est.predict(X))


def test_the_analyzer_measures_the_blended_map(ramped):
    est, X = ramped
    result = KAGeometryAnalyzer(n_rotations=4, random_state=0).fit(est, X[:20]).transform(est, X[:20])
    plain = clone(est)
    plain.__dict__.update({k: v for k, v in est.__dict__.items() if k.endswith("_")})
    plain.hidden_activation_ = get_activation("gelu")
    other = KAGeometryAnalyzer(n_rotations=4, random_state=0).fit(plain, X[:20]).transform(plain, X[:20])
    assert not np.allclose(np.asarray(result, dtype=float), np.asarray(other, dtype=float), equal_nan=True)


def test_penalised_fits_do_not_depend_on_n_jobs():
    X, y = _data()
    base = ShallowMLPRegressor(5, max_epochs=15, patience=15)
    ests = [clone(base).set_params(random_state=s, ka_penalty=KAPenalty(beta=b, orders=(1, 2)))
            for s in range(2) for b in (0.1, -0.1, 0.0)]
    one = fit_many([clone(e) for e in ests], X, y, n_jobs=1)
    two = fit_many([clone(e) for e in ests], X, y, n_jobs=2)
    for e1, e2 in zip(one, two):
        np.testing.assert_array_equal(e1.coefs_[0], e2.coefs_[0])
    solo = clone(ests[0]).fit(X, y)
    np.testing.assert_array_equal(solo.coefs_[0], one[0].coefs_[0])
    zero = clone(base).set_params(random_state=0).fit(X, y)
    np.testing.assert_array_equal(zero.coefs_[0], one[2].coefs_[0])  # beta = 0 trains as no penalty


@pytest.mark.parametrize("param, value", [("activation_schedule", "oscillatory"), ("ka_penalty", 0.1),
                                          ("ka_penalty", ActivationSchedule())])
def test_estimator_refuses_wrong_intervention_types(param, value):
    X, y = _data(50)
    with pytest.raises(InvalidParameterError, match=param):
        ShallowMLPRegressor(4, max_epochs=2, **{param: value}).fit(X, y)


def test_estimator_refuses_orders_above_the_width():
    X, y = _data(50)
    with pytest.raises(ValueError, match="exceeds min"):
        ShallowMLPRegressor(2, max_epochs=2, ka_penalty=KAPenalty(beta=1.0, orders=3)).fit(X, y)
