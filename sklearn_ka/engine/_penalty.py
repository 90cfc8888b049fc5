"""Applying a loss term inside a ragged stack: grouping by width, autograd, adding the gradient.

The data loss's gradient is written by hand (``_gradients``); a :class:`~sklearn_ka.engine.LossTerm`
is differentiated here with autograd, model by model (``G = 1``: batched kernels may round
differently with the number of models batched, and a model must end the same whatever trains
beside it), and ``beta * factor`` times its gradient is added to the model's gradient of ``A`` and
``a``. Models whose ``beta * factor`` is 0 are skipped, so they train exactly as without the term.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from ._data import DataSets
from ._layout import RaggedLayout
from ._loss_terms import LossTerm
from ._schedules import ScheduleState
from ._stack import ModelSpec, Stack

__all__ = ["PenaltyRunner"]


def _first_layer(A: torch.Tensor, a: torch.Tensor, units: torch.Tensor, G: int, width: int, n: int):
    """Leaf copies of the first layers of ``G`` models of one width: ``A (G, n, m)``, ``a (G, m)``."""
    Ag = A.view(-1, n).index_select(0, units).view(G, width, n).detach().clone().requires_grad_(True)
    ag = a.view(-1).index_select(0, units).view(G, width).detach().clone().requires_grad_(True)
    return Ag, ag


class PenaltyRunner:
    """The loss term of every model of a run: its schedule, its normalising states, its recorded values.

    Parameters
    ----------
    terms : sequence of LossTerm or None
        One per model (None: no term). The terms must share their :meth:`~LossTerm.group_key`.
    """

    def __init__(self, terms: Sequence[LossTerm | None]) -> None:
        given = [t for t in terms if t is not None]
        keys = {t.group_key() for t in given}
        if len(keys) > 1:
            raise ValueError(f"The loss terms of one training run must agree in all but beta and timing; got "
                             f"{len(keys)} kinds: {sorted(map(str, keys))}.")
        self.term = given[0] if given else None
        self.schedule = ScheduleState(terms)
        self.beta = np.array([0.0 if t is None else float(t.beta) for t in terms])
        self.states: dict[int, dict] = {}
        self.values: list[list[float]] = [[] for _ in terms]
        self._sums: np.ndarray | None = None

    @property
    def active(self) -> bool:
        return self.term is not None and bool(np.any(self.beta != 0))

    def check(self, specs: Sequence[ModelSpec], n_features: int) -> None:
        """Raise before training when the term is undefined for one of the models."""
        if self.term is not None:
            for width in sorted({s.width for s in specs if self.beta[s.index] != 0}):
                self.term.check(width, n_features)

    def join(self, stack: Stack, joining: Sequence[ModelSpec], train: DataSets, deriv_of) -> None:
        """Compute the normalising states of the models joining ``stack`` (at their initialisation)."""
        if not self.active:
            return
        slots = {int(k): i for i, k in enumerate(stack.models)}
        n = stack.n_features
        for spec in joining:
            if self.beta[spec.index] == 0:
                continue
            slot = np.array([slots[spec.index]])
            Ag, ag = _first_layer(stack.pieces.A, stack.pieces.a, _units(stack.layout, slot), 1, spec.width, n)
            rows = train.rows(torch.as_tensor([spec.data], device=Ag.device))
            X = train.X.index_select(0, rows.reshape(-1)).view(1, -1, n)
            with torch.no_grad():
                state = self.term.initial_state(Ag.detach().transpose(1, 2), ag.detach(), X, deriv_of(slot))
            self.states[spec.index] = {key: v[0] for key, v in state.items()}

    def start_epoch(self, models: np.ndarray, epochs: np.ndarray) -> np.ndarray:
        """Each slot's weight ``beta * factor`` for the epoch about to run (and the value sums reset)."""
        factor = self.schedule.factor(models, epochs)
        self.schedule.record(models, factor)
        self._sums = np.zeros((len(models), 2))
        return self.beta[models] * factor

    def add_gradient(self, stack: Stack, grad, Xu: torch.Tensor, scale: torch.Tensor, weight: np.ndarray,
                     deriv_of) -> None:
        """Add ``weight[slot]`` times the term's gradient on this mini-batch to each model's gradient."""
        layout, n = stack.layout, stack.n_features
        mask_all = (scale > 0).expand(len(stack), -1)
        models = stack.models
        for slot in np.flatnonzero(weight != 0):
            one = np.array([slot])
            width = int(layout.widths[slot])
            units = _units(layout, one)
            X = Xu[int(layout.offsets[slot])].T[None]  # the model's batch (its first unit's inputs): (1, B, n)
            state = {key: v[None] for key, v in self.states[int(models[slot])].items()}
            with torch.enable_grad():
                Ag, ag = _first_layer(stack.pieces.A, stack.pieces.a, units, 1, width, n)
                value = self.term.value(Ag.transpose(1, 2), ag, X, mask_all[slot][None], deriv_of(one), state)
                gA, ga = torch.autograd.grad(value.sum() * float(weight[slot]), (Ag, ag))
            grad.A.view(-1, n)[units] += gA.reshape(-1, n).to(grad.A.dtype)
            grad.a.view(-1)[units] += ga.reshape(-1).to(grad.a.dtype)
            self._sums[slot] += (float(value.detach()), 1.0)

    def end_epoch(self, models: np.ndarray) -> None:
        """Record each model's mean term value over the epoch's batches (NaN where it was off)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            means = self._sums[:, 0] / self._sums[:, 1]
        for k, v in zip(models, means):
            self.values[k].append(float(v))


def _units(layout: RaggedLayout, slots: np.ndarray) -> torch.Tensor:
    """The unit indices of the models at ``slots``, model after model."""
    return torch.as_tensor(np.concatenate([np.arange(layout.offsets[s], layout.offsets[s + 1]) for s in slots]),
                           device=layout.device)
