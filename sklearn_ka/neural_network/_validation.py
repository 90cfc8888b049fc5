"""Small parameter checks shared by the estimators: each error says what was wrong and what is accepted."""

from __future__ import annotations

import numbers

import numpy as np
import torch

__all__ = ["check_int", "check_real", "resolve_device", "resolve_dtype"]


def check_int(name, value, *, low=None, high=None):
    """Return ``value`` as ``int`` if it is an integer in ``[low, high]``; else raise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r} of type {type(value).__name__}.")
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(f"{name} must be an integer in [{low}, {high if high is not None else 'inf'}], got {value}.")
    return int(value)


def check_real(name, value, *, low=None, high=None, low_open=False, high_open=False):
    """Return ``value`` as ``float`` if it is a finite real in the given interval; else raise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r} of type {type(value).__name__}.")
    value = float(value)
    bad = not np.isfinite(value)
    if low is not None:
        bad |= value <= low if low_open else value < low
    if high is not None:
        bad |= value >= high if high_open else value > high
    if bad:
        lo = "(" if low_open else "["
        hi = ")" if high_open else "]"
        raise ValueError(
            f"{name} must be a finite number in {lo}{low if low is not None else '-inf'}, "
            f"{high if high is not None else 'inf'}{hi}, got {value}."
        )
    return value


def resolve_device(device):
    """Turn ``"cpu"``, ``"cuda"``, ``"cuda:N"`` or a ``torch.device`` into a usable ``torch.device``."""
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError):
        raise ValueError(f"device must be 'cpu', 'cuda', 'cuda:N' or a torch.device, got {device!r}.") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"device={device!r} was requested but no CUDA GPU is available to torch "
            f"(torch {torch.__version__}, torch.cuda.is_available() is False). Use device='cpu', "
            "or install a CUDA build of torch on a machine with a GPU (see the README)."
        )
    if dev.type not in ("cpu", "cuda"):
        raise ValueError(f"device must be 'cpu' or 'cuda[:N]', got {device!r}.")
    return dev


def resolve_dtype(dtype):
    """Map ``"float32"``/``"float64"`` (or numpy/torch equivalents) to a torch dtype."""
    table = {"float32": torch.float32, "float64": torch.float64}
    if isinstance(dtype, str):
        key = dtype
    elif isinstance(dtype, torch.dtype):
        key = str(dtype).replace("torch.", "")
    else:
        key = str(np.dtype(dtype))
    if key not in table:
        raise ValueError(f"dtype must be 'float32' or 'float64', got {dtype!r}.")
    return table[key]
