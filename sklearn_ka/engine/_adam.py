"""Adam applied elementwise to a ``(K, P)`` stack of flat parameter vectors.

PyTorch's update rule without weight decay: every model's update reads only its own row, so
models trained side by side get exactly the updates they would get alone. The step counter is
shared (all models of a stack take their steps together) and survives the removal of stopped
models.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

__all__ = ["AdamSettings", "StackedAdam"]


@dataclass(frozen=True)
class AdamSettings:
    """Adam's step size, moment decay rates and denominator offset."""

    learning_rate: float
    betas: tuple[float, float]
    epsilon: float


class StackedAdam:
    """Adam's moments for a ``(K, P)`` parameter tensor, updated in place.

    Parameters
    ----------
    params : torch.Tensor of shape (K, P)
        The parameters; the moments start at zero with the same shape, dtype and device.
    settings : AdamSettings
    """

    def __init__(self, params: torch.Tensor, settings: AdamSettings) -> None:
        self.settings = settings
        self.m1 = torch.zeros_like(params)
        self.m2 = torch.zeros_like(params)
        self.step = 0

    def update(self, params: torch.Tensor, grad: torch.Tensor) -> None:
        """One Adam step of ``params`` (in place) along ``grad``."""
        beta1, beta2 = self.settings.betas
        self.step += 1
        self.m1.mul_(beta1).add_(grad, alpha=1.0 - beta1)
        self.m2.mul_(beta2).addcmul_(grad, grad, value=1.0 - beta2)
        bc1 = 1.0 - beta1**self.step
        bc2 = 1.0 - beta2**self.step
        denom = (self.m2 / bc2).sqrt_().add_(self.settings.epsilon)
        params.addcdiv_(self.m1, denom, value=-self.settings.learning_rate / bc1)

    def keep(self, rows: torch.Tensor) -> None:
        """Keep the moments of the models at ``rows`` only (the others stopped)."""
        self.m1, self.m2 = self.m1[rows], self.m2[rows]
