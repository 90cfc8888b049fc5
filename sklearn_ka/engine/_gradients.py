"""Forward pass, losses and hand-written back-propagation of a ragged stack of one-hidden-layer MLPs.

The model is one affine map, one elementwise activation and one linear read-out, so the
gradients are written out: for the mean squared error of one output and for the softmax
cross-entropy of C outputs. The hidden units of all models sit side by side (see ``_layout``):
unit ``u`` reads the inputs of its own model (``Xu[u]``), and each model's output is the sum over
its own units. Nothing is padded, and no unit sees another model's data.

Each sample's share of its batch loss is a ``scale`` (``1 / batch``, or with sample weights its
weight over the batch's total), which also zeroes the padding of the mini-batches.
"""

from __future__ import annotations

import numpy as np
import torch

from ._activations import Activation
from ._layout import Pieces, RaggedLayout

__all__ = ["LOSSES", "batch_gradient", "forward", "losses"]

#: The losses, each mapped to the score recorded beside it.
LOSSES = {"squared_error": "r2", "cross_entropy": "accuracy"}


def _hidden(activation: Activation, p: Pieces, Xu: torch.Tensor):
    """Pre-activations ``Z (U, N)`` and activations ``H`` of inputs ``Xu (U, n, N)``."""
    Z = torch.baddbmm(p.a, p.A, Xu).squeeze(1)
    return Z, activation.torch_fn(Z)


def _outputs(layout: RaggedLayout, p: Pieces, H):
    """Each model's predictions ``(K, N)``, or logits ``(K, N, C)``."""
    if layout.n_outputs == 1:
        return layout.segment_sum(H * p.B).add_(p.b)
    return layout.segment_sum(H[:, :, None] * p.B[:, None, :]).add_(p.b[:, None, :])


def forward(activation: Activation, layout: RaggedLayout, p: Pieces, Xu: torch.Tensor) -> torch.Tensor:
    """Each model's predictions ``(K, N)`` (or logits ``(K, N, C)``) on its units' inputs ``Xu (U, n, N)``."""
    return _outputs(layout, p, _hidden(activation, p, Xu)[1])


def losses(out: torch.Tensor, y: torch.Tensor, Y: torch.Tensor | None, loss: str,
           weights: torch.Tensor | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(mean loss, raw score) per model as NumPy arrays, from the outputs of :func:`forward`.

    The (weighted) mean squared error and the (weighted) residual sum of squares, or the
    (weighted) mean cross-entropy and the (weighted) accuracy. ``y`` holds the targets
    ``(K, N)``, ``Y`` the one-hot labels for the cross-entropy, ``weights`` ``(K, N)`` or None.
    """
    # per-model sums on the host in float64: each row is reduced alone, so a model's recorded loss
    # does not depend on the models beside it (torch's reductions over several rows may vectorise
    # across them and round differently)
    if loss == "squared_error":
        sq = (out - y).square_()
        if weights is None:
            sse = _host(sq).sum(1)
            return sse / out.shape[1], sse
        sse = _host(sq * weights).sum(1)
        return sse / _host(weights).sum(1), sse
    ce = torch.logsumexp(out, -1) - (out * Y).sum(-1)
    hit = (out.argmax(-1) == y.long())
    if weights is None:
        return _host(ce).mean(1), _host(hit).mean(1)
    wsum = _host(weights).sum(1)
    return _host(ce * weights).sum(1) / wsum, _host(hit * weights).sum(1) / wsum


def _host(t: torch.Tensor) -> np.ndarray:
    return t.detach().cpu().numpy().astype(np.float64)


def batch_gradient(activation: Activation, layout: RaggedLayout, p: Pieces, grad: Pieces, Xu: torch.Tensor,
                   y: torch.Tensor, loss: str, scale: torch.Tensor) -> None:
    """Write the gradient of each model's mean loss on its mini-batch into ``grad``.

    Parameters
    ----------
    activation : Activation
    layout : RaggedLayout
    p, grad : Pieces
        Views of the stack's parameters and of the gradient buffer (:meth:`RaggedLayout.pieces`).
    Xu : torch.Tensor of shape (U, n, batch)
        Each unit's mini-batch (its model's), features first.
    y : torch.Tensor
        Targets ``(K, batch)``, or one-hot labels ``(K, batch, C)`` for the cross-entropy.
    loss : {"squared_error", "cross_entropy"}
    scale : torch.Tensor of shape (K or 1, batch)
        Each sample's share of its model's batch loss: ``1 / batch``, or its weight over the
        batch's total weight; 0 for padding.
    """
    Z, H = _hidden(activation, p, Xu)
    out = _outputs(layout, p, H)
    if loss == "squared_error":
        g = (out - y).mul_(scale).mul_(2.0)
        gu = g.index_select(0, layout.owner)  # (U, batch): each unit's model's output gradient
        torch.linalg.vecdot(gu, H, out=grad.B[:, 0])
        gH = gu.mul_(p.B)
    else:
        g = torch.softmax(out, -1).sub_(y).mul_(scale[:, :, None])  # d loss / d logits: (softmax - one-hot) / batch
        gu = g.index_select(0, layout.owner)  # (U, batch, C)
        torch.bmm(H[:, None, :], gu, out=grad.B[:, None, :])
        gH = torch.bmm(gu, p.B[:, :, None]).squeeze(-1)
    gZ = activation.backward(gH, Z)
    torch.bmm(gZ[:, None, :], Xu.transpose(1, 2), out=grad.A)
    torch.sum(gZ, 1, keepdim=True, out=grad.a[:, :, 0])
    torch.sum(g, 1, out=grad.b if g.dim() == 3 else grad.b[:, 0])
