"""ShallowMLPClassifier: cross-entropy on the stacked engine, the same inner map."""

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits

from sklearn_ka import KAGeometryAnalyzer, ShallowMLPClassifier, fit_many
from sklearn_ka.engine import train_stacked, unpack_parameters


def test_cross_entropy_step_matches_autograd():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (40, 3))
    y = rng.integers(0, 4, 40)
    A, a = rng.normal(size=(1, 3, 5)), np.zeros((1, 5))
    B, b = rng.normal(size=(1, 5, 4)), np.zeros((1, 4))
    res = train_stacked(A, a, B, b, X[None], y[None], batch_size=40, max_epochs=1, patience=5, shuffle_seeds=[0],
                        dtype=torch.float64, loss="cross_entropy", tol=-np.inf)[0]
    params = [torch.tensor(p[0], requires_grad=True) for p in (A, a, B, b)]
    opt = torch.optim.Adam(params, lr=0.01)
    perm = np.random.default_rng(0).permutation(40)
    Xt = torch.tensor(X[perm])
    logits = torch.nn.functional.gelu(Xt @ params[0] + params[1]) @ params[2] + params[3]
    torch.nn.functional.cross_entropy(logits, torch.tensor(y[perm])).backward()
    opt.step()
    got = [np.asarray(t)[0] for t in unpack_parameters(res.params[None], 3, 5, 4)]
    for g, p in zip(got, params):
        np.testing.assert_allclose(g, p.detach().numpy(), rtol=1e-10, atol=1e-12)
    assert set(res.history) == {"epoch", "train_loss", "monitored_loss", "train_accuracy", "monitored_accuracy"}


def test_digits_learns_and_is_analysable():
    X, y = load_digits(return_X_y=True)
    X = X[:600] / 16
    y = y[:600]
    clf = ShallowMLPClassifier(16, max_epochs=60, random_state=0).fit(X, y)
    assert clf.score(X, y) > 0.9
    proba = clf.predict_proba(X[:5])
    np.testing.assert_allclose(proba.sum(1), 1)
    assert clf.coefs_[1].shape == (16, 10) and clf.intercepts_[1].shape == (10,)
    # n = 64 inputs: size-2 minors and rotation ratios of a wide input are costly; size 1 here
    ka = KAGeometryAnalyzer(minor_sizes=(1,), n_rotations=20, random_state=0).fit(clf.initial_model(), X[:100])
    s = ka.score(clf, X[:100])
    assert 1 <= s["pr_k1"] <= s["pr_max_k1"]


def test_string_labels_mixed_with_regressors_in_fit_many():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (80, 3))
    y = np.where(X[:, 0] > 0, "pos", "neg")
    a = ShallowMLPClassifier(4, max_epochs=30, random_state=0)
    b = ShallowMLPClassifier(8, max_epochs=30, random_state=1)
    fit_many([a, b], X, y)
    alone = ShallowMLPClassifier(8, max_epochs=30, random_state=1).fit(X, y)
    np.testing.assert_allclose(b.predict_proba(X), alone.predict_proba(X), rtol=1e-5, atol=1e-6)
    assert set(a.predict(X)) <= {"pos", "neg"}


def test_classifier_errors():
    X = np.random.default_rng(0).uniform(-1, 1, (30, 3))
    with pytest.raises(ValueError, match="at least 2 classes"):
        ShallowMLPClassifier(max_epochs=2).fit(X, np.zeros(30))
    y = np.arange(30) % 2
    with pytest.raises(ValueError, match="labels not seen in y"):
        ShallowMLPClassifier(max_epochs=2).fit(X, y, eval_set=(X, y + 5))
    with pytest.raises(ValueError, match="Unknown label type"):
        ShallowMLPClassifier(max_epochs=2).fit(X, X[:, 0])
    with pytest.raises(ValueError, match="available for ShallowMLPRegressor only"):
        ShallowMLPClassifier(max_epochs=2, batch_size="critical").fit(X, y)
