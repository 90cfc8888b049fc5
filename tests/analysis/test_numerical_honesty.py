"""Nothing silently wrong: rank-deficient examples give NaN, counted and warned once; a trained baseline is named."""

import math
import re
import warnings

import numpy as np
import pytest
import torch
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_ka import KAGeometryAnalyzer, ShallowMLPRegressor, make_ka_regression
from sklearn_ka.analysis import SampledKAGeometryAnalyzer
from sklearn_ka.analysis._baseline import sklearn_initialisation
from sklearn_ka.jacobians import inner_jacobian


@pytest.fixture(scope="module")
def collapsed():
    """The inner map of Sequential(Linear(3, 1), Linear(1, 8), GELU()): rank 1 at every example."""
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Linear(1, 8), torch.nn.GELU())
    net0 = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.GELU())
    X = np.random.default_rng(0).uniform(-1, 1, (40, 3))
    return inner_jacobian(net, X), inner_jacobian(net0, X)


@pytest.fixture(scope="module")
def mlp():
    X, y = make_ka_regression("xor", 60, random_state=0)
    return ShallowMLPRegressor(8, max_epochs=20, random_state=0).fit(X, y), X


def _runtime(record):
    return [w for w in record if issubclass(w.category, RuntimeWarning)]


def re_search(pattern, warning):
    return re.search(pattern, str(warning.message)) is not None


def test_collapsed_inner_map_gives_nan_not_plausible_numbers(collapsed):
    # the regression: pr_normalized_k3 was 0.55 and per-example rotation ratios 7e14, with one warning
    J, J0 = collapsed
    ka = KAGeometryAnalyzer(n_rotations=20, random_state=0).fit(J0)
    with pytest.warns(RuntimeWarning) as record:
        s = ka.score(J)
    warned = _runtime(record)
    assert len(warned) == 1  # once per score, with the counts and the reason
    assert re_search(r"numerical rank < k at some of the 40 examples \(trained model k=2: 40, k=3: 40\)", warned[0])
    assert re_search(r"round-off", warned[0])
    for k in (2, 3):
        assert s[f"n_rank_deficient_k{k}"] == 40 and s[f"n_rank_deficient_initial_k{k}"] == 0
        for key in (f"pr_k{k}", f"pr_normalized_k{k}", f"rotation_ratio_k{k}", f"rotation_ratio_normalized_k{k}"):
            assert math.isnan(s[key]), key
        assert math.isfinite(s[f"pr_initial_k{k}"]) and math.isfinite(s[f"rotation_ratio_initial_k{k}"])
        assert math.isfinite(s[f"column_entropy_k{k}"])  # softmax: defined there
    assert s["n_rank_deficient_k1"] == 0 and math.isfinite(s["pr_normalized_k1"])
    with pytest.warns(RuntimeWarning) as record:
        T = ka.transform(J)
    assert len(_runtime(record)) == 1
    names = list(ka.get_feature_names_out())
    assert not any(name.startswith("n_rank_deficient") for name in names)
    for k in (2, 3):
        for name in (f"pr_k{k}", f"rotation_ratio_k{k}"):
            assert np.isnan(T[:, names.index(name)]).all(), name  # no 7e14 left
        assert np.isfinite(T[:, names.index(f"rotation_ratio_initial_k{k}")]).all()


def test_column_sum_statistics_are_nan_at_rank_deficient_examples(collapsed):
    J, J0 = collapsed
    ka = KAGeometryAnalyzer(minor_sizes=(2,), n_rotations=5, column_probability="sum", random_state=0).fit(J0)
    with pytest.warns(RuntimeWarning, match="column-sum statistics"):
        s = ka.score(J)
    assert math.isnan(s["column_entropy_k2"]) and math.isnan(s["column_kl_k2"])
    assert math.isfinite(s["column_entropy_initial_k2"])


def test_factored_models_follow_the_same_rule(mlp):
    model, X = mlp
    collapsed = ShallowMLPRegressor(8, max_epochs=20, random_state=0).fit(X, X.sum(1))
    A = collapsed.coefs_[0]
    collapsed.coefs_[0] = np.outer(A[:, 0], A[0])  # rank 1: J(x) = diag(sigma'(z)) A^T has rank 1
    ka = KAGeometryAnalyzer(n_rotations=5, random_state=0).fit(collapsed.initial_model(), X)
    with pytest.warns(RuntimeWarning, match="trained model k=2: 60, k=3: 60"):
        s = ka.score(collapsed, X)
    assert math.isnan(s["pr_k3"]) and math.isnan(s["rotation_ratio_k2"])
    # the array path agrees with the factored path
    ka_arrays = KAGeometryAnalyzer(n_rotations=5, random_state=0).fit(collapsed.initial_model().jacobian(X))
    with pytest.warns(RuntimeWarning):
        s_arrays = ka_arrays.score(collapsed.jacobian(X))
    assert {key: v for key, v in s.items() if key.startswith("n_rank")} == \
        {key: v for key, v in s_arrays.items() if key.startswith("n_rank")}


