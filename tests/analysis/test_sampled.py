"""Sampled minors and the sampled analyzer (analysis at scale)."""

import math

import numpy as np
import pytest

from sklearn_ka._utils import InvalidParameterError
from sklearn_ka.analysis import KAGeometryAnalyzer, SampledKAGeometryAnalyzer
from sklearn_ka.exterior import (
    MinorSample,
    combination_indices,
    minor_matrices,
    sample_combinations,
    sampled_factored_minor_matrices,
    sampled_minor_matrices,
    unrank_combinations,
)


def _problem(B=30, m=7, n=5, seed=0):
    rng = np.random.default_rng(seed)
    W0 = rng.normal(size=(m, n))
    W = W0 + rng.normal(size=(m, n)) * np.linspace(0, 3, m)[:, None]
    D0 = rng.uniform(0.2, 1, (B, m))
    D = D0 * rng.uniform(0, 1.5, (B, m)) ** 2
    return D0, W0, D, W


@pytest.mark.parametrize("m,k", [(1, 1), (6, 1), (9, 3), (10, 10), (12, 5)])
def test_unrank_inverts_lexicographic_order(m, k):
    c = combination_indices(m, k)
    np.testing.assert_array_equal(unrank_combinations(np.arange(len(c)), m, k), c)


def test_sample_combinations_uniform_distinct_sorted_seeded():
    s = sample_combinations(784, 3, 500, random_state=3)
    assert s.shape == (500, 3)
    assert (np.diff(s, axis=1) > 0).all() and s.min() >= 0 and s.max() < 784
    assert len({tuple(r) for r in s}) == 500
    np.testing.assert_array_equal(s, sample_combinations(784, 3, 500, random_state=3))
    assert not np.array_equal(s, sample_combinations(784, 3, 500, random_state=4))
    # exhaustive when asking for at least C(m, k)
    np.testing.assert_array_equal(sample_combinations(6, 2, 100, random_state=0), combination_indices(6, 2))
    # roughly uniform: every element of range(m) appears about k/m of the time
    s = sample_combinations(20, 2, 150, random_state=0)
    counts = np.bincount(s.ravel(), minlength=20)
    assert counts.min() > 0


def test_minor_sample_reproducible_and_replicates_differ():
    a = MinorSample(30, 20, 2, 15, 10, n_replicates=3, random_state=1)
    b = MinorSample(30, 20, 2, 15, 10, n_replicates=3, random_state=1)
    for g in range(3):
        np.testing.assert_array_equal(a.rows[g], b.rows[g])
        np.testing.assert_array_equal(a.cols[g], b.cols[g])
    assert not np.array_equal(a.rows[0], a.rows[1])
    assert not a.exhaustive
    assert MinorSample(5, 4, 2, None, None).exhaustive


