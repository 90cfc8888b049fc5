"""Float64 arrays for the numerical kernels: numpy in, numpy out; torch in, torch out.

Every kernel of :mod:`sklearn_ka.exterior` and :mod:`sklearn_ka.observables` converts its inputs
with :func:`as_float64_tensor` (one validation: real dtype, rank, finite values), computes in
float64 torch on the input's device, and returns with :func:`like_input`, so a numpy caller gets
numpy back and a torch caller keeps its tensors (and device). :func:`pooled_float64` flattens
data given as one array or as a sequence of chunks into one float64 numpy vector, for the
statistics that pool values (quantiles, tails).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from sklearn import get_config

__all__ = ["as_float64_tensor", "like_input", "pooled_float64"]


def as_float64_tensor(x: Any, name: str, ndim: int | tuple[int, ...] | None = None, *, finite: bool = True,
                      device: str | torch.device | None = None) -> tuple[torch.Tensor, bool]:
    """Validate ``x`` and return ``(tensor_float64, was_numpy)``.

    Accepts a :class:`torch.Tensor` (kept on its device) or anything :func:`numpy.asarray`
    understands (numpy arrays, lists), which becomes a CPU tensor (zero-copy when already
    float64 and contiguous).

    Parameters
    ----------
    x : array-like or torch.Tensor
        Real numbers (float, int or bool); complex values are refused.
    name : str
        The argument's name, for error messages.
    ndim : int or tuple of int, optional
        The accepted rank(s).
    finite : bool, default=True
        Refuse NaN and infinite entries, unless scikit-learn's ``assume_finite`` is set
        (``sklearn.config_context(assume_finite=True)``), as scikit-learn's own validation
        does: callers that validated their data once set it to skip a pass over every
        intermediate array.
    device : str or torch.device, optional
        Move the tensor there.

    Returns
    -------
    tensor : torch.Tensor of float64
    was_numpy : bool
        Whether ``x`` was not a tensor (then :func:`like_input` returns numpy).

    Raises
    ------
    TypeError
        Not real numbers.
    ValueError
        Wrong rank, or non-finite entries.
    """
    was_numpy = not isinstance(x, torch.Tensor)
    if was_numpy:
        try:
            arr = np.asarray(x)
        except Exception as exc:  # pragma: no cover - exotic objects
            raise TypeError(f"{name} must be an array or a torch tensor, got {type(x).__name__}") from exc
        if arr.dtype == object or not (
            np.issubdtype(arr.dtype, np.floating)
            or np.issubdtype(arr.dtype, np.integer)
            or np.issubdtype(arr.dtype, np.bool_)
        ):
            raise TypeError(f"{name} must hold real numbers (float or int), got dtype {arr.dtype}")
        t = torch.from_numpy(np.ascontiguousarray(arr, dtype=np.float64))
    else:
        if x.is_complex():
            raise TypeError(f"{name} must be real, got a complex tensor ({x.dtype})")
        t = x.to(torch.float64)
    if device is not None:
        t = t.to(device)
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if t.ndim not in allowed:
            want = " or ".join(str(a) for a in allowed)
            raise ValueError(
                f"{name} must be a {want}-dimensional array, got shape {tuple(t.shape)} ({t.ndim} dimensions)"
            )
    # a finite sum proves every entry finite (NaN/inf propagate); only an overflowing
    # or non-finite sum needs the elementwise check
    check = finite and t.numel() and not get_config()["assume_finite"]
    if check and not bool(torch.isfinite(t.sum())) and not bool(torch.isfinite(t).all()):
        raise ValueError(f"{name} contains NaN or infinite values; only finite values are accepted")
    return t, was_numpy


def like_input(t: Any, was_numpy: bool) -> Any:
    """``t`` as a numpy array when the input was numpy (see :func:`as_float64_tensor`), else as is."""
    if was_numpy and isinstance(t, torch.Tensor):
        return t.detach().cpu().numpy()
    return t


def pooled_float64(values: Any, name: str) -> np.ndarray:
    """One finite float64 numpy vector from an array, a tensor, or a list/tuple of them (pooled).

    Raises
    ------
    TypeError
        Values that are not real numbers.
    ValueError
        No values at all, or NaN/infinite values.
    """
    if isinstance(values, (list, tuple)):
        if len(values) == 0:
            raise ValueError(f"{name} is an empty sequence")
        return np.concatenate([pooled_float64(v, name) for v in values])
    if isinstance(values, torch.Tensor):
        if values.is_complex():
            raise TypeError(f"{name} must be real")
        arr = values.detach().to(torch.float64).cpu().numpy()
    else:
        arr = np.asarray(values)
        if arr.dtype == object or not (np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.integer)):
            raise TypeError(f"{name} must hold real numbers, got dtype {arr.dtype}")
        arr = arr.astype(np.float64, copy=False)
    arr = arr.reshape(-1)
    if arr.size == 0:
        raise ValueError(f"{name} is empty")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or infinite values; only finite values are accepted")
    return arr
