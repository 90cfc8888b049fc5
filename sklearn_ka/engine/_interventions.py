"""The interventions of a run, epoch by epoch: activation schedules and loss terms, per model.

Each epoch, every model of the stack gets its activation blend factor and its loss-term weight
from its schedules (:class:`~sklearn_ka.engine.ScheduleState`); after the epoch, level-triggered
schedules check the training score (``schedule.update``). The factor of the epoch whose weights
early stopping keeps is the blend the fitted model predicts with. Models without interventions take the
plain code path, bit for bit.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from ._activations import Activation, get_activation
from ._blend import UnitBlend
from ._loss_terms import LossTerm
from ._penalty import PenaltyRunner
from ._schedules import ActivationSchedule, ScheduleState
from ._stopping import TrainingResult

__all__ = ["Interventions"]


class Interventions:
    """Activation schedules and loss terms of the models of one run.

    Parameters
    ----------
    activation : Activation
        The hidden activation of every model.
    schedules : sequence of ActivationSchedule or None, or None
        One per model.
    terms : sequence of LossTerm or None, or None
        One per model.
    n_models : int
    """

    def __init__(self, activation: Activation, schedules: Sequence[ActivationSchedule | None] | None,
                 terms: Sequence[LossTerm | None] | None, n_models: int) -> None:
        schedules = list(schedules) if schedules is not None else [None] * n_models
        terms = list(terms) if terms is not None else [None] * n_models
        if len(schedules) != n_models or len(terms) != n_models:
            raise ValueError(f"Give one activation schedule and one loss term (or None) per model: {n_models} "
                             f"models, {len(schedules)} schedules, {len(terms)} terms.")
        targets = {s.activation for s in schedules if s is not None}
        if len(targets) > 1:
            raise ValueError(f"The activation schedules of one training run must switch to one activation; got "
                             f"{sorted(targets)}.")
        self.base = activation
        self.other = get_activation(targets.pop()) if targets else None
        self.schedule = ScheduleState(schedules)
        self.restart = np.array([s is not None and s.restart_stopping for s in schedules], dtype=bool)
        self.penalty = PenaltyRunner(terms)
        self._t = np.zeros(0)
        #: the slots whose blend changed this epoch and whose early stopping restarts
        self.changed = np.zeros(0, dtype=bool)

    def activation(self, models: np.ndarray, epochs: np.ndarray, owner: torch.Tensor, dtype) -> Activation | UnitBlend:
        """The hidden activation of the epoch about to run (``epochs``, 1-based, per slot)."""
        self._t = self.schedule.factor(models, epochs)
        self.changed = self.schedule.record(models, self._t) & self.restart[models]
        return self.current(owner, dtype)

    def current(self, owner: torch.Tensor, dtype) -> Activation | UnitBlend:
        """The activation with the factors set by the last :meth:`activation` (plain when all are 0)."""
        if self.other is None or not self._t.any():
            return self.base
        t = torch.as_tensor(self._t, dtype=dtype, device=owner.device).index_select(0, owner)[:, None]
        return UnitBlend(self.base, self.other, t)

    def derivative(self, slots: np.ndarray):
        """``deriv(z)`` of the models at ``slots`` this epoch (their blend), for a loss term: ``z (G, N, m)``."""
        return self._derivative_at(self._t[slots] if self._t.size else np.zeros(len(slots)))

    def initial_derivative(self, models: np.ndarray):
        """Like :meth:`derivative`, with the factors of each model's first epoch (``models``: the stack's)."""
        def of(slots):
            return self._derivative_at(self.schedule.factor(models[slots], np.ones(len(slots), dtype=np.int64)))
        return of

    def _derivative_at(self, t: np.ndarray):
        if self.other is None or not t.any():
            return self.base.torch_deriv

        def deriv(z):  # z (G, N, m): one factor per model
            factors = torch.as_tensor(t, dtype=z.dtype, device=z.device)[:, None, None]
            return UnitBlend(self.base, self.other, factors).torch_deriv(z)
        return deriv

    def annotate(self, result: TrainingResult, model: int) -> None:
        """Add the model's intervention record to its result."""
        n = result.n_epochs
        act_start = self.schedule.start_epoch(model)
        pen_start = self.penalty.schedule.start_epoch(model) if self.penalty.beta[model] != 0 else None
        factors = self.schedule.factors[model]  # recorded every epoch when the run has activation schedules
        result.activation_blend = float(factors[result.best_epoch - 1]) if factors and result.best_epoch > 0 else 0.0
        result.interventions = {
            "activation_start_epoch": act_start if act_start is not None and act_start < n else None,
            "penalty_start_epoch": pen_start if pen_start is not None and pen_start < n else None,
        }
        if self.schedule.on[model]:
            result.history["activation_blend"] = np.asarray(self.schedule.factors[model][:n], dtype=float)
        if self.penalty.term is not None and self.penalty.beta[model] != 0:
            result.history["penalty_weight"] = self.penalty.beta[model] * np.asarray(
                self.penalty.schedule.factors[model][:n], dtype=float)
            result.history["penalty_value"] = np.asarray(self.penalty.values[model][:n], dtype=float)
