"""The per-model flat parameter layout: pack and unpack.

Each model's parameters ``A (n, M)``, ``a (M)``, ``B (M[, C])``, ``b ([C])`` are one row of a
``(K, P)`` matrix, ``[A.ravel(), a, B.ravel(), b]``, so that the optimiser updates every model
with elementwise operations on one tensor.
"""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["pack_parameters", "unpack_parameters"]


def pack_parameters(
    A: np.ndarray | torch.Tensor,
    a: np.ndarray | torch.Tensor,
    B: np.ndarray | torch.Tensor,
    b: np.ndarray | torch.Tensor,
) -> np.ndarray | torch.Tensor:
    """Stack ``A (K, n, M)``, ``a (K, M)``, ``B (K, M[, C])``, ``b (K[, C])`` into a flat ``(K, P)`` array.

    The layout is ``[A.ravel() (n*M), a (M), B.ravel() (M*C), b (C)]`` per model (C = 1 output
    for regression, one per class for classification).

    Parameters
    ----------
    A, a, B, b : ndarray or torch.Tensor
        Stacked parameters of K models, all NumPy arrays or all tensors.

    Returns
    -------
    flat : ndarray or torch.Tensor of shape (K, P)
        A tensor when ``A`` is a tensor, else a NumPy array.
    """
    K = A.shape[0]
    parts = [A.reshape(K, -1), a.reshape(K, -1), B.reshape(K, -1), b.reshape(K, -1)]
    return torch.cat(parts, 1) if isinstance(A, torch.Tensor) else np.concatenate(parts, 1)


def unpack_parameters(
    flat: np.ndarray | torch.Tensor, n_features: int, width: int, n_outputs: int = 1
) -> tuple[np.ndarray | torch.Tensor, ...]:
    """Inverse of :func:`pack_parameters`: views ``A (K, n, M)``, ``a (K, M)``, ``B``, ``b``.

    With one output ``B`` is ``(K, M)`` and ``b`` is ``(K,)``; with ``C > 1`` outputs they are
    ``(K, M, C)`` and ``(K, C)``.

    Parameters
    ----------
    flat : ndarray or torch.Tensor of shape (K, P)
        Flat parameters in the layout of :func:`pack_parameters`.
    n_features : int
        Input dimension ``n``.
    width : int
        Hidden width ``M`` (the padded width of a stacked run).
    n_outputs : int, default=1
        Number of outputs ``C``.

    Returns
    -------
    A, a, B, b : ndarray or torch.Tensor
        Views of ``flat`` (no copy), of the same kind as ``flat``.
    """
    K = flat.shape[0]
    nM = n_features * width
    A = flat[:, :nM].reshape(K, n_features, width)
    a = flat[:, nM : nM + width]
    if n_outputs == 1:
        return A, a, flat[:, nM + width : nM + 2 * width], flat[:, nM + 2 * width]
    end = nM + width + width * n_outputs
    return A, a, flat[:, nM + width : end].reshape(K, width, n_outputs), flat[:, end : end + n_outputs]

