"""Jacobians of torch modules and callables with ``torch.func`` (vmap over examples).

The map is evaluated on *one example at a time*: a float64 tensor of shape (n,), and must return a
tensor of shape (m,).  ``vmap`` batches it over the examples, so modules written for batched input
work as long as they also accept an unbatched vector (``nn.Linear`` and elementwise activations
do).  The Jacobian is computed with forward mode (``jacfwd``) when ``n <= m`` (fewer input than
output dimensions: n JVPs per example) and reverse mode (``jacrev``) otherwise.

Modules are never modified: a deep copy is cast to float64 and put in ``eval()`` mode (so dropout
is off and batch-norm uses its running statistics).
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Callable
from typing import Literal

import numpy as np
import torch

from .._utils import Options, check_param
from ._inputs import check_jacobian_memory

__all__ = ["torch_jacobian"]

# Examples per vmap call: bounds the memory of the batched Jacobian computation.
_CHUNK = 4096


def _prepare(model):
    """Return ``(fn, device)`` with ``fn`` a float64 copy of ``model``."""
    if isinstance(model, torch.nn.Module):
        module = copy.deepcopy(model).to(torch.float64).eval()
        p = next(iter(module.parameters()), None)
        if p is None:
            p = next(iter(module.buffers()), None)
        return module, (p.device if p is not None else torch.device("cpu"))
    return model, torch.device("cpu")


def torch_jacobian(
    model: torch.nn.Module | Callable[[torch.Tensor], torch.Tensor],
    X: np.ndarray,
    *,
    mode: Literal["auto", "forward", "reverse"] = "auto",
    owner: str = "inner_jacobian",
    device: torch.device | None = None,
    name: str | None = None,
) -> np.ndarray:
    """Jacobian of a torch module or callable ``(n,) -> (m,)`` at every row of ``X``.

    Parameters
    ----------
    model : torch.nn.Module or callable
        The map whose Jacobian is wanted (the *whole* module is taken as the inner map).
    X : ndarray of shape (n_samples, n), float64
        Validated inputs.
    mode : {"auto", "forward", "reverse"}, default="auto"
        ``"auto"`` picks forward mode when ``n <= m``, reverse mode otherwise.
    owner : str, default="inner_jacobian"
        The public function computing it, for the error messages.
    device : torch.device or None, default=None
        Where ``X`` goes; ``None``: the module's device (the CPU for a callable).
    name : str or None, default=None
        The map's name in the error messages; ``None``: its type's name.

    Returns
    -------
    J : ndarray of shape (n_samples, m, n), float64
    """
    mode = check_param("mode", mode, [Options("auto", "forward", "reverse")])
    fn, found = _prepare(model)
    device = found if device is None else device
    name = type(model).__name__ if name is None else name
    Xt = torch.as_tensor(np.ascontiguousarray(X), dtype=torch.float64, device=device)
    n = Xt.shape[1]
    try:
        out = fn(Xt[0])
    except Exception as exc:
        raise ValueError(f"Calling {name} on one example (a float64 tensor of shape ({n},)) "
                         f"failed: {exc!r}. The map must take a tensor of shape (n,) and return "
                         "a tensor of shape (m,).") from exc
    if not isinstance(out, torch.Tensor) or out.ndim != 1:
        shape = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise ValueError(f"{name} must map a tensor of shape ({n},) to a tensor of shape (m,); "
                         f"it returned {shape}.")
    m = out.shape[0]
    # the chunks, their concatenation, and one chunk's batched computation
    B = Xt.shape[0]
    check_jacobian_memory(B, m, n, owner, copies=2 + 2 * min(B, _CHUNK) / max(B, 1))
    if mode == "auto":
        mode = "forward" if n <= m else "reverse"
    jac = torch.func.jacfwd(fn) if mode == "forward" else torch.func.jacrev(fn)
    batched = torch.func.vmap(jac)
    chunks = []
    try:
        with warnings.catch_warnings():
            # torch.func's forward mode scripts its decompositions on first use with the
            # deprecated torch.jit.script: a torch-internal warning the user cannot act on.
            warnings.filterwarnings("ignore", message=r".*torch\.jit\.script.* is deprecated",
                                    category=DeprecationWarning)
            for start in range(0, Xt.shape[0], _CHUNK):
                chunks.append(batched(Xt[start:start + _CHUNK]).detach())
    except Exception as exc:
        raise RuntimeError(f"torch.func could not differentiate {name} ({mode} mode): {exc!r}. "
                           "The map must be written with differentiable torch operations on a "
                           "single example of shape (n,).") from exc
    J = torch.cat(chunks).cpu().numpy()
    return np.asarray(J, dtype=np.float64).reshape(Xt.shape[0], m, n)
