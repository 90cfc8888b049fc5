"""Jacobians between layers: sklearn MLPs (analytic) and torch Sequentials (torch.func)."""

import warnings

import numpy as np
import pytest
import torch
from sklearn.exceptions import NotFittedError
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_ka import KAGeometryAnalyzer, ShallowMLPRegressor
from sklearn_ka.jacobians import inner_jacobian, layer_activations, layer_jacobian, n_layers

_TORCH_ACT = {"tanh": torch.tanh, "relu": torch.relu, "logistic": torch.sigmoid,
              "identity": lambda z: z}


def _X(n_samples=15, n=3, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (n_samples, n))


def _sk_mlp(hidden, activation="tanh", cls=MLPRegressor, n=3, seed=0):
    X = _X(60, n, seed)
    y = (X.sum(1) > 0).astype(int) if cls is MLPClassifier else np.sin(X).prod(1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cls(hidden_layer_sizes=hidden, activation=activation, max_iter=20,
                   random_state=seed).fit(X, y)


def _autograd_sklearn(mlp, X, source, target):
    """Reference: torch.autograd on a float64 re-implementation of the sklearn forward pass."""
    act = _TORCH_ACT[mlp.activation]
    Ws = [torch.tensor(W, dtype=torch.float64) for W in mlp.coefs_]
    bs = [torch.tensor(b, dtype=torch.float64) for b in mlp.intercepts_]

    def forward(h, lo, hi):
        for W, b in zip(Ws[lo:hi], bs[lo:hi]):
            h = act(h @ W + b)
        return h

    out = []
    for x in torch.tensor(X, dtype=torch.float64):
        h = forward(x, 0, source)
        out.append(torch.autograd.functional.jacobian(lambda v: forward(v, source, target), h))
    return torch.stack(out).numpy()


@pytest.mark.parametrize("hidden", [(7, 5), (6, 5, 4)])
@pytest.mark.parametrize("activation", ["tanh", "logistic", "relu"])
def test_sklearn_against_autograd(hidden, activation):
    mlp = _sk_mlp(hidden, activation)
    X = _X()
    L = len(hidden)
    assert n_layers(mlp) == L
    for source in range(L):
        for target in range(source + 1, L + 1):
            J = layer_jacobian(mlp, X, source=source, target=target)
            widths = (3,) + hidden
            assert J.shape == (len(X), widths[target], widths[source])
            assert J.dtype == np.float64
            np.testing.assert_allclose(J, _autograd_sklearn(mlp, X, source, target),
                                       rtol=1e-10, atol=1e-12)


def test_sklearn_against_finite_differences():
    mlp = _sk_mlp((6, 5, 4), "tanh")
    X = _X(5)
    H1 = layer_activations(mlp, X, 1)
    J = layer_jacobian(mlp, X, source=1, target=3)
    eps = 1e-6
    W, b = mlp.coefs_[1:3], mlp.intercepts_[1:3]

    def f(h):
        for Wl, bl in zip(W, b):
            h = np.tanh(h @ Wl + bl)
        return h

    for i in range(H1.shape[1]):
        dh = np.zeros(H1.shape[1])
        dh[i] = eps
        fd = (f(H1 + dh) - f(H1 - dh)) / (2 * eps)
        np.testing.assert_allclose(J[:, :, i], fd, rtol=1e-6, atol=1e-8)


def test_chain_rule():
    mlp = _sk_mlp((6, 5, 4), "tanh")
    X = _X()
    J01 = layer_jacobian(mlp, X, source=0, target=1)
    J12 = layer_jacobian(mlp, X, source=1, target=2)
    J23 = layer_jacobian(mlp, X, source=2, target=3)
    np.testing.assert_allclose(layer_jacobian(mlp, X, source=0, target=3), J23 @ J12 @ J01,
                               rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("make", [
    lambda: _sk_mlp((7, 5), "relu"),
    lambda: _sk_mlp((7, 5), "tanh", cls=MLPClassifier),
    lambda: ShallowMLPRegressor(hidden_units=6, max_epochs=3, random_state=0).fit(
        _X(40), _X(40).sum(1)),
])
def test_first_layer_equals_inner_jacobian(make):
    model = make()
    X = _X()
    np.testing.assert_array_equal(layer_jacobian(model, X), inner_jacobian(model, X))


def test_pipeline():
    mlp = _sk_mlp((7, 5), "tanh")
    X = _X(30)
    pipe = make_pipeline(StandardScaler().fit(X), mlp)
    Z = pipe[0].transform(X)
    np.testing.assert_allclose(layer_jacobian(pipe, X, source=1, target=2),
                               layer_jacobian(mlp, Z, source=1, target=2))


def _sequential(widths, seed=0):
    torch.manual_seed(seed)
    mods = []
    for i, (a, b) in enumerate(zip(widths[:-1], widths[1:])):
        mods.append(torch.nn.Linear(a, b))
        if i < len(widths) - 2:
            mods.append(torch.nn.GELU())
    return torch.nn.Sequential(*mods)


@pytest.mark.parametrize("widths", [(3, 7, 5, 1), (3, 6, 5, 4, 2)])
def test_torch_sequential_against_autograd(widths):
    net = _sequential(widths).to(torch.float64)
    blocks = [net[2 * i:2 * i + 2] for i in range(len(widths) - 1)]  # Linear+GELU / last Linear
    X = _X()
    L = len(widths) - 1
    assert n_layers(net) == L
    for source in range(L):
        for target in range(source + 1, L + 1):
            J = layer_jacobian(net, X, source=source, target=target)
            assert J.shape == (len(X), widths[target], widths[source])
            ref = []
            for x in torch.tensor(X):
                h = torch.nn.Sequential(*blocks[:source])(x) if source else x
                sub = torch.nn.Sequential(*blocks[source:target])
                ref.append(torch.autograd.functional.jacobian(sub, h))
            np.testing.assert_allclose(J, torch.stack(ref).detach().numpy(), rtol=1e-10,
                                       atol=1e-12)
    # layer 1 is the inner map: the whole first block
    np.testing.assert_allclose(layer_jacobian(net, X), inner_jacobian(blocks[0], X), rtol=1e-12)
    np.testing.assert_allclose(layer_activations(net, X, L),
                               net(torch.tensor(X)).detach().numpy(), rtol=1e-12)


def test_torch_matches_sklearn():
    mlp = _sk_mlp((6, 5, 4), "tanh")
    mods = []
    for W, b in zip(mlp.coefs_, mlp.intercepts_):
        lin = torch.nn.Linear(*W.shape)
        with torch.no_grad():
            lin.weight.copy_(torch.tensor(W.T))
            lin.bias.copy_(torch.tensor(b))
        mods += [lin, torch.nn.Tanh()]
    net = torch.nn.Sequential(torch.nn.Sequential(*mods[:2]), *mods[2:-1])  # nested is flattened
    X = _X()
    np.testing.assert_allclose(layer_jacobian(net, X, source=1, target=3),
                               layer_jacobian(mlp, X, source=1, target=3), rtol=1e-6, atol=1e-9)


def test_analyzer_accepts_layer_jacobians():
    mlp = _sk_mlp((6, 5), "tanh")
    X = _X(40)
    J = layer_jacobian(mlp, X, source=1, target=2)
    scores = KAGeometryAnalyzer(minor_sizes=(1, 2), n_rotations=20, random_state=0).fit(J).score(J)
    assert scores["pr_normalized_k1"] == pytest.approx(1.0)
    assert 1 <= scores["pr_k2"] <= scores["pr_max_k2"]


@pytest.mark.parametrize("source, target, match", [
    (1, 1, "later layer"), (2, 1, "later layer"), (0, 3, "out of range"), (-1, 1, "out of range"),
    (0, 0, "later layer"),
])
def test_bad_layers(source, target, match):
    mlp = _sk_mlp((6, 5), "tanh")
    with pytest.raises(ValueError, match=match):
        layer_jacobian(mlp, _X(), source=source, target=target)
    net = _sequential((3, 6, 1))
    with pytest.raises(ValueError, match=match):
        layer_jacobian(net, _X(), source=source, target=target)


def test_bad_input():
    mlp = _sk_mlp((6, 5), "tanh")
    with pytest.raises(TypeError, match=r"^layer_jacobian: source must be an integer; got 0\.0 \(of type float\)"):
        layer_jacobian(mlp, _X(), source=0.0, target=1)
    with pytest.raises(ValueError, match="features"):
        layer_jacobian(mlp, _X(n=4), source=0, target=1)
    with pytest.raises(TypeError, match="does not support"):
        layer_jacobian(lambda x: x, _X())
    with pytest.raises(TypeError, match="does not support"):
        layer_jacobian(np.zeros((2, 3, 3)), _X())
    with pytest.raises(NotFittedError):
        layer_jacobian(MLPRegressor(), _X())
    with pytest.raises(ValueError, match="no nn.Linear"):
        layer_jacobian(torch.nn.Sequential(torch.nn.Tanh()), _X())
    with pytest.raises(ValueError, match="features"):
        layer_jacobian(_sequential((4, 6, 1)), _X(n=3))


def test_layer_index_messages_name_the_function():
    from sklearn_ka._utils import InvalidParameterError

    mlp = _sk_mlp((6, 5), "tanh")
    with pytest.raises(InvalidParameterError, match=r"^layer_jacobian: target must be an integer; got '2'"):
        layer_jacobian(mlp, _X(), source=0, target="2")
    with pytest.raises(InvalidParameterError, match=r"^layer_activations: layer must be an integer; got True"):
        layer_activations(mlp, _X(), True)
    # numpy integers are layer indices too
    np.testing.assert_array_equal(layer_jacobian(mlp, _X(), source=np.int64(1), target=np.int64(2)),
                                  layer_jacobian(mlp, _X(), source=1, target=2))
