"""The stacked training engine: gradients, Adam, padding, per-model independence."""

import numpy as np
import pytest
import torch

from sklearn_ka.engine import train_stacked, unpack_parameters


def _init(K, n, M, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.normal(0, n**-0.5, (K, n, M)), np.zeros((K, M)), rng.normal(0, M**-0.5, (K, M)), np.zeros(K))


def _data(N=64, n=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, (N, n))
    return X, np.prod(np.sin(np.pi * X), 1)


def _torch_reference(params, X, y, batches, activation, lr=0.01):
    """One model trained with autograd and torch.optim.Adam on the given batches."""
    A, a, B, b = (torch.tensor(p, dtype=torch.float64, requires_grad=True) for p in params)
    opt = torch.optim.Adam([A, a, B, b], lr=lr, betas=(0.9, 0.999), eps=1e-8)
    Xt, yt = torch.tensor(X), torch.tensor(y)
    for idx in batches:
        opt.zero_grad()
        pred = activation(Xt[idx] @ A + a) @ B + b
        ((pred - yt[idx]) ** 2).mean().backward()
        opt.step()
    return [p.detach().numpy() for p in (A, a, B, b)]


@pytest.mark.parametrize("activation", ["gelu", "relu", "tanh", "silu", "oscillatory"])
def test_manual_gradients_and_adam_match_autograd(activation):
    X, y = _data()
    A, a, B, b = _init(1, 3, 5)
    rng = np.random.default_rng(7)
    batches = []
    for _ in range(3):
        perm = rng.permutation(len(X))
        batches += [perm[s : s + 16] for s in range(0, len(X), 16)]
    fns = {"gelu": torch.nn.functional.gelu, "relu": torch.relu, "tanh": torch.tanh,
           "silu": torch.nn.functional.silu, "oscillatory": lambda z: z + 0.1 * torch.sin(10 * z)}
    ref = _torch_reference((A[0], a[0], B[0], b[0]), X, y, batches, fns[activation])
    # tol=-inf: every epoch counts as an improvement, so the kept parameters are the last ones
    res = train_stacked(A, a, B, b, X[None], y[None], activation=activation, batch_size=16, max_epochs=3,
                        patience=100, shuffle_seeds=[7], dtype=torch.float64, tol=-np.inf)
    got = [np.asarray(t)[0] for t in unpack_parameters(res[0].params[None], 3, 5)]
    for g, r in zip(got, ref):
        np.testing.assert_allclose(g, r, rtol=1e-10, atol=1e-12)


def test_padded_hidden_units_stay_exactly_zero():
    X, y = _data(N=100)
    A, a, B, b = _init(3, 3, 8)
    mask = np.ones((3, 8))
    for k, width in enumerate((2, 5, 8)):
        mask[k, width:] = 0
        A[k, :, width:] = 0
        B[k, width:] = 0
    res = train_stacked(A, a, B, b, X[None], y[None], hidden_mask=mask, batch_size=25, max_epochs=30,
                        patience=100, shuffle_seeds=[0, 1, 2], activation="tanh")
    for k, width in enumerate((2, 5, 8)):
        Ak, ak, Bk, _ = (np.asarray(t)[0] for t in unpack_parameters(res[k].params[None], 3, 8))
        assert np.all(Ak[:, width:] == 0) and np.all(ak[width:] == 0) and np.all(Bk[width:] == 0)
        assert np.any(ak[:width] != 0)  # the real units did train


def test_model_does_not_depend_on_its_companions():
    X, y = _data(N=120)
    A, a, B, b = _init(4, 3, 6, seed=3)
    together = train_stacked(A, a, B, b, X[None], y[None], batch_size=30, max_epochs=40, patience=5,
                             shuffle_seeds=[10, 11, 12, 13], dtype=torch.float64)
    alone = train_stacked(A[2:3], a[2:3], B[2:3], b[2:3], X[None], y[None], batch_size=30, max_epochs=40,
                          patience=5, shuffle_seeds=[12], dtype=torch.float64)
    np.testing.assert_allclose(together[2].params, alone[0].params, rtol=1e-9, atol=1e-12)
    assert together[2].n_epochs == alone[0].n_epochs
    np.testing.assert_allclose(together[2].history["train_loss"], alone[0].history["train_loss"], rtol=1e-9)


def test_early_stopping_keeps_best_and_models_leave_independently():
    X, y = _data(N=80)
    Xv, yv = _data(N=80, seed=1)
    A, a, B, b = _init(3, 3, 4)
    res = train_stacked(A, a, B, b, X[None], y[None], Xv[None], yv[None], batch_size=80, max_epochs=400,
                        patience=np.array(7).item(), shuffle_seeds=[0, 1, 2], learning_rate=0.2)
    for r in res:
        mon = r.history["monitored_loss"]
        assert r.best_epoch == int(np.argmin(mon)) + 1
        if r.stop_reason == "patience":
            assert r.n_epochs == r.best_epoch + 7
    assert len({r.n_epochs for r in res}) > 1  # they stopped at different epochs


