"""Forward pass, losses and hand-written back-propagation of stacked one-hidden-layer MLPs.

The model is one affine map, one elementwise activation and one linear read-out, so the
gradients are written out: for the mean squared error of one output and for the softmax
cross-entropy of C outputs. Every operation is batched over the leading model axis.
"""

from __future__ import annotations

import numpy as np
import torch

from ._activations import Activation

__all__ = ["LOSSES", "batch_gradient", "evaluate"]

#: The losses, each mapped to the score recorded beside it.
LOSSES = {"squared_error": "r2", "cross_entropy": "accuracy"}


def _forward(activation, A, a, B, b, X):
    """Predictions (K, N), or logits (K, N, C), for X of shape (K or 1, N, n)."""
    H = activation.torch_fn(torch.matmul(X, A).add_(a[:, None, :]))
    if B.dim() == 3:
        return torch.matmul(H, B).add_(b[:, None, :])
    return torch.linalg.vecdot(H, B[:, None, :]).add_(b[:, None])


def evaluate(activation: Activation, params: tuple, X: torch.Tensor, y: torch.Tensor, Y: torch.Tensor | None,
             loss: str) -> tuple[np.ndarray, np.ndarray]:
    """(mean loss, raw score) per model as NumPy arrays.

    The mean squared error and the residual sum of squares, or the mean cross-entropy and the
    accuracy. ``Y`` is the one-hot encoding of the labels ``y`` for the cross-entropy.
    """
    out = _forward(activation, *params, X)
    if loss == "squared_error":
        sse = ((out - y) ** 2).sum(1).cpu().numpy()
        return sse / out.shape[1], sse
    ce = (torch.logsumexp(out, -1) - (out * Y).sum(-1)).mean(1)
    acc = (out.argmax(-1) == y.long()).double().mean(1)
    return ce.cpu().numpy().astype(np.float64), acc.cpu().numpy()


def _squared_error_backward(activation, H, Z, B, b, y):
    """Gradients (at Z, at B, at b) of the mean squared error of predictions ``H B + b``."""
    # matrix-vector products as vecdot / broadcasting: batched GEMMs with an inner
    # or outer dimension of 1 are several times slower on the CPU
    pred = torch.linalg.vecdot(H, B[:, None, :]).add_(b[:, None])
    g = (pred - y).mul_(2.0 / y.shape[1])
    gB = torch.bmm(g[:, None, :], H).squeeze(1)
    gZ = activation.backward(g[:, :, None] * B[:, None, :], Z)
    gb = g.sum(1, keepdim=True)
    return gZ, gB, gb


def _cross_entropy_backward(activation, H, Z, B, b, Y):
    """Gradients (at Z, at B, at b) of the softmax cross-entropy; ``Y`` is one-hot."""
    logits = torch.baddbmm(b[:, None, :], H, B)
    g = torch.softmax(logits, -1).sub_(Y).div_(Y.shape[1])  # d loss / d logits = (softmax - one-hot) / batch
    gB = torch.bmm(H.transpose(1, 2), g).reshape(len(g), -1)
    gZ = activation.backward(torch.bmm(g, B.transpose(1, 2)), Z)
    gb = g.sum(1)
    return gZ, gB, gb


def batch_gradient(activation: Activation, params: tuple, X: torch.Tensor, y: torch.Tensor,
                   loss: str) -> torch.Tensor:
    """The flat ``(K, P)`` gradient of each model's mean loss on its mini-batch.

    Parameters
    ----------
    activation : Activation
    params : tuple of torch.Tensor
        ``(A, a, B, b)`` as :func:`~sklearn_ka.engine.unpack_parameters` gives them.
    X : torch.Tensor of shape (K, batch, n)
    y : torch.Tensor
        Targets ``(K, batch)``, or one-hot labels ``(K, batch, C)`` for the cross-entropy.
    loss : {"squared_error", "cross_entropy"}

    Returns
    -------
    torch.Tensor of shape (K, P)
        In the layout of :func:`~sklearn_ka.engine.pack_parameters`.
    """
    A, a, B, b = params
    Z = torch.baddbmm(a[:, None, :], X, A)
    H = activation.torch_fn(Z)
    backward = _squared_error_backward if loss == "squared_error" else _cross_entropy_backward
    gZ, gB, gb = backward(activation, H, Z, B, b, y)
    gA = torch.bmm(X.transpose(1, 2), gZ)
    return torch.cat([gA.reshape(len(X), -1), gZ.sum(1), gB, gb], 1)
