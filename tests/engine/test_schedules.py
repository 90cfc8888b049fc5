"""Activation schedules and loss terms inside a ragged stack: timing per model, exact no-op, exact blend."""

import numpy as np
import pytest
import torch

from sklearn_ka.engine import ActivationSchedule, Schedule, blend_activation, get_activation, train_models
from sklearn_ka.interventions import KAPenalty

N_FEATURES = 3


def _data(n_samples=240, seed=0, linear=False):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, (1, n_samples, N_FEATURES))
    return X, (2 * X[..., 0] + X[..., 1]) if linear else np.prod(np.sin(np.pi * X), -1)


def _init(width, seed):
    rng = np.random.default_rng(seed)
    return (rng.normal(0, N_FEATURES ** -0.5, (N_FEATURES, width)), np.zeros(width),
            rng.normal(0, width ** -0.5, width), np.zeros(()))


MODELS = [_init(8, 0), _init(12, 1), _init(8, 2)]
KW = dict(batch_size=64, max_epochs=40, patience=40)


@pytest.fixture(scope="module")
def plain():
    X, y = _data()
    return train_models(MODELS, X, y, **KW)


def test_zero_beta_and_no_switch_train_bit_for_bit_as_plain(plain):
    X, y = _data()
    runs = train_models(MODELS, X, y, loss_terms=[KAPenalty(beta=0.0)] * 3,
                        activation_schedules=[None] * 3, **KW)
    for a, b in zip(plain, runs):
        assert np.array_equal(a.params, b.params)
        assert np.array_equal(a.history["train_loss"], b.history["train_loss"])
        assert a.activation_blend == b.activation_blend == 0.0


def test_models_without_intervention_are_unaffected_by_their_companions(plain):
    X, y = _data()
    runs = train_models(MODELS, X, y, activation_schedules=[ActivationSchedule(), None, None],
                        loss_terms=[None, KAPenalty(beta=0.3, orders=(1, 2)), None], **KW)
    assert np.array_equal(runs[2].params, plain[2].params)
    assert not np.array_equal(runs[0].params, plain[0].params)
    assert not np.array_equal(runs[1].params, plain[1].params)
    assert "penalty_value" in runs[1].history and "penalty_value" not in runs[0].history


def test_level_schedules_switch_each_model_after_its_own_crossing_epoch():
    X, y = _data(linear=True)  # learnt within a few epochs, at different speeds
    levels = [0.5, 0.9, None]
    schedules = [ActivationSchedule(start_r2=levels[0]), ActivationSchedule(start_r2=levels[1], ramp_epochs=4),
                 ActivationSchedule(start_epoch=5)]
    runs = train_models(MODELS, X, y, activation_schedules=schedules, **KW)
    for res, level, sched in zip(runs, levels, schedules):
        blend = res.history["activation_blend"]
        assert len(blend) == res.n_epochs
        if level is None:
            trigger = sched.start_epoch
        else:
            crossed = np.flatnonzero(res.history["train_r2"] >= level)
            assert crossed.size, "the test needs models that reach the level"
            trigger = int(crossed[0]) + 1  # epochs are 1-based; the switch follows the crossing epoch
        assert res.interventions["activation_start_epoch"] == trigger
        e = np.arange(1, res.n_epochs + 1)
        ramp = sched.ramp_epochs
        expected = np.where(e > trigger, np.minimum(1.0, (e - trigger) / ramp) if ramp else 1.0, 0.0)
        np.testing.assert_array_equal(blend, expected)
        assert res.activation_blend == blend[res.best_epoch - 1]


def test_a_level_never_reached_never_switches():
    X, y = _data()
    res = train_models(MODELS[:1], X, y, activation_schedules=[ActivationSchedule(start_r2=0.999)], **KW)[0]
    assert res.interventions["activation_start_epoch"] is None
    assert not res.history["activation_blend"].any()


def test_switched_training_matches_training_with_the_other_activation_from_the_start():
    X, y = _data()
    switched = train_models(MODELS, X, y, activation_schedules=[ActivationSchedule()] * 3, **KW)
    osc = train_models(MODELS, X, y, activation="oscillatory", **KW)
    for a, b in zip(switched, osc):
        # gelu + 1 * (osc - gelu) rounds like osc up to float32 rounding
        np.testing.assert_allclose(a.params, b.params, rtol=2e-3, atol=2e-4)


