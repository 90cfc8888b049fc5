"""Blends of two activations, ``(1 - t) * sigma + t * tau``, with their exact derivatives.

:func:`blend_activation` gives a fixed blend as an :class:`~sklearn_ka.engine.Activation` (picklable,
for a fitted model's predictions and Jacobians); :class:`UnitBlend` is the training form, with one
factor per hidden unit of a stack. Where a unit's factor is 0 its values are exactly those of
``sigma`` (the blend adds ``0 * (tau - sigma)``), so models whose schedule has not switched train
bit for bit as without one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from ._activations import Activation

__all__ = ["blend_activation", "UnitBlend"]


@dataclass(frozen=True)
class _Mix:
    """``f(z) + t * (g(z) - f(z))``: a picklable blend of two elementwise functions."""

    f: Any
    g: Any
    t: float

    def __call__(self, z):
        fz = self.f(z)
        return fz + self.t * (self.g(z) - fz)


def blend_activation(base: Activation, other: Activation, t: float) -> Activation:
    """The activation ``(1 - t) * base + t * other`` with its exact derivative.

    Parameters
    ----------
    base, other : Activation
    t : float
        The blend factor in ``[0, 1]``; 0 returns ``base`` itself, 1 returns ``other``.

    Returns
    -------
    Activation
        Named ``"<base>+<t>*(<other>-<base>)"`` for ``0 < t < 1``.
    """
    t = float(t)
    if not 0.0 <= t <= 1.0:
        raise ValueError(f"blend factor must lie in [0, 1], got {t}.")
    if t == 0.0:
        return base
    if t == 1.0:
        return other
    return Activation(f"{base.name}+{t:g}*({other.name}-{base.name})", _Mix(base.numpy_fn, other.numpy_fn, t),
                      _Mix(base.numpy_deriv, other.numpy_deriv, t), _Mix(base.torch_fn, other.torch_fn, t),
                      _Mix(base.torch_deriv, other.torch_deriv, t))


class UnitBlend:
    """The hidden activation of a stack whose units each have their own blend factor.

    Parameters
    ----------
    base, other : Activation
    t : torch.Tensor of shape (U, 1)
        Each unit's factor (its model's), in the training dtype.
    """

    def __init__(self, base: Activation, other: Activation, t: torch.Tensor) -> None:
        self.base, self.other, self.t = base, other, t
        self.name = f"{base.name}->{other.name}"

    def torch_fn(self, z: torch.Tensor) -> torch.Tensor:
        h = self.base.torch_fn(z)
        return h + self.t * (self.other.torch_fn(z) - h)

    def torch_deriv(self, z: torch.Tensor) -> torch.Tensor:
        d = self.base.torch_deriv(z)
        return d + self.t * (self.other.torch_deriv(z) - d)

    def backward(self, grad: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """``grad * sigma_t'(z)``: the base's own backward plus ``t * grad * (tau' - sigma')``."""
        extra = grad * (self.other.torch_deriv(z) - self.base.torch_deriv(z)) * self.t
        return self.base.backward(grad, z).add_(extra)
