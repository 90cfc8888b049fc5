import math
import warnings

import _naive
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from sklearn_ka._utils import PAPER_PROTOCOL, InvalidParameterError
from sklearn_ka.exterior import minor_matrices
from sklearn_ka.observables import (
    ObservableKey,
    RotationReference,
    column_entropy,
    column_kl,
    column_log_probabilities,
    consistent_zero_rows,
    consistent_zero_rows_from_counts,
    dependent_zero_rows,
    haar_max_minor_constant,
    haar_rotations,
    induced_false_positive_rate,
    mean_excess,
    mean_excess_fit,
    observable_key,
    parse_observable_key,
    participation_ratio,
    participation_ratio_max,
    quantile_ratio,
    rotation_ratio,
    row_means,
    zero_row_counts,
    zero_row_mask,
    zero_row_threshold,
)

RNG = np.random.default_rng(1)


def _sets():
    out = []
    for m in (4, 6, 8):
        out.append(_naive.trained_like(RNG, 5, m, 3)[0])
        out.append(RNG.standard_normal((5, m, 3)))
    return out


SETS = _sets()


@pytest.mark.parametrize("J", SETS)
def test_against_naive(J):
    m = J.shape[1]
    J0 = RNG.standard_normal(J.shape)
    masks = {}
    for k in (1, 2, 3):
        Jk, Jk0 = minor_matrices(J, k), minor_matrices(J0, k)
        rm = row_means(Jk)
        np.testing.assert_allclose(rm, _naive.row_means(Jk), rtol=1e-12, atol=0)
        thr = zero_row_threshold(row_means(Jk0), 0.3)
        assert thr == np.quantile(_naive.row_means(Jk0).ravel(), 0.3)
        masks[k] = zero_row_mask(rm, thr)
        assert (masks[k] == (_naive.row_means(Jk) < thr)).all()
        if k >= 2:
            np.testing.assert_array_equal(
                dependent_zero_rows(masks[k], masks[k - 1], m, k),
                _naive.zero_rows_dependent(masks[k], masks[k - 1], m, k),
            )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            np.testing.assert_allclose(participation_ratio(Jk), _naive.participation_ratio(Jk), rtol=1e-12)
        for method in ("softmax", "sum"):
            h_ref, kl_ref = _naive.column_stats(Jk, Jk0, method)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                np.testing.assert_allclose(column_entropy(Jk, method), h_ref, rtol=1e-9, atol=1e-12)
                np.testing.assert_allclose(column_kl(Jk, Jk0, method), np.maximum(kl_ref, 0), rtol=1e-9, atol=1e-12)
        u, mef = mean_excess(Jk)
        u_ref, mef_ref = _naive.mean_excess(Jk, np.arange(0.90, 1.0, 0.01))
        np.testing.assert_allclose(u, u_ref, rtol=1e-12)
        np.testing.assert_allclose(mef, mef_ref, rtol=1e-9, atol=1e-300)


# Rotated minors of a badly scaled Jacobian (rows spanning twelve orders of magnitude) carry
# float64 cancellation errors of a few 1e-8 relative in any floating-point method (numpy's det
# as much as ours); the reference is exact, and the tolerance says how much rounding is allowed.
@pytest.mark.parametrize("J, rtol", [(SETS[2], 1e-7), (SETS[3], 1e-10), (SETS[5], 1e-10)])
def test_rotation_sampled_matches_naive(J, rtol):
    ref = RotationReference.build(J.shape[1], 3, method="sampled", n_rotations=6, random_state=3)
    R = ref.rotations.numpy()
    for k in (1, 2, 3):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            got = rotation_ratio(J, k, ref)
            want = _naive.rotation_ratio_sampled(J, k, R)
        np.testing.assert_allclose(got, want, rtol=rtol)


def test_haar_rotations_are_so_m():
    R = haar_rotations(5, 50, random_state=0)
    np.testing.assert_allclose(R @ np.swapaxes(R, 1, 2), np.broadcast_to(np.eye(5), R.shape), atol=1e-12)
    np.testing.assert_allclose(np.linalg.det(R), 1.0, atol=1e-12)
    np.testing.assert_array_equal(R, haar_rotations(5, 50, random_state=0))
    # Haar: E R_11^2 = 1/m
    assert abs((haar_rotations(5, 4000, 1)[:, 0, 0] ** 2).mean() - 0.2) < 0.02


