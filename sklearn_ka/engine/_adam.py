"""Adam applied elementwise to a ``(K, P)`` stack of flat parameter vectors.

PyTorch's update rule without weight decay: every model's update reads only its own row, so
models trained side by side get exactly the updates they would get alone. The step counter is
shared (all models of a stack take their steps together) and survives the removal of stopped
models.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .._utils import InvalidParameterError

__all__ = ["AdamSettings", "StackedAdam", "check_adam_step"]


def check_adam_step(learning_rate: float, betas: tuple[float, float], dtype: torch.dtype, *,
                    owner: str | None = None) -> None:
    """Refuse a learning rate whose Adam steps the training precision cannot hold.

    The update multiplies ``m1 / (sqrt(m2) + eps)`` by ``learning_rate / (1 - beta1**t)``, a
    scalar in the training precision that is largest at the first step:
    ``learning_rate / (1 - beta1)``. Beyond the precision's largest number the update cannot be
    computed at all.

    Parameters
    ----------
    learning_rate : float
        Adam's step size.
    betas : tuple of two floats
        Adam's moment decay rates; only ``betas[0]`` matters here.
    dtype : torch.dtype
        The training precision.
    owner : str, optional
        The estimator or function, prefixing the message.

    Raises
    ------
    InvalidParameterError
        Naming the learning rate, the bound and the precision.
    """
    largest = float(torch.finfo(dtype).max)
    step = learning_rate / (1.0 - betas[0])
    if not step <= largest:
        prefix = f"{owner}: " if owner else ""
        name = str(dtype).replace("torch.", "")
        raise InvalidParameterError(
            f"{prefix}learning_rate={learning_rate:g} is too large for {name} training: Adam's first step scale "
            f"learning_rate / (1 - betas[0]) = {step:.3g} exceeds the largest {name} number ({largest:.3g}). "
            f"Use a learning rate below {largest * (1.0 - betas[0]):.3g} (typical values lie between 1e-4 and 0.1).")


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
