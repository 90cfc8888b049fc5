"""The ragged engine: every width in one stack without padding, continuous batching, callbacks."""

import numpy as np
import pytest
import torch

from sklearn_ka.engine import EpochInfo, largest_stack, train_models


def _data(N=60, n=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, (N, n))
    return X, np.prod(np.sin(np.pi * X), 1)


def _model(width, seed, n=3):
    rng = np.random.default_rng(seed)
    return rng.normal(0, n**-0.5, (n, width)), np.zeros(width), rng.normal(0, width**-0.5, width), np.zeros(())


def _train(models, seeds, **kw):
    X, y = _data()
    Xv, yv = _data(seed=1)
    settings = dict(batch_size=16, max_epochs=25, patience=4, dtype=torch.float64) | kw
    return train_models(models, X[None], y[None], Xv[None], yv[None], shuffle_seeds=seeds, **settings)


WIDTHS = (2, 5, 8, 3, 6)


@pytest.mark.parametrize("max_units", [None, 8, 1])
def test_every_width_in_one_stack_ends_as_alone(max_units):
    models = [_model(w, s) for s, w in enumerate(WIDTHS)]
    together = _train(models, range(5), max_units=max_units)
    for k, (model, result) in enumerate(zip(models, together)):
        alone = _train([model], [k])[0]
        assert result.params.size == 3 * WIDTHS[k] + 2 * WIDTHS[k] + 1  # the model's own width, no padding
        np.testing.assert_array_equal(result.params, alone.params)
        np.testing.assert_array_equal(result.history["train_loss"], alone.history["train_loss"])
        assert (result.n_epochs, result.best_epoch, result.stop_reason) == \
            (alone.n_epochs, alone.best_epoch, alone.stop_reason)


def test_continuous_batching_lets_queued_models_join_as_others_stop():
    models = [_model(w, s) for s, w in enumerate(WIDTHS)]
    seen = []

    def record(info):
        seen.append((info.models.copy(), info.epochs.copy()))

    results = _train(models, range(5), max_units=8, patience=2, callback=record)
    first_models, first_epochs = seen[0]
    assert first_models.tolist() == [0, 1] and first_epochs.tolist() == [1, 1]  # 2 + 5 units; 8 does not fit
    joined = {}
    for models_now, epochs in seen:
        assert sum(WIDTHS[k] for k in models_now) <= 8
        for k, e in zip(models_now, epochs):
            joined.setdefault(int(k), e)
    assert set(joined) == set(range(5)) and all(e == 1 for e in joined.values())  # each counts its own epochs
    for k, r in enumerate(results):
        assert len(r.history["train_loss"]) == r.n_epochs == sum(int(k in m) for m, _ in seen)


def test_a_model_wider_than_the_stack_trains_alone():
    assert largest_stack([2, 5, 8], 4) == (8, 1)
    assert largest_stack([2, 5, 8], 7) == (8, 2)
    assert largest_stack([2, 5, 8], None) == (15, 3)
    results = _train([_model(8, 0), _model(2, 1)], [0, 1], max_units=4)
    assert [r.params.size for r in results] == [41, 11]


def test_the_callback_sees_every_model_and_can_stop_one():
    models = [_model(w, s) for s, w in enumerate((3, 4, 5))]
    infos = []

    def stop_model_1_at_epoch_3(info: EpochInfo):
        infos.append(info)
        return [1] if 1 in info.models and info.epochs[info.models == 1][0] == 3 else None

    results = _train(models, range(3), patience=100, max_epochs=6, callback=stop_model_1_at_epoch_3)
    assert results[1].stop_reason == "callback" and results[1].n_epochs == 3
    assert [r.n_epochs for r in (results[0], results[2])] == [6, 6]
    info = infos[0]
    assert info.score == "r2" and info.models.tolist() == [0, 1, 2]
    np.testing.assert_array_equal(info.train_loss, [r.history["train_loss"][0] for r in results])
    np.testing.assert_array_equal(info.monitored_score, [r.history["monitored_r2"][0] for r in results])
    with pytest.raises(ValueError, match="asked to stop models \\[7\\], which are not training"):
        _train(models, range(3), callback=lambda info: [7])
    with pytest.raises(ValueError, match="boolean mask of shape \\(2,\\); expected \\(3,\\)"):
        _train(models, range(3), callback=lambda info: np.array([True, False]))
    stop_all = _train(models, range(3), callback=lambda info: True)
    assert all(r.n_epochs == 1 and r.stop_reason == "callback" for r in stop_all)


