"""KAGeometryAnalyzer and ka_scorer: integration of Jacobians, minors and observables."""

import inspect
import itertools
import math
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV, cross_validate
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_ka import KAGeometryAnalyzer, ShallowMLPRegressor, ka_scorer, make_ka_regression
from sklearn_ka._utils import PAPER_PROTOCOL, InvalidParameterError
from sklearn_ka.analysis import SampledKAGeometryAnalyzer
from sklearn_ka.exterior import MinorBudgetError
from sklearn_ka.jacobians import inner_factors


@pytest.fixture(scope="module")
def data():
    X, y = make_ka_regression("xor", 150, random_state=0)
    return X, y


@pytest.fixture(scope="module")
def mlp(data):
    return ShallowMLPRegressor(8, batch_size=50, max_epochs=150, random_state=0).fit(*data)


def _expected_keys(ks, qs):
    # spelled out by hand on purpose: an independent check of the keys' format
    keys = []
    for k in ks:
        for q in qs:
            keys += [f"zero_rows_k{k}_q{q:g}", f"consistent_zero_rows_k{k}_q{q:g}"]
            if k >= 2:
                keys.append(f"dependent_zero_rows_k{k}_q{q:g}")
        keys += [f"pr_k{k}", f"pr_initial_k{k}", f"pr_max_k{k}", f"pr_normalized_k{k}", f"rotation_ratio_k{k}",
                 f"rotation_ratio_initial_k{k}", f"rotation_ratio_normalized_k{k}", f"column_entropy_k{k}",
                 f"column_entropy_initial_k{k}", f"column_kl_k{k}", f"n_rank_deficient_k{k}",
                 f"n_rank_deficient_initial_k{k}"]
    return keys


def _naive_minors(J, k):
    B, m, n = J.shape
    rows, cols = list(itertools.combinations(range(m), k)), list(itertools.combinations(range(n), k))
    out = np.empty((B, len(rows), len(cols)))
    for b in range(B):
        for i, I in enumerate(rows):
            for j, K in enumerate(cols):
                out[b, i, j] = abs(np.linalg.det(J[b][np.ix_(I, K)]))
    return out


def test_score_keys_and_values_against_a_naive_computation(mlp, data):
    X = data[0][:40]
    ka = KAGeometryAnalyzer(random_state=0).fit(mlp.initial_model(), X)
    s = ka.score(mlp, X)
    assert list(s) == _expected_keys((1, 2, 3), (1e-4, 1e-3, 1e-2))
    J, J0 = mlp.jacobian(X), mlp.initial_model().jacobian(X)
    m = 8
    for k in (1, 2, 3):
        Jk, J0k = _naive_minors(J, k), _naive_minors(J0, k)
        # participation ratio
        pr = np.mean([np.abs(a).sum() / np.sqrt((a**2).sum()) for a in Jk])
        pr0 = np.mean([np.abs(a).sum() / np.sqrt((a**2).sum()) for a in J0k])
        assert s[f"pr_k{k}"] == pytest.approx(pr, rel=1e-10)
        assert s[f"pr_normalized_k{k}"] == pytest.approx(pr / pr0, rel=1e-10)
        assert s[f"pr_max_k{k}"] == pytest.approx(math.sqrt(math.comb(m, k) * math.comb(3, k)))
        # zero rows: threshold = q(k)-quantile of the initial row means
        for q1 in (1e-4, 1e-3, 1e-2):
            x = m * (1 - q1)
            qk = 1 - math.exp(math.lgamma(x + 1) - math.lgamma(k + 1) - math.lgamma(x - k + 1)) / math.comb(m, k)
            Q = np.quantile(J0k.mean(2).ravel(), qk)
            assert ka.thresholds_[k, q1] == pytest.approx(Q, rel=1e-9)
            zero = Jk.mean(2) < Q
            assert s[f"zero_rows_k{k}_q{q1:g}"] == pytest.approx(zero.mean(), abs=1e-12)
            consistent = zero.mean(0) >= 0.99
            assert s[f"consistent_zero_rows_k{k}_q{q1:g}"] == pytest.approx((zero & consistent).mean(), abs=1e-12)
        # column statistics (softmax, base C(m,k))
        def probs(a):
            e = np.exp(a - a.max(1, keepdims=True))
            return e / e.sum(1, keepdims=True)
        P, Q0 = probs(Jk), probs(J0k)
        base = math.log(math.comb(m, k))
        H = (-(P * np.log(P)).sum(1) / base).mean()
        KL = ((P * np.log(P / Q0)).sum(1) / base).mean()
        assert s[f"column_entropy_k{k}"] == pytest.approx(H, rel=1e-9)
        assert s[f"column_kl_k{k}"] == pytest.approx(KL, rel=1e-7, abs=1e-12)
        # a trained model of full rank everywhere: nothing is rank-deficient
        assert s[f"n_rank_deficient_k{k}"] == 0 and s[f"n_rank_deficient_initial_k{k}"] == 0


