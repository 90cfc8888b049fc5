"""The KA penalty: its statistics equal the analysis' definitions, and its gradients are exact."""

import itertools

import numpy as np
import pytest
import torch

from sklearn_ka.engine import get_activation, train_models
from sklearn_ka.exterior import minor_matrices
from sklearn_ka.interventions import KA_TERMS, KAPenalty
from sklearn_ka.observables import column_entropy, participation_ratio, row_means, zero_row_threshold

GELU = get_activation("gelu")
N_FEATURES = 3


def _layer(G=2, m=5, B=7, seed=0):
    g = torch.Generator().manual_seed(seed)
    A = torch.randn(G, N_FEATURES, m, generator=g, dtype=torch.float64) / 3 ** 0.5
    a = 0.3 * torch.randn(G, m, generator=g, dtype=torch.float64)
    X = 2 * torch.rand(G, B, N_FEATURES, generator=g, dtype=torch.float64) - 1
    return A, a, X


def _jacobians(A, a, X):
    """``J (G, B, m, n)`` of ``x -> gelu(x A + a)``: ``sigma'(z_j) A_ij``, the analyzer's layout."""
    D = GELU.torch_deriv(X @ A + a[:, None, :])
    return D[..., :, None] * A.transpose(1, 2)[:, None]


@pytest.mark.parametrize("k", [1, 2, 3])
def test_statistics_equal_the_observables_of_the_analysis(k):
    A, a, X = _layer()
    mask = torch.ones(X.shape[:2], dtype=torch.bool)
    J = _jacobians(A, a, X).numpy()
    for g in range(A.shape[0]):
        Jk = minor_matrices(J[g], k)
        pen = KAPenalty(orders=k)
        pr = pen._statistics(A, a, X, mask, GELU.torch_deriv)[0][g]
        assert float(pr) == pytest.approx(participation_ratio(Jk).mean(), rel=1e-12)
        ent = KAPenalty(orders=k, term="column_entropy")._statistics(A, a, X, mask, GELU.torch_deriv)[0][g]
        assert float(ent) == pytest.approx(column_entropy(Jk).mean(), rel=1e-12)
        rho = KAPenalty(orders=k, term="zero_rows")._statistics(A, a, X, mask, GELU.torch_deriv)[0][g]
        np.testing.assert_allclose(rho.numpy().T, row_means(Jk), rtol=1e-12)


def test_zero_row_state_uses_the_analysis_threshold_and_is_one_at_initialisation():
    A, a, X = _layer(B=40)
    pen = KAPenalty(term="zero_rows", orders=(1, 2))
    state = pen.initial_state(A, a, X, GELU.torch_deriv)
    J = _jacobians(A, a, X).numpy()
    from sklearn_ka.observables import induced_false_positive_rate

    for g in range(A.shape[0]):
        for i, k in enumerate(pen.orders):
            q = induced_false_positive_rate(pen.q1, A.shape[2], k)
            assert float(state["threshold"][g, i]) == pytest.approx(zero_row_threshold(row_means(
                minor_matrices(J[g], k)), q), rel=1e-12)
    mask = torch.ones(X.shape[:2], dtype=torch.bool)
    np.testing.assert_allclose(pen.value(A, a, X, mask, GELU.torch_deriv, state).numpy(), 1.0, rtol=1e-12)


def _naive_value(term, k, A, a, X, state):
    """The same statistic from per-example Jacobians and one determinant per minor (no factoring)."""
    J = _jacobians(A, a, X)
    G, B, m, n = J.shape
    rows, cols = list(itertools.combinations(range(m), k)), list(itertools.combinations(range(n), k))
    out = []
    for g in range(G):
        Jk = torch.stack([torch.stack([torch.stack([torch.linalg.det(J[g, b][list(r)][:, list(c)]).abs()
                                                    for c in cols]) for r in rows]) for b in range(B)])
        if term == "participation_ratio":
            flat = Jk.reshape(B, -1)
            stat = (flat.sum(1) / flat.square().sum(1).sqrt()).mean()
        elif term == "column_entropy":
            logp = torch.log_softmax(Jk, dim=1)
            stat = (-(logp.exp() * logp).sum(1) / np.log(len(rows))).mean()
        else:
            rho = Jk.mean(2)
            q = state["threshold"][g, 0]
            stat = torch.sigmoid((q.log() - rho.log()) / 0.25).mean()
        out.append(state["initial"][g, 0] / stat if term == "zero_rows" else stat / state["initial"][g, 0])
    return torch.stack(out)


