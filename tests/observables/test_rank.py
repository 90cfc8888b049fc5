"""Numerical rank: rank-deficient examples are recognised with a tolerance and give NaN, not noise."""

import math
import warnings

import _naive
import numpy as np
import pytest
import torch

from sklearn_ka.exterior import minor_matrices
from sklearn_ka.observables import (
    RotationReference,
    below_rank_tolerance,
    column_entropy,
    column_kl,
    column_statistics,
    numerical_rank_deficient,
    participation_ratio,
    rank_tolerance,
    rotation_ratio,
)

RNG = np.random.default_rng(7)
EPS = np.finfo(np.float64).eps


def _rank_one(B=6, m=8, n=3, rng=RNG):
    """Rank-1 Jacobians with round-off in every entry: diag(g) (w2 w1^T), each product rounded."""
    a, b = rng.normal(size=(B, m)), rng.normal(size=n)
    return a[:, :, None] * b[None, None, :]


def _mixed():
    """Examples of rank 3, 2 (a repeated row direction), 1 and 0, and one ill-conditioned but full."""
    J = RNG.standard_normal((5, 6, 3))
    J[1] = RNG.standard_normal((6, 2)) @ RNG.standard_normal((2, 3))  # rank 2
    J[2] = _rank_one(1)[0, :6]  # rank 1
    J[3] = 0.0  # rank 0
    U, _, Vt = np.linalg.svd(RNG.standard_normal((6, 3)), full_matrices=False)
    J[4] = U @ np.diag([1.0, 1e-3, 1e-8]) @ Vt  # full rank, condition number 1e8
    return J


def test_tolerance_is_the_documented_multiple_of_eps():
    for k in (1, 2, 3, 5):
        assert rank_tolerance(k) == 64 * k * k * EPS
    assert rank_tolerance(3) == pytest.approx(1.28e-13, rel=1e-2)


def test_rule_against_the_naive_reference_and_the_true_ranks():
    J = _mixed()
    expected = {1: [False, False, False, True, False], 2: [False, False, True, True, False],
                3: [False, True, True, True, False]}
    for k in (1, 2, 3):
        found = numerical_rank_deficient(J, k)
        assert found.tolist() == expected[k]
        np.testing.assert_array_equal(found, _naive.rank_deficient(J, k))
        # the same with the minors given, and with torch in (torch out)
        np.testing.assert_array_equal(numerical_rank_deficient(J, k, Jk=minor_matrices(J, k)), found)
        assert numerical_rank_deficient(torch.from_numpy(J), k).tolist() == expected[k]


@pytest.mark.parametrize("c", [1e-80, 1e-8, 1.0, 1e8, 1e80])
def test_rule_is_scale_free(c):
    # compared in logarithms: ||J||^k neither underflows nor overflows (while the minors themselves are
    # representable: c**3 within the float64 range)
    J = _mixed()
    for k in (1, 2, 3):
        np.testing.assert_array_equal(numerical_rank_deficient(c * J, k), numerical_rank_deficient(J, k))


def test_round_off_minors_sit_far_below_the_tolerance_and_real_ones_far_above():
    # the margin the tolerance leaves on both sides, measured
    J = _rank_one(200)
    full = RNG.standard_normal((200, 8, 3))
    for k in (2, 3):
        scale = np.linalg.norm(J, axis=(1, 2)) ** k
        noise = minor_matrices(J, k).max(axis=(1, 2)) / scale
        assert noise.max() < rank_tolerance(k) / 10
        signal = minor_matrices(full, k).max(axis=(1, 2)) / np.linalg.norm(full, axis=(1, 2)) ** k
        assert signal.min() > 1e6 * rank_tolerance(k)


def test_below_rank_tolerance_is_the_rule_on_two_numbers():
    M = np.array([0.0, 1e-14, 1e-12, 1.0])
    s = np.ones(4)
    assert below_rank_tolerance(M, s, 3).tolist() == [True, True, False, False]
    assert below_rank_tolerance(M * 1e-300, s * 1e-100, 3).tolist() == [True, True, False, False]
    with pytest.raises(ValueError, match="one value per example"):
        below_rank_tolerance(M, s[:2], 3)


def test_participation_ratio_is_nan_at_masked_examples_without_a_warning():
    J = _mixed()
    for k in (2, 3):
        Jk = minor_matrices(J, k)
        bad = numerical_rank_deficient(J, k, Jk=Jk)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            pr = participation_ratio(Jk, rank_deficient=bad)
        assert np.array_equal(np.isnan(pr), bad)
        unmasked = participation_ratio(Jk[~bad])
        np.testing.assert_array_equal(pr[~bad], unmasked)
    with pytest.raises(ValueError, match=r"rank_deficient must be a boolean mask of shape \(5,\)"):
        participation_ratio(minor_matrices(J, 2), rank_deficient=[0, 1, 0, 0, 0])


@pytest.mark.parametrize("method", ["haar", "sampled"])
def test_rotation_ratio_is_nan_at_rank_deficient_examples_with_one_warning(method):
    ref = RotationReference.build(6, 3, method=method, n_rotations=30, random_state=0)
    J = _mixed()
    for k in (2, 3):
        bad = numerical_rank_deficient(J, k)
        with pytest.warns(RuntimeWarning, match=rf"{int(bad.sum())} of 5 example\(s\) have a Jacobian of numerical "
                                                rf"rank < {k}") as record:
            r = rotation_ratio(J, k, ref)
        assert len(record) == 1
        assert np.array_equal(np.isnan(r), bad)
        assert np.all(np.isfinite(r[~bad])) and np.all(r[~bad] < 1e3)
        # the caller's mask: silent, same numbers
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            np.testing.assert_array_equal(rotation_ratio(J, k, ref, rank_deficient=bad), r)


def test_rotation_ratio_of_round_off_is_no_longer_astronomical():
    # the symptom: a rank-1 Jacobian's rotation ratio at k = 3 was about 1e15
    ref = RotationReference.build(8, 3, n_rotations=20, random_state=0)
    with pytest.warns(RuntimeWarning, match="numerical rank < 3"):
        r = rotation_ratio(_rank_one(), 3, ref)
    assert np.all(np.isnan(r))


def test_column_sum_statistics_are_nan_there_and_softmax_ones_are_defined():
    J, J0 = _mixed(), RNG.standard_normal((5, 6, 3))
    k = 2
    Jk, J0k = minor_matrices(J, k), minor_matrices(J0, k)
    bad, bad0 = numerical_rank_deficient(J, k), numerical_rank_deficient(J0, k)
    assert bad.any() and not bad0.any()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the masked zero columns do not warn
        H, H0, KL = column_statistics(Jk, J0k, "sum", rank_deficient=bad, rank_deficient0=bad0)
        assert np.array_equal(np.isnan(column_entropy(Jk, "sum", rank_deficient=bad)), bad)
        assert np.array_equal(np.isnan(column_kl(Jk, J0k, "sum", rank_deficient=bad)), bad)
    assert np.array_equal(np.isnan(H), bad) and np.array_equal(np.isnan(KL), bad) and not np.isnan(H0).any()
    # softmax: defined at rank-deficient examples (uniform probabilities: entropy 1), masks change nothing
    Hs, H0s, KLs = column_statistics(Jk, J0k, "softmax", rank_deficient=bad, rank_deficient0=bad0)
    np.testing.assert_array_equal(Hs, column_statistics(Jk, J0k, "softmax")[0])
    assert np.all(np.isfinite(Hs)) and Hs[3] == pytest.approx(1.0)
    assert math.isfinite(float(KLs.sum())) and math.isfinite(float(H0s.sum()))
