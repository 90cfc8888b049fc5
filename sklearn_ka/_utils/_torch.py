"""Torch helpers: the training device, the training precision and the intra-op thread count.

torch is imported when one of these runs, not when this module is imported, so that importing
the conventions layer stays cheap (the command line answers ``--help`` without torch).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from ._validation import InvalidParameterError

if TYPE_CHECKING:
    import torch

__all__ = ["resolve_device", "resolve_dtype", "torch_threads"]


def resolve_device(device: Any, *, name: str = "device") -> torch.device:
    """A usable :class:`torch.device` from ``"cpu"``, ``"cuda"``, ``"cuda:N"`` or a device.

    Parameters
    ----------
    device : str or torch.device
        The requested device.
    name : str, default="device"
        The parameter's name, for the error message.

    Returns
    -------
    torch.device

    Raises
    ------
    InvalidParameterError
        For anything but a CPU or CUDA device, and for a CUDA device on a machine where torch
        sees no GPU (the message says how to get one).
    """
    import torch

    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError, ValueError, OverflowError):
        raise InvalidParameterError(
            f"{name} must be 'cpu', 'cuda', 'cuda:N' or a torch.device, got {device!r}.") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise InvalidParameterError(
            f"{name}={device!r} was requested but no CUDA GPU is available to torch "
            f"(torch {torch.__version__}, torch.cuda.is_available() is False). Use {name}='cpu', "
            "or install a CUDA build of torch on a machine with a GPU (see the README)."
        )
    if dev.type not in ("cpu", "cuda"):
        raise InvalidParameterError(f"{name} must be 'cpu', 'cuda', 'cuda:N' or a torch.device of those types; "
                                    f"got {device!r} (device type {dev.type!r} is not supported).")
    return dev


def resolve_dtype(dtype: Any, *, name: str = "dtype") -> torch.dtype:
    """``torch.float32`` or ``torch.float64`` from a name, a NumPy dtype or a torch dtype.

    Parameters
    ----------
    dtype : str, numpy dtype or torch.dtype
        ``"float32"``/``"float64"`` or an equivalent.
    name : str, default="dtype"
        The parameter's name, for the error message.

    Returns
    -------
    torch.dtype

    Raises
    ------
    InvalidParameterError
        For any other precision.
    """
    import torch

    table = {"float32": torch.float32, "float64": torch.float64}
    if isinstance(dtype, str):
        key = dtype
    elif isinstance(dtype, torch.dtype):
        key = str(dtype).replace("torch.", "")
    else:
        try:
            key = str(np.dtype(dtype))
        except TypeError:
            key = None
    if key not in table:
        raise InvalidParameterError(f"{name} must be 'float32' or 'float64', got {dtype!r}.")
    return table[key]


@contextlib.contextmanager
def torch_threads(n_threads: int | None) -> Iterator[None]:
    """Temporarily set ``torch.set_num_threads(n_threads)`` (``None`` leaves it unchanged).

    Parameters
    ----------
    n_threads : int or None
        Torch intra-op threads inside the ``with`` block; the previous setting is restored
        on exit.

    Yields
    ------
    None
    """
    if n_threads is None:
        yield
        return
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(int(n_threads))
    try:
        yield
    finally:
        torch.set_num_threads(previous)
