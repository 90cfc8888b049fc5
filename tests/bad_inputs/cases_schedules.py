"""Bad inputs of the training interventions: activation schedules, the KA penalty, their estimator parameters.

Every row fails before any model is trained.
"""

from __future__ import annotations

import numpy as np
from _case import BadInput

from sklearn_ka import ShallowMLPRegressor
from sklearn_ka._utils import InvalidParameterError
from sklearn_ka.engine import ActivationSchedule, Schedule, train_models
from sklearn_ka.interventions import KAPenalty

_X = np.random.default_rng(0).uniform(-1, 1, (30, 3))
_Y = _X.sum(1)
_MODEL = (np.ones((3, 4)), np.zeros(4), np.ones(4), np.zeros(()))


def _fit(**params):
    return lambda: ShallowMLPRegressor(4, max_epochs=2, **params).fit(_X, _Y)


CASES = [
    BadInput("schedule-negative-start", lambda: Schedule(start_epoch=-2), ValueError,
             r"start_epoch must be an int >= 0"),
    BadInput("schedule-float-ramp", lambda: Schedule(ramp_epochs=2.5), ValueError, r"ramp_epochs must be an int"),
    BadInput("schedule-r2-above-one", lambda: Schedule(start_r2=1.2), ValueError, r"start_r2 must be None or a finite"),
    BadInput("schedule-r2-string", lambda: Schedule(start_r2="0.5"), ValueError, r"start_r2 must be None or a finite"),
    BadInput("schedule-both-starts", lambda: Schedule(start_epoch=4, start_r2=0.5), ValueError,
             r"give start_epoch or start_r2, not both"),
    BadInput("activation-schedule-unknown", lambda: ActivationSchedule(activation="sin"), ValueError,
             r"unknown activation 'sin'; accepted: \["),
    BadInput("penalty-unknown-term", lambda: KAPenalty(term="pr"), ValueError, r"unknown term 'pr'; accepted"),
    BadInput("penalty-order-zero", lambda: KAPenalty(orders=(0, 1)), ValueError, r"orders must be a minor size k >= 1"),
    BadInput("penalty-nan-beta", lambda: KAPenalty(beta=float("nan")), ValueError, r"beta must be a finite float"),
    BadInput("penalty-temperature", lambda: KAPenalty(temperature=-1.0), ValueError, r"temperature must be a positive"),
    BadInput("estimator-schedule-string", _fit(activation_schedule="oscillatory"), InvalidParameterError,
             r"activation_schedule"),
    BadInput("estimator-penalty-number", _fit(ka_penalty=0.5), InvalidParameterError, r"ka_penalty.*loss term"),
    BadInput("estimator-order-above-width", _fit(ka_penalty=KAPenalty(beta=1.0, orders=(1, 5))), ValueError,
             r"minor size k=5 exceeds min\(m, n\) = 3"),
    BadInput("engine-schedules-length", lambda: train_models([_MODEL], _X[None], _Y[None], max_epochs=1,
                                                            activation_schedules=[None, None]),
             ValueError, r"one ActivationSchedule \(or None\) per model"),
    BadInput("engine-terms-type", lambda: train_models([_MODEL], _X[None], _Y[None], max_epochs=1,
                                                      loss_terms=[Schedule()]),
             TypeError, r"loss_terms holds Schedule; expected LossTerm"),
]