def test_snapshot_epochs_are_the_parameters_at_the_end_of_those_epochs():
    model = _model(4, 0)
    result = _train([model], [0], snapshot_epochs=[2, 5], patience=100, max_epochs=6)[0]
    assert [s["epoch"] for s in result.epoch_snapshots] == [2, 5]
    for snap in result.epoch_snapshots:
        # tol=-inf: every epoch improves, so the kept parameters are those of the last epoch
        shorter = _train([model], [0], patience=100, max_epochs=snap["epoch"], tol=-np.inf)[0]
        np.testing.assert_array_equal(snap["params"], shorter.params)
        assert snap["train_r2"] == shorter.history["train_r2"][-1]


def _reference_weighted_step(model, X, y, w, lr=0.01):
    """One full-batch Adam step of the weighted mean squared error, with autograd."""
    A, a, B, b = (torch.tensor(np.asarray(p, dtype=float), requires_grad=True) for p in model)
    opt = torch.optim.Adam([A, a, B, b], lr=lr)
    Xt, yt, wt = torch.tensor(X), torch.tensor(y), torch.tensor(w)
    pred = torch.nn.functional.gelu(Xt @ A + a) @ B + b
    (((pred - yt) ** 2 * wt).sum() / wt.sum()).backward()
    opt.step()
    return np.concatenate([A.detach().numpy().ravel(), a.detach().numpy(), B.detach().numpy(),
                           b.detach().numpy().reshape(1)])


def test_sample_weights_give_the_weighted_loss_and_its_gradient():
    X, y = _data()
    w = np.random.default_rng(3).uniform(0, 2, len(y))
    w[:10] = 0
    model = _model(4, 0)
    res = train_models([model], X[None], y[None], sample_weight=w[None], batch_size=len(y), max_epochs=1,
                       tol=-np.inf, dtype=torch.float64, shuffle_seeds=[0])[0]
    np.testing.assert_allclose(res.params, _reference_weighted_step(model, X, y, w), rtol=1e-10, atol=1e-12)
    A, a, B, b = (res.params[:12].reshape(3, 4), res.params[12:16], res.params[16:20], res.params[20])
    pred = torch.nn.functional.gelu(torch.tensor(X @ A + a)).numpy() @ B + b
    assert res.history["train_loss"][0] == pytest.approx(np.average((pred - y) ** 2, weights=w), rel=1e-10)
    from sklearn.metrics import r2_score

    assert res.history["train_r2"][0] == pytest.approx(r2_score(y, pred, sample_weight=w), rel=1e-10)
    ones = train_models([model], X[None], y[None], sample_weight=np.ones((1, len(y))), batch_size=16, max_epochs=3,
                        dtype=torch.float64, shuffle_seeds=[0])[0]
    plain = train_models([model], X[None], y[None], batch_size=16, max_epochs=3, dtype=torch.float64,
                         shuffle_seeds=[0])[0]
    np.testing.assert_allclose(ones.params, plain.params, rtol=1e-12, atol=1e-14)


def test_threads_share_one_queue_and_change_nothing():
    models = [_model(w, s) for s, w in enumerate(WIDTHS * 2)]
    one = _train(models, range(10), max_units=10)
    two = _train(models, range(10), max_units=10, n_jobs=2)
    for a, b in zip(one, two):
        np.testing.assert_array_equal(a.params, b.params)
        assert a.n_epochs == b.n_epochs


def test_the_device_segment_sum_equals_the_cpu_one():
    from sklearn_ka.engine._layout import RaggedLayout

    layout = RaggedLayout(np.array([2, 5, 1]), 3, 1, torch.device("cpu"))
    values = torch.randn(8, 7, dtype=torch.float64)
    np.testing.assert_allclose(layout._one_hot_sum(values), layout.segment_sum(values), rtol=1e-12)
    np.testing.assert_allclose(layout.segment_sum(values)[1], values[2:7].sum(0), rtol=1e-12)
