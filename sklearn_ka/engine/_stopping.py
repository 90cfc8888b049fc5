"""Per-model early stopping: best weights, patience, history, snapshots and the final result.

Each model keeps its best monitored loss, its own patience counter and its own epoch count (it
may have joined the stack after others); a model that stops is finished into a
:class:`TrainingResult` and leaves the stack.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from ._stack import Stack

__all__ = ["StoppingSettings", "EarlyStopping", "TrainingResult"]

#: Epochs of history allocated at the start; the history doubles when training runs longer.
_HISTORY_ROWS = 1024


@dataclass
class TrainingResult:
    """What training one model produced.

    Attributes
    ----------
    params : ndarray of shape (P,)
        Best parameters seen (flat layout of :func:`pack_parameters`).
    n_epochs : int
        Epochs run.
    best_epoch : int
        Epoch (1-based) whose parameters are kept; 0 means the initial ones.
    history : dict of ndarray
        Per-epoch ``epoch``, ``train_loss``, ``monitored_loss``, ``train_r2``, ``monitored_r2``
        (``train_accuracy``, ``monitored_accuracy`` with the cross-entropy loss).
    snapshots : list of dict
        One entry per ``snapshot_r2`` level crossed: ``level``, ``epoch``, ``train_r2`` (or
        ``train_accuracy``) and the flat ``params`` at the end of the first epoch whose training
        score reached the level.
    stop_reason : str
        ``"patience"``, ``"max_epochs"``, ``"non_finite"`` or ``"callback"``.
    train_time : float
        Wall time in seconds from the model's start of training to its stop (it shares that
        time with the models training beside it).
    epoch_snapshots : list of dict
        One entry per ``snapshot_epochs`` epoch reached: ``epoch``, the training score and the
        flat ``params`` at the end of that epoch.
    epoch_times : ndarray of shape (n_epochs,)
        Wall time in seconds from the model's start of training to the end of each epoch.
    activation_blend : float
        The activation-schedule factor of the epoch whose parameters are kept (0: the plain
        activation); see :class:`~sklearn_ka.engine.ActivationSchedule`.
    interventions : dict
        ``activation_start_epoch`` and ``penalty_start_epoch``: the epoch after which each
        schedule switched on (None: never, or none given).
    """

    params: np.ndarray
    n_epochs: int
    best_epoch: int
    history: dict
    snapshots: list = field(default_factory=list)
    stop_reason: str = "max_epochs"
    train_time: float = 0.0
    epoch_snapshots: list = field(default_factory=list)
    epoch_times: np.ndarray = field(default_factory=lambda: np.zeros(0))
    activation_blend: float = 0.0
    interventions: dict = field(default_factory=dict)


@dataclass(frozen=True)
class StoppingSettings:
    """When a model stops, and which parameters are kept as snapshots.

    Attributes
    ----------
    max_epochs, patience : int
    tol : float
        Minimum decrease of the monitored loss that counts as an improvement.
    levels : ndarray or None
        Sorted training-score levels at which the parameters are copied.
    epochs : frozenset of int or None
        Epochs at whose end the parameters are copied.
    """

    max_epochs: int
    patience: int
    tol: float
    levels: np.ndarray | None
    epochs: frozenset | None = None


class EarlyStopping:
    """The stopping state of every model of a run (``n_models`` of them, in the caller's order).

    Parameters
    ----------
    n_models : int
    settings : StoppingSettings
    score : {"r2", "accuracy"}
        The score recorded beside the loss. The history columns are the training loss, the
        monitored loss, the training score and the monitored score.
    """

    def __init__(self, n_models: int, settings: StoppingSettings, score: str) -> None:
        K = n_models
        self.settings = settings
        self.columns = ("train_loss", "monitored_loss", f"train_{score}", f"monitored_{score}")
        self.best_loss = np.full(K, np.inf)
        self.best_epoch = np.zeros(K, dtype=int)
        self.wait = np.zeros(K, dtype=int)
        self.epoch = np.zeros(K, dtype=int)
        # grown as epochs run (doubling), so a large max_epochs allocates nothing up front
        self.history = np.full((min(settings.max_epochs, _HISTORY_ROWS), K, len(self.columns)), np.nan)
        self.next_level = np.zeros(K, dtype=int)
        self.snapshots = [[] for _ in range(K)]
        self.epoch_snapshots = [[] for _ in range(K)]
        self.results: list[TrainingResult | None] = [None] * K
        self.started = np.zeros(K)
        self.times: list[list[float]] = [[] for _ in range(K)]

    def start(self, models: np.ndarray) -> None:
        """The models joining a stack now start their clocks."""
        self.started[models] = time.perf_counter()

    def restart(self, models: np.ndarray) -> None:
        """Forget the best monitored loss of ``models`` and restart their patience (their function changed).

        The best weights stay until the next epoch improves on infinity, that is until the next
        recorded epoch, which becomes the new best.
        """
        self.best_loss[models] = np.inf
        self.wait[models] = 0

    def record(self, stack: Stack, train_loss, mon_loss, train_score, mon_score) -> np.ndarray:
        """Log one epoch of every model of ``stack``, keep improved parameters and snapshots; return the epochs."""
        models = stack.models
        self.epoch[models] += 1
        epochs = self.epoch[models]
        top = int(epochs.max())
        if top > len(self.history):
            rows = min(self.settings.max_epochs, max(top, 2 * len(self.history))) - len(self.history)
            self.history = np.concatenate([self.history, np.full((rows,) + self.history.shape[1:], np.nan)])
        self.history[epochs - 1, models] = np.stack([train_loss, mon_loss, train_score, mon_score], 1)
        now = time.perf_counter()
        for k in models:
            self.times[k].append(now - self.started[k])
        improved = mon_loss < self.best_loss[models] - self.settings.tol
        if improved.any():
            stack.keep_best(improved)
            self.best_loss[models[improved]] = mon_loss[improved]
            self.best_epoch[models[improved]] = epochs[improved]
        self.wait[models] = np.where(improved, 0, self.wait[models] + 1)
        if self.settings.levels is not None:
            self._level_snapshots(stack, epochs, train_score)
        if self.settings.epochs:
            for slot in np.flatnonzero(np.isin(epochs, list(self.settings.epochs))):
                self.epoch_snapshots[models[slot]].append(
                    {"epoch": int(epochs[slot]), self.columns[2]: float(train_score[slot]),
                     "params": stack.model_params(slot)})
        return epochs

    def _level_snapshots(self, stack, epochs, train_score):
        levels, next_level, models = self.settings.levels, self.next_level, stack.models
        for slot in np.flatnonzero(train_score >= levels[np.minimum(next_level[models], len(levels) - 1)]):
            k = models[slot]
            if next_level[k] >= len(levels):
                continue
            snap_params = stack.model_params(slot)
            while next_level[k] < len(levels) and train_score[slot] >= levels[next_level[k]]:
                self.snapshots[k].append(
                    {"level": float(levels[next_level[k]]), "epoch": int(epochs[slot]),
                     self.columns[2]: float(train_score[slot]), "params": snap_params}
                )
                next_level[k] += 1

    def stop(self, stack: Stack, train_loss: np.ndarray, requested: np.ndarray | None = None) -> np.ndarray:
        """Finish the models of ``stack`` that stop now; return the slots that keep training.

        ``requested`` marks the slots a callback asked to stop.
        """
        models = stack.models
        patience = self.settings.patience
        non_finite = ~np.isfinite(train_loss)
        out_of_patience = self.wait[models] >= patience
        at_max = self.epoch[models] >= self.settings.max_epochs
        asked = np.zeros(len(models), dtype=bool) if requested is None else requested
        stop = non_finite | out_of_patience | at_max | asked
        for slot in np.flatnonzero(stop):
            reason = ("non_finite" if non_finite[slot] else "patience" if out_of_patience[slot]
                      else "callback" if asked[slot] and not at_max[slot] else "max_epochs")
            self._finish(stack, slot, reason)
        return np.flatnonzero(~stop)

    def _finish(self, stack, slot, reason):
        k = int(stack.models[slot])
        n_epochs = int(self.epoch[k])
        self.results[k] = TrainingResult(
            params=stack.model_params(slot, best=True),
            n_epochs=n_epochs,
            best_epoch=int(self.best_epoch[k]),
            history={"epoch": np.arange(1, n_epochs + 1)}
            | {c: self.history[:n_epochs, k, i].copy() for i, c in enumerate(self.columns)},
            snapshots=self.snapshots[k],
            stop_reason=reason,
            train_time=time.perf_counter() - self.started[k],
            epoch_snapshots=self.epoch_snapshots[k],
            epoch_times=np.asarray(self.times[k][:n_epochs]),
        )
