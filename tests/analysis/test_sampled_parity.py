"""The sampled analyzer at parity: dependent zero rows, the sub-map rotation ratio with its interval, n_jobs, device."""

import math
import warnings

import numpy as np
import pytest

from sklearn_ka import KAGeometryAnalyzer, SampledKAGeometryAnalyzer
from sklearn_ka._utils import InvalidParameterError
from sklearn_ka.exterior import MinorBudgetError, minor_matrices
from sklearn_ka.observables import RotationReference, rotation_ratio


def _problem(B=30, m=7, n=5, seed=0):
    rng = np.random.default_rng(seed)
    W0 = rng.normal(size=(m, n))
    W = W0 + rng.normal(size=(m, n)) * np.linspace(0, 3, m)[:, None]
    D0 = rng.uniform(0.2, 1, (B, m))
    D = D0 * rng.uniform(0, 1.5, (B, m)) ** 2
    return D0, W0, D, W


def test_exhaustive_dependent_zero_rows_equal_the_exact_ones():
    D0, W0, D, W = _problem()
    exact = KAGeometryAnalyzer(observables="dependent_zero_rows", false_positive_rates=(0.05, 0.2)).fit(
        D0[:, :, None] * W0).score(D[:, :, None] * W)
    est = SampledKAGeometryAnalyzer(n_rows=None, n_cols=None, n_replicates=2, false_positive_rates=(0.05, 0.2),
                                    observables="dependent_zero_rows", random_state=0).fit((D0, W0)).estimate((D, W))
    keys = [key for key in exact if key.startswith("dependent")]
    assert keys and all(est[key]["kind"] == "exact" for key in keys)
    assert any(exact[key] > 0 for key in keys)  # something to agree on
    for key in keys:
        assert est[key]["estimate"] == pytest.approx(exact[key], abs=1e-12), key


def test_dependent_zero_rows_of_a_row_sample_have_intervals_covering_the_exact_value():
    # rows sampled, columns exhaustive: the row means are exact, the rows a uniform sample
    D0, W0, D, W = _problem(B=25, m=9, n=7, seed=5)
    exact = KAGeometryAnalyzer(observables="dependent_zero_rows", minor_sizes=(2,), false_positive_rates=(0.2,)).fit(
        D0[:, :, None] * W0).score(D[:, :, None] * W)["dependent_zero_rows_k2_q0.2"]
    assert exact > 0
    covered = 0
    for seed in range(6):
        est = SampledKAGeometryAnalyzer(minor_sizes=(2,), false_positive_rates=(0.2,), n_rows=12, n_cols=None,
                                        n_replicates=8, observables="dependent_zero_rows",
                                        random_state=seed).fit((D0, W0)).estimate((D, W))["dependent_zero_rows_k2_q0.2"]
        assert est["kind"] == "estimate" and est["low"] <= est["estimate"] <= est["high"]
        covered += est["low"] <= exact <= est["high"]
    assert covered >= 4


def test_the_sub_map_rotation_ratio_is_the_rotation_ratio_when_n_equals_k():
    D0, W0, D, W = _problem(m=8, n=3)
    J0, J = D0[:, :, None] * W0, D[:, :, None] * W
    exact = KAGeometryAnalyzer(minor_sizes=(3,), observables="rotation_ratio", random_state=0).fit(J0).score(J)
    est = SampledKAGeometryAnalyzer(minor_sizes=(3,), observables="rotation_ratio", random_state=0).fit(J0).estimate(J)
    for name in ("", "_initial", "_normalized"):
        entry = est[f"subset_rotation_ratio{name}_k3"]
        assert entry["kind"] == "exact"
        assert entry["estimate"] == pytest.approx(exact[f"rotation_ratio{name}_k3"], rel=1e-12)


