"""Critical batch size: empirical E_min/S_min and the gradient noise scale."""

import numpy as np
import pytest
import torch

from sklearn_ka import ShallowMLPRegressor, estimate_critical_batch_size, make_ka_regression
from sklearn_ka.engine import unpack_parameters
from sklearn_ka.neural_network._critical_batch import _per_example_gradients


@pytest.fixture(scope="module")
def data():
    return make_ka_regression("xor", 256, random_state=0)


def test_empirical_estimate_is_e_min_over_s_min(data):
    X, y = data
    est = ShallowMLPRegressor(8, max_epochs=300, patience=20, random_state=0)
    res = estimate_critical_batch_size(est, X, y, small_batch=32, n_pilots=2)
    assert res.method == "empirical"
    assert res.value == pytest.approx(res.e_min / res.s_min)
    assert res.e_min == pytest.approx(np.mean(res.details["small_batch_epochs"]) * 256)
    assert res.s_min == pytest.approx(np.mean(res.details["full_batch_steps"]))
    assert 1 <= res.batch_size <= 256
    assert res.target_r2 == pytest.approx(0.9 * min(res.details["pilot_best_train_r2"]))


def test_batch_size_critical_in_fit(data):
    X, y = data
    m = ShallowMLPRegressor(8, batch_size="critical", max_epochs=200, patience=20, random_state=0,
                            critical_batch_params={"n_pilots": 1, "small_batch": 32}).fit(X, y)
    assert m.batch_size_ == m.critical_batch_size_ == m.critical_batch_estimate_.batch_size


def test_unreachable_target_is_a_clear_error(data):
    X, y = data
    with pytest.raises(RuntimeError, match="Not every pilot reached the criterion"):
        estimate_critical_batch_size(ShallowMLPRegressor(4, max_epochs=5, random_state=0), X, y,
                                     target_r2=0.999, n_pilots=1, small_batch=32)


def test_per_example_gradients_match_autograd(data):
    X, y = data
    X, y = X[:10], y[:10]
    rng = np.random.default_rng(0)
    n, m = 3, 5
    params = rng.normal(size=n * m + 2 * m + 1)
    g = _per_example_gradients("gelu", params, n, m, X, y)
    A, a, B, b = (torch.tensor(np.asarray(t)[0], requires_grad=True) for t in unpack_parameters(params[None], n, m))
    for i in range(10):
        loss = (torch.nn.functional.gelu(torch.tensor(X[i]) @ A + a) @ B + b - y[i]) ** 2
        grads = torch.autograd.grad(loss, (A, a, B, b))
        ref = np.concatenate([t.numpy().ravel() for t in grads])
        np.testing.assert_allclose(g[i], ref, rtol=1e-10, atol=1e-12)


def test_noise_scale_with_correction(data):
    X, y = data
    res = estimate_critical_batch_size(ShallowMLPRegressor(8, max_epochs=300, patience=20, random_state=0), X, y,
                                       method="noise_scale", n_pilots=2)
    N = 256
    assert res.b_simple > 0
    assert res.b_simple_corrected == pytest.approx(N * res.b_simple / (N - 1 + res.b_simple))
    assert res.b_simple_corrected <= N
    assert res.batch_size == int(np.clip(round(res.b_simple_corrected), 1, N))


@pytest.mark.parametrize("kw, match", [({"method": "magic"}, "method must be one of"),
                                       ({"small_batch": 0}, "small_batch must be"),
                                       ({"small_batch": 1000}, "exceeds the 256 training samples"),
                                       ({"criterion": 0.0}, "criterion must be"),
                                       ({"n_pilots": 0}, "n_pilots must be")])
def test_bad_arguments(kw, match, data):
    X, y = data
    with pytest.raises((ValueError, TypeError), match=match):
        estimate_critical_batch_size(ShallowMLPRegressor(4, max_epochs=2), X, y, **kw)


@pytest.mark.parametrize("kw, match", [
    ({"method": "magic"}, r"^estimate_critical_batch_size: method must be one of 'empirical', 'noise_scale'; "
                          r"got 'magic'"),
    ({"criterion": 1.5}, r"criterion must be a finite number in \(0, 1\]; got 1\.5"),
    ({"target_r2": 2.0}, r"target_r2 must be None or a finite number in \(-inf, 1\]; got 2\.0"),
    ({"max_epochs": 0}, r"max_epochs must be None or an integer >= 1; got 0"),
    ({"n_pilots": True}, r"n_pilots must be an integer in \[1, 1000\]; got True \(of type bool\)"),
    ({"random_state": -5}, r"random_state must be None, an integer in \[0, 2\*\*32 - 1\] or a numpy RandomState; "
                           r"got -5"),
])
def test_parameter_errors_name_the_function(kw, match, data):
    from sklearn_ka._utils import InvalidParameterError

    X, y = data
    with pytest.raises(InvalidParameterError, match=match):
        estimate_critical_batch_size(ShallowMLPRegressor(4, max_epochs=2), X, y, **kw)