def test_sampled_and_haar_agree_within_mc_error():
    m, n, N = 10, 3, 800
    J = np.stack([_naive.trained_like(RNG, 1, m, n, dead=0.3)[0][0], RNG.standard_normal((m, n)) * [1, 5, 0.1]])
    rs = RotationReference.build(m, n, method="sampled", n_rotations=N, random_state=0)
    rh = RotationReference.build(m, n, method="haar", n_rotations=N, random_state=1)
    from sklearn_ka.observables._rotation import _haar_denominator, _sampled_denominator

    Jt = torch.from_numpy(J)
    for k in (1, 2, 3):
        # per-rotation maxima of the sampled method give its Monte Carlo spread
        ds = _sampled_denominator(Jt, k, rs.rotations).numpy()
        dh = _haar_denominator(Jt, k, rh, np.arange(len(J))).numpy()
        per = np.stack([_sampled_denominator(Jt, k, rs.rotations[p : p + 1]).numpy() for p in range(0, N, 25)])
        se = per.std(axis=0) / math.sqrt(N)
        se_h = 0 if k == 3 else se  # k = n: haar is exact up to c(m, n)'s 0.1 %
        assert np.all(np.abs(ds - dh) <= 4.5 * np.sqrt(se**2 + se_h**2) + 2e-3 * dh), (k, ds, dh, se)


def test_haar_constant():
    c, se, _ = haar_max_minor_constant(4, 4)
    assert c == 1.0 and se == 0.0
    c1, se1, _ = haar_max_minor_constant(6, 1)
    assert se1 <= 1e-3 * c1
    # independent check with numpy: E max_i |v_i| for v uniform on S^5
    v = np.random.default_rng(5).standard_normal((200_000, 6))
    x = np.abs(v).max(1) / np.linalg.norm(v, axis=1)
    assert abs(x.mean() - c1) < 4 * math.hypot(se1, x.std() / math.sqrt(x.size))


@pytest.mark.parametrize("method", ["haar", "sampled"])
def test_rotation_properties(method):
    m = 8
    ref = RotationReference.build(m, 3, method=method, n_rotations=300, random_state=0)
    J = RNG.standard_normal((40, m, 3))
    means = [rotation_ratio(J, k, ref).mean() for k in (1, 2, 3)]
    assert all(abs(x - 1) < 0.1 for x in means), means  # i.i.d. Gaussian: ~1
    A = np.zeros((1, m, 3))
    A[0, :3, :3] = np.eye(3)  # axis aligned: identity block over zero rows
    ra = [float(rotation_ratio(A, k, ref)[0]) for k in (1, 2, 3)]
    assert 1 < ra[0] < ra[1] < ra[2], ra
    # torch in, torch out
    assert isinstance(rotation_ratio(torch.from_numpy(J[:2]), 2, ref), torch.Tensor)


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 10_000), st.floats(1e-6, 1e6), st.sampled_from(["haar", "sampled"]))
def test_rotation_scale_free_and_permutation_invariant(seed, c, method):
    rng = np.random.default_rng(seed)
    ref = _REFS[method]
    J = _naive.trained_like(rng, 2, 6, 3, dead=0.3)[0] + 0.1 * rng.standard_normal((2, 6, 3))
    perm = rng.permutation(6)
    for k in (1, 2, 3):
        r = rotation_ratio(J, k, ref)
        np.testing.assert_allclose(rotation_ratio(c * J, k, ref), r, rtol=1e-7)
        if method == "haar":  # the haar denominator depends on J only through J^T J
            np.testing.assert_allclose(rotation_ratio(J[:, perm], k, ref), r, rtol=1e-7)


