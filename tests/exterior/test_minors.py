import itertools
import math

import _naive
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import config_context

from sklearn_ka._utils import InvalidParameterError, as_float64_tensor, like_input, pooled_float64
from sklearn_ka.exterior import (
    DEFAULT_MAX_BYTES,
    MinorBudgetError,
    MinorSample,
    combination_indices,
    compound_chain,
    compound_chain_qp,
    face_indices,
    factored_minor_matrices,
    minor_matrices,
    minor_nbytes,
    plan_example_chunks,
    row_products,
    sampled_minor_matrices,
    scale_minors,
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


def test_budget_refuses_without_allocating(monkeypatch):
    assert minor_nbytes(10, 32, 3, 3) == 10 * 4960 * 8
    assert plan_example_chunks(1000, 32, 3, 3) == 1000
    assert 1 <= plan_example_chunks(10**6, 32, 3, 3, max_bytes=10**6) < 10**6
    with pytest.raises(MinorBudgetError, match="smaller minor size k.*larger memory budget.*sampled minors"):
        plan_example_chunks(1000, 2000, 3, 3)

    def touched(*args, **kwargs):
        raise AssertionError("the data were touched before the budget was checked")

    # refused from the shape alone: neither converted nor computed
    monkeypatch.setattr("sklearn_ka.exterior._minors.as_float64_tensor", touched)
    monkeypatch.setattr("sklearn_ka.exterior._minors.compound_chain", touched)
    with pytest.raises(MinorBudgetError):
        minor_matrices(torch.zeros((1, 2000, 3)), 3)
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


def test_public_kernels_agree_with_the_checked_functions():
    rng = np.random.default_rng(3)
    J = torch.from_numpy(rng.standard_normal((4, 6, 3)))
    chain = compound_chain(J, 3)
    chain_qp = compound_chain_qp(J, 3)
    for k in (1, 2, 3):
        np.testing.assert_array_equal(chain[k - 1].numpy(), signed_minor_matrices(J, k).numpy())
        np.testing.assert_array_equal(chain_qp[k - 1].transpose(1, 2).numpy(), chain[k - 1].numpy())
    D, W = rng.uniform(0.1, 1, (5, 6)), rng.normal(size=(6, 3))
    levels = row_products(torch.from_numpy(D), 3)
    for k in (1, 2, 3):
        Wk = compound_chain(torch.from_numpy(W), k)[-1].abs()
        np.testing.assert_allclose(scale_minors(levels[k], Wk).numpy(), _naive.minors(D[:, :, None] * W, k),
                                   rtol=1e-10, atol=1e-300)


def test_parameter_messages_name_the_function_and_the_rule():
    with pytest.raises(InvalidParameterError, match=r"plan_example_chunks: max_bytes must be a finite number in "
                                                    r"\(0, inf\); got 0"):
        plan_example_chunks(10, 4, 3, 2, max_bytes=0)
    with pytest.raises(TypeError, match="max_bytes must be"):
        plan_example_chunks(10, 4, 3, 2, max_bytes="1GB")
    with pytest.raises(InvalidParameterError, match="minor_nbytes: n_samples must be an integer >= 0; got -1"):
        minor_nbytes(-1, 4, 3, 2)
    with pytest.raises(InvalidParameterError, match="combination_indices: m must be an integer >= 1; got 0"):
        combination_indices(0, 1)
    with pytest.raises(InvalidParameterError, match="face_indices: k must be an integer; got 1.5"):
        face_indices(4, 1.5)
    with pytest.raises(InvalidParameterError, match="k must be an integer; got True"):
        minor_matrices(np.ones((1, 3, 3)), True)
    # an integer budget stays an integer in the chunk arithmetic; numpy integers are accepted
    assert plan_example_chunks(50, 6, 3, 2, max_bytes=np.int64(10_000)) == plan_example_chunks(50, 6, 3, 2, 10_000)


def test_array_helpers_keep_the_callers_kind():
    t, was_numpy = as_float64_tensor([[1, 2], [3, 4]], "x", 2)
    assert was_numpy and t.dtype == torch.float64
    assert isinstance(like_input(t, was_numpy), np.ndarray)
    src = torch.ones(3, dtype=torch.float32)
    t, was_numpy = as_float64_tensor(src, "x", (1, 2))
    assert not was_numpy and like_input(t, was_numpy) is t
    with pytest.raises(ValueError, match="x must be a 2-dimensional array"):
        as_float64_tensor(np.ones(3), "x", 2)
    with pytest.raises(ValueError, match="x contains NaN"):
        as_float64_tensor(np.array([1.0, np.inf]), "x")
    with config_context(assume_finite=True):  # validated upstream: the pass is skipped
        as_float64_tensor(np.array([1.0, np.inf]), "x")
    with pytest.raises(TypeError, match="real"):
        as_float64_tensor(torch.ones(2, dtype=torch.complex64), "x")
    pooled = pooled_float64([np.ones((2, 2)), torch.zeros(3)], "v")
    np.testing.assert_array_equal(pooled, [1, 1, 1, 1, 0, 0, 0])
    with pytest.raises(ValueError, match="v is an empty sequence"):
        pooled_float64([], "v")
    with pytest.raises(TypeError, match="v must hold real numbers"):
        pooled_float64(np.array(["a"]), "v")


def test_result_beyond_the_package_budget_is_refused_before_converting(monkeypatch):
    # each chunk fits max_bytes, but the whole result (every example's minors) is checked too
    def touched(*args, **kwargs):
        raise AssertionError("the data were touched before the budget was checked")

    monkeypatch.setattr("sklearn_ka.exterior._minors.as_float64_tensor", touched)
    monkeypatch.setenv("SKLEARN_KA_MEMORY_BUDGET", str(1 << 20))
    J = np.broadcast_to(np.ones(1), (10_000, 8, 3))  # the result: 10_000 x 28 x 3 float64, 6.4 MiB
    with pytest.raises(MinorBudgetError, match=r"minor_matrices: the result \(the size-2 minors of 10000 Jacobians "
                                               r"of shape 8x3\) needs about 6.41 MiB, over the memory budget of 1 MiB"):
        minor_matrices(J, 2)
    with pytest.raises(MinorBudgetError, match="factored_minor_matrices: the result"):
        factored_minor_matrices(np.ones((10_000, 8)), np.ones((8, 3)), 2)


def test_budget_errors_are_memory_budget_errors_and_name_the_callers_parameter():
    from sklearn_ka._utils import MemoryBudgetError

    assert issubclass(MinorBudgetError, MemoryBudgetError)
    with pytest.raises(MinorBudgetError, match=r"^Owner: the size-3 minors of one 2000x3 Jacobian .* over the "
                                               r"budget of 341 MiB \(budget_bytes = 1 GiB, of which 1/3 is for one"):
        plan_example_chunks(1, 2000, 3, 3, (1 << 30) / 3, budget_name="budget_bytes", budget_share=3, owner="Owner")


@pytest.mark.parametrize("call, message", [
    (lambda: combination_indices(10**6, 3), r"combination_indices: the table of the C\(1000000, 3\)"),
    (lambda: face_indices(10**5, 4), r"face_indices: the table of the C\(100000, 4\)"),
    (lambda: MinorSample(3000, 3, 3, n_rows=10**9, n_replicates=4), r"MinorSample: 4 replicate\(s\) of 1000000000 row"),
    (lambda: sampled_minor_matrices(np.broadcast_to(np.ones(1), (10**6, 8, 3)), combination_indices(8, 3),
                                    combination_indices(3, 3)),
     r"sampled_minor_matrices: the 56 x 1 sampled size-3 minors of 1000000 Jacobians"),
])
def test_index_tables_and_samples_are_refused_beyond_the_budget(call, message):
    from sklearn_ka._utils import MemoryBudgetError

    with pytest.raises(MemoryBudgetError, match=message):
        call()
