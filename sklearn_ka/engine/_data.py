"""Training and monitored data of a ragged stack: each unit's epoch inputs, mini-batches and scores.

The run's data sets (one shared by all models, or one per model) stay on the device as flat
``(D * N, n)`` tensors. An epoch gathers at once the permuted inputs of every hidden unit, cut
into padded mini-batches ``(U, n, n_batches, batch)`` (each unit reads its own model's
permutation of its own model's data). Each model draws its permutations from its own stream, so its
batches do not depend on which models train beside it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch

from .._utils import r2_from_sums
from ._activations import Activation
from ._gradients import forward, losses
from ._layout import RaggedLayout

__all__ = ["DataSets", "Evaluation", "Shuffler"]


def _aligned(n_samples: int, itemsize: int) -> int:
    """``n_samples`` rounded up to a whole number of 64-byte lines."""
    per_line = max(1, 64 // itemsize)
    return -(-n_samples // per_line) * per_line


@dataclass
class DataSets:
    """The data sets of a run, as flat tensors on the training device.

    Attributes
    ----------
    X : torch.Tensor of shape (D * N, n)
        ``D`` data sets of ``N`` samples each, one after the other.
    y : torch.Tensor of shape (D * N,)
        Targets, or class indices for the cross-entropy.
    Y : torch.Tensor of shape (D * N, C) or None
        One-hot labels for the cross-entropy.
    weights : torch.Tensor of shape (D * N,) or None
        Sample weights.
    sst : ndarray of shape (D,) or None
        The (weighted) total sum of squares of each data set's targets, for R^2.
    n_samples : int
    """

    X: torch.Tensor
    y: torch.Tensor
    Y: torch.Tensor | None
    weights: torch.Tensor | None
    sst: np.ndarray | None
    n_samples: int

    @classmethod
    def from_arrays(cls, X, y, sample_weight=None, *, n_classes: int | None, dtype: torch.dtype,
                    device: torch.device) -> DataSets:
        """``X (D, N, n)``, ``y (D, N)``, ``sample_weight (D, N)`` or None, copied to the device."""
        X = np.asarray(X)
        D, N, n = X.shape

        def as_t(arr, shape):
            return torch.tensor(np.asarray(arr).reshape(shape), dtype=dtype, device=device)  # a copy

        w = None if sample_weight is None else as_t(sample_weight, (D * N,))
        yt = as_t(y, (D * N,))
        if n_classes is not None:
            labels = torch.as_tensor(np.asarray(y).reshape(-1), device=device).long()
            return cls(as_t(X, (D * N, n)), yt, torch.nn.functional.one_hot(labels, n_classes).to(dtype), w, None, N)
        y_np = np.asarray(y, dtype=np.float64)
        w_np = np.ones_like(y_np) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        with np.errstate(over="ignore", invalid="ignore"):  # targets too large to square: the loss overflows too
            mean = (w_np * y_np).sum(1, keepdims=True) / w_np.sum(1, keepdims=True)
            sst = (w_np * (y_np - mean) ** 2).sum(1)
        return cls(as_t(X, (D * N, n)), yt, None, w, sst, N)

    def __post_init__(self) -> None:
        # one zero row after the data: the index of the padding (see ``batch_rows``)
        self.pad = self.X.shape[0]
        self.X = torch.cat([self.X, self.X.new_zeros((1, self.X.shape[1]))])
        self.y = torch.cat([self.y, self.y.new_zeros(1)])
        self.Y = None if self.Y is None else torch.cat([self.Y, self.Y.new_zeros((1, self.Y.shape[1]))])
        self.weights = None if self.weights is None else torch.cat([self.weights, self.weights.new_zeros(1)])

    def rows(self, data: torch.Tensor, order: torch.Tensor | None = None) -> torch.Tensor:
        """Flat row indices ``(K, N)`` of data sets ``data (K,)``, in ``order (K, N)`` or as stored."""
        base = data[:, None] * self.n_samples
        if order is None:
            return base + torch.arange(self.n_samples, device=data.device)
        return base + order

    def batch_rows(self, rows: torch.Tensor, batch_size: int) -> torch.Tensor:
        """``rows (K, N)`` cut into mini-batches, each padded to a whole number of 64-byte lines.

        Returns ``(K, n_batches, padded_batch)`` indices; the padding points at a zero row and
        has zero weight. Every per-unit row of every batch tensor then starts on a 64-byte
        boundary wherever the unit sits in the stack, so the vectorised kernels round each
        model's numbers the same way whatever its companions.
        """
        K, N = rows.shape
        n_batches = -(-N // batch_size)
        whole = rows.new_full((K, n_batches * batch_size), self.pad)
        whole[:, :N] = rows
        out = rows.new_full((K, n_batches, _aligned(batch_size, self.X.element_size())), self.pad)
        out[:, :, :batch_size] = whole.view(K, n_batches, batch_size)
        return out

    def unit_inputs(self, layout: RaggedLayout, index: torch.Tensor) -> torch.Tensor:
        """Each unit's inputs, features first: ``(U, n, *index.shape[1:])`` for the models' ``index (K, ...)``.

        One gather of each model's rows, then one copy of each model's block per unit. Features
        first: the pre-activations are then batched products with a long outer dimension,
        several times faster than with ``n`` last.
        """
        K, rest = index.shape[0], index.shape[1:]
        gathered = self.X.index_select(0, index.reshape(-1)).view(K, -1, self.X.shape[1])
        per_model = gathered.transpose(1, 2).contiguous().view((K, -1) + tuple(rest))
        return per_model.index_select(0, layout.owner)

    def gather(self, index: torch.Tensor, what: str) -> torch.Tensor | None:
        """``y``, ``Y`` or ``weights`` at ``index (K, ...)`` (None where the data have none)."""
        values = getattr(self, what)
        if values is None:
            return None
        return values.index_select(0, index.reshape(-1)).view(index.shape + values.shape[1:])

    def batches(self, layout: RaggedLayout, rows: torch.Tensor, batch_size: int) -> Iterator[tuple]:
        """The mini-batches of one epoch: ``(unit inputs (U, n, B), targets, scale (K or 1, B))``.

        ``rows (K, N)`` are the permuted rows; ``scale`` holds each sample's share of the batch
        loss (``1 / batch`` or its normalised weight; 0 for the padding).
        """
        index = self.batch_rows(rows, batch_size)
        Xu = self.unit_inputs(layout, index)
        targets = self.gather(index, "Y" if self.Y is not None else "y")
        if self.weights is not None:
            w = self.gather(index, "weights")
            scale = w / w.sum(-1, keepdim=True).clamp_min_(torch.finfo(w.dtype).tiny)
        else:
            real = (index[:1] != self.pad).to(self.X.dtype)
            scale = real / real.sum(-1, keepdim=True)
        for b in range(index.shape[1]):
            yield Xu[:, :, b], targets[:, b], scale[:, b]


@dataclass
class Evaluation:
    """The unpermuted training and monitored data of the models of a stack, gathered per unit.

    Gathered once per change of the stack; the training and the monitored data go through one
    forward pass together (their samples side by side), then their losses are split.
    """

    Xu: torch.Tensor
    parts: list

    @classmethod
    def gather(cls, sets: list[DataSets], layout: RaggedLayout, data_index: torch.Tensor) -> Evaluation:
        """Every unit's inputs of ``sets`` (the training set, then the monitored one if any), side by side."""
        n_total = sum(data.n_samples for data in sets)
        first = sets[0].X
        Xu = first.new_zeros((layout.n_units, first.shape[1], _aligned(n_total, first.element_size())))
        parts, start = [], 0
        for data in sets:
            rows = data.rows(data_index)
            Xu[:, :, start : start + data.n_samples] = data.unit_inputs(layout, rows)
            sst = None if data.sst is None else data.sst[data_index.cpu().numpy()]
            parts.append((data.n_samples, data.gather(rows, "y"), data.gather(rows, "Y"),
                          data.gather(rows, "weights"), sst))
            start += data.n_samples
        return cls(Xu, parts)

    def scores(self, activation: Activation, layout: RaggedLayout, pieces, loss: str):
        """[(mean loss, score)] per data set, per model of the stack: the score is R^2 or the accuracy."""
        out = forward(activation, layout, pieces, self.Xu)
        start, scores = 0, []
        for n_samples, y, Y, w, sst in self.parts:
            mean_loss, raw = losses(out[:, start : start + n_samples], y, Y, loss, w)
            scores.append((mean_loss, raw if sst is None else r2_from_sums(raw, sst)))
            start += n_samples
        return scores


class Shuffler:
    """Each model's epoch permutations, from its own ``numpy.random.default_rng(seed)``."""

    def __init__(self, n_samples: int, device: torch.device) -> None:
        self.rngs: dict[int, np.random.Generator] = {}
        self.n_samples = n_samples
        self.device = device

    def add(self, index: int, seed: int) -> None:
        """Start model ``index``'s stream."""
        self.rngs[index] = np.random.default_rng(int(seed))

    def permutations(self, models: np.ndarray) -> torch.Tensor:
        """One permutation of the samples per model of ``models``, shape (K, N)."""
        return torch.as_tensor(np.stack([self.rngs[k].permutation(self.n_samples) for k in models]),
                               device=self.device)
