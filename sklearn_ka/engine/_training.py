"""The training loop: a ragged stack of models, continuous batching, per-model early stopping.

Many independent one-hidden-layer MLPs ``f_k(x) = sigma(x A_k + a_k) B_k + b_k`` train at once.
Their hidden units sit side by side in one layer without padding (``_layout``); gradients are
written out by hand (``_gradients``) and Adam is applied elementwise with per-model step counts
(``_adam``), so every model's update is exactly its own.

Per-model pieces:

* shuffling stream: model ``k`` draws its epoch permutations from its own
  ``numpy.random.default_rng(shuffle_seed)`` (``_data``);
* early stopping: each model keeps its best monitored loss, its best parameters and its own
  patience counter; a model that stops leaves the stack (``_stopping``);
* continuous batching: when more models are queued than the stack holds (``max_units`` hidden
  units), queued models join at the next epoch boundary after others stop, so the stack never
  waits for its slowest model while others queue.

The optimiser, batches and early stopping follow the training protocol of the KA-geometry study;
see the user guide, :ref:`training-protocol`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from ._activations import Activation
from ._adam import AdamSettings, adam_update
from ._callbacks import EpochInfo, Progress, requested_stops
from ._data import DataSets, Evaluation, Shuffler
from ._gradients import LOSSES, batch_gradient
from ._interventions import Interventions
from ._stack import ModelSpec, Stack
from ._stopping import EarlyStopping, StoppingSettings, TrainingResult

__all__ = ["RunSettings", "ModelQueue", "train_ragged"]


@dataclass(frozen=True)
class RunSettings:
    """Everything shared by the models of one run but their parameters and data."""

    activation: Activation
    loss: str
    n_outputs: int
    batch_size: int
    adam: AdamSettings
    stopping: StoppingSettings
    dtype: torch.dtype
    device: torch.device
    max_units: int | None = None
    callback: Callable[[EpochInfo], object] | None = None
    activation_schedules: Sequence | None = None
    loss_terms: Sequence | None = None


class ModelQueue:
    """The models waiting to train, handed out in order to the stacks that have room (thread-safe)."""

    def __init__(self, specs: Sequence[ModelSpec]) -> None:
        self._specs = list(specs)
        self._next = 0
        self._lock = threading.Lock()

    def take(self, room: int | None, empty_stack: bool) -> list[ModelSpec]:
        """The next models whose widths fit ``room`` hidden units (at least one into an empty stack)."""
        taken = []
        with self._lock:
            while self._next < len(self._specs):
                width = self._specs[self._next].width
                if room is not None and width > room and not (empty_stack and not taken):
                    break
                taken.append(self._specs[self._next])
                self._next += 1
                room = None if room is None else room - width
        return taken


def train_ragged(queue: ModelQueue, n_models: int, train: DataSets, val: DataSets | None, settings: RunSettings,
                 progress: Progress | None = None) -> list[TrainingResult]:
    """Train models from ``queue`` in one stack until the queue is empty and every model stopped.

    Returns the results by the models' ``index`` (``None`` for models another stack trained).
    """
    stack = Stack(train.X.shape[1], settings.n_outputs, settings.dtype, settings.device)
    stopping = EarlyStopping(n_models, settings.stopping, score=LOSSES[settings.loss])
    shuffler = Shuffler(train.n_samples, settings.device)
    progress = progress or Progress(n_models, enabled=False)
    plan = Interventions(settings.activation, settings.activation_schedules, settings.loss_terms, n_models)
    evals = _refill(stack, np.arange(0), queue, settings, stopping, shuffler, train, val, plan)
    batch_size = min(settings.batch_size, train.n_samples)
    while len(stack):
        models = stack.models
        activation = _epoch(stack, settings, train, shuffler, batch_size, plan, stopping.epoch[models] + 1)
        if plan.changed.any():
            stopping.restart(models[plan.changed])
        scores = evals.scores(activation, stack.layout, stack.pieces, settings.loss)
        (train_loss, train_score), (mon_loss, mon_score) = scores[0], scores[-1]
        train_loss, mon_loss = _overflowed(stack, train_loss, mon_loss)
        epochs = stopping.record(stack, train_loss, mon_loss, train_score, mon_score)
        if plan.schedule.any:
            plan.schedule.update(models, epochs, train_score)
        info = EpochInfo(models, epochs, train_loss, mon_loss, train_score, mon_score,
                         stopping.best_loss[models].copy(), LOSSES[settings.loss])
        keep = stopping.stop(stack, train_loss, requested_stops(settings.callback, info))
        if keep.size < len(stack):
            finished = len(stack) - keep.size
            for k in np.setdiff1d(models, models[keep]):
                plan.annotate(stopping.results[k], int(k))
            evals = _refill(stack, keep, queue, settings, stopping, shuffler, train, val, plan)
            progress.update(finished, len(stack), int(epochs.max()), float(np.nanmin(stopping.best_loss[models])))
    return stopping.results


def _overflowed(stack, train_loss, mon_loss):
    """Losses set to infinity for the models whose Adam state overflowed the training precision.

    A squared gradient beyond the precision's range makes Adam's second moment infinite and
    freezes the model (its updates become 0) while its loss may stay finite: that training has
    diverged as surely as a loss that overflows, and is reported the same way.
    """
    if bool(torch.isfinite(stack.m2).all()):
        return train_loss, mon_loss
    bad_elements = ~torch.isfinite(stack.m2)
    bad = np.zeros(len(stack), dtype=bool)
    bad[np.unique(stack.layout.element_slot[bad_elements].cpu().numpy())] = True
    return np.where(bad, np.inf, train_loss), np.where(bad, np.inf, mon_loss)


def _refill(stack, keep, queue, settings, stopping, shuffler, train, val, plan):
    """Keep the slots ``keep``, let queued models join, and gather the new stack's evaluation data."""
    room = None
    if settings.max_units is not None:
        room = settings.max_units - int(stack.layout.widths[keep].sum())
    joining = queue.take(room, empty_stack=keep.size == 0)
    stack.rebuild(keep, joining)
    for spec in joining:
        shuffler.add(spec.index, spec.shuffle_seed)
    stopping.start(np.array([s.index for s in joining], dtype=np.int64))
    if joining and plan.penalty.active:
        plan.penalty.join(stack, joining, train, plan.initial_derivative(stack.models))
    if not len(stack):
        return None
    return Evaluation.gather([train] if val is None else [train, val], stack.layout, stack.data_index)


def _epoch(stack, settings, train, shuffler, batch_size, plan, epochs):
    """One epoch of every model of the stack: its own permutation, its own mini-batches, Adam.

    Returns the hidden activation the epoch trained with (blended where a schedule is on).
    """
    layout = stack.layout
    models = stack.models
    activation = plan.activation(models, epochs, layout.owner, settings.dtype) if plan.schedule.any \
        else settings.activation
    weight = plan.penalty.start_epoch(models, epochs) if plan.penalty.active else None
    penalise = weight is not None and bool(weight.any())
    rows = train.rows(stack.data_index, shuffler.permutations(models))
    for Xu, yb, wb in train.batches(layout, rows, batch_size):
        batch_gradient(activation, layout, stack.pieces, stack.grad_pieces, Xu, yb, settings.loss, wb)
        if penalise:
            plan.penalty.add_gradient(stack, stack.grad_pieces, Xu, wb, weight, plan.derivative)
        stack.steps += 1
        adam_update(stack.params, stack.m1, stack.m2, stack.grad, stack.steps, layout.element_slot, settings.adam)
    if weight is not None:
        plan.penalty.end_epoch(models)
    return activation
