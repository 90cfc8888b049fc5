"""What a training callback receives each epoch, what it may answer, and the progress bar."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["EpochInfo", "Progress", "requested_stops"]


@dataclass(frozen=True)
class EpochInfo:
    """The metrics of every model of a stack at the end of an epoch, as a training callback sees them.

    Arrays are aligned: entry ``i`` describes model ``models[i]``. Models joined the stack at
    different times (continuous batching), so their epoch counts may differ.

    Attributes
    ----------
    models : ndarray of int
        The models' positions in the list the caller trains (``fit_many``'s ``estimators``).
    epochs : ndarray of int
        Each model's epoch just finished (1-based).
    train_loss, monitored_loss : ndarray of float
        Mean losses of the current parameters on the training and the monitored data.
    train_score, monitored_score : ndarray of float
        R^2 (squared error) or accuracy (cross-entropy) of the same.
    best_monitored_loss : ndarray of float
        Each model's best monitored loss so far, this epoch included.
    score : {"r2", "accuracy"}
        What the scores are.
    """

    models: np.ndarray
    epochs: np.ndarray
    train_loss: np.ndarray
    monitored_loss: np.ndarray
    train_score: np.ndarray
    monitored_score: np.ndarray
    best_monitored_loss: np.ndarray
    score: str


def requested_stops(callback: Callable[[EpochInfo], object] | None, info: EpochInfo) -> np.ndarray | None:
    """Call ``callback`` and turn its answer into a boolean mask over ``info.models`` (None: no stop).

    The callback may return None (nothing to stop), ``True`` (stop every model of ``info``), a
    boolean array aligned with ``info.models``, or the model indices (values of ``info.models``)
    to stop.
    """
    if callback is None:
        return None
    answer = callback(info)
    if answer is None:
        return None
    answer = np.asarray(answer)
    if answer.dtype == bool and answer.ndim == 0:  # one answer for every model
        return np.full(info.models.shape, bool(answer))
    if answer.dtype == bool:
        if answer.shape != info.models.shape:
            raise ValueError(f"The training callback returned a boolean mask of shape {answer.shape}; expected "
                             f"{info.models.shape}, one entry per model of EpochInfo.models.")
        return answer
    if answer.size and answer.dtype.kind not in "iu":
        raise TypeError("The training callback must return None, a boolean mask over EpochInfo.models, or the "
                        f"model indices to stop; got an array of dtype {answer.dtype}.")
    unknown = np.setdiff1d(answer.ravel(), info.models)
    if unknown.size:
        raise ValueError(f"The training callback asked to stop models {unknown.tolist()}, which are not training "
                         f"in this stack (EpochInfo.models: {info.models.tolist()}).")
    return np.isin(info.models, answer)


class Progress:
    """A tqdm bar over the models of a run: finished models, models training, best monitored loss."""

    def __init__(self, n_models: int, enabled: bool) -> None:
        self.bar = None
        self.lock = threading.Lock()
        if enabled:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=n_models, desc="training", unit="model", leave=False)

    def update(self, finished: int, training: int, epoch: int, best: float) -> None:
        if self.bar is None:
            return
        with self.lock:
            self.bar.set_postfix(training=training, epoch=epoch, best_loss=f"{best:.4g}", refresh=False)
            self.bar.update(finished)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