def test_dependent_zero_rows_follow_the_definition(mlp, data):
    X = data[0][:40]
    ka = KAGeometryAnalyzer(random_state=0, false_positive_rates=(0.05,)).fit(mlp.initial_model(), X)
    s = ka.score(mlp, X)
    J = mlp.jacobian(X)
    zero = {k: _naive_minors(J, k).mean(2) < ka.thresholds_[k, 0.05] for k in (1, 2, 3)}
    rows = {k: list(itertools.combinations(range(8), k)) for k in (1, 2, 3)}
    index = {k: {r: i for i, r in enumerate(rows[k])} for k in (1, 2)}
    for k in (2, 3):
        dep = np.zeros_like(zero[k])
        for i, r in enumerate(rows[k]):
            faces = [index[k - 1][f] for f in itertools.combinations(r, k - 1)]
            dep[:, i] = zero[k][:, i] & ~zero[k - 1][:, faces].any(1)
        assert s[f"dependent_zero_rows_k{k}_q0.05"] == pytest.approx(dep.mean(), abs=1e-12)


def test_model_against_itself(mlp, data):
    X = data[0]
    with pytest.warns(UserWarning, match=r"baseline is a trained ShallowMLPRegressor.*initial_model\(\)"):
        ka = KAGeometryAnalyzer(random_state=0).fit(mlp, X)
    s = ka.score(mlp)
    for k in (1, 2, 3):
        assert s[f"column_kl_k{k}"] == 0
        assert s[f"pr_normalized_k{k}"] == 1
        assert s[f"rotation_ratio_normalized_k{k}"] == 1


def test_precomputed_jacobians_and_new_examples(mlp, data):
    X = data[0]
    init = mlp.initial_model()
    a = KAGeometryAnalyzer(random_state=1).fit(init, X).score(mlp, X)
    b = KAGeometryAnalyzer(random_state=1).fit(init.jacobian(X)).score(mlp.jacobian(X))
    assert a.keys() == b.keys()
    for key in a:
        assert a[key] == pytest.approx(b[key], rel=1e-12, abs=1e-15), key
    # new examples: the initial model is evaluated on them too, thresholds stay those of fit
    Xn = make_ka_regression("xor", 60, random_state=5)[0]
    ka = KAGeometryAnalyzer(random_state=1).fit(init, X)
    new = ka.score(mlp, Xn)
    assert new["pr_initial_k3"] == pytest.approx(
        KAGeometryAnalyzer(random_state=1).fit(init, Xn).score(mlp, Xn)["pr_initial_k3"])
    with pytest.raises(ValueError, match="same examples"):
        KAGeometryAnalyzer().fit(init.jacobian(X)).score(mlp.jacobian(Xn))


@pytest.mark.slow
def test_results_do_not_depend_on_chunking_or_n_jobs(mlp, monkeypatch):
    monkeypatch.setattr("sklearn_ka.analysis._memory_plan.BLOCK_MAX", 256)
    X = make_ka_regression("xor", 700, random_state=3)[0]  # several blocks
    init = mlp.initial_model()
    ref = KAGeometryAnalyzer(random_state=0).fit(init, X).transform(mlp, X)
    for params in ({"chunk_size": 7}, {"chunk_size": 1000}, {"n_jobs": 2}, {"n_jobs": 2, "chunk_size": 300}):
        got = KAGeometryAnalyzer(random_state=0, **params).fit(init, X).transform(mlp, X)
        np.testing.assert_array_equal(got, ref)


