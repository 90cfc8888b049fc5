"""Training and monitored data of a stack of models, its mini-batches and its scores.

Data are either shared by all models (a leading axis of 1) or per model (a leading axis of K);
per-model data leave the stack with their model, so no epoch gathers a subset. Each model draws
its epoch permutations from its own stream, so its batches do not depend on which other models
train beside it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from .._utils import r2_from_sums
from ._activations import Activation
from ._gradients import evaluate

__all__ = ["StackedData", "Shuffler"]


@dataclass
class StackedData:
    """One data set of a stacked run, as tensors on the training device.

    Attributes
    ----------
    X : torch.Tensor of shape (1 or K, N, n)
    y : torch.Tensor of shape (1 or K, N)
        Targets, or class indices for the cross-entropy.
    Y : torch.Tensor of shape (1 or K, N, C) or None
        One-hot labels for the cross-entropy; None for the squared error.
    sst : ndarray of shape (K,) or None
        Each model's total sum of squares of ``y`` (indexed by the models' input order), for R^2.
    """

    X: torch.Tensor
    y: torch.Tensor
    Y: torch.Tensor | None
    sst: np.ndarray | None

    @classmethod
    def from_arrays(cls, X, y, *, n_models: int, n_classes: int | None, dtype: torch.dtype,
                    device: torch.device) -> StackedData:
        """Copy ``X`` and ``y`` to the device (``n_classes`` None: regression targets)."""

        def as_t(arr):
            return torch.tensor(np.asarray(arr), dtype=dtype, device=device)  # a copy: inputs may be read-only

        yt = as_t(y)
        if n_classes is not None:
            labels = torch.as_tensor(np.asarray(y), device=device).long()
            return cls(as_t(X), yt, torch.nn.functional.one_hot(labels, n_classes).to(dtype), None)
        y_np = np.asarray(y, dtype=np.float64)
        with np.errstate(over="ignore"):  # targets too large to square: the loss overflows too and is reported
            sst = np.broadcast_to(((y_np - y_np.mean(1, keepdims=True)) ** 2).sum(1), (n_models,)).copy()
        return cls(as_t(X), yt, None, sst)

    @property
    def shared(self) -> bool:
        """Whether one data set serves every model."""
        return self.X.shape[0] == 1

    @property
    def n_samples(self) -> int:
        return self.X.shape[1]

    def batches(self, permutations: torch.Tensor, batch_size: int) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """The mini-batches of one epoch: ``(X, targets)`` per batch, ``permutations`` (Ka, N)."""
        targets = self.Y if self.Y is not None else self.y  # what the mini-batches gather: one-hot or values
        if self.shared:
            Xp, yp = self.X[0][permutations], targets[0][permutations]
        else:
            rows = torch.arange(len(permutations), device=self.X.device)[:, None]  # per-model data is kept compacted
            Xp, yp = self.X[rows, permutations], targets[rows, permutations]
        for s in range(0, self.n_samples, batch_size):
            yield Xp[:, s : s + batch_size], yp[:, s : s + batch_size]

    def scores(self, activation: Activation, params: tuple, loss: str, active: np.ndarray):
        """(mean loss, score) per active model: the score is R^2 or the accuracy."""
        mean_loss, raw = evaluate(activation, params, self.X, self.y, self.Y, loss)
        return mean_loss, raw if self.sst is None else r2_from_sums(raw, self.sst[active])

    def keep(self, rows: torch.Tensor) -> None:
        """Keep the data of the models at ``rows`` (per-model data only; shared data stay)."""
        if not self.shared:
            self.X, self.y = self.X[rows], self.y[rows]
            self.Y = None if self.Y is None else self.Y[rows]


class Shuffler:
    """Each model's epoch permutations, from its own ``numpy.random.default_rng(seed)``."""

    def __init__(self, seeds: Sequence[int], n_samples: int, device: torch.device) -> None:
        self.rngs = [np.random.default_rng(int(s)) for s in seeds]
        self.n_samples = n_samples
        self.device = device

    def permutations(self, active: np.ndarray) -> torch.Tensor:
        """One permutation of the samples per active model, shape (Ka, N)."""
        return torch.as_tensor(np.stack([self.rngs[k].permutation(self.n_samples) for k in active]),
                               device=self.device)
