"""Per-model early stopping: best weights, patience, history, snapshots and the final result.

Each model keeps its best monitored loss, its best parameters and its own patience counter; a
model that stops is finished into a :class:`TrainingResult` and leaves the stack (the stacked
tensors are compacted to the models still training, the ``active`` ones).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import torch

__all__ = ["StoppingSettings", "EarlyStopping", "TrainingResult"]

#: Epochs of history allocated at the start; the history doubles when training runs longer.
_HISTORY_ROWS = 1024


@dataclass
class TrainingResult:
    """What training one model produced.

    Attributes
    ----------
    params : ndarray of shape (P,)
        Best parameters seen (flat layout of :func:`pack_parameters`, padded width).
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
        ``"patience"``, ``"max_epochs"`` or ``"non_finite"``.
    train_time : float
        Wall time in seconds of the stacked run this model belonged to, until it stopped.
    """

    params: np.ndarray
    n_epochs: int
    best_epoch: int
    history: dict
    snapshots: list = field(default_factory=list)
    stop_reason: str = "max_epochs"
    train_time: float = 0.0


@dataclass(frozen=True)
class StoppingSettings:
    """When a model stops, and which training scores are kept as snapshots.

    Attributes
    ----------
    max_epochs, patience : int
    tol : float
        Minimum decrease of the monitored loss that counts as an improvement.
    levels : ndarray or None
        Sorted training-score levels at which the parameters are copied.
    """

    max_epochs: int
    patience: int
    tol: float
    levels: np.ndarray | None


class EarlyStopping:
    """The stopping state of a stack of K models.

    Parameters
    ----------
    params : torch.Tensor of shape (K, P)
        The initial parameters (the best ones until a model improves).
    settings : StoppingSettings
    score : {"r2", "accuracy"}
        The score recorded beside the loss. The history columns are the training loss, the
        monitored loss, the training score and the monitored score.
    """

    def __init__(self, params: torch.Tensor, settings: StoppingSettings, score: str) -> None:
        K = params.shape[0]
        self.settings = settings
        self.columns = ("train_loss", "monitored_loss", f"train_{score}", f"monitored_{score}")
        self.best = params.clone()
        self.best_loss = np.full(K, np.inf)
        self.best_epoch = np.zeros(K, dtype=int)
        self.wait = np.zeros(K, dtype=int)
        # grown as epochs run (doubling), so a large max_epochs allocates nothing up front
        self.history = np.full((min(settings.max_epochs, _HISTORY_ROWS), K, len(self.columns)), np.nan)
        self.next_level = np.zeros(K, dtype=int)
        self.snapshots = [[] for _ in range(K)]
        self.active = np.arange(K)  # input indices of the models still training, in stack order
        self.results: list[TrainingResult | None] = [None] * K
        self.t0 = time.perf_counter()

    def record(self, epoch: int, params: torch.Tensor, train_loss, mon_loss, train_score, mon_score) -> None:
        """Log one epoch's losses and scores, keep improved parameters, copy snapshots."""
        active = self.active
        if epoch > len(self.history):
            rows = min(self.settings.max_epochs, 2 * len(self.history)) - len(self.history)
            self.history = np.concatenate([self.history, np.full((rows,) + self.history.shape[1:], np.nan)])
        self.history[epoch - 1, active] = np.stack([train_loss, mon_loss, train_score, mon_score], 1)
        improved = mon_loss < self.best_loss[active] - self.settings.tol
        if improved.any():
            imp = torch.as_tensor(improved, device=params.device)
            self.best = torch.where(imp[:, None], params, self.best)
            self.best_loss[active[improved]] = mon_loss[improved]
            self.best_epoch[active[improved]] = epoch
        self.wait[active] = np.where(improved, 0, self.wait[active] + 1)
        if self.settings.levels is not None:
            self._snapshot(epoch, params, train_score)

    def _snapshot(self, epoch, params, train_score):
        levels, next_level, active = self.settings.levels, self.next_level, self.active
        for r in np.flatnonzero(train_score >= levels[np.minimum(next_level[active], len(levels) - 1)]):
            k = active[r]
            if next_level[k] >= len(levels):
                continue
            snap_params = params[r].cpu().numpy().astype(np.float64)
            while next_level[k] < len(levels) and train_score[r] >= levels[next_level[k]]:
                self.snapshots[k].append(
                    {"level": float(levels[next_level[k]]), "epoch": epoch,
                     self.columns[2]: float(train_score[r]), "params": snap_params}
                )
                next_level[k] += 1

    def stop(self, epoch: int, train_loss: np.ndarray) -> np.ndarray:
        """Finish the models that stop after ``epoch``; return the stack rows that keep training."""
        patience = self.settings.patience
        non_finite = ~np.isfinite(train_loss)
        stop = (self.wait[self.active] >= patience) | non_finite
        if epoch == self.settings.max_epochs:
            stop[:] = True
        for r in np.flatnonzero(stop):
            reason = "non_finite" if non_finite[r] else (
                "patience" if self.wait[self.active[r]] >= patience else "max_epochs")
            self._finish(r, epoch, reason)
        return np.flatnonzero(~stop)

    def _finish(self, r, epoch, reason):
        k = self.active[r]
        self.results[k] = TrainingResult(
            params=self.best[r].detach().cpu().numpy().astype(np.float64),
            n_epochs=epoch,
            best_epoch=int(self.best_epoch[k]),
            history={"epoch": np.arange(1, epoch + 1)}
            | {c: self.history[:epoch, k, i].copy() for i, c in enumerate(self.columns)},
            snapshots=self.snapshots[k],
            stop_reason=reason,
            train_time=time.perf_counter() - self.t0,
        )

    def keep(self, keep: np.ndarray, rows: torch.Tensor) -> None:
        """Keep the models at stack positions ``keep`` (``rows``: the same on the device)."""
        self.best = self.best[rows]
        self.active = self.active[keep]