def test_transform_names_and_pandas_output(mlp, data):
    X = data[0]
    ka = KAGeometryAnalyzer(random_state=0, minor_sizes=(1, 2), false_positive_rates=(0.01,))
    ka.fit(mlp.initial_model(), X)
    out = ka.transform(mlp, X)
    names = ka.get_feature_names_out()
    assert out.shape == (150, len(names))
    assert "zero_rows_k2_q0.01" in names and "pr_max_k2" not in names
    df = ka.set_output(transform="pandas").transform(mlp, X)
    assert isinstance(df, pd.DataFrame) and list(df.columns) == list(names)
    s = ka.score(mlp, X)
    assert s["pr_k2"] == pytest.approx(df["pr_k2"].mean())


def test_sampled_and_haar_rotation_ratios_agree(mlp, data):
    X = data[0][:60]
    init = mlp.initial_model()
    h = KAGeometryAnalyzer(random_state=0, rotation_method="haar").fit(init, X).score(mlp, X)
    s = KAGeometryAnalyzer(random_state=0, rotation_method="sampled").fit(init, X).score(mlp, X)
    for k in (1, 2, 3):
        assert s[f"rotation_ratio_k{k}"] == pytest.approx(h[f"rotation_ratio_k{k}"], rel=0.03)


def test_pipeline_and_sklearn_mlp(mlp, data):
    X, y = data
    scaler = StandardScaler().fit(X)
    pipe = make_pipeline(scaler, ShallowMLPRegressor(6, max_epochs=20, random_state=0)).fit(X, y)
    inner = pipe[-1]
    a = KAGeometryAnalyzer(random_state=0).fit(make_pipeline(scaler, inner.initial_model()), X).score(pipe, X)
    b = KAGeometryAnalyzer(random_state=0).fit(inner.initial_model(), scaler.transform(X)).score(
        inner, scaler.transform(X))
    assert a == pytest.approx(b)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sk = MLPRegressor(hidden_layer_sizes=(10,), activation="tanh", max_iter=30, random_state=0).fit(X, y)
    s = KAGeometryAnalyzer(random_state=0).fit(sk, X).score(sk, X)
    assert s["pr_normalized_k3"] == 1


def test_ka_scorer_in_grid_search_and_cross_validate(data):
    X, y = data
    scorer = ka_scorer("pr_normalized_k3", n_rotations=20)
    search = GridSearchCV(ShallowMLPRegressor(max_epochs=15, random_state=0), {"hidden_units": [4, 8]},
                          scoring={"r2": "r2", "pr3": scorer}, refit="r2", n_jobs=2, cv=2)
    search.fit(X, y)
    # a smaller PR is more KA-like: the scorer returns -PR, so that larger is better in the search
    assert np.all(search.cv_results_["mean_test_pr3"] < 0)
    pipe = make_pipeline(StandardScaler(), ShallowMLPRegressor(4, max_epochs=10, random_state=0))
    kl = ka_scorer("column_kl_k2", greater_is_better=True, n_rotations=10)  # no KA direction: given
    res = cross_validate(pipe, X, y, cv=2, scoring={"kl": kl})
    assert np.all(res["test_kl"] >= 0)
    with pytest.raises(ValueError, match=r"'pr_k4': the analyzer's minor_sizes are \(1, 2, 3\)"):
        ka_scorer("pr_k4")  # a valid key this analysis lacks: refused when built
    with pytest.raises(TypeError, match="initial_model"):
        ka_scorer("pr_k1")(StandardScaler().fit(X), X)
    with pytest.raises(TypeError, match=r"ka_scorer: unknown KAGeometryAnalyzer parameter\(s\) \['n_rotation'\]; its "
                                        r"parameters are .*n_rotations"):
        ka_scorer("pr_k1", n_rotation=3)


def test_minor_sizes_are_clipped_to_n(data):
    X, y = make_ka_regression("xor", 50, n_features=2, random_state=0)
    m = ShallowMLPRegressor(5, max_epochs=5, random_state=0).fit(X, y)
    with pytest.warns(UserWarning, match=r"minor sizes \[3\] exceed"):
        ka = KAGeometryAnalyzer(random_state=0).fit(m.initial_model(), X)
    assert ka.minor_sizes_ == (1, 2)
    assert "pr_k3" not in ka.score(m, X)