def test_full_rank_models_are_not_flagged_and_do_not_warn(mlp):
    model, X = mlp
    ka = KAGeometryAnalyzer(n_rotations=5, random_state=0).fit(model.initial_model(), X)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = ka.score(model, X)
    assert all(s[f"n_rank_deficient_k{k}"] == 0 for k in (1, 2, 3))
    assert all(math.isfinite(s[f"pr_normalized_k{k}"]) for k in (1, 2, 3))


def test_exhaustive_sampled_analyzer_counts_the_same_examples(collapsed):
    J, J0 = collapsed
    exact = KAGeometryAnalyzer(n_rotations=5, random_state=0).fit(J0)
    with pytest.warns(RuntimeWarning):
        s = exact.score(J)
    sampled = SampledKAGeometryAnalyzer(n_rows=None, n_cols=None, random_state=0).fit(J0)
    with pytest.warns(RuntimeWarning, match="no sampled size-k minor is above round-off") as record:
        est = sampled.estimate(J)
    assert len(_runtime(record)) == 1
    for k in (1, 2, 3):
        for name in ("n_rank_deficient", "n_rank_deficient_initial"):
            entry = est[f"{name}_k{k}"]
            assert entry["estimate"] == s[f"{name}_k{k}"] and entry["kind"] == "exact"
        assert math.isnan(est[f"pr_k{k}"]["estimate"]) == math.isnan(s[f"pr_k{k}"])
    # a partial sample counts at least the rank-deficient examples: an upper bound
    partial = SampledKAGeometryAnalyzer(n_rows=4, n_cols=None, n_replicates=2, random_state=0).fit(J0)
    with pytest.warns(RuntimeWarning):
        entry = partial.estimate(J)["n_rank_deficient_k3"]
    assert entry["kind"] == "upper_bound" and entry["estimate"] >= 40 and entry["low"] == 0


# ---------------------------------------------------------------- the baseline
def test_a_trained_baseline_is_named_with_the_fix(mlp):
    model, X = mlp
    for analyzer in (KAGeometryAnalyzer(n_rotations=5, random_state=0), SampledKAGeometryAnalyzer(random_state=0)):
        with pytest.warns(UserWarning, match=r"baseline is a trained ShallowMLPRegressor.*Pass "
                                             r"model\.initial_model\(\) to fit"):
            analyzer.fit(model, X)
    with pytest.warns(UserWarning, match="baseline is a trained ShallowMLPRegressor"):
        KAGeometryAnalyzer(n_rotations=5, random_state=0).fit(make_pipeline(StandardScaler().fit(X), model), X)


def test_an_initial_baseline_is_not_warned_about(mlp):
    model, X = mlp
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the training's own warnings (short training) are not the point here
        still = ShallowMLPRegressor(8, max_epochs=20, random_state=0).fit(X, X.sum(1))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        KAGeometryAnalyzer(n_rotations=5, random_state=0).fit(model.initial_model(), X)
        # a model that never moved from its initialisation is its own initial model
        still.coefs_ = [c.copy() for c in still.initial_coefs_]
        still.intercepts_ = [c.copy() for c in still.initial_intercepts_]
        KAGeometryAnalyzer(n_rotations=5, random_state=0).fit(still, X)
        # models that do not remember their initialisation cannot be checked: no warning
        sk = MLPRegressor(hidden_layer_sizes=(8,), max_iter=3, random_state=None)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sk.fit(X, X.sum(1))
        KAGeometryAnalyzer(n_rotations=5, random_state=0).fit(sk, X)


def test_a_trained_sklearn_mlp_with_an_integer_seed_is_named_as_a_baseline(mlp):
    _, X = mlp
    sk = MLPRegressor(hidden_layer_sizes=(8,), max_iter=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sk.fit(X, X.sum(1))
    with pytest.warns(UserWarning, match=r"baseline is a trained MLPRegressor.*baseline='initial'"):
        KAGeometryAnalyzer(n_rotations=5, random_state=0).fit(sk, X)
    with warnings.catch_warnings():  # its own initialisation, redrawn, is not warned about
        warnings.simplefilter("error")
        KAGeometryAnalyzer(n_rotations=5, random_state=0).fit(sklearn_initialisation(sk, 0), X)
