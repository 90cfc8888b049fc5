"""Tests for sklearn_ka.jacobians: inner_jacobian / inner_factors for every adapter."""

import ast
import pathlib
import warnings

import numpy as np
import pytest
import torch
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LinearRegression
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_ka.engine import ACTIVATIONS, get_activation
from sklearn_ka.jacobians import inner_factors, inner_jacobian
from sklearn_ka.jacobians._autodiff import torch_jacobian

RNG = np.random.default_rng(0)
X3 = RNG.uniform(-1, 1, (12, 3))


class FakeShallowMLP:
    """Stand-in with the ShallowMLPRegressor interface (coefs_, intercepts_, activation)."""

    def __init__(self, A, a, activation="gelu", dtype=np.float64):
        self.coefs_ = [A.astype(dtype), np.ones((A.shape[1], 1), dtype)]
        self.intercepts_ = [a.astype(dtype), np.zeros(1, dtype)]
        self.activation = activation
        self.n_features_in_ = A.shape[0]

    def fit(self, X, y):  # pragma: no cover - only needed to look like an estimator
        return self


class UnfittedShallowMLP:
    activation = "gelu"

    def fit(self, X, y):  # pragma: no cover
        return self


def inner_map_np(model, X):
    A, a = model.coefs_[0].astype(np.float64), model.intercepts_[0].astype(np.float64)
    return get_activation(model.activation).numpy_fn(X @ A + a)


def finite_difference(h, X, eps=1e-6):
    """Central differences of h: (B, n) -> (B, m); returns (B, m, n)."""
    cols = []
    for i in range(X.shape[1]):
        E = np.zeros_like(X)
        E[:, i] = eps
        cols.append((h(X + E) - h(X - E)) / (2 * eps))
    return np.stack(cols, axis=2)


def torch_autograd_reference(module, X):
    """Per-example torch.autograd.functional.jacobian (independent of torch.func)."""
    module = module.double()
    return np.stack([
        torch.autograd.functional.jacobian(module, torch.tensor(x)).numpy() for x in X
    ])