def test_an_all_zero_jacobian_is_excluded_and_counted_not_a_nan_mean():
    J0 = np.random.default_rng(0).normal(size=(20, 5, 3))
    J = J0 * np.random.default_rng(1).uniform(0.5, 2, size=(20, 1, 3))
    J[3] = 0
    ka = KAGeometryAnalyzer(random_state=0).fit(J0)
    with pytest.warns(RuntimeWarning, match=r"trained model k=1: 1, k=2: 1, k=3: 1.*excluded from their means"):
        s = ka.score(J)
    with pytest.warns(RuntimeWarning):
        T = pd.DataFrame(ka.transform(J), columns=ka.get_feature_names_out())
    for k in (1, 2, 3):
        assert s[f"n_rank_deficient_k{k}"] == 1 and s[f"n_rank_deficient_initial_k{k}"] == 0
        for name in ("pr", "rotation_ratio"):
            assert np.isnan(T[f"{name}_k{k}"][3])  # undefined at that example...
            assert math.isfinite(s[f"{name}_k{k}"])  # ...and left out of the mean over the other 19
            assert s[f"{name}_k{k}"] == pytest.approx(T[f"{name}_k{k}"].drop(index=3).mean(), rel=1e-12)
        assert s[f"pr_normalized_k{k}"] == pytest.approx(s[f"pr_k{k}"] / s[f"pr_initial_k{k}"])


