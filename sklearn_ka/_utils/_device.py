"""The torch device of a run, checked once before any work: ``"cpu"``, ``"cuda"`` or ``"cuda:N"``.

A thin layer over :func:`._torch.resolve_device` for functions that take a device name: it names
the function in the message and accepts ``"cpu"`` without importing torch.
"""

from __future__ import annotations

from typing import Any

from ._torch import resolve_device
from ._validation import InvalidParameterError

__all__ = ["check_device"]


def check_device(device: Any, *, owner: str | None = None, name: str = "device") -> str:
    """The name of a torch device this machine can use, or :class:`InvalidParameterError`.

    Parameters
    ----------
    device : str or torch.device
        ``"cpu"``, ``"cuda"`` or ``"cuda:N"``.
    owner : str, optional
        The function the parameter belongs to; it prefixes the message.
    name : str, default="device"
        The parameter's name, for the message.

    Returns
    -------
    str
        ``str(torch.device(device))``, e.g. ``"cpu"`` or ``"cuda:0"``.
    """
    if isinstance(device, str) and device == "cpu":
        return device
    try:
        return str(resolve_device(device, name=name))
    except InvalidParameterError as exc:
        if owner is None:
            raise
        raise InvalidParameterError(f"{owner}: {exc}") from None
