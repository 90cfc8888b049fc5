"""Real data shipped with scikit-learn: the shallow MLPs learn it and the analyzer's numbers are sane."""

import numpy as np
import pytest
from sklearn.datasets import load_diabetes, load_digits
from sklearn.preprocessing import MinMaxScaler

from sklearn_ka import KAGeometryAnalyzer, ShallowMLPClassifier, ShallowMLPRegressor
from sklearn_ka.observables import observable_key


def _check_ranges(ka, scores):
    for k in ka.minor_sizes_:
        score = {name: scores[observable_key(name, k)] for name in
                 ("pr", "pr_initial", "pr_max", "column_kl", "column_entropy", "rotation_ratio",
                  "rotation_ratio_normalized")}
        assert 1 - 1e-9 <= score["pr"] <= score["pr_max"] + 1e-9
        assert 1 - 1e-9 <= score["pr_initial"] <= score["pr_max"] + 1e-9
        assert score["column_kl"] >= -1e-12
        assert -1e-12 <= score["column_entropy"] <= 1 + 1e-12
        assert score["rotation_ratio"] > 0
        assert np.isfinite(score["rotation_ratio_normalized"])
        for q1 in ka.false_positive_rates:
            assert 0 <= scores[observable_key("zero_rows", k, q1)] <= 1


def test_digits_classifier():
    X, y = load_digits(return_X_y=True)
    X, y = X[:400], y[:400]
    X = MinMaxScaler(feature_range=(-1, 1)).fit_transform(X)
    clf = ShallowMLPClassifier(hidden_units=16, batch_size=64, max_epochs=30, patience=30,
                               random_state=0).fit(X, y)
    assert clf.score(X, y) > 0.5  # chance is 0.1
    assert clf.initial_model().score(X, y) < 0.4

    Xa = X[:40]
    ka = KAGeometryAnalyzer(minor_sizes=(1,), n_rotations=10, rotation_method="sampled",
                            random_state=0).fit(clf.initial_model(), Xa)
    scores = ka.score(clf, Xa)
    _check_ranges(ka, scores)
    assert scores["pr_max_k1"] == pytest.approx(np.sqrt(16 * 64))

    patch = [27, 28, 35, 36]  # central 2x2 pixels
    ka = KAGeometryAnalyzer(minor_sizes=(1, 2), n_rotations=10, rotation_method="sampled",
                            input_columns=patch, random_state=0).fit(clf.initial_model(), Xa)
    scores = ka.score(clf, Xa)
    _check_ranges(ka, scores)
    assert scores["pr_max_k2"] == pytest.approx(np.sqrt(120 * 6))


@pytest.mark.slow
def test_diabetes_regressor():
    X, y = load_diabetes(return_X_y=True)
    X = MinMaxScaler(feature_range=(-1, 1)).fit_transform(X)
    y = (y - y.mean()) / y.std()
    reg = ShallowMLPRegressor(hidden_units=8, batch_size=64, max_epochs=40, patience=40,
                              random_state=0).fit(X, y)
    assert reg.score(X, y) > 0.3  # a constant predictor scores 0
    Xa = X[:40]
    ka = KAGeometryAnalyzer(minor_sizes=(1, 2, 3), n_rotations=10, rotation_method="sampled",
                            random_state=0).fit(reg.initial_model(), Xa)
    scores = ka.score(reg, Xa)
    _check_ranges(ka, scores)
    assert scores["pr_max_k3"] == pytest.approx(np.sqrt(56 * 120))
    # the initial model against itself: every normalised observable is 1, the divergence 0
    same = ka.score(reg.initial_model(), Xa)
    assert same["pr_normalized_k2"] == pytest.approx(1.0)
    assert same["column_kl_k3"] == pytest.approx(0.0, abs=1e-12)