def test_bad_input_is_a_clear_error(mlp, data):
    X = data[0]
    with pytest.raises(NotFittedError):
        KAGeometryAnalyzer().score(mlp, X)
    wide = ShallowMLPRegressor(9, max_epochs=2, random_state=0).fit(*data)
    ka = KAGeometryAnalyzer(random_state=0).fit(mlp.initial_model(), X)
    with pytest.raises(ValueError, match="m=9 hidden units .* m=8"):
        ka.score(wide, X)
    with pytest.raises(ValueError, match="X has 2 features"):
        ka.score(mlp, X[:, :2])
    Xn = X.copy()
    Xn[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        ka.score(mlp, Xn)
    with pytest.raises(TypeError, match="Supported"):
        KAGeometryAnalyzer().fit("a model", X)
    with pytest.raises(ValueError, match="n_rotations must be an integer >= 1"):
        KAGeometryAnalyzer(n_rotations=0).fit(mlp, X)
    with pytest.raises(ValueError, match="minor_sizes must be an integer >= 1 or a non-empty sequence"):
        KAGeometryAnalyzer(minor_sizes=(0, 1)).fit(mlp, X)
    with pytest.raises(ValueError, match="rotation_method must be one of"):
        KAGeometryAnalyzer(rotation_method="exact").fit(mlp, X)
    with pytest.raises(ValueError, match="false_positive_rates"):
        KAGeometryAnalyzer(false_positive_rates=(1.5,)).fit(mlp, X)
    with pytest.raises(ValueError, match="rank|ndim|3-D|dimensions"):
        KAGeometryAnalyzer().fit(np.zeros((4, 3)))


def test_a_request_that_cannot_fit_is_refused_at_once(monkeypatch):
    rng = np.random.default_rng(0)
    big = ShallowMLPRegressor(2000, max_epochs=1, random_state=0)
    big.fit(rng.uniform(-1, 1, (4, 3)), rng.normal(size=4))

    def computed(*args, **kwargs):
        raise AssertionError("minors were computed before the budget was checked")

    monkeypatch.setattr("sklearn_ka.analysis._analyzer.initial_thresholds", computed)
    with pytest.raises(MinorBudgetError, match="smaller minor size k|sampled minors"):
        KAGeometryAnalyzer(random_state=0).fit(big.initial_model(), rng.uniform(-1, 1, (10, 3)))


def test_tail_statistics(mlp, data):
    X = data[0]
    ka = KAGeometryAnalyzer(random_state=0, minor_sizes=(3,)).fit(mlp.initial_model(), X)
    tails = ka.tail_statistics(mlp, X)
    t = tails[3]["trained"]
    assert t["mef"].shape == t["quantile_ranks"].shape == (10,)
    minors = _naive_minors(mlp.jacobian(X), 3).ravel()
    assert t["quantile_ratio"] == pytest.approx(np.quantile(minors, 0.99) / np.quantile(minors, 0.01))
    u = np.quantile(minors, 0.95)
    assert t["mef"][5] == pytest.approx((minors[minors > u] - u).mean(), rel=1e-6)


def test_input_columns_restrict_the_analysis(mlp, data):
    X = data[0]
    init = mlp.initial_model()
    with pytest.warns(UserWarning, match=r"minor sizes \[3\] exceed"):
        ka = KAGeometryAnalyzer(random_state=0, input_columns=[2, 0]).fit(init, X)
    a = ka.score(mlp, X)
    cols = [0, 2]
    with pytest.warns(UserWarning, match=r"minor sizes \[3\] exceed"):
        b = KAGeometryAnalyzer(random_state=0).fit(init.jacobian(X)[:, :, cols]).score(mlp.jacobian(X)[:, :, cols])
    assert a == pytest.approx(b, rel=1e-12)
    assert "pr_k3" not in a and a["pr_max_k2"] == pytest.approx(math.sqrt(math.comb(8, 2)))
    assert list(ka.input_columns_) == cols and ka.n_features_in_ == 3
    with pytest.warns(UserWarning):
        mask = KAGeometryAnalyzer(random_state=0, input_columns=[True, False, True]).fit(init, X)
    assert mask.score(mlp, X) == pytest.approx(a, rel=1e-12)
    for bad in ([0, 0], [3], [], [-1]):
        with pytest.raises(ValueError, match="input_columns"):
            KAGeometryAnalyzer(input_columns=bad).fit(init, X)


def test_streaming_thresholds_equal_pooled_quantiles(mlp, data, monkeypatch):
    from sklearn_ka.observables import streaming_quantiles

    rng = np.random.default_rng(0)
    v = np.abs(rng.standard_cauchy(5003)) ** 3
    v[rng.random(v.size) < 0.05] = 0
    q = [0.0, 1e-3, 0.0297, 0.5, 1.0]
    np.testing.assert_array_equal(streaming_quantiles(lambda: (v[i:i + 700] for i in range(0, v.size, 700)), q),
                                  np.quantile(v, q))
    with pytest.raises(ValueError, match="non-negative"):
        streaming_quantiles(lambda: [np.array([-1.0])], 0.5)
    # an analyzer whose budget forces the streaming path records the same thresholds
    X = data[0]
    monkeypatch.setattr("sklearn_ka.analysis._memory_plan.BLOCK_MAX", 32)
    small = KAGeometryAnalyzer(random_state=0, max_memory_bytes=200_000).fit(mlp.initial_model(), X)
    big = KAGeometryAnalyzer(random_state=0).fit(mlp.initial_model(), X)
    assert small.thresholds_ == big.thresholds_


def test_bounded_memory_path_gives_the_same_observables(mlp, data):
    X = data[0]
    init = mlp.initial_model()
    kw = dict(random_state=0, false_positive_rates=(0.1,), consistent_fraction=0.3)  # some consistent rows
    ref = KAGeometryAnalyzer(**kw).fit(init, X)
    # a budget too small to keep the zero-row masks of every example: a second pass instead
    small = KAGeometryAnalyzer(max_memory_bytes=60_000, **kw).fit(init, X)
    assert small._memory.block < 150
    np.testing.assert_allclose(small.transform(mlp, X), ref.transform(mlp, X), rtol=1e-12, atol=1e-15)
    consistent = [i for i, name in enumerate(ref.get_feature_names_out()) if name.startswith("consistent")]
    assert np.any(ref.transform(mlp, X)[:, consistent] > 0)


def test_scoring_on_a_copy_of_the_fit_x_equals_scoring_on_none(mlp, data):
    X = data[0]
    ka = KAGeometryAnalyzer(random_state=0).fit(mlp.initial_model(), X)
    np.testing.assert_array_equal(ka.transform(mlp, X.copy()), ka.transform(mlp))
    other = make_ka_regression("xor", 150, random_state=9)[0]  # different X: the initial model is re-evaluated
    fresh = KAGeometryAnalyzer(random_state=0).fit(mlp.initial_model(), X).score(mlp, other)
    assert fresh != ka.score(mlp)


def test_non_finite_weights_are_a_clear_error(mlp, data):
    import copy

    broken = copy.deepcopy(mlp)
    broken.coefs_[0] = broken.coefs_[0].copy()
    broken.coefs_[0][0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN or infinite"):
        KAGeometryAnalyzer(random_state=0).fit(mlp.initial_model(), data[0]).score(broken, data[0])


@pytest.mark.parametrize("params, message", [
    ({"n_rotations": 2.5}, "KAGeometryAnalyzer: n_rotations must be an integer >= 1; got 2.5"),
    ({"minor_sizes": "12"}, "KAGeometryAnalyzer: minor_sizes must be an integer >= 1 or a non-empty sequence"),
    ({"false_positive_rates": ()}, r"false_positive_rates must be a finite number in \(0, 1\) or a non-empty"),
    ({"consistent_fraction": 0}, r"consistent_fraction must be a finite number in \(0, 1\]; got 0"),
    ({"column_probability": "max"}, "column_probability must be one of 'softmax', 'sum'; got 'max'"),
    ({"chunk_size": 0}, "chunk_size must be an integer >= 1 or None; got 0"),
    ({"max_memory_bytes": -1}, r"max_memory_bytes must be a positive number of bytes \(e.g. 2\*\*30 for 1 GiB\) "
                               "or None; got -1"),
    ({"max_memory_bytes": "1GB"}, r"max_memory_bytes must be a positive number of bytes .* got '1GB'"),
    ({"random_state": -3}, "random_state must be None or an integer >= 0 or an instance of RandomState or "
                           "Generator; got -3"),
    ({"device": 0}, "device must be a device name"),
    ({"device": "gpu"}, r"KAGeometryAnalyzer: device must be 'cpu', 'cuda', 'cuda:N' or a torch.device, got 'gpu'"),
    ({"device": "mps"}, r"KAGeometryAnalyzer: device must be 'cpu', 'cuda', 'cuda:N'.*got 'mps'"),
])
def test_parameters_are_checked_before_any_work(params, message, monkeypatch):
    def source(*args, **kwargs):
        raise AssertionError("the model was evaluated before the parameters were checked")

    monkeypatch.setattr("sklearn_ka.analysis._analyzer.JacobianSource", source)
    with pytest.raises(InvalidParameterError, match=message):
        KAGeometryAnalyzer(**params).fit(np.ones((3, 4, 3)))


def test_defaults_are_the_published_protocol():
    for cls in (KAGeometryAnalyzer, SampledKAGeometryAnalyzer):
        params = inspect.signature(cls).parameters
        assert params["false_positive_rates"].default == PAPER_PROTOCOL.false_positive_rates
        assert params["consistent_fraction"].default == PAPER_PROTOCOL.consistent_fraction
    assert inspect.signature(KAGeometryAnalyzer).parameters["n_rotations"].default == PAPER_PROTOCOL.n_rotations


def test_factors_are_accepted_like_the_model(mlp, data):
    X = data[0][:50]
    init = mlp.initial_model()
    a = KAGeometryAnalyzer(random_state=0).fit(init, X).score(mlp, X)
    b = KAGeometryAnalyzer(random_state=0).fit(inner_factors(init, X)).score(inner_factors(mlp, X))
    assert a == b
    with pytest.raises(ValueError, match="factors"):
        KAGeometryAnalyzer().fit((np.ones((5, 4)), np.ones((3, 3))))


def test_ka_scorer_refuses_a_key_it_cannot_score_at_once():
    with pytest.raises(ValueError, match="'nope' is not an observable key"):
        ka_scorer("nope")
    with pytest.raises(ValueError, match="not reported by KAGeometryAnalyzer.score"):
        ka_scorer("max_minor_lower_bound_k2")
    with pytest.raises(ValueError, match="false_positive_rates are"):
        ka_scorer("zero_rows_k2_q0.05")
    with pytest.raises(ValueError, match="k >= 2"):
        ka_scorer("dependent_zero_rows_k1_q0.01")
    assert ka_scorer("zero_rows_k2_q0.05", false_positive_rates=0.05).key == "zero_rows_k2_q0.05"
    assert ka_scorer("zero_rows_k3_q1e-2").key == "zero_rows_k3_q0.01"  # read back in the analyzer's spelling
