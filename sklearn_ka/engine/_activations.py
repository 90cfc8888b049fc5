"""Activation functions with their exact derivatives, in NumPy and in PyTorch.

Every activation is a pair (sigma, sigma') evaluated elementwise.  The engine uses
the torch versions for training (manual back-propagation needs sigma'), the
Jacobian layer uses the NumPy versions in float64.

GeLU is the exact form ``z * Phi(z)`` with ``Phi`` the standard normal CDF (not the
tanh approximation); its derivative is ``Phi(z) + z * phi(z)`` (the activation of the
KA-geometry study; see the user guide, :ref:`training-model`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from scipy import special

__all__ = ["Activation", "ACTIVATIONS", "get_activation"]

_INV_SQRT2 = 1.0 / math.sqrt(2.0)
_INV_SQRT2PI = 1.0 / math.sqrt(2.0 * math.pi)


@dataclass(frozen=True)
class Activation:
    """An elementwise activation and its exact derivative.

    Attributes
    ----------
    name : str
        Registry name.
    numpy_fn, numpy_deriv : callable
        ``ndarray -> ndarray`` versions (used in float64 by the Jacobian layer).
    torch_fn, torch_deriv : callable
        ``Tensor -> Tensor`` versions (used by the training engine).
    """

    name: str
    numpy_fn: Callable[[np.ndarray], np.ndarray]
    numpy_deriv: Callable[[np.ndarray], np.ndarray]
    torch_fn: Callable[[torch.Tensor], torch.Tensor]
    torch_deriv: Callable[[torch.Tensor], torch.Tensor]
    torch_backward: Callable | None = None

    def backward(self, grad: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """Return ``grad * sigma'(z)`` (back-propagation through sigma); ``grad`` may be overwritten.

        Parameters
        ----------
        grad : torch.Tensor
            Gradient with respect to the activations ``sigma(z)``.
        z : torch.Tensor
            Pre-activations, of the same shape.

        Returns
        -------
        torch.Tensor
            Gradient with respect to ``z``.
        """
        if self.torch_backward is not None:
            return self.torch_backward(grad, z)
        return grad.mul_(self.torch_deriv(z))


# --- GeLU (exact) -----------------------------------------------------------
def _gelu_np(z):
    return z * special.ndtr(z)


def _gelu_deriv_np(z):
    return special.ndtr(z) + z * _INV_SQRT2PI * np.exp(-0.5 * z * z)


def _gelu_deriv_t(z):
    return 0.5 * (1.0 + torch.erf(z * _INV_SQRT2)) + z * _INV_SQRT2PI * torch.exp(-0.5 * z * z)


def _gelu_t(z):
    # torch's fused kernel of the exact (erf) form; one pass over memory on every training step
    return torch.nn.functional.gelu(z, approximate="none")


def _gelu_backward_t(grad, z):
    return torch.ops.aten.gelu_backward(grad, z, approximate="none")


# --- ReLU (derivative 0 at 0, as torch's autograd) -------------------------
def _relu_np(z):
    return np.maximum(z, 0.0)


def _relu_deriv_np(z):
    return (z > 0).astype(np.result_type(z, np.float32))


def _relu_deriv_t(z):
    return (z > 0).to(z.dtype)


# --- tanh -------------------------------------------------------------------
def _tanh_deriv_np(z):
    t = np.tanh(z)
    return 1.0 - t * t


def _tanh_deriv_t(z):
    t = torch.tanh(z)
    return 1.0 - t * t


# --- SiLU: z * s(z), derivative s(z) * (1 + z * (1 - s(z))) ------------------
def _silu_np(z):
    return z * special.expit(z)


def _silu_deriv_np(z):
    s = special.expit(z)
    return s * (1.0 + z * (1.0 - s))


def _silu_t(z):
    return z * torch.sigmoid(z)


def _silu_deriv_t(z):
    s = torch.sigmoid(z)
    return s * (1.0 + z * (1.0 - s))


# --- oscillatory: z + 0.1 sin(10 z), derivative 1 + cos(10 z) ----------------
def _osc_np(z):
    return z + 0.1 * np.sin(10.0 * z)


def _osc_deriv_np(z):
    return 1.0 + np.cos(10.0 * z)


def _osc_t(z):
    return z + 0.1 * torch.sin(10.0 * z)


def _osc_deriv_t(z):
    return 1.0 + torch.cos(10.0 * z)


# --- logistic and identity (for scikit-learn's MLPs) -------------------------
def _logistic_deriv_np(z):
    s = special.expit(z)
    return s * (1.0 - s)


def _logistic_deriv_t(z):
    s = torch.sigmoid(z)
    return s * (1.0 - s)


ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in (
        Activation(
            "gelu", _gelu_np, _gelu_deriv_np, _gelu_t, _gelu_deriv_t, _gelu_backward_t
        ),
        Activation("relu", _relu_np, _relu_deriv_np, torch.relu, _relu_deriv_t),
        Activation("tanh", np.tanh, _tanh_deriv_np, torch.tanh, _tanh_deriv_t),
        Activation("silu", _silu_np, _silu_deriv_np, _silu_t, _silu_deriv_t),
        Activation("oscillatory", _osc_np, _osc_deriv_np, _osc_t, _osc_deriv_t),
        Activation("logistic", special.expit, _logistic_deriv_np, torch.sigmoid, _logistic_deriv_t),
        Activation("identity", lambda z: z, np.ones_like, lambda z: z, torch.ones_like),
    )
}


def get_activation(name: str | Activation) -> Activation:
    """Return the :class:`Activation` registered under ``name``.

    The default of the estimators, ``"gelu"``, is the exact GeLU of the KA-geometry study; see
    the user guide, :ref:`training-model`.

    Parameters
    ----------
    name : str or Activation
        A key of :data:`ACTIVATIONS` (``"gelu"``, ``"relu"``, ``"tanh"``, ``"silu"``,
        ``"oscillatory"``, ``"logistic"``, ``"identity"``); an :class:`Activation` is returned
        as is.

    Returns
    -------
    activation : Activation
        The activation with its exact derivative, in NumPy and in PyTorch.

    Raises
    ------
    ValueError
        If ``name`` is not a registered activation; the message lists the accepted names.
    """
    if isinstance(name, Activation):
        return name
    try:
        return ACTIVATIONS[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"Unknown activation {name!r}; accepted: {sorted(ACTIVATIONS)}."
        ) from None