@pytest.mark.parametrize("term", KA_TERMS)
@pytest.mark.parametrize("k", [1, 2, 3])
def test_gradients_match_autograd_of_a_naive_determinant_reference(term, k):
    A, a, X = _layer(G=2, m=4, B=5)
    pen = KAPenalty(term=term, orders=k)
    state = pen.initial_state(A, a, X, GELU.torch_deriv)
    mask = torch.ones(X.shape[:2], dtype=torch.bool)
    A1, a1 = A.clone().requires_grad_(), a.clone().requires_grad_()
    A2, a2 = A.clone().requires_grad_(), a.clone().requires_grad_()
    weights = torch.tensor([0.7, -1.3], dtype=torch.float64)
    v1 = pen.value(A1, a1, X, mask, GELU.torch_deriv, state)
    v2 = _naive_value(term, k, A2, a2, X, state)
    torch.testing.assert_close(v1, v2, rtol=1e-10, atol=1e-12)
    g1 = torch.autograd.grad((weights * v1).sum(), (A1, a1))
    g2 = torch.autograd.grad((weights * v2).sum(), (A2, a2))
    for x, y in zip(g1, g2):
        torch.testing.assert_close(x, y, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("term", KA_TERMS)
def test_gradients_match_finite_differences(term):
    A, a, X = _layer(G=1, m=4, B=6, seed=3)
    pen = KAPenalty(term=term, orders=(1, 2, 3))
    state = pen.initial_state(A, a, X, GELU.torch_deriv)
    mask = torch.tensor([[True] * 5 + [False]])  # a padded sample must not count

    def f(A_, a_):
        return pen.value(A_, a_, X, mask, GELU.torch_deriv, state)

    assert torch.autograd.gradcheck(f, (A.clone().requires_grad_(), a.clone().requires_grad_()), eps=1e-6,
                                    atol=1e-6, rtol=1e-5)


def test_masked_samples_do_not_change_the_value():
    A, a, X = _layer(G=1, B=6)
    pen = KAPenalty()
    state = pen.initial_state(A, a, X, GELU.torch_deriv)
    mask = torch.tensor([[True] * 4 + [False] * 2])
    v = pen.value(A, a, X, mask, GELU.torch_deriv, state)
    torch.testing.assert_close(v, pen.value(A, a, X[:, :4], torch.ones(1, 4, dtype=torch.bool),
                                            GELU.torch_deriv, state))


def test_engine_trains_as_a_reference_autograd_loop_with_the_penalty():
    """float64, one model: the engine's hand-written MSE gradient plus the penalty equals autograd + torch Adam."""
    rng = np.random.default_rng(0)
    N, m, batch, beta = 50, 4, 16, 0.3
    X = rng.uniform(-1, 1, (1, N, N_FEATURES))
    y = np.prod(np.sin(np.pi * X), -1)
    A0, B0 = rng.normal(0, 3 ** -0.5, (N_FEATURES, m)), rng.normal(0, 0.5, m)
    pen = KAPenalty(beta=beta, term="participation_ratio", orders=(1, 2))
    res = train_models([(A0, np.zeros(m), B0, np.zeros(()))], X, y, batch_size=batch, max_epochs=3, patience=10,
                       dtype=torch.float64, snapshot_epochs=[1, 2, 3], loss_terms=[pen], shuffle_seeds=[7])[0]
    Xt, yt = torch.tensor(X[0]), torch.tensor(y[0])
    A = torch.tensor(A0).requires_grad_()
    a = torch.zeros(m, dtype=torch.float64, requires_grad=True)
    B = torch.tensor(B0).requires_grad_()
    b = torch.zeros((), dtype=torch.float64, requires_grad=True)
    state = pen.initial_state(A.detach()[None], a.detach()[None], Xt[None], GELU.torch_deriv)
    opt = torch.optim.Adam([A, a, B, b], lr=0.01, betas=(0.9, 0.999), eps=1e-8)
    shuffle = np.random.default_rng(7)
    for epoch in range(3):
        order = shuffle.permutation(N)
        for s in range(0, N, batch):
            idx = torch.as_tensor(order[s:s + batch])
            xb, yb = Xt[idx], yt[idx]
            out = GELU.torch_fn(xb @ A + a) @ B + b
            ka = pen.value(A[None], a[None], xb[None], torch.ones(1, len(idx), dtype=torch.bool),
                           GELU.torch_deriv, state)[0]
            loss = (out - yb).square().mean() + beta * ka
            opt.zero_grad()
            loss.backward()
            opt.step()
        flat = np.concatenate([A.detach().numpy().ravel(), a.detach().numpy(), B.detach().numpy(), [float(b.detach())]])
        np.testing.assert_allclose(res.epoch_snapshots[epoch]["params"], flat, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("kwargs, match", [
    ({"term": "entropy"}, "unknown term"), ({"orders": 0}, "orders"), ({"orders": (1, 1)}, "orders"),
    ({"orders": "3"}, "orders"), ({"q1": 0.0}, "q1"), ({"temperature": 0}, "temperature"),
    ({"beta": float("inf")}, "beta"), ({"beta": "1"}, "beta"),
])
def test_penalty_rejects_bad_settings(kwargs, match):
    with pytest.raises(ValueError, match=match):
        KAPenalty(**kwargs)


def test_group_key_ignores_beta_and_timing():
    assert KAPenalty(beta=1.0).group_key() == KAPenalty(beta=-2.0, start_r2=0.5, ramp_epochs=3).group_key()
    assert KAPenalty().group_key() != KAPenalty(term="zero_rows").group_key()
