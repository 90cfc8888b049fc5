"""The ragged unit layout: the hidden units of every model of a stack side by side, no padding.

A stack of models of widths ``m_1, ..., m_K`` holds ``U = m_1 + ... + m_K`` hidden units in one
hidden layer. Unit ``u`` belongs to one model (``owner[u]``), reads that model's mini-batch and
contributes to that model's output only, so the arithmetic is exactly the unpadded work. All
parameters live in one flat vector, piece by piece::

    [A (U, n), a (U,), B (U, C), b (K, C)]

(row ``u`` of ``A`` is unit ``u``'s input weights, ``B[u]`` its output weights, ``b[k]`` model
``k``'s output bias), so the optimiser updates the whole stack with elementwise operations on one
tensor, and each piece is a contiguous view that kernels read and write in place.

The per-model flat layout of :func:`~sklearn_ka.engine.pack_parameters`
(``[A.ravel(), a, B.ravel(), b]``) converts to and from this one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

__all__ = ["RaggedLayout", "Pieces", "model_flat", "model_rows"]


@dataclass(frozen=True)
class Pieces:
    """Views of a flat vector: ``A (U, 1, n)``, ``a (U, 1, 1)``, ``B (U, C)``, ``b (K, C)``."""

    A: torch.Tensor
    a: torch.Tensor
    B: torch.Tensor
    b: torch.Tensor


@dataclass
class RaggedLayout:
    """Which unit and which output bias belong to which model of a stack.

    Parameters
    ----------
    widths : ndarray of int, shape (K,)
        Hidden width of each model, in stack order.
    n_features : int
        Input dimension ``n``.
    n_outputs : int
        Outputs ``C`` (1 for regression, one per class for classification).
    device : torch.device
    """

    widths: np.ndarray
    n_features: int
    n_outputs: int
    device: torch.device
    offsets: np.ndarray = field(init=False)
    owner: torch.Tensor = field(init=False)
    element_slot: torch.Tensor = field(init=False)

    def __post_init__(self) -> None:
        self.widths = np.asarray(self.widths, dtype=np.int64)
        self.offsets = np.concatenate([[0], np.cumsum(self.widths)])
        slots = np.arange(len(self.widths))
        owner = np.repeat(slots, self.widths)
        self.owner = torch.as_tensor(owner, device=self.device)
        n, C = self.n_features, self.n_outputs
        # the model of every element of the flat vector: for per-model Adam steps and best weights
        self.element_slot = torch.as_tensor(
            np.concatenate([np.repeat(owner, n), owner, np.repeat(owner, C), np.repeat(slots, C)]), device=self.device)
        self._one_hot = None

    @property
    def n_models(self) -> int:
        return len(self.widths)

    @property
    def n_units(self) -> int:
        return int(self.offsets[-1])

    @property
    def n_elements(self) -> int:
        return self.n_units * (self.n_features + 1 + self.n_outputs) + self.n_models * self.n_outputs

    def pieces(self, flat: torch.Tensor) -> Pieces:
        """The views of ``flat`` piece by piece."""
        U, n, C = self.n_units, self.n_features, self.n_outputs
        oa, oB, ob = U * n, U * (n + 1), U * (n + 1 + C)
        return Pieces(flat[:oa].view(U, 1, n), flat[oa:oB].view(U, 1, 1), flat[oB:ob].view(U, C),
                      flat[ob:].view(self.n_models, C))

    def segment_sum(self, values: torch.Tensor) -> torch.Tensor:
        """Sum ``values`` of shape ``(U, ...)`` over the units of each model: ``(K, ...)``.

        On the CPU an ``index_add`` in unit order; on other devices a product with the one-hot
        ownership matrix, which (unlike atomic adds) gives the same numbers on every run.
        """
        if values.device.type == "cpu":
            out = values.new_zeros((self.n_models,) + values.shape[1:])
            return out.index_add_(0, self.owner, values)
        return self._one_hot_sum(values)

    def _one_hot_sum(self, values: torch.Tensor) -> torch.Tensor:
        if self._one_hot is None:
            self._one_hot = torch.nn.functional.one_hot(self.owner, self.n_models).T.to(values.dtype)
        return (self._one_hot @ values.reshape(self.n_units, -1)).reshape((self.n_models,) + values.shape[1:])

    def element_index(self, slots: np.ndarray) -> list[np.ndarray]:
        """Flat indices of the models at ``slots``, piece by piece: ``[A, a, B, b]``."""
        slots = np.asarray(slots, dtype=np.int64)
        U, n, C = self.n_units, self.n_features, self.n_outputs
        rows = np.concatenate([np.arange(self.offsets[j], self.offsets[j + 1]) for j in slots]) if len(slots) \
            else np.zeros(0, dtype=np.int64)
        return [(rows[:, None] * n + np.arange(n)).ravel(), U * n + rows,
                U * (n + 1) + (rows[:, None] * C + np.arange(C)).ravel(),
                U * (n + 1 + C) + (slots[:, None] * C + np.arange(C)).ravel()]

    def model_flat(self, flat: torch.Tensor, slot: int) -> np.ndarray:
        """Model ``slot``'s parameters in the per-model layout ``[A.ravel(), a, B.ravel(), b]`` (float64)."""
        p = self.pieces(flat)
        units = slice(self.offsets[slot], self.offsets[slot + 1])

        def host(t):
            return t.detach().cpu().double().numpy()

        rows = np.concatenate([host(p.A[units, 0]), host(p.a[units, 0]), host(p.B[units])], 1)
        return model_flat(rows, host(p.b[slot]), self.n_features)


def model_rows(A: np.ndarray, a: np.ndarray, B: np.ndarray, b) -> tuple[np.ndarray, np.ndarray]:
    """One model's unit rows ``(m, n + 1 + C)`` and output bias ``(C,)`` from ``A (n, m)``, ``a``, ``B``, ``b``."""
    A = np.asarray(A, dtype=np.float64)
    m = A.shape[1]
    B = np.asarray(B, dtype=np.float64).reshape(m, -1)
    return np.concatenate([A.T, np.asarray(a, dtype=np.float64).reshape(m, 1), B], 1), \
        np.asarray(b, dtype=np.float64).reshape(-1)


def model_flat(rows: np.ndarray, head: np.ndarray, n_features: int) -> np.ndarray:
    """Inverse of :func:`model_rows`, in the per-model flat layout ``[A.ravel(), a, B.ravel(), b]``."""
    n = n_features
    return np.concatenate([rows[:, :n].T.ravel(), rows[:, n], rows[:, n + 1 :].ravel(), head])
