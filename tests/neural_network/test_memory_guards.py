"""Size guards: training that cannot fit the memory budget is refused at once, before any allocation.

The budget is the package's (``SKLEARN_KA_MEMORY_BUDGET``, default 4 GiB); the estimate is
:func:`sklearn_ka.engine.training_nbytes`. Stacks of ``fit_many`` are split to fit it, and the
critical-batch-size pilots are checked (and capped in number) before the first is prepared.
"""

import time

import numpy as np
import pytest

from sklearn_ka import ShallowMLPClassifier, ShallowMLPRegressor, fit_many, make_ka_regression
from sklearn_ka._utils import InvalidParameterError, MemoryBudgetError
from sklearn_ka.engine import training_nbytes
from sklearn_ka.neural_network import _fit_many, estimate_critical_batch_size


@pytest.fixture(scope="module")
def data():
    return make_ka_regression("xor", 200, random_state=0)


def _refused_at_once(call, match):
    start = time.perf_counter()
    with pytest.raises(MemoryBudgetError, match=match) as info:
        call()
    assert time.perf_counter() - start < 1.0  # an estimate on shapes, nothing trained or allocated
    return str(info.value)


@pytest.mark.parametrize("hidden_units", [10**6, 10**7])
@pytest.mark.parametrize("estimator", [ShallowMLPRegressor, ShallowMLPClassifier])
def test_huge_hidden_layers_are_refused_before_training(estimator, hidden_units, data):
    X, y = data
    y = y if estimator is ShallowMLPRegressor else (y > 0).astype(int)
    model = estimator(hidden_units)
    message = _refused_at_once(lambda: model.fit(X, y), rf"^{estimator.__name__}: training 1 model of {hidden_units} "
                                                        r"hidden units on 200 samples .* needs about .*GiB, over the "
                                                        r"memory budget of 4 GiB")
    assert "fewer hidden_units, a smaller batch_size" in message and "a larger memory budget" in message
    assert "SKLEARN_KA_MEMORY_BUDGET" in message
    assert not hasattr(model, "coefs_")


def test_the_budget_is_the_environment_variable(data, monkeypatch):
    X, y = data
    monkeypatch.setenv("SKLEARN_KA_MEMORY_BUDGET", str(2**20))
    _refused_at_once(lambda: ShallowMLPRegressor(256, max_epochs=1).fit(X, y), "over the memory budget of 1 MiB")
    monkeypatch.setenv("SKLEARN_KA_MEMORY_BUDGET", str(2**30))
    assert ShallowMLPRegressor(256, max_epochs=1, random_state=0).fit(X, y).n_epochs_ == 1


def test_a_smaller_batch_fits_where_full_batch_does_not(data, monkeypatch):
    X, y = data
    full = training_nbytes(n_models=1, n_samples=200, n_features=3, width=2000, batch_size=200)
    small = training_nbytes(n_models=1, n_samples=200, n_features=3, width=2000, batch_size=20)
    assert small < full
    monkeypatch.setenv("SKLEARN_KA_MEMORY_BUDGET", str((small + full) // 2))
    _refused_at_once(lambda: ShallowMLPRegressor(2000, batch_size=None, max_epochs=1).fit(X, y), "batch_size=200")
    ShallowMLPRegressor(2000, batch_size=20, max_epochs=1, random_state=0).fit(X, y)


def test_fit_many_splits_stacks_to_fit_the_budget_with_the_same_models(data, monkeypatch):
    X, y = data
    models = [ShallowMLPRegressor(8, batch_size=50, max_epochs=5, random_state=s) for s in range(6)]
    one = training_nbytes(n_models=1, n_samples=200, n_features=3, width=8, batch_size=50)
    two = training_nbytes(n_models=2, n_samples=200, n_features=3, width=8, batch_size=50)
    sizes = []

    def recording(stack, n_threads="auto", **kw):
        sizes.append(kw["max_units"])
        return train_plans(stack, n_threads, **kw)

    train_plans = _fit_many.train_plans
    monkeypatch.setattr(_fit_many, "train_plans", recording)
    monkeypatch.setenv("SKLEARN_KA_MEMORY_BUDGET", str(two))  # two models at a time fit, three do not
    fit_many(models, X, y, max_units=None)
    assert sizes == [16] and one < two  # a stack of two models of 8 units; the others queue
    monkeypatch.delenv("SKLEARN_KA_MEMORY_BUDGET")
    alone = [ShallowMLPRegressor(8, batch_size=50, max_epochs=5, random_state=s).fit(X, y) for s in range(6)]
    for a, b in zip(models, alone):
        np.testing.assert_allclose(a.predict(X), b.predict(X), rtol=1e-4, atol=1e-5)


def test_fit_many_refuses_a_model_that_alone_exceeds_the_budget(data):
    X, y = data
    models = [ShallowMLPRegressor(4, max_epochs=2), ShallowMLPRegressor(10**7)]
    _refused_at_once(lambda: fit_many(models, X, y), r"^ShallowMLPRegressor: training 1 model of 10000000")
    assert not hasattr(models[0], "coefs_")  # nothing trained


def test_critical_batch_size_caps_and_checks_its_pilots(data, monkeypatch):
    X, y = data
    start = time.perf_counter()
    with pytest.raises(InvalidParameterError, match=r"n_pilots must be an integer in \[1, 1000\]; got 100000000"):
        estimate_critical_batch_size(ShallowMLPRegressor(4), X, y, n_pilots=10**8)
    assert time.perf_counter() - start < 1.0
    message = _refused_at_once(lambda: estimate_critical_batch_size(ShallowMLPRegressor(20000), X, y, n_pilots=1000),
                               r"^estimate_critical_batch_size: training 1000 stacked models of 20000 hidden units")
    assert "fewer n_pilots" in message


def test_noise_scale_gradients_are_checked_before_training(data, monkeypatch):
    X, y = data
    width = 3000
    train = training_nbytes(n_models=1, n_samples=200, n_features=3, width=width, batch_size=200)
    monkeypatch.setenv("SKLEARN_KA_MEMORY_BUDGET", str(2 * train))  # the pilot fits, its per-example gradients not
    _refused_at_once(lambda: estimate_critical_batch_size(ShallowMLPRegressor(width), X, y, n_pilots=1,
                                                          method="noise_scale"),
                     r"^estimate_critical_batch_size: the per-example gradients of the noise scale \(200 samples x "
                     r"15001 parameters, float64\).*Alternatives: method='empirical'")


def test_max_epochs_allocates_nothing_up_front(data):
    X, y = data
    model = ShallowMLPRegressor(4, max_epochs=10**12, patience=3, tol=1e-3, random_state=0).fit(X, y)
    assert model.stop_reason_ == "patience" and len(model.history_["train_loss"]) == model.n_epochs_


def test_concurrent_stacks_share_the_budget(data, monkeypatch):
    X, y = data
    models = [ShallowMLPRegressor(w, batch_size=50, max_epochs=2, random_state=0) for w in (4, 5, 6, 7)]
    stack = training_nbytes(n_models=1, n_samples=200, n_features=3, width=7, batch_size=50)
    workers = []
    real = _fit_many.train_plans

    def recording(stack, n_threads="auto", **kw):
        workers.append(kw["n_jobs"])
        return real(stack, n_threads, **kw)

    monkeypatch.setattr(_fit_many, "train_plans", recording)
    monkeypatch.setenv("SKLEARN_KA_MEMORY_BUDGET", str(2 * stack + 1))  # two of the four stacks fit at once
    fit_many(models, X, y, n_jobs=4)
    assert workers == [2]
    assert all(m.n_epochs_ == 2 for m in models)