def test_snapshots_record_first_crossing():
    X, y = _data(N=100)
    A, a, B, b = _init(1, 3, 16)
    levels = [0.1, 0.2, 0.3]
    res = train_stacked(A, a, B, b, X[None], y[None], batch_size=25, max_epochs=200, patience=200,
                        shuffle_seeds=[0], snapshot_r2=levels)[0]
    r2 = res.history["train_r2"]
    assert [s["level"] for s in res.snapshots] == [lv for lv in levels if r2.max() >= lv]
    for s in res.snapshots:
        assert s["epoch"] == int(np.flatnonzero(r2 >= s["level"])[0]) + 1
        assert s["train_r2"] == pytest.approx(r2[s["epoch"] - 1])


def test_recorded_r2_is_scikit_learns():
    from sklearn.metrics import r2_score

    from sklearn_ka.engine import get_activation

    X, y = _data(N=50)
    A, a, B, b = _init(1, 3, 4)
    res = train_stacked(A, a, B, b, X[None], y[None], batch_size=50, max_epochs=3, patience=10, shuffle_seeds=[0],
                        dtype=torch.float64, tol=-np.inf)[0]  # tol=-inf: the kept parameters are the last ones
    Ak, ak, Bk, bk = (np.asarray(t)[0] for t in unpack_parameters(res.params[None], 3, 4))
    pred = get_activation("gelu").numpy_fn(X @ Ak + ak) @ Bk + bk
    assert res.history["train_r2"][-1] == pytest.approx(r2_score(y, pred), rel=1e-10)
    # a constant target that is not predicted exactly scores 0, as scikit-learn's force_finite
    const = train_stacked(A, a, B, b, X[None], np.ones((1, 50)), batch_size=50, max_epochs=2, shuffle_seeds=[0])[0]
    np.testing.assert_array_equal(const.history["train_r2"], 0.0)


def test_unknown_loss_and_activation_are_clear_errors():
    X, y = _data(N=20)
    A, a, B, b = _init(1, 3, 2)
    with pytest.raises(ValueError, match=r"loss must be one of \['cross_entropy', 'squared_error'\], got 'mae'"):
        train_stacked(A, a, B, b, X[None], y[None], loss="mae")
    with pytest.raises(ValueError, match="Unknown activation 'swish'"):
        train_stacked(A, a, B, b, X[None], y[None], activation="swish")


def test_torch_threads_restores_the_setting():
    from sklearn_ka.engine import torch_threads

    before = torch.get_num_threads()
    with torch_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    with torch_threads(None):
        assert torch.get_num_threads() == before


def test_training_nbytes_grows_with_every_size_and_counts_shared_data_once():
    from sklearn_ka.engine import training_nbytes

    base = dict(n_models=4, n_samples=500, n_features=3, width=64, batch_size=100)
    ref = training_nbytes(**base)
    for name in ("n_models", "n_samples", "n_features", "width"):
        assert training_nbytes(**{**base, name: base[name] * 2}) > ref, name
    # a mini-batch step costs more than an evaluation of the whole set only for large batches
    assert training_nbytes(**{**base, "batch_size": 500}) > ref >= training_nbytes(**{**base, "batch_size": 10})
    assert training_nbytes(**base, itemsize=8) > ref
    assert training_nbytes(**base, n_val_samples=2000) > ref
    assert training_nbytes(**base, n_outputs=10) > ref
    assert training_nbytes(**base, shared_data=False) > ref
    # the batch is clipped to the data: a batch larger than the samples is full batch
    assert training_nbytes(**{**base, "batch_size": 10**9}) == training_nbytes(**{**base, "batch_size": 500})


def test_train_stacked_refuses_a_run_over_the_budget_before_training(monkeypatch):
    from sklearn_ka._utils import MemoryBudgetError

    X, y = _data()
    monkeypatch.setenv("SKLEARN_KA_MEMORY_BUDGET", "4096")
    with pytest.raises(MemoryBudgetError, match=r"^train_stacked: training 2 stacked models of 5 hidden units on 64 "
                                                 r"samples of 3 features \(batch_size=16, float32\) needs about"):
        train_stacked(*_init(2, 3, 5), X[None], y[None], batch_size=16, max_epochs=1)


def test_history_grows_past_its_first_block_without_changing_the_run():
    from sklearn_ka.engine._stopping import _HISTORY_ROWS

    X, y = _data(N=16)
    kw = dict(batch_size=16, patience=10**9, learning_rate=1e-3)
    long = train_stacked(*_init(1, 3, 2), X[None], y[None], max_epochs=_HISTORY_ROWS + 300, **kw)[0]
    short = train_stacked(*_init(1, 3, 2), X[None], y[None], max_epochs=_HISTORY_ROWS + 10, **kw)[0]
    assert long.n_epochs == _HISTORY_ROWS + 300 and len(long.history["train_loss"]) == long.n_epochs
    assert np.isfinite(long.history["train_loss"]).all()
    np.testing.assert_array_equal(long.history["train_loss"][: short.n_epochs], short.history["train_loss"])


def test_a_non_finite_loss_stops_the_model_with_its_reason():
    X, y = _data()
    A, a, B, b = _init(2, 3, 4)
    results = train_stacked(A, a, B, b, X[None], y[None], batch_size=64, max_epochs=5, learning_rate=1e30)
    assert [r.stop_reason for r in results] == ["non_finite", "non_finite"]
    assert [r.best_epoch for r in results] == [0, 0] and [r.n_epochs for r in results] == [1, 1]
