import itertools
import math
import time

import _naive
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from sklearn_ka.exterior import (
    DEFAULT_MAX_BYTES,
    MinorBudgetError,
    combination_indices,
    face_indices,
    factored_minor_matrices,
    minor_matrices,
    minor_nbytes,
    plan_example_chunks,
    signed_minor_matrices,
)

RNG = np.random.default_rng(0)


def _cases():
    out = []
    for m in (3, 5, 8):
        J, _, _ = _naive.trained_like(RNG, 3, m, 3)
        out.append(("trained", J))
        out.append(("gauss", RNG.standard_normal((3, m, 3))))
    out.append(("wide", RNG.standard_normal((2, 4, 5))))
    return out


@pytest.mark.parametrize("name,J", _cases())
def test_minors_match_naive(name, J):
    for k in range(1, min(J.shape[1:]) + 1):
        ref = _naive.minors(J, k, signed=True)
        got = signed_minor_matrices(J, k)
        scale = np.abs(J).max() ** k
        np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-12 * scale)
        np.testing.assert_allclose(minor_matrices(J, k), np.abs(ref), rtol=1e-10, atol=1e-12 * scale)
        assert isinstance(got, np.ndarray) and got.dtype == np.float64


def test_factored_matches_naive():
    J, d, W = _naive.trained_like(RNG, 4, 7, 3)
    for k in (1, 2, 3):
        np.testing.assert_allclose(factored_minor_matrices(d, W, k), _naive.minors(J, k), rtol=1e-10, atol=1e-300)


def test_torch_in_torch_out_and_chunking():
    J = torch.from_numpy(RNG.standard_normal((9, 6, 3)))
    a = minor_matrices(J, 2)
    assert isinstance(a, torch.Tensor) and a.dtype == torch.float64
    b = minor_matrices(J, 2, max_bytes=4 * 8 * 15 * 3 + 6 * 3 * 8)  # one example per chunk
    assert torch.equal(a, b)


def test_combinations_and_faces():
    for m, k in [(1, 1), (5, 1), (6, 3), (7, 7), (9, 4)]:
        c = combination_indices(m, k)
        assert c.tolist() == [list(x) for x in itertools.combinations(range(m), k)]
        f = face_indices(m, k)
        if k > 1:
            prev = {x: i for i, x in enumerate(itertools.combinations(range(m), k - 1))}
            for p, I in enumerate(itertools.combinations(range(m), k)):
                assert [prev[I[:t] + I[t + 1 :]] for t in range(k)] == f[p].tolist()


@settings(max_examples=25, deadline=None)
@given(st.integers(3, 8), st.integers(0, 10_000), st.floats(1e-3, 1e3))
def test_cauchy_binet_k_equals_n(m, seed, scale):
    J = np.random.default_rng(seed).standard_normal((2, m, 3)) * scale
    s = (signed_minor_matrices(J, 3) ** 2).sum(axis=(1, 2))
    g = np.linalg.det(np.swapaxes(J, 1, 2) @ J)
    np.testing.assert_allclose(s, g, rtol=1e-9)


def test_bad_input():
    J = RNG.standard_normal((2, 4, 3))
    for k in (0, 4, -1):
        with pytest.raises(ValueError, match="k"):
            minor_matrices(J, k)
    with pytest.raises(ValueError, match="exceeds the number of rows"):
        minor_matrices(RNG.standard_normal((2, 2, 3)), 3)
    with pytest.raises(TypeError):
        minor_matrices(J, 1.5)
    with pytest.raises(ValueError, match="3-dimensional"):
        minor_matrices(J[0], 1)
    bad = J.copy()
    bad[0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        minor_matrices(bad, 1)
    with pytest.raises(TypeError, match="real"):
        minor_matrices(J.astype(complex), 1)
    with pytest.raises(ValueError, match="match"):
        factored_minor_matrices(RNG.random((2, 4)), RNG.random((5, 3)), 2)
    with pytest.raises(ValueError):
        combination_indices(3, 4)


def test_budget_refuses_fast_without_allocating():
    assert minor_nbytes(10, 32, 3, 3) == 10 * 4960 * 8
    assert plan_example_chunks(1000, 32, 3, 3) == 1000
    assert 1 <= plan_example_chunks(10**6, 32, 3, 3, max_bytes=10**6) < 10**6
    t = time.perf_counter()
    with pytest.raises(MinorBudgetError, match="smaller minor size k.*larger memory budget.*sampled minors"):
        plan_example_chunks(1000, 2000, 3, 3)
    with pytest.raises(MinorBudgetError):
        minor_matrices(torch.zeros((1, 2000, 3)), 3)
    assert time.perf_counter() - t < 1.0
    assert DEFAULT_MAX_BYTES == 1 << 30
    assert math.comb(2000, 3) * 8 > DEFAULT_MAX_BYTES


def test_factored_minors_reuse_w_minors():
    rng = np.random.default_rng(0)
    D, W = rng.normal(size=(5, 7)), rng.normal(size=(7, 3))
    for k in (1, 2, 3):
        Wk = minor_matrices(W[None], k)[0]
        np.testing.assert_array_equal(factored_minor_matrices(D, W, k, w_minors=Wk), factored_minor_matrices(D, W, k))
    with pytest.raises(ValueError, match="w_minors must have shape"):
        factored_minor_matrices(D, W, 2, w_minors=np.ones((3, 3)))
