"""Adam applied elementwise to the flat parameter vector of a stack of models.

PyTorch's update rule without weight decay. Every element's update reads only its own
parameter, gradient and moments, so models trained side by side get the updates they would get
alone. Each model counts its own steps (models join a running stack as others stop), so the bias
corrections are per model: computed on the host in double precision and spread over the model's
elements.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .._utils import InvalidParameterError

__all__ = ["AdamSettings", "adam_update", "check_adam_step"]


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


def adam_update(params: torch.Tensor, m1: torch.Tensor, m2: torch.Tensor, grad: torch.Tensor,
                steps: np.ndarray, element_slot: torch.Tensor, settings: AdamSettings) -> None:
    """One Adam step of ``params`` (in place), every model at its own step count.

    Parameters
    ----------
    params, m1, m2, grad : torch.Tensor of shape (L,)
        The flat parameters, Adam's two moments (updated in place) and the gradient.
    steps : ndarray of int, shape (K,)
        Each model's step number, this step included (1 at its first step).
    element_slot : torch.Tensor of shape (L,)
        The model of every element.
    settings : AdamSettings
    """
    beta1, beta2 = settings.betas
    m1.mul_(beta1).add_(grad, alpha=1.0 - beta1)
    m2.mul_(beta2).addcmul_(grad, grad, value=1.0 - beta2)
    # per model: the step size lr / (1 - beta1^t) and 1 / (1 - beta2^t), in double precision and
    # rounded to the training precision; one number for all when every model is at the same step
    # (the same arithmetic, so a model's updates do not depend on its companions' steps)
    if steps.size and np.all(steps == steps[0]):
        t = int(steps[0])
        rounded = np.float32 if params.dtype == torch.float32 else float
        step_size = float(rounded(settings.learning_rate / (1.0 - beta1**t)))
        inv_bc2 = float(rounded(1.0 / (1.0 - beta2**t)))
        denom = (m2 * inv_bc2).sqrt_().add_(settings.epsilon)
        params.addcdiv_(m1 * step_size, denom, value=-1.0)
        return
    # Python's scalar power for each model (numpy's vectorised power may round the last bit differently)
    scales = np.array([(settings.learning_rate / (1.0 - beta1 ** int(t)), 1.0 / (1.0 - beta2 ** int(t)))
                       for t in steps])
    per_element = torch.as_tensor(scales, dtype=params.dtype, device=params.device).index_select(0, element_slot)
    denom = (m2 * per_element[:, 1]).sqrt_().add_(settings.epsilon)
    params.addcdiv_(m1 * per_element[:, 0], denom, value=-1.0)
