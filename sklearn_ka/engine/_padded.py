"""``train_stacked``: a training run for parameters given as zero-padded stacked arrays.

The models' hidden units are read through ``hidden_mask`` (padding dropped), trained without
padding by :func:`~sklearn_ka.engine.train_models`, and written back into the padded layout, so
padded units come back exactly zero.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from numpy.typing import ArrayLike

from .._utils import PAPER_PROTOCOL
from ._layout import model_flat, model_rows
from ._memory import check_training_memory
from ._parameters import pack_parameters
from ._run import train_models
from ._stopping import TrainingResult

__all__ = ["train_stacked"]


def train_stacked(
    A: ArrayLike,
    a: ArrayLike,
    B: ArrayLike,
    b: ArrayLike,
    X: ArrayLike,
    y: ArrayLike,
    X_val: ArrayLike | None = None,
    y_val: ArrayLike | None = None,
    *,
    hidden_mask: ArrayLike | None = None,
    activation: str = "gelu",
    batch_size: int = PAPER_PROTOCOL.batch_size,
    learning_rate: float = PAPER_PROTOCOL.learning_rate,
    betas: tuple[float, float] = (0.9, 0.999),
    epsilon: float = 1e-8,
    max_epochs: int = PAPER_PROTOCOL.max_epochs,
    patience: int = PAPER_PROTOCOL.patience,
    tol: float = 0.0,
    shuffle_seeds: Sequence[int] | None = None,
    snapshot_r2: ArrayLike | None = None,
    device: str | torch.device = "cpu",
    dtype: torch.dtype = torch.float32,
    n_threads: int | str | None = "auto",
    verbose: int = 0,
    loss: str = "squared_error",
) -> list[TrainingResult]:
    """Train K stacked one-hidden-layer MLPs given as zero-padded arrays.

    The defaults are the training protocol of the KA-geometry study; see the user guide,
    :ref:`training-protocol` and :ref:`training-early-stopping`.

    Parameters
    ----------
    A, a, B, b : ndarray
        Initial parameters of shapes ``(K, n, M)``, ``(K, M)``, ``(K, M)``, ``(K,)``; with the
        cross-entropy loss and C classes ``B`` is ``(K, M, C)`` and ``b`` is ``(K, C)``.
    X, y : ndarray
        Training data, ``(K, N, n)`` and ``(K, N)``, or ``(1, N, n)`` and ``(1, N)`` shared by
        all models. With the cross-entropy loss ``y`` holds class indices ``0 .. C-1``.
    X_val, y_val : ndarray or None
        Monitored held-out data with the same leading-axis convention. When ``None`` the
        training loss is monitored.
    hidden_mask : ndarray of shape (K, M) or None
        1 for real hidden units, 0 for padding (dropped while training; zero in the results).
    activation, batch_size, learning_rate, betas, epsilon, max_epochs, patience, tol
        As in :func:`~sklearn_ka.engine.train_models`.
    shuffle_seeds : sequence of int of length K
        Seed of each model's shuffling stream.
    snapshot_r2 : array-like or None
        Training-R^2 levels at which to keep a copy of the parameters.
    device, dtype, n_threads, verbose, loss
        As in :func:`~sklearn_ka.engine.train_models`.

    Returns
    -------
    list of TrainingResult
        One per model, in input order, with parameters in the padded flat layout of
        :func:`~sklearn_ka.engine.pack_parameters` (width ``M``).
    """
    A, a, B, b = (np.asarray(p, dtype=np.float64) for p in (A, a, B, b))
    K, n, M = A.shape
    mask = np.ones((K, M), dtype=bool) if hidden_mask is None else np.asarray(hidden_mask) != 0
    check_training_memory(n_models=K, n_samples=np.shape(X)[1], n_features=n, width=M, batch_size=batch_size,
                          n_outputs=1 if B.ndim == 2 else B.shape[2],
                          n_val_samples=0 if X_val is None else np.shape(X_val)[1], shared_data=np.shape(X)[0] == 1,
                          itemsize=torch.empty((), dtype=dtype).element_size(), owner="train_stacked")
    models = [(A[k][:, mask[k]], a[k][mask[k]], B[k][mask[k]], b[k]) for k in range(K)]
    results = train_models(models, X, y, X_val, y_val, shuffle_seeds=shuffle_seeds, activation=activation, loss=loss,
                           batch_size=batch_size, learning_rate=learning_rate, betas=betas, epsilon=epsilon,
                           max_epochs=max_epochs, patience=patience, tol=tol, snapshot_r2=snapshot_r2,
                           device=device, dtype=dtype, n_threads=n_threads, max_units=None, verbose=verbose)
    for k, result in enumerate(results):
        result.params = _padded(result.params, mask[k], n)
        for snap in result.snapshots:
            snap["params"] = _padded(snap["params"], mask[k], n)
    return results


def _padded(flat: np.ndarray, mask: np.ndarray, n: int) -> np.ndarray:
    """A model's flat parameters of its own width, written into the padded layout of ``mask``."""
    m, M = int(mask.sum()), mask.size
    C = (flat.size - n * m - m) // (m + 1) if m else flat.size
    A_m, a_m = flat[: n * m].reshape(n, m), flat[n * m : n * m + m]
    B_m = flat[n * m + m : n * m + m + m * C].reshape(m, C)
    A, a, B = np.zeros((n, M)), np.zeros(M), np.zeros((M, C))
    A[:, mask], a[mask], B[mask] = A_m, a_m, B_m
    rows, head = model_rows(A, a, B, flat[n * m + m + m * C :])
    out = model_flat(rows, head, n)
    assert out.size == pack_parameters(A[None], a[None], B[None], head[None]).shape[1]
    return out
