"""Tests for sklearn_ka.targets: the six families of the KA-geometry study and make_ka_regression."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sklearn_ka.targets import (
    CallableTarget,
    TargetFunction,
    canonical_target_name,
    check_sample_random_state,
    haar_special_orthogonal,
    list_targets,
    make_ka_regression,
    make_target,
    register_target,
)
from sklearn_ka.targets import _registry as registry

BUILTIN = {
    "xor": {},
    "linear": {},
    "random": {},
    "lambda_xor": {"lam": 0.8},
    "so_xor": {"alpha": 2},
    "gaussian": {"lam": 0.3},
}


@pytest.fixture
def clean_registry():
    """Undo user registrations made by a test."""
    saved = dict(registry._REGISTRY), dict(registry._ALIASES)
    yield
    registry._REGISTRY.clear()
    registry._REGISTRY.update(saved[0])
    registry._ALIASES.clear()
    registry._ALIASES.update(saved[1])


def test_registry_lists_the_six_families():
    assert set(BUILTIN) <= set(list_targets())


@pytest.mark.parametrize("name", sorted(BUILTIN))
@pytest.mark.parametrize("n_features", [1, 3, 5])
def test_shapes_dtypes_domain(name, n_features):
    X, y = make_ka_regression(name, 50, n_features, random_state=0, **BUILTIN[name])
    assert X.shape == (50, n_features) and y.shape == (50,)
    assert X.dtype == np.float64 and y.dtype == np.float64
    assert np.all(np.abs(X) <= 1) and np.all(np.isfinite(y))
    assert X.min() < -0.8 and X.max() > 0.8  # really spans the cube


def test_formulas():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (20, 3))
    assert np.allclose(make_target("xor")(X), np.prod(np.sin(np.pi * X), axis=1))
    assert np.allclose(make_target("lambda_xor", lam=0.7)(X),
                       np.prod(np.sin(0.7 * np.pi * X), axis=1))
    assert np.allclose(make_target("gaussian", lam=0.4)(X),
                       np.prod(np.exp(-X ** 2 / (2 * 0.4 ** 2)), axis=1))
    lin = make_target("linear", function_seed=5)
    assert np.all(np.abs(lin.coef) < 1) and abs(lin.intercept) < 1
    assert np.allclose(lin(X), X @ lin.coef + lin.intercept)
    so = make_target("so_xor", alpha=4)
    O = so.rotation
    z = (O @ X.T).T
    assert np.allclose(so(X), np.prod(np.sin(np.pi * z), axis=1))


def test_lambda_xor_at_one_is_xor_exactly():
    X, y = make_ka_regression("xor", 200, random_state=3)
    X2, y2 = make_ka_regression("lambda_xor", 200, random_state=3, lam=1)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    np.testing.assert_array_equal(make_target("lambda_xor", 4, lam=1.0)(X2[:, :1].repeat(4, 1)),
                                  make_target("xor", 4)(X2[:, :1].repeat(4, 1)))


def test_so_xor_rotation_is_haar_special_orthogonal():
    for n in (1, 2, 3, 6):
        O = haar_special_orthogonal(n, 7)
        assert np.allclose(O @ O.T, np.eye(n))
        assert np.isclose(np.linalg.det(O), 1.0)
        np.testing.assert_array_equal(O, haar_special_orthogonal(n, 7))
    assert not np.allclose(haar_special_orthogonal(3, 0), haar_special_orthogonal(3, 1))
    # Haar: E[O] = 0 for n >= 3; the mean of many draws is small.
    mean = np.mean([haar_special_orthogonal(3, s) for s in range(2000)], axis=0)
    assert np.abs(mean).max() < 0.08


def test_so_xor_depends_on_alpha_only():
    a = make_target("so_xor", alpha=1, function_seed=0)
    b = make_target("so_xor", alpha=1, function_seed=9)
    c = make_target("so_xor", alpha=2)
    np.testing.assert_array_equal(a.rotation, b.rotation)
    assert not np.allclose(a.rotation, c.rotation)


@pytest.mark.parametrize("name", ["linear", "so_xor"])
def test_train_and_test_share_the_function(name):
    params = {"alpha": 5} if name == "so_xor" else {}
    X, y = make_ka_regression(name, 100, random_state=0, function_seed=3, **params)
    Xt, yt = make_ka_regression(name, 100, random_state=1, function_seed=3, **params)
    assert not np.allclose(X, Xt)
    f = make_target(name, function_seed=3, **params)
    np.testing.assert_array_equal(f(X), y)
    np.testing.assert_array_equal(f(Xt), yt)
    # Passing the TargetFunction object gives the same data as the name.
    np.testing.assert_array_equal(make_ka_regression(f, 100, random_state=1)[1], yt)


def test_linear_function_seed_changes_function():
    assert not np.allclose(make_target("linear", function_seed=0).coef,
                           make_target("linear", function_seed=1).coef)


def test_random_is_iid_from_the_sample_stream():
    X, y = make_ka_regression("random", 2000, random_state=0)
    X2, y2 = make_ka_regression("random", 2000, random_state=0)
    _, y3 = make_ka_regression("random", 2000, random_state=1)
    np.testing.assert_array_equal(y, y2)  # reproducible
    assert not np.allclose(y, y3)  # train and test differ
    assert np.all(np.abs(y) <= 1)
    assert abs(y.mean()) < 0.05 and abs(y.var() - 1 / 3) < 0.03
    assert abs(np.corrcoef(X[:, 0], y)[0, 1]) < 0.1
    assert make_target("random").stochastic


def test_random_state_kinds():
    X1, _ = make_ka_regression("xor", 10, random_state=0)
    X2, _ = make_ka_regression("xor", 10, random_state=np.random.RandomState(0))
    np.testing.assert_array_equal(X1, X2)
    g1, g2 = np.random.default_rng(0), np.random.default_rng(0)
    np.testing.assert_array_equal(make_ka_regression("xor", 10, random_state=g1)[0],
                                  make_ka_regression("xor", 10, random_state=g2)[0])
    assert not np.allclose(make_ka_regression("xor", 10)[0], make_ka_regression("xor", 10)[0])
    with pytest.raises(TypeError, match="random_state"):
        make_ka_regression("xor", 10, random_state="zero")


def test_aliases_and_case():
    assert make_target("Lambda-XOR", lam=0.9).name == "lambda_xor"
    assert make_target("SO-xor", alpha=0).name == "so_xor"
    assert make_target("g", lam=0.5).name == "gaussian"


def test_introspection_and_repr():
    f = make_target("lambda_xor", n_features=4, lam=0.75)
    assert f.name == "lambda_xor" and f.n_features == 4
    assert f.params == {"lam": 0.75}
    assert f.get_params() == {"name": "lambda_xor", "n_features": 4, "function_seed": 0,
                              "lam": 0.75}
    f.params["lam"] = 9  # a copy
    assert f.params == {"lam": 0.75}
    assert repr(f) == "make_target('lambda_xor', n_features=4, lam=0.75)"
    assert repr(make_target("linear", function_seed=2)) == \
        "make_target('linear', n_features=3, function_seed=2)"
    assert repr(make_target("xor")) == "make_target('xor', n_features=3)"
    assert isinstance(make_target("xor"), TargetFunction)


def test_lambda_outside_studied_range_is_allowed():
    y = make_ka_regression("lambda_xor", 10, lam=3.0, random_state=0)[1]
    assert np.all(np.isfinite(y))
    make_target("gaussian", lam=5.0)


# --- user registration -------------------------------------------------------------------
def test_register_factory_returning_callable(clean_registry):
    def factory(n_features, function_seed, *, power=2):
        return lambda X: np.sum(X ** power, axis=1)

    register_target("power_sum", factory)
    assert "power_sum" in list_targets()
    X, y = make_ka_regression("power_sum", 20, 2, random_state=0, power=3)
    np.testing.assert_allclose(y, np.sum(X ** 3, axis=1))
    f = make_target("power_sum", 2, power=3)
    assert isinstance(f, CallableTarget) and f.name == "power_sum" and f.params == {"power": 3}
    with pytest.raises(TypeError, match="Accepted parameters: \\['power'\\]"):
        make_target("power_sum", 2, exponent=3)


def test_register_target_subclass(clean_registry):
    class Norm(TargetFunction):
        name = "norm"

        def __init__(self, n_features, function_seed=0, *, order=2):
            super().__init__(n_features, function_seed, order=order)
            self.order = order

        def _evaluate(self, X, rng):
            return np.linalg.norm(X, ord=self.order, axis=1)

    register_target("norm", Norm)
    X, y = make_ka_regression("norm", 10, random_state=0, order=1)
    np.testing.assert_allclose(y, np.abs(X).sum(1))


def test_reregistering_needs_overwrite(clean_registry):
    with pytest.raises(ValueError, match="already registered.*overwrite=True"):
        register_target("xor", lambda n, s: (lambda X: X[:, 0]))
    with pytest.raises(ValueError, match="already registered"):
        register_target("XOR", lambda n, s: (lambda X: X[:, 0]))
    register_target("xor", lambda n, s: (lambda X: X[:, 0]), overwrite=True)
    X, y = make_ka_regression("xor", 5, random_state=0)
    np.testing.assert_array_equal(y, X[:, 0])


def test_register_bad_arguments():
    with pytest.raises(TypeError, match="callable"):
        register_target("nope", 3)
    with pytest.raises(TypeError, match="non-empty string"):
        register_target("", lambda n, s: None)


def test_factory_returning_garbage(clean_registry):
    register_target("garbage", lambda n, s: 42)
    with pytest.raises(TypeError, match="expected a TargetFunction or a callable"):
        make_target("garbage")


def test_callable_and_target_instance_in_make():
    X, y = make_ka_regression(lambda X: X[:, 1] * 2, 10, 2, random_state=0)
    np.testing.assert_allclose(y, 2 * X[:, 1])
    f = make_target("xor", 5)
    X, _ = make_ka_regression(f, 10, random_state=0)
    assert X.shape == (10, 5)
    X, _ = make_ka_regression(f, 10, 5, random_state=0)
    with pytest.raises(ValueError, match="contradicts"):
        make_ka_regression(f, 10, 3)
    with pytest.raises(TypeError, match="already a fixed function"):
        make_ka_regression(f, 10, lam=2)
    with pytest.raises(TypeError, match="already a fixed function"):
        make_ka_regression(f, 10, function_seed=1)


# --- bad input ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        (dict(function="nope"), ValueError, "Unknown target function 'nope'.*'xor'"),
        (dict(function=3), TypeError, "registered target name"),
        (dict(function="xor", n_samples=1), ValueError, "n_samples must be an integer >= 2"),
        (dict(function="xor", n_samples=10.0), TypeError, "n_samples must be an integer"),
        (dict(function="xor", n_features=0), ValueError, "n_features must be an integer >= 1"),
        (dict(function="xor", n_features=True), TypeError, "n_features"),
        (dict(function="xor", lam=1.0), TypeError, "Accepted parameters: none"),
        (dict(function="so_xor"), TypeError, "required: \\['alpha'\\]"),
        (dict(function="so_xor", alpha=-1), ValueError, "alpha must be an integer >= 0"),
        (dict(function="so_xor", alpha=0.5), TypeError, "alpha is the integer seed"),
        (dict(function="lambda_xor"), TypeError, "required: \\['lam'\\]"),
        (dict(function="lambda_xor", lam=np.inf), ValueError, r"lam must be a finite number in \(0, inf\)"),
        (dict(function="gaussian", lam=0.0), ValueError, r"lam must be a finite number in \(0, inf\)"),
        (dict(function="gaussian", lam="big"), TypeError, r"lam must be a finite number in \(0, inf\)"),
        (dict(function="gaussian", lam=0.5, sigma=2), TypeError,
         "Accepted parameters: \\['lam'\\]"),
        (dict(function="linear", function_seed=-1), ValueError, "function_seed"),
        (dict(function="linear", function_seed=None), None, None),
    ],
)
def test_bad_parameters(kwargs, exc, match):
    kwargs = {"n_samples": 10, **kwargs}
    if exc is None:
        make_ka_regression(**kwargs)  # None means the default seed 0
        return
    with pytest.raises(exc, match=match):
        make_ka_regression(**kwargs)


def test_call_validates_X():
    f = make_target("xor", 3)
    with pytest.raises(ValueError, match="X has 2 features.*expects 3"):
        f(np.zeros((4, 2)))
    with pytest.raises(ValueError, match="NaN"):
        f(np.full((4, 3), np.nan))
    with pytest.raises(ValueError, match="2D array"):
        f(np.zeros(3))


@settings(max_examples=30, deadline=None)
@given(lam=st.floats(0.05, 3.0), n=st.integers(1, 6), seed=st.integers(0, 2 ** 31))
def test_property_ranges(lam, n, seed):
    X, y = make_ka_regression("lambda_xor", 20, n, random_state=seed, lam=lam)
    assert np.all(np.abs(y) <= 1)
    _, g = make_ka_regression("gaussian", 20, n, random_state=seed, lam=lam)
    assert np.all((g > 0) | (lam < 0.2)) and np.all(g <= 1)


def test_canonical_target_name_resolves_aliases_and_spelling(clean_registry):
    assert canonical_target_name("Lambda-XOR") == canonical_target_name("lam_xor") == "lambda_xor"
    assert canonical_target_name("rotated xor") == "so_xor"
    assert canonical_target_name("G") == "gaussian"
    assert {canonical_target_name(name) for name in list_targets()} == set(list_targets())
    register_target("My-Bump", lambda n, seed: (lambda X: X[:, 0]), aliases=("bump",))
    assert canonical_target_name("my_bump") == canonical_target_name("BUMP") == "My-Bump"
    assert make_target(canonical_target_name("bump"), 2).name == "My-Bump"
    with pytest.raises(ValueError, match="Unknown target function 'nope'; registered targets"):
        canonical_target_name("nope")
    with pytest.raises(TypeError, match="must be a string"):
        canonical_target_name(3)


@pytest.mark.parametrize("call, exc, match", [
    (lambda: make_ka_regression("xor", 1), ValueError,
     r"^make_ka_regression: n_samples must be an integer >= 2; got 1 \(of type int\)"),
    (lambda: make_target("xor", n_features=2.0), TypeError, r"n_features must be an integer >= 1; got 2\.0"),
    (lambda: make_target("linear", function_seed=np.True_), TypeError, r"function_seed must be an integer >= 0"),
    (lambda: make_target("gaussian", lam=-1), ValueError, r"^gaussian: lam must be a finite number in \(0, inf\)"),
    (lambda: make_target("so_xor", alpha=-2), ValueError, r"^so_xor: alpha must be an integer >= 0; got -2"),
    (lambda: haar_special_orthogonal(0, 1), ValueError, r"^haar_special_orthogonal: n must be an integer >= 1"),
    (lambda: check_sample_random_state(True), TypeError,
     r"random_state must be None, an integer in \[0, 2\*\*32 - 1\], a numpy RandomState or a numpy Generator; "
     r"got True \(of type bool\)"),
    (lambda: check_sample_random_state(-1), TypeError, r"random_state must be .*; got -1 \(of type int\)"),
])
def test_parameter_messages(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_sample_random_state_keeps_scikit_learns_streams():
    g = np.random.default_rng(3)
    assert check_sample_random_state(g) is g
    rs = np.random.RandomState(2)
    assert check_sample_random_state(rs) is rs
    np.testing.assert_array_equal(check_sample_random_state(np.int64(5)).uniform(size=4),
                                  np.random.RandomState(5).uniform(size=4))
    assert isinstance(check_sample_random_state(None), np.random.RandomState)


@pytest.mark.parametrize("call, match", [
    (lambda: make_ka_regression("xor", n_samples=10**10), r"^make_ka_regression: drawing 10000000000 samples of 3 "
                                                          r"features \(float64\) needs about 596 GiB, over the memory "
                                                          r"budget of 4 GiB\. Alternatives: fewer samples"),
    (lambda: make_ka_regression("xor", 100, n_features=10**8), r"^make_ka_regression: drawing 100 samples of "
                                                               r"100000000 features"),
    (lambda: make_ka_regression(lambda X: X[:, 0], 10**10), r"^make_ka_regression: drawing 10000000000 samples"),
    (lambda: make_target("linear", n_features=10**9), r"^linear: storing the 1000000000 coefficients"),
    (lambda: make_target("so_xor", n_features=10**5, alpha=0), r"^haar_special_orthogonal: a 100000 x 100000 "
                                                               r"rotation \(float64\) needs about 298 GiB"),
    (lambda: haar_special_orthogonal(10**6, 0), r"^haar_special_orthogonal: a 1000000 x 1000000 rotation"),
])
def test_absurd_sizes_are_refused_before_drawing(call, match):
    import time

    from sklearn_ka._utils import MemoryBudgetError

    start = time.perf_counter()
    with pytest.raises(MemoryBudgetError, match=match):
        call()
    assert time.perf_counter() - start < 1.0


def test_the_sample_budget_follows_the_environment(monkeypatch):
    from sklearn_ka._utils import MemoryBudgetError

    monkeypatch.setenv("SKLEARN_KA_MEMORY_BUDGET", str(2**20))
    with pytest.raises(MemoryBudgetError, match="over the memory budget of 1 MiB"):
        make_ka_regression("xor", 50_000)
    assert make_ka_regression("xor", 10_000)[0].shape == (10_000, 3)