def fitted(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return est.fit(X, y)


# --- MLP-like estimators ------------------------------------------------------------------
@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_shallow_mlp_like_matches_formula_and_finite_differences(activation):
    A = RNG.normal(0, 1 / np.sqrt(3), (3, 7))
    a = RNG.normal(0, 0.3, 7)
    model = FakeShallowMLP(A, a, activation)
    J = inner_jacobian(model, X3)
    assert J.shape == (12, 7, 3) and J.dtype == np.float64
    d = get_activation(activation).numpy_deriv(X3 @ A + a)
    np.testing.assert_allclose(J, d[:, :, None] * A.T[None], rtol=0, atol=0)
    if activation != "relu":  # relu: kink; finite differences are fine away from it anyway
        fd = finite_difference(lambda X: inner_map_np(model, X), X3)
        np.testing.assert_allclose(J, fd, atol=1e-7)


def test_float32_weights_are_computed_in_float64():
    A = RNG.normal(size=(3, 5))
    a = RNG.normal(size=5)
    J32 = inner_jacobian(FakeShallowMLP(A, a, dtype=np.float32), X3)
    assert J32.dtype == np.float64
    A32, a32 = A.astype(np.float32).astype(np.float64), a.astype(np.float32).astype(np.float64)
    ref = get_activation("gelu").numpy_deriv(X3 @ A32 + a32)[:, :, None] * A32.T
    np.testing.assert_array_equal(J32, ref)


def test_torch_tensor_weights_are_accepted():
    A = torch.randn(3, 4, dtype=torch.float32, requires_grad=True)
    a = torch.zeros(4)
    model = FakeShallowMLP(A.detach().numpy(), a.numpy())
    model.coefs_[0], model.intercepts_[0] = A, a
    assert inner_jacobian(model, X3).shape == (12, 4, 3)


@pytest.mark.parametrize("activation", ["relu", "tanh", "logistic", "identity"])
@pytest.mark.parametrize("Est", [MLPRegressor, MLPClassifier])
def test_sklearn_mlps(Est, activation):
    y = (X3[:, 0] > 0).astype(int) if Est is MLPClassifier else X3.sum(1)
    est = fitted(Est(hidden_layer_sizes=(6, 4), activation=activation, max_iter=20,
                     random_state=0), X3, y)
    J = inner_jacobian(est, X3)
    assert J.shape == (12, 6, 3) and J.dtype == np.float64
    fd = finite_difference(lambda X: inner_map_np(est, X), X3)
    np.testing.assert_allclose(J, fd, atol=1e-6)


def test_sklearn_relu_matches_torch_autograd_convention():
    est = fitted(MLPRegressor(hidden_layer_sizes=(9,), max_iter=20, random_state=1), X3,
                 X3.sum(1))
    lin = torch.nn.Linear(3, 9).double()
    with torch.no_grad():
        lin.weight.copy_(torch.tensor(est.coefs_[0].T))
        lin.bias.copy_(torch.tensor(est.intercepts_[0]))
    ref = torch_autograd_reference(torch.nn.Sequential(lin, torch.nn.ReLU()), X3)
    np.testing.assert_allclose(inner_jacobian(est, X3), ref, atol=1e-12)


def test_pipeline_jacobian_is_wrt_last_step_input():
    X = RNG.uniform(-5, 5, (30, 3)) + 10
    pipe = fitted(make_pipeline(StandardScaler(),
                                MLPRegressor(hidden_layer_sizes=(5,), activation="tanh",
                                             max_iter=20, random_state=0)), X, X.sum(1))
    Xt = pipe[0].transform(X)
    J = inner_jacobian(pipe, X)
    np.testing.assert_allclose(J, inner_jacobian(pipe[-1], Xt), rtol=0, atol=0)
    fd = finite_difference(lambda Z: inner_map_np(pipe[-1], Z), Xt)
    np.testing.assert_allclose(J, fd, atol=1e-7)
    D, W = inner_factors(pipe, X)
    np.testing.assert_allclose(D[:, :, None] * W[None], J, rtol=0, atol=0)
    # A one-step pipeline is the model itself.
    single = fitted(make_pipeline(MLPRegressor(hidden_layer_sizes=(4,), max_iter=5)), X3,
                    X3.sum(1))
    np.testing.assert_array_equal(inner_jacobian(single, X3), inner_jacobian(single[-1], X3))


def test_pipeline_errors():
    pipe = make_pipeline(StandardScaler(), MLPRegressor())
    with pytest.raises(NotFittedError):
        inner_jacobian(pipe, X3)
    fitted_pipe = fitted(make_pipeline(StandardScaler(), LinearRegression()), X3, X3.sum(1))
    with pytest.raises(TypeError, match="Unsupported model of type LinearRegression"):
        inner_jacobian(fitted_pipe, X3)
    with pytest.raises(ValueError, match="X is required"):
        inner_jacobian(fitted_pipe)
    nan_pipe = fitted(make_pipeline(StandardScaler(), MLPRegressor(max_iter=3)), X3, X3.sum(1))
    Xnan = X3.copy()
    Xnan[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        inner_jacobian(nan_pipe, Xnan)  # StandardScaler lets NaN through; we catch it


def test_inner_factors_reproduce_jacobian():
    A, a = RNG.normal(size=(3, 6)), RNG.normal(size=6)
    model = FakeShallowMLP(A, a)
    D, W = inner_factors(model, X3)
    assert D.shape == (12, 6) and W.shape == (6, 3)
    assert D.dtype == W.dtype == np.float64 and W.flags.c_contiguous
    np.testing.assert_array_equal(W, A.T)
    np.testing.assert_array_equal(D[:, :, None] * W[None], inner_jacobian(model, X3))


def test_inner_factors_none_without_structure():
    assert inner_factors(np.zeros((2, 3, 1)), None) is None
    assert inner_factors(torch.nn.Linear(3, 2), X3) is None
    assert inner_factors(lambda x: x, X3) is None
    with pytest.raises(TypeError, match="Unsupported"):
        inner_factors("model", X3)


# --- torch modules and callables ----------------------------------------------------------
@pytest.mark.parametrize("m", [2, 3, 8])  # m < n uses reverse mode, m >= n forward mode
def test_torch_module(m):
    torch.manual_seed(0)
    module = torch.nn.Sequential(torch.nn.Linear(3, m), torch.nn.GELU())
    before = {k: v.clone() for k, v in module.state_dict().items()}
    J = inner_jacobian(module, X3)
    assert J.shape == (12, m, 3) and J.dtype == np.float64
    # the user's module is untouched (dtype, values, mode)
    assert all(v.dtype == torch.float32 for v in module.state_dict().values())
    assert all(torch.equal(before[k], v) for k, v in module.state_dict().items())
    assert module.training
    import copy
    ref = torch_autograd_reference(copy.deepcopy(module), X3)
    np.testing.assert_allclose(J, ref, atol=1e-12)


def test_torch_module_matches_analytic_gelu():
    A, a = RNG.normal(size=(3, 5)), RNG.normal(size=5)
    lin = torch.nn.Linear(3, 5).double()
    with torch.no_grad():
        lin.weight.copy_(torch.tensor(A.T))
        lin.bias.copy_(torch.tensor(a))
    J_torch = inner_jacobian(torch.nn.Sequential(lin, torch.nn.GELU()), X3)
    np.testing.assert_allclose(J_torch, inner_jacobian(FakeShallowMLP(A, a), X3), atol=1e-13)


def test_forward_and_reverse_modes_agree():
    W = torch.tensor(RNG.normal(size=(4, 3)))

    def f(x):
        return torch.sin(W @ x) * x.sum()

    Jf = torch_jacobian(f, X3, mode="forward")
    Jr = torch_jacobian(f, X3, mode="reverse")
    np.testing.assert_allclose(Jf, Jr, atol=1e-13)
    np.testing.assert_allclose(torch_jacobian(f, X3), Jf, atol=0)
    with pytest.raises(ValueError, match="mode"):
        torch_jacobian(f, X3, mode="sideways")


def test_callable_matches_finite_differences():
    M = RNG.normal(size=(3, 4))

    def f(x):
        return torch.tanh(x @ torch.tensor(M)) ** 2

    J = inner_jacobian(f, X3)
    fd = finite_difference(lambda X: np.tanh(X @ M) ** 2, X3)
    np.testing.assert_allclose(J, fd, atol=1e-8)


def test_dropout_module_is_evaluated_in_eval_mode():
    torch.manual_seed(0)
    module = torch.nn.Sequential(torch.nn.Linear(3, 6), torch.nn.Dropout(0.5), torch.nn.Tanh())
    J1, J2 = inner_jacobian(module, X3), inner_jacobian(module, X3)
    np.testing.assert_array_equal(J1, J2)
    assert module.training


def test_callable_errors():
    with pytest.raises(ValueError, match="shape \\(m,\\)"):
        inner_jacobian(lambda x: x.sum(), X3)  # scalar output
    with pytest.raises(ValueError, match="shape \\(m,\\)"):
        inner_jacobian(lambda x: x[None, :], X3)  # 2-D output
    with pytest.raises(ValueError, match="failed"):
        inner_jacobian(torch.nn.Linear(4, 2), X3)  # wrong width
    with pytest.raises(ValueError, match="X is required"):
        inner_jacobian(torch.nn.Linear(3, 2))
    with pytest.raises(RuntimeError, match="torch.func could not differentiate"):
        inner_jacobian(lambda x: torch.tensor(np.tanh(x.detach().numpy())), X3)


# --- precomputed arrays -------------------------------------------------------------------
def test_precomputed_array():
    J0 = RNG.normal(size=(5, 4, 3)).astype(np.float32)
    J = inner_jacobian(J0)
    assert J.dtype == np.float64
    np.testing.assert_array_equal(J, J0.astype(np.float64))
    np.testing.assert_array_equal(inner_jacobian(torch.tensor(J0)), J)
    np.testing.assert_array_equal(inner_jacobian(J0, X3[:5]), J)  # X only checked
    with pytest.raises(ValueError, match="5 samples but the precomputed Jacobian has 4"):
        inner_jacobian(J0[:4], X3[:5])
    with pytest.raises(ValueError, match="expecting 3 features"):
        inner_jacobian(J0, X3[:5, :2])


@pytest.mark.parametrize("shape", [(3,), (4, 3), (2, 4, 3, 1)])
def test_precomputed_wrong_rank(shape):
    with pytest.raises(ValueError, match="shape \\(n_samples, m, n\\)"):
        inner_jacobian(np.zeros(shape))


def test_precomputed_bad_values():
    J = np.zeros((2, 3, 3))
    J[0, 0, 0] = np.inf
    with pytest.raises(ValueError, match="NaN or infinity"):
        inner_jacobian(J)
    with pytest.raises(ValueError, match="real numeric"):
        inner_jacobian(np.zeros((2, 3, 3), dtype=object))
    with pytest.raises(ValueError, match="empty"):
        inner_jacobian(np.zeros((0, 3, 3)))


# --- dtype and bad input ------------------------------------------------------------------
def test_output_dtype():
    model = FakeShallowMLP(RNG.normal(size=(3, 4)), RNG.normal(size=4))
    J32 = inner_jacobian(model, X3, dtype=np.float32)
    assert J32.dtype == np.float32
    np.testing.assert_array_equal(J32, inner_jacobian(model, X3).astype(np.float32))
    with pytest.raises(ValueError, match="floating dtype"):
        inner_jacobian(model, X3, dtype=int)
    with pytest.raises(ValueError, match="floating dtype"):
        inner_jacobian(model, X3, dtype="banana")


def test_bad_X_for_mlp():
    model = FakeShallowMLP(RNG.normal(size=(3, 4)), RNG.normal(size=4))
    with pytest.raises(ValueError, match="X has 2 features, but FakeShallowMLP is expecting 3"):
        inner_jacobian(model, X3[:, :2])
    for bad in (np.nan, np.inf):
        Xb = X3.copy()
        Xb[1, 2] = bad
        with pytest.raises(ValueError, match="NaN|infinity"):
            inner_jacobian(model, Xb)
    with pytest.raises(ValueError, match="X is required"):
        inner_jacobian(model)
    with pytest.raises(ValueError, match="2D array"):
        inner_jacobian(model, X3[0])


def test_unfitted_models_raise_not_fitted():
    for model in (MLPRegressor(), MLPClassifier(), UnfittedShallowMLP()):
        with pytest.raises(NotFittedError):
            inner_jacobian(model, X3)
        with pytest.raises(NotFittedError):
            inner_factors(model, X3)


def test_malformed_mlp_like():
    model = FakeShallowMLP(RNG.normal(size=(3, 4)), RNG.normal(size=4))
    model.activation = "softsign"
    with pytest.raises(ValueError, match="Unknown activation 'softsign'"):
        inner_jacobian(model, X3)
    del model.activation
    with pytest.raises(TypeError, match="no 'activation' attribute"):
        inner_jacobian(model, X3)
    model = FakeShallowMLP(RNG.normal(size=(3, 4)), RNG.normal(size=5))
    with pytest.raises(ValueError, match="Inconsistent first layer"):
        inner_jacobian(model, X3)


@pytest.mark.parametrize("model", ["mlp", 3, None, LinearRegression(), MLPRegressor])
def test_unsupported_models(model):
    if isinstance(model, LinearRegression):
        model = fitted(model, X3, X3.sum(1))
    with pytest.raises(TypeError, match="Unsupported model.*Supported:.*Pipeline.*nn.Module"):
        inner_jacobian(model, X3)


def test_layering_imports():
    """The jacobians package imports only sklearn_ka.engine and the conventions layer from the project."""
    pkg = pathlib.Path(__file__).parents[2] / "sklearn_ka" / "jacobians"
    for path in pkg.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level >= 2:
                assert node.module in ("engine", "_utils"), (path.name, node.module)
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                assert not node.module.startswith("sklearn_ka") or \
                    node.module in ("sklearn_ka.engine", "sklearn_ka._utils"), (path.name, node.module)
            if isinstance(node, ast.Import):
                assert all(not a.name.startswith("sklearn_ka") for a in node.names)


def test_autodiff_mode_message():
    from sklearn_ka._utils import InvalidParameterError

    with pytest.raises(InvalidParameterError, match=r"mode must be one of 'auto', 'forward', 'reverse'; got 'fwd'"):
        torch_jacobian(torch.nn.Tanh(), X3, mode="fwd")


def test_non_numeric_x_is_named_not_numpys_message():
    net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.GELU())
    with pytest.raises(ValueError, match=r"X must be numeric: an array of numbers of shape \(n_samples, n_features\) "
                                         r"to compute the Jacobian of Sequential; it could not be read as float64"):
        inner_jacobian(net, [["a", "b", "c"]])
    with pytest.raises(ValueError, match="X must be numeric"):
        inner_jacobian(net, np.array([[object(), 1, 2]], dtype=object))


def test_jacobians_beyond_the_memory_budget_are_refused_before_computing(monkeypatch):
    from sklearn_ka._utils import MemoryBudgetError
    from sklearn_ka.jacobians import layer_activations, layer_jacobian

    wide = torch.nn.Sequential(torch.nn.Linear(3, 2_000_000), torch.nn.GELU())
    calls = []
    monkeypatch.setattr(torch.func, "vmap", lambda *a, **k: calls.append(1))
    with pytest.raises(MemoryBudgetError, match=r"inner_jacobian: an array of 400 Jacobians of shape 2000000x3 needs "
                                                r"about .* over the memory budget"):
        inner_jacobian(wide, np.zeros((400, 3)))
    assert not calls  # refused before torch.func was asked for anything
    monkeypatch.setenv("SKLEARN_KA_MEMORY_BUDGET", "10000")
    X = np.random.default_rng(0).uniform(-1, 1, (50, 3))
    small = torch.nn.Sequential(torch.nn.Linear(3, 16), torch.nn.GELU(), torch.nn.Linear(16, 16), torch.nn.GELU())
    with pytest.raises(MemoryBudgetError, match="layer_jacobian: an array of 50 Jacobians of shape 16x16"):
        layer_jacobian(small, X, source=1, target=2)
    with pytest.raises(ValueError, match=r"layer_activations: layer=5 is out of range: the model has 2 layer\(s\)"):
        layer_activations(small, X, 5)