def test_the_sub_map_rotation_ratio_follows_its_definition_with_an_interval():
    D0, W0, D, W = _problem(m=7, n=6)
    an = SampledKAGeometryAnalyzer(minor_sizes=(2,), n_rows=5, n_cols=3, n_replicates=6, random_state=1,
                                   observables="rotation_ratio").fit((D0, W0))
    est = an.estimate((D, W))
    # the definition: r of J(x)[:, K] for the first sampled column subset of each group, averaged
    J = D[:, :, None] * W
    ref = RotationReference.build(7, 2, ks=(2,), method="haar", n_rotations=1, random_state=0)
    values = [rotation_ratio(J[:, :, cols[0]], 2, ref) for cols in an.samples_[2].cols]
    assert est["subset_rotation_ratio_k2"]["plugin"] == pytest.approx(np.mean(values), rel=1e-12)
    entry = est["subset_rotation_ratio_normalized_k2"]
    assert entry["kind"] == "estimate" and entry["low"] < entry["estimate"] < entry["high"]


@pytest.mark.slow
def test_results_do_not_depend_on_n_jobs():
    D0, W0, D, W = _problem(B=40, m=7, n=6)
    params = dict(n_rows=5, n_cols=3, n_replicates=4, random_state=3, max_memory_bytes=20_000)
    one = SampledKAGeometryAnalyzer(**params).fit((D0, W0)).estimate((D, W))
    two = SampledKAGeometryAnalyzer(**params, n_jobs=2).fit((D0, W0)).estimate((D, W))
    assert one.keys() == two.keys()
    for key in one:
        a, b = one[key]["estimate"], two[key]["estimate"]
        assert a == b or (math.isnan(a) and math.isnan(b)), key


def test_block_ranges_give_the_same_numbers_as_one_pass():
    # the first block alone, then the rest: the same blocks as one pass (n_jobs only splits the rest)
    D0, W0, D, W = _problem(B=40, m=7, n=6)
    params = dict(minor_sizes=(1, 2), n_rows=5, n_cols=3, n_replicates=4, random_state=3)
    small = SampledKAGeometryAnalyzer(**params, max_memory_bytes=20_000).fit((D0, W0)).estimate((D, W))
    large = SampledKAGeometryAnalyzer(**params).fit((D0, W0)).estimate((D, W))
    for key in small:
        assert small[key]["estimate"] == pytest.approx(large[key]["estimate"], rel=1e-12, abs=1e-15), key


def test_device_and_n_jobs_are_validated():
    D0, W0, _, _ = _problem()
    with pytest.raises(InvalidParameterError, match=r"SampledKAGeometryAnalyzer: n_jobs must be"):
        SampledKAGeometryAnalyzer(n_jobs=0).fit((D0, W0))
    with pytest.raises((InvalidParameterError, ValueError), match=r"device"):
        SampledKAGeometryAnalyzer(device="tpu").fit((D0, W0))


def test_the_sub_map_rotation_ratio_memory_is_checked_first():
    D0, W0, _, _ = _problem(m=40, n=5)
    with pytest.raises(MinorBudgetError, match=r"rotation ratio of the sub-maps needs every size-3 row subset.*"
                                               r"observables= without 'rotation_ratio'"):
        SampledKAGeometryAnalyzer(max_memory_bytes=200_000, n_rows=3, n_cols=3).fit((D0, W0))


def test_rank_deficient_examples_are_excluded_from_the_sampled_means():
    D0, W0, D, W = _problem()
    D = D.copy()
    D[:5, 1:] = 0.0  # one active unit at the first five examples: every size-2 minor is 0 there
    an = SampledKAGeometryAnalyzer(minor_sizes=(2,), n_rows=None, n_cols=None, random_state=0).fit((D0, W0))
    with pytest.warns(RuntimeWarning, match=r"trained model k=2: 5.*excluded from their means"):
        est = an.estimate((D, W))
    assert est["n_rank_deficient_k2"]["estimate"] == 5
    exact = KAGeometryAnalyzer(minor_sizes=(2,), n_rotations=5, random_state=0).fit(D0[:, :, None] * W0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = exact.score(D[:, :, None] * W)
    assert math.isfinite(est["pr_k2"]["estimate"])
    assert est["pr_k2"]["estimate"] == pytest.approx(s["pr_k2"], rel=1e-10)
    Jk = minor_matrices(D[5:, :, None] * W, 2)
    direct = np.mean([np.abs(a).sum() / np.sqrt((a ** 2).sum()) for a in Jk])
    assert s["pr_k2"] == pytest.approx(direct, rel=1e-10)
