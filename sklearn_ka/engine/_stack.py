"""The state of a running stack: parameters, Adam's moments and best weights in the ragged layout.

Models leave the stack when they stop and queued models join in their place (continuous
batching), so the state is rebuilt at those epoch boundaries: one gather of the rows kept and one
concatenation of the rows joining, for every tensor at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ._layout import RaggedLayout, model_rows

__all__ = ["ModelSpec", "Stack"]

#: Rows of the state tensor: the parameters, Adam's first and second moments, the best parameters.
_PARAMS, _M1, _M2, _BEST = range(4)


@dataclass
class ModelSpec:
    """One model to train: its initial parameters, shuffling seed and data set.

    Attributes
    ----------
    index : int
        Its position in the caller's list (the results come back in that order).
    A, a, B, b : ndarray
        Initial parameters ``(n, m)``, ``(m,)``, ``(m,)`` or ``(m, C)``, ``()`` or ``(C,)``.
    shuffle_seed : int
        Seed of its ``numpy.random.default_rng`` epoch permutations.
    data : int
        Index of its data set in the run's data (0 when all models share one).
    """

    index: int
    A: np.ndarray
    a: np.ndarray
    B: np.ndarray
    b: np.ndarray
    shuffle_seed: int
    data: int = 0

    @property
    def width(self) -> int:
        return int(np.shape(self.A)[1])


class Stack:
    """The models training together: their layout, flat state and per-model step counts.

    Parameters
    ----------
    n_features, n_outputs : int
    dtype : torch.dtype
    device : torch.device
    """

    def __init__(self, n_features: int, n_outputs: int, dtype: torch.dtype, device: torch.device) -> None:
        self.n_features, self.n_outputs, self.dtype, self.device = n_features, n_outputs, dtype, device
        self.specs: list[ModelSpec] = []
        self.steps = np.zeros(0, dtype=np.int64)
        self.layout = RaggedLayout(np.zeros(0, dtype=np.int64), n_features, n_outputs, device)
        self.state = torch.zeros((4, 0), dtype=dtype, device=device)
        self._views()

    def __len__(self) -> int:
        return len(self.specs)

    @property
    def models(self) -> np.ndarray:
        """The caller's index of the model in each slot."""
        return np.array([s.index for s in self.specs], dtype=np.int64)

    @property
    def params(self) -> torch.Tensor:
        return self.state[_PARAMS]

    @property
    def m1(self) -> torch.Tensor:
        return self.state[_M1]

    @property
    def m2(self) -> torch.Tensor:
        return self.state[_M2]

    @property
    def best(self) -> torch.Tensor:
        return self.state[_BEST]

    def keep_best(self, improved: np.ndarray) -> None:
        """Copy the current parameters of the models whose slots are ``True`` in ``improved`` to their best."""
        imp = torch.as_tensor(improved, device=self.device).index_select(0, self.layout.element_slot)
        torch.where(imp, self.params, self.best, out=self.best)

    def model_params(self, slot: int, best: bool = False) -> np.ndarray:
        """Model ``slot``'s current (or best) parameters, per-model flat layout, float64."""
        return self.layout.model_flat(self.best if best else self.params, slot)

    def rebuild(self, keep: np.ndarray, joining: list[ModelSpec]) -> None:
        """Keep the models in slots ``keep`` (in order) and append ``joining`` at their initialisation."""
        keep = np.asarray(keep, dtype=np.int64)
        kept = self.layout.element_index(keep)
        n = self.n_features
        rows = [model_rows(spec.A, spec.a, spec.B, spec.b) for spec in joining]
        fresh = [[r[:, :n].ravel() for r, _ in rows], [r[:, n] for r, _ in rows],
                 [r[:, n + 1 :].ravel() for r, _ in rows], [head for _, head in rows]]
        parts = []
        for index, values in zip(kept, fresh):
            parts.append(self.state[:, torch.as_tensor(index, device=self.device)])
            if joining:
                parts.append(self._fresh(np.concatenate(values)))
        self.state = torch.cat(parts, 1)
        self.specs = [self.specs[j] for j in keep] + list(joining)
        self.steps = np.concatenate([self.steps[keep], np.zeros(len(joining), dtype=np.int64)])
        self.layout = RaggedLayout(np.array([s.width for s in self.specs], dtype=np.int64), self.n_features,
                                   self.n_outputs, self.device)
        self._views()

    def _views(self) -> None:
        """Views of the new state and a gradient buffer, made once per change of the stack."""
        self.pieces = self.layout.pieces(self.params)
        self.grad = torch.empty_like(self.params)
        self.grad_pieces = self.layout.pieces(self.grad)
        self.data_index = torch.as_tensor(np.array([s.data for s in self.specs], dtype=np.int64), device=self.device)

    def _fresh(self, values: np.ndarray) -> torch.Tensor:
        """State columns of joining models: parameters (and best) at ``values``, zero moments."""
        p = torch.as_tensor(values, dtype=self.dtype, device=self.device)
        zeros = torch.zeros_like(p)
        return torch.stack([p, zeros, zeros, p])