_REFS = {m: RotationReference.build(6, 3, method=m, n_rotations=50, random_state=0) for m in ("haar", "sampled")}


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000), st.integers(3, 7), st.integers(1, 3), st.booleans())
def test_scalar_properties(seed, m, k, trained):
    rng = np.random.default_rng(seed)
    J = _naive.trained_like(rng, 3, m, 3)[0] if trained else rng.standard_normal((3, m, 3))
    J0 = rng.standard_normal((3, m, 3))
    Jk, Jk0 = minor_matrices(J, k), minor_matrices(J0, k)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        pr = participation_ratio(Jk)
    ok = np.isfinite(pr)
    pmax = participation_ratio_max(m, 3, k)
    assert np.all((pr[ok] >= 1 - 1e-12) & (pr[ok] <= pmax + 1e-9))
    for method in ("softmax", "sum"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            h = column_entropy(Jk, method)
            kl = column_kl(Jk, Jk0, method)
            kl_self = column_kl(Jk, Jk, method)
        fin = np.isfinite(h)
        assert np.all((h[fin] >= 0) & (h[fin] <= 1))
        assert np.all(kl[~np.isnan(kl)] >= 0)
        assert np.all(kl_self[~np.isnan(kl_self)] == 0)
    # permuting hidden units changes no scalar observable
    perm = rng.permutation(m)
    Jkp = minor_matrices(J[:, perm], k)
    Jk0p = minor_matrices(J0[:, perm], k)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        np.testing.assert_allclose(participation_ratio(Jkp), pr, rtol=1e-9)
        np.testing.assert_allclose(column_entropy(Jkp), column_entropy(Jk), rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(column_kl(Jkp, Jk0p), column_kl(Jk, Jk0), rtol=1e-9, atol=1e-12)
    thr = zero_row_threshold(row_means(Jk0), 0.2)
    assert thr == pytest.approx(zero_row_threshold(row_means(Jk0p), 0.2), rel=1e-12)
    assert zero_row_mask(row_means(Jkp), thr).mean() == zero_row_mask(row_means(Jk), thr).mean()
    np.testing.assert_allclose(mean_excess(Jkp)[1], mean_excess(Jk)[1], rtol=1e-12)


def test_false_positive_rate():
    assert induced_false_positive_rate(1e-3, 32, 1) == pytest.approx(1e-3, rel=1e-12)
    q = induced_false_positive_rate(1e-3, 32, 3)
    assert q == pytest.approx(3e-3, rel=0.05)
    from scipy.special import gammaln

    x = 32 * (1 - 1e-3)
    ref = 1 - math.exp(gammaln(x + 1) - gammaln(4) - gammaln(x - 2) - math.log(math.comb(32, 3)))
    assert q == pytest.approx(ref, rel=1e-10)
    # integer case against the exact binomial
    assert induced_false_positive_rate(0.25, 8, 2) == pytest.approx(1 - math.comb(6, 2) / math.comb(8, 2))


def test_consistent_rows_and_counts_compose():
    mask = RNG.uniform(size=(200, 10)) < 0.5
    mask[:, 3] = True
    mask[:199, 4] = True
    mask[:197, 5] = True
    mask[197:, 5] = False
    mask[:, 6] = False
    c = consistent_zero_rows(mask)
    assert c[3] and c[4] and not c[5] and c.sum() == 2
    counts = zero_row_counts(mask[:70]) + zero_row_counts(mask[70:])
    np.testing.assert_array_equal(consistent_zero_rows_from_counts(counts, 200), c)
    assert consistent_zero_rows(torch.from_numpy(mask)).dtype == torch.bool


def test_threshold_large_and_chunked():
    x = RNG.standard_normal(20_000_000 // 4)
    assert zero_row_threshold(x, 0.01) == np.quantile(x, 0.01)
    assert zero_row_threshold([x[:100], torch.from_numpy(x[100:])], 0.5) == np.quantile(x, 0.5)


def test_columns_edge_cases():
    Jk = np.abs(RNG.standard_normal((2, 1, 3)))  # C(m,k) = 1 row
    assert np.all(column_entropy(Jk) == 0) and np.all(column_kl(Jk, Jk * 2) == 0)
    big = np.abs(RNG.standard_normal((2, 10, 3))) * 1e5  # log-sum-exp: no overflow
    lp = column_log_probabilities(big)
    np.testing.assert_allclose(np.exp(lp).sum(axis=1), 1.0)
    assert np.all(np.isfinite(column_entropy(big)))


def test_all_zero_jacobian_warns_not_crashes():
    Jk = np.zeros((2, 6, 3))
    with pytest.warns(RuntimeWarning):
        assert np.all(np.isnan(participation_ratio(Jk)))
    ref = RotationReference.build(4, 3, n_rotations=5, random_state=0)
    with pytest.warns(RuntimeWarning):
        assert np.all(np.isnan(rotation_ratio(np.zeros((2, 4, 3)), 2, ref)))


def test_tails():
    x = RNG.exponential(size=100_000)
    u, mef = mean_excess(x)
    assert np.allclose(mef, 1.0, atol=0.05)  # exponential: constant MEF = scale
    slope, _ = mean_excess_fit(np.arange(0.90, 1.0, 0.01), mef)
    assert abs(slope) < 1.0
    p = RNG.pareto(3.0, size=100_000) + 1
    _, mefp = mean_excess(p)
    assert mean_excess_fit(np.arange(0.90, 1.0, 0.01), mefp)[0] > 0  # power law: increasing
    assert quantile_ratio(x) == pytest.approx(np.quantile(x, 0.99) / np.quantile(x, 0.01))
    with pytest.warns(RuntimeWarning):
        assert quantile_ratio(np.zeros(10)) != quantile_ratio(np.zeros(10)) or True


def test_bad_input():
    Jk = np.abs(RNG.standard_normal((2, 6, 3)))
    for f in (row_means, participation_ratio, column_entropy):
        with pytest.raises(ValueError, match="3-dimensional"):
            f(Jk[0])
        bad = Jk.copy()
        bad[0, 0, 0] = np.inf
        with pytest.raises(ValueError, match="NaN or infinite"):
            f(bad)
        with pytest.raises(TypeError):
            f(np.array([["a"]]))
    with pytest.raises(ValueError, match="convention"):
        participation_ratio(Jk, convention="l2")
    with pytest.raises(ValueError, match="method"):
        column_entropy(Jk, method="temp")
    with pytest.raises(ValueError, match="same shape"):
        column_kl(Jk, Jk[:, :5])
    with pytest.raises(ValueError):
        induced_false_positive_rate(1.5, 10, 2)
    with pytest.raises(ValueError):
        induced_false_positive_rate(0.1, 2, 3)
    with pytest.raises(ValueError):
        zero_row_threshold(Jk, 1.5)
    with pytest.raises(ValueError):
        zero_row_threshold([], 0.5)
    with pytest.raises(TypeError, match="boolean"):
        consistent_zero_rows(Jk[:, :, 0])
    with pytest.raises(ValueError):
        dependent_zero_rows(np.zeros((2, 15), bool), np.zeros((2, 6), bool), 6, 1)
    with pytest.raises(ValueError, match="C\\(6,2\\)"):
        dependent_zero_rows(np.zeros((2, 14), bool), np.zeros((2, 6), bool), 6, 2)
    with pytest.raises(ValueError):
        participation_ratio_max(3, 3, 4)
    with pytest.raises(ValueError, match="quantile_ranks"):
        mean_excess(Jk, [0.5, 1.0])
    with pytest.raises(ValueError):
        quantile_ratio(Jk, high=0.1, low=0.2)
    with pytest.raises(ValueError, match="n_rotations"):
        RotationReference.build(6, 3, n_rotations=0)
    with pytest.raises(ValueError, match="method"):
        RotationReference.build(6, 3, method="exact")
    with pytest.raises(ValueError, match="minor sizes"):
        RotationReference.build(6, 3, ks=(4,))
    with pytest.raises(TypeError, match="random_state"):
        RotationReference.build(6, 3, random_state="x")
    ref = RotationReference.build(6, 3, ks=(1, 2), n_rotations=3, random_state=0)
    with pytest.raises(ValueError, match="not prepared"):
        rotation_ratio(RNG.standard_normal((2, 6, 3)), 3, ref)
    with pytest.raises(ValueError, match="reference was built"):
        rotation_ratio(RNG.standard_normal((2, 5, 3)), 1, ref)
    with pytest.raises(TypeError, match="RotationReference"):
        rotation_ratio(RNG.standard_normal((2, 6, 3)), 1, None)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 20000), st.lists(st.floats(0, 1), min_size=1, max_size=4), st.integers(0, 3),
       st.integers(0, 2**31))
def test_low_quantiles_equal_numpy(n, q, kind, seed):
    from sklearn_ka.observables._streaming_quantile import low_quantiles

    rng = np.random.default_rng(seed)
    v = [rng.random(n), rng.exponential(size=n) ** 4, np.round(rng.random(n) * 7) / 7, np.zeros(n)][kind]
    q = np.array(sorted(q)) ** 3  # mostly low ranks, the case the fast path serves
    np.testing.assert_array_equal(low_quantiles(v, q), np.quantile(v, q))


def test_parameter_messages_name_the_function_and_the_rule():
    Jk = np.abs(RNG.standard_normal((2, 6, 3)))
    with pytest.raises(InvalidParameterError, match="column_kl: method must be one of 'softmax', 'sum'; got 'temp'"):
        column_kl(Jk, Jk, method="temp")
    with pytest.raises(InvalidParameterError, match="participation_ratio: convention must be one of 'l1/l2', 'l2/l1'"):
        participation_ratio(Jk, convention="l2")
    with pytest.raises(InvalidParameterError, match=r"induced_false_positive_rate: q1 must be a finite number in "
                                                    r"\[0, 1\); got 1.5"):
        induced_false_positive_rate(1.5, 10, 2)
    with pytest.raises(InvalidParameterError, match=r"zero_row_threshold: q\[1\] must be a finite number in "
                                                    r"\[0, 1\]; got 2.0"):
        zero_row_threshold(Jk, [0.1, 2.0])
    with pytest.raises(InvalidParameterError, match="zero_row_mask: threshold must be a finite number; got nan"):
        zero_row_mask(row_means(Jk), float("nan"))
    with pytest.raises(InvalidParameterError, match=r"consistent_zero_rows_from_counts: fraction must be a finite "
                                                    r"number in \(0, 1\]; got 0"):
        consistent_zero_rows_from_counts(np.array([1, 2]), 5, fraction=0)
    with pytest.raises(InvalidParameterError, match="RotationReference.build: n_rotations must be an integer >= 1"):
        RotationReference.build(6, 3, n_rotations=0)
    with pytest.raises(InvalidParameterError, match="RotationReference.build: method must be one of 'haar', "
                                                    "'sampled'; got 'exact'"):
        RotationReference.build(6, 3, method="exact")
    with pytest.raises(InvalidParameterError, match="random_state must be None, a non-negative integer"):
        RotationReference.build(6, 3, random_state=-1)
    with pytest.raises(InvalidParameterError, match="haar_rotations: m must be an integer >= 1; got 0"):
        haar_rotations(0, 3)
    with pytest.raises(InvalidParameterError, match=r"quantile_ratio: low must be a finite number in \[0, 1\]"):
        quantile_ratio(Jk, low=-0.1)


def test_protocol_defaults():
    import inspect

    for f in (consistent_zero_rows, consistent_zero_rows_from_counts):
        assert inspect.signature(f).parameters["fraction"].default == PAPER_PROTOCOL.consistent_fraction
    assert inspect.signature(RotationReference.build).parameters["n_rotations"].default == PAPER_PROTOCOL.n_rotations


def test_observable_keys_are_public_and_round_trip():
    key = observable_key("consistent_zero_rows", 2, 1e-3)
    assert key == "consistent_zero_rows_k2_q0.001"
    parsed = parse_observable_key(key)
    assert parsed == ObservableKey("consistent_zero_rows", 2, 1e-3) and str(parsed) == key
    assert parse_observable_key("column_kl_k3") == ObservableKey("column_kl", 3, None)
    with pytest.raises(ValueError, match="needs a false-positive rate"):
        observable_key("zero_rows", 1)
    with pytest.raises(ValueError, match="not an observable key"):
        parse_observable_key("columns_kl_k3")