@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_sampled_minors_match_exact(k):
    rng = np.random.default_rng(k)
    J = rng.normal(size=(3, 6, 5))
    S = MinorSample(6, 5, k, 8, 4, random_state=0)
    got = sampled_minor_matrices(J, S.rows[0], S.cols[0])
    full = minor_matrices(J, k)
    P = [combination_indices(6, k).tolist().index(list(r)) for r in S.rows[0]]
    Q = [combination_indices(5, k).tolist().index(list(c)) for c in S.cols[0]]
    np.testing.assert_allclose(got, full[:, P][:, :, Q], rtol=1e-10, atol=1e-13)
    D, W = rng.uniform(size=(3, 6)), rng.normal(size=(6, 5))
    DI, WIK = sampled_factored_minor_matrices(D, W, S.rows[0], S.cols[0])
    np.testing.assert_allclose(DI[:, :, None] * WIK, sampled_minor_matrices(D[:, :, None] * W, S.rows[0], S.cols[0]),
                               rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("method", ["softmax", "sum"])
@pytest.mark.parametrize("factored", [True, False])
def test_exhaustive_sample_equals_exact(method, factored):
    D0, W0, D, W = _problem()
    J0, J = D0[:, :, None] * W0, D[:, :, None] * W
    exact = KAGeometryAnalyzer(column_probability=method, n_rotations=5, random_state=0).fit(J0).score(J)
    an = SampledKAGeometryAnalyzer(column_probability=method, n_rows=None, n_cols=10**6, n_replicates=2,
                                   random_state=0)
    res = an.fit((D0, W0) if factored else J0).estimate((D, W) if factored else J)
    common = [key for key in res if key in exact]
    assert len(common) >= 30
    for key in common:
        assert res[key]["kind"] == "exact"
        assert res[key]["estimate"] == pytest.approx(exact[key], rel=1e-9, abs=1e-12), key
    assert res["max_minor_lower_bound_k2"]["kind"] == "exact"


def test_intervals_cover_exact_value_in_most_seeds():
    D0, W0, D, W = _problem(B=25, m=9, n=7, seed=5)
    J0, J = D0[:, :, None] * W0, D[:, :, None] * W
    exact = KAGeometryAnalyzer(minor_sizes=(2,), n_rotations=5, random_state=0).fit(J0).score(J)
    keys = ["pr_k2", "pr_initial_k2", "pr_normalized_k2", "column_entropy_k2", "column_entropy_initial_k2",
            "column_kl_k2"]
    covered = {key: 0 for key in keys}
    seeds = range(8)
    for seed in seeds:
        an = SampledKAGeometryAnalyzer(minor_sizes=(2,), n_rows=12, n_cols=8, n_replicates=10, random_state=seed)
        res = an.fit((D0, W0)).estimate((D, W))
        for key in keys:
            assert res[key]["kind"] == "estimate"
            assert res[key]["low"] <= res[key]["estimate"] <= res[key]["high"]
            covered[key] += res[key]["low"] <= exact[key] <= res[key]["high"]
    for key in keys:
        assert covered[key] >= 6, (key, covered[key])
    # the sampled maximum never exceeds the true one
    Mk = minor_matrices(J, 2).reshape(len(J), -1).max(axis=1).mean()
    assert res["max_minor_lower_bound_k2"]["kind"] == "lower_bound"
    assert res["max_minor_lower_bound_k2"]["estimate"] <= Mk + 1e-12


def test_reproducible_and_same_sample_for_both_models():
    D0, W0, D, W = _problem()
    a = SampledKAGeometryAnalyzer(minor_sizes=(1, 2), n_rows=5, n_cols=4, n_replicates=3, random_state=7)
    b = SampledKAGeometryAnalyzer(minor_sizes=(1, 2), n_rows=5, n_cols=4, n_replicates=3, random_state=7)
    assert a.fit((D0, W0)).score((D, W)) == b.fit((D0, W0)).score((D, W))
    # the initial model against itself: no divergence, normalised PR exactly 1
    s = a.score((D0, W0))
    assert s["column_kl_k2"] == pytest.approx(0, abs=1e-12)
    assert s["pr_normalized_k2"] == pytest.approx(1)


def test_bad_input():
    D0, W0, D, W = _problem()
    with pytest.raises(ValueError):
        SampledKAGeometryAnalyzer(n_rows=0).fit((D0, W0))
    with pytest.raises(ValueError):
        SampledKAGeometryAnalyzer(n_replicates=0).fit((D0, W0))
    with pytest.raises(ValueError):
        SampledKAGeometryAnalyzer(column_probability="max").fit((D0, W0))
    with pytest.raises(ValueError):
        SampledKAGeometryAnalyzer(minor_sizes=(9,)).fit((D0, W0))
    with pytest.raises(ValueError):
        SampledKAGeometryAnalyzer().fit((D0, W0[:3]))
    bad = D0.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError):
        SampledKAGeometryAnalyzer().fit((bad, W0))
    an = SampledKAGeometryAnalyzer(minor_sizes=(1,), random_state=0).fit((D0, W0))
    with pytest.raises(ValueError):
        an.score((D[:5], W))
    with pytest.raises(ValueError):
        MinorSample(5, 4, 5)
    with pytest.raises(ValueError):
        sample_combinations(5, 2, 0)
    with pytest.raises(ValueError):
        sampled_minor_matrices(np.ones((2, 4, 4)), np.array([[0, 9]]), np.array([[0, 1]]))
    with pytest.raises(ValueError):
        unrank_combinations([math.comb(6, 2)], 6, 2)


@pytest.mark.parametrize("params, message", [
    ({"n_rows": 0}, "SampledKAGeometryAnalyzer: n_rows must be an integer >= 1 or None; got 0"),
    ({"n_replicates": 1.5}, "n_replicates must be an integer >= 1; got 1.5"),
    ({"confidence": 1}, r"confidence must be a finite number in \(0, 1\); got 1"),
    ({"max_memory_bytes": 0}, r"max_memory_bytes must be a positive number of bytes \(e.g. 2\*\*30 for 1 GiB\); "
                              "got 0"),
    ({"pr_convention": "l2"}, "pr_convention must be one of 'l1/l2', 'l2/l1'; got 'l2'"),
    ({"random_state": np.random.default_rng(0)}, "random_state must be None or an integer in"),
])
def test_parameter_messages(params, message):
    D0, W0, _, _ = _problem()
    with pytest.raises(InvalidParameterError, match=message):
        SampledKAGeometryAnalyzer(**params).fit((D0, W0))


def test_sample_parameters_named_in_errors():
    with pytest.raises(InvalidParameterError, match="MinorSample: n_cols must be an integer >= 1 or None; got 0"):
        MinorSample(6, 5, 2, 3, 0)
    with pytest.raises(InvalidParameterError, match="MinorSample: n_replicates must be an integer >= 1; got 0"):
        MinorSample(6, 5, 2, n_replicates=0)
    with pytest.raises(InvalidParameterError, match="sample_combinations: size must be an integer >= 1 or None"):
        sample_combinations(6, 2, 2.0)


def test_each_size_is_sampled_from_its_own_seed_of_the_random_state():
    D0, W0, _, _ = _problem()
    an = SampledKAGeometryAnalyzer(minor_sizes=(1, 2, 3), n_rows=3, n_cols=2, n_replicates=2, random_state=5)
    an.fit((D0, W0))
    seeds = np.random.RandomState(5).randint(0, 2**31 - 1, size=3)  # one seed per size, in order
    for k, seed in zip((1, 2, 3), seeds):
        ref = MinorSample(7, 5, k, 3, 2, n_replicates=2, random_state=seed)
        for g in range(2):
            np.testing.assert_array_equal(an.samples_[k].rows[g], ref.rows[g])
            np.testing.assert_array_equal(an.samples_[k].cols[g], ref.cols[g])
    # a sample is one stream: the same seed as an integer or as a RandomState gives the same subsets
    np.testing.assert_array_equal(sample_combinations(40, 3, 9, random_state=8),
                                  sample_combinations(40, 3, 9, random_state=np.random.RandomState(8)))
