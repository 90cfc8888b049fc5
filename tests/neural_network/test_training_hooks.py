"""What users ask of a trainer: snapshots at epochs, a callback, sample weights, warm start,
a warning at max_epochs and a progress bar."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from sklearn_ka import ShallowMLPClassifier, ShallowMLPRegressor, fit_many, make_ka_regression


@pytest.fixture(scope="module")
def data():
    X, y = make_ka_regression("xor", 200, 3, random_state=0)
    Xt, yt = make_ka_regression("xor", 100, 3, random_state=1)
    return X, y, Xt, yt


def _model(**kw):
    return ShallowMLPRegressor(**{"hidden_units": 6, "batch_size": 50, "max_epochs": 30, "random_state": 0} | kw)


def test_every_width_in_one_fit_many_ends_as_its_own_fit(data):
    X, y, Xt, yt = data
    models = [_model(hidden_units=m, random_state=s, patience=5) for m in (3, 7, 12) for s in range(2)]
    together = fit_many(models, X, y, eval_set=(Xt, yt), max_units=16)
    for est in together:
        alone = _model(hidden_units=est.hidden_units, random_state=est.random_state, patience=5).fit(
            X, y, eval_set=(Xt, yt))
        np.testing.assert_array_equal(est.coefs_[0], alone.coefs_[0])
        np.testing.assert_array_equal(est.history_["monitored_loss"], alone.history_["monitored_loss"])
        assert est.n_epochs_ == alone.n_epochs_


def test_classifier_widths_share_a_stack_and_end_as_alone():
    from sklearn.datasets import make_classification

    X, y = make_classification(150, 4, n_informative=3, n_redundant=0, n_classes=3, random_state=0)
    kw = dict(batch_size=30, max_epochs=15, patience=3)
    models = [ShallowMLPClassifier(m, random_state=m, **kw) for m in (2, 5, 9)]
    fit_many(models, X, y, max_units=8)
    for est in models:
        alone = ShallowMLPClassifier(est.hidden_units, random_state=est.hidden_units, **kw).fit(X, y)
        np.testing.assert_array_equal(est.coefs_[1], alone.coefs_[1])
        np.testing.assert_array_equal(est.history_["train_accuracy"], alone.history_["train_accuracy"])


def test_snapshot_epochs_keep_the_weights_of_those_epochs(data):
    X, y, _, _ = data
    est = _model(snapshot_epochs=[5, 2], patience=100, max_epochs=6).fit(X, y)
    assert [s["epoch"] for s in est.epoch_snapshots_] == [2, 5]
    short = _model(snapshot_epochs=[5], patience=100, max_epochs=5).fit(X, y)
    np.testing.assert_array_equal(est.epoch_snapshots_[1]["coefs"][0], short.epoch_snapshots_[0]["coefs"][0])
    for snap in est.epoch_snapshots_:
        assert snap["train_r2"] == est.history_["train_r2"][snap["epoch"] - 1]
        copy = _model().fit(X, y)
        copy.coefs_, copy.intercepts_ = snap["coefs"], snap["intercepts"]
        assert copy.score(X, y) == pytest.approx(snap["train_r2"], abs=1e-5)
    with pytest.raises(ValueError, match=r"snapshot_epochs\[0\] must be an integer >= 1"):
        _model(snapshot_epochs=[0]).fit(X, y)
    assert not hasattr(_model(max_epochs=2).fit(X, y), "epoch_snapshots_")


def test_callbacks_of_fit_many_and_of_estimators(data):
    X, y, _, _ = data
    seen = []

    def stop_second_at_3(info):
        seen.append(info.models.tolist())
        return info.models[(info.models == 1) & (info.epochs == 3)]

    models = [_model(patience=100, max_epochs=8), _model(random_state=1, patience=100, max_epochs=8),
              _model(random_state=2, patience=100, max_epochs=8, callback=lambda info: info.epochs[0] >= 5)]
    fit_many(models, X, y, callback=stop_second_at_3)
    assert seen[0] == [0, 1, 2]
    assert [m.stop_reason_ for m in models] == ["max_epochs", "callback", "callback"]
    assert [m.n_epochs_ for m in models] == [8, 3, 5]
    with pytest.raises(ValueError, match="callback must be a callable or None"):
        _model(callback="stop").fit(X, y)


def test_sample_weight(data):
    X, y, _, _ = data
    ones = _model().fit(X, y, sample_weight=np.ones(len(y)))
    plain = _model().fit(X, y)
    np.testing.assert_allclose(ones.coefs_[0], plain.coefs_[0], rtol=1e-5, atol=1e-6)
    w = np.r_[np.ones(100), np.zeros(100)]
    weighted = _model(max_epochs=3, batch_size=None).fit(X, y, sample_weight=w)
    pred = weighted.predict(X)
    # the recorded training loss is the weighted mean over the kept weights' epoch
    kept = weighted.history_["train_loss"][weighted.best_epoch_ - 1]
    np.testing.assert_allclose(kept, np.average((pred - y) ** 2, weights=w), rtol=1e-4)
    assert abs(kept - np.mean((pred - y) ** 2)) > 1e-4  # not the unweighted mean
    assert pred.shape == y.shape
    with pytest.raises(ValueError, match="not all zero; it holds negative values"):
        _model().fit(X, y, sample_weight=-np.ones(len(y)))
    with pytest.raises(ValueError, match="not all zero; every weight is zero"):
        _model().fit(X, y, sample_weight=np.zeros(len(y)))
    with pytest.raises(ValueError, match="it holds NaN or infinity"):
        _model().fit(X, y, sample_weight=np.full(len(y), np.nan))
    with pytest.raises(ValueError, match=r"= \(200,\) of finite, non-negative numbers, not all zero; got shape \(3,\)"):
        _model().fit(X, y, sample_weight=np.ones(3))


def test_warm_start_continues_from_the_fitted_weights(data):
    X, y, _, _ = data
    est = _model(warm_start=True, max_epochs=5, patience=100).fit(X, y)
    first = [c.copy() for c in est.coefs_]
    initial = [c.copy() for c in est.initial_coefs_]
    first_loss = est.history_["train_loss"][est.best_epoch_ - 1]
    est.fit(X, y)
    np.testing.assert_array_equal(est.initial_coefs_[0], initial[0])  # the baseline stays the untrained network
    assert not np.array_equal(est.coefs_[0], first[0])
    cold_second = _model(max_epochs=5, patience=100).fit(X, y).history_["train_loss"][0]
    assert est.history_["train_loss"][0] < cold_second and est.history_["train_loss"][0] < 1.5 * first_loss
    with pytest.raises(ValueError, match="warm_start=True continues from the fitted weights"):
        est.set_params(hidden_units=3).fit(X, y)


def test_max_epochs_warns_and_patience_does_not(data):
    X, y, _, _ = data
    with pytest.warns(ConvergenceWarning, match=r"training stopped at max_epochs=2 before early stopping"):
        _model(max_epochs=2).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est = _model(max_epochs=10**4, patience=2).fit(X, y)
    assert est.stop_reason_ == "patience"


def test_verbose_shows_a_progress_bar(data, capsys):
    X, y, _, _ = data
    fit_many([_model(max_epochs=3, verbose=1), _model(max_epochs=3, random_state=1)], X, y)
    err = capsys.readouterr().err
    assert "training" in err and "model" in err