def test_penalty_schedule_turns_the_weight_on_at_its_epoch():
    X, y = _data()
    res = train_models(MODELS[:1], X, y, loss_terms=[KAPenalty(beta=0.2, orders=1, start_epoch=3, ramp_epochs=2)],
                       **KW)[0]
    w = res.history["penalty_weight"]
    np.testing.assert_allclose(w[:5], [0, 0, 0, 0.1, 0.2])
    assert np.isnan(res.history["penalty_value"][:3]).all() and np.isfinite(res.history["penalty_value"][3:]).all()
    assert res.interventions["penalty_start_epoch"] == 3


@pytest.mark.parametrize("t", [0.0, 0.3, 1.0])
def test_blend_activation_is_the_exact_convex_combination(t):
    gelu, osc = get_activation("gelu"), get_activation("oscillatory")
    act = blend_activation(gelu, osc, t)
    z = np.linspace(-3, 3, 41)
    np.testing.assert_allclose(act.numpy_fn(z), (1 - t) * gelu.numpy_fn(z) + t * osc.numpy_fn(z), rtol=1e-12)
    np.testing.assert_allclose(act.numpy_deriv(z), (1 - t) * gelu.numpy_deriv(z) + t * osc.numpy_deriv(z),
                               rtol=1e-12, atol=1e-15)
    zt = torch.tensor(z)
    np.testing.assert_allclose(act.torch_deriv(zt).numpy(), act.numpy_deriv(z), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("kwargs, match", [
    ({"start_epoch": -1}, "start_epoch"), ({"ramp_epochs": 1.5}, "ramp_epochs"), ({"start_r2": 1.5}, "start_r2"),
    ({"start_r2": float("nan")}, "start_r2"), ({"start_epoch": 3, "start_r2": 0.5}, "not both"),
])
def test_schedule_rejects_bad_timing(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Schedule(**kwargs)


def test_activation_schedule_rejects_unknown_activation():
    with pytest.raises(ValueError, match="unknown activation"):
        ActivationSchedule(activation="sine")


def test_train_models_rejects_mismatched_interventions():
    X, y = _data(64)
    with pytest.raises(ValueError, match="one ActivationSchedule"):
        train_models(MODELS, X, y, activation_schedules=[ActivationSchedule()], **KW)
    with pytest.raises(TypeError, match="expected LossTerm"):
        train_models(MODELS, X, y, loss_terms=[ActivationSchedule()] * 3, **KW)
    with pytest.raises(ValueError, match="one activation"):
        train_models(MODELS[:2], X, y, activation_schedules=[ActivationSchedule(),
                                                              ActivationSchedule(activation="tanh")], **KW)
    with pytest.raises(ValueError, match="agree"):
        train_models(MODELS[:2], X, y, loss_terms=[KAPenalty(beta=1.0), KAPenalty(beta=1.0, term="zero_rows")], **KW)
    with pytest.raises(ValueError, match="exceeds min"):
        train_models([_init(2, 0)], X, y, loss_terms=[KAPenalty(beta=1.0, orders=3)], **KW)


def test_early_stopping_restarts_at_the_switch_so_the_switched_weights_are_kept():
    X, y = _data(linear=True)
    kw = dict(KW, max_epochs=200, patience=10)
    runs = train_models(MODELS, X, y, activation_schedules=[ActivationSchedule(start_r2=0.5)] * 3, **kw)
    for res in runs:
        trigger = res.interventions["activation_start_epoch"]
        assert trigger is not None
        assert res.best_epoch > trigger and res.activation_blend == 1.0
        assert res.n_epochs >= trigger + kw["patience"]
    kept = train_models(MODELS, X, y, activation_schedules=[ActivationSchedule(start_r2=0.5,
                                                                               restart_stopping=False)] * 3, **kw)
    for a, b in zip(runs, kept):  # the same training up to the switch, then different stopping records
        t = a.interventions["activation_start_epoch"]
        np.testing.assert_array_equal(a.history["train_loss"][:t + 1], b.history["train_loss"][:t + 1])
