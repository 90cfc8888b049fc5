"""Input checks shared by the Jacobian entry points: ``X``, the result's dtype, Pipelines, weights.

Everything is read as float64: inputs ``X`` (NumPy, pandas or torch), first-layer weights of
any precision, and the inputs of a Pipeline's last step.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.utils.validation import check_array

from .._utils import check_memory

__all__ = ["is_torch_tensor", "is_torch_module", "to_float64", "check_X", "check_dtype", "check_jacobian_memory",
           "unwrap_pipeline"]


def is_torch_tensor(obj: Any) -> bool:
    import torch

    return isinstance(obj, torch.Tensor)


def is_torch_module(obj: Any) -> bool:
    import torch

    return isinstance(obj, torch.nn.Module)


def to_float64(value: Any, what: str) -> np.ndarray:
    """``value`` (an array, a list or a torch tensor, possibly on a GPU) as a float64 array."""
    if is_torch_tensor(value):  # possibly requiring grad, possibly on a GPU
        value = value.detach().cpu().numpy()
    try:
        return np.array(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"Could not read {what} as a float64 array: {exc}") from None


def check_X(X: Any, model: Any, n_features: int | None = None, *, what: str | None = None) -> np.ndarray:
    """Validate ``X`` as a finite 2-D float64 array, of width ``n_features`` when given."""
    what = type(model).__name__ if what is None else what
    if X is None:
        raise ValueError(f"X is required to compute the Jacobian of {what}; "
                         "only a precomputed Jacobian array can be passed without X.")
    if is_torch_tensor(X):
        X = X.detach().cpu().numpy()
    try:
        X = check_array(X, dtype=np.float64, input_name="X")
    except (TypeError, ValueError) as exc:
        if "convert" not in str(exc) and not isinstance(exc, TypeError):
            raise  # scikit-learn's own messages (shape, NaN) are clear
        raise ValueError(f"X must be numeric: an array of numbers of shape (n_samples, n_features) to compute the "
                         f"Jacobian of {what}; it could not be read as float64 ({exc}).") from None
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(f"X has {X.shape[1]} features, but {what} is expecting "
                         f"{n_features} features as input.")
    return X


def check_dtype(dtype: Any) -> np.dtype:
    """The NumPy floating dtype of a result (the computation itself is always float64)."""
    try:
        dt = np.dtype(dtype)
    except TypeError:
        dt = None
    if dt is None or dt.kind != "f":
        raise ValueError(f"dtype must be a NumPy floating dtype (e.g. np.float64, np.float32); "
                         f"got {dtype!r}.")
    return dt


def check_jacobian_memory(n_samples: int, m: int, n: int, owner: str, copies: float = 2) -> None:
    """Refuse, before computing it, a Jacobian of ``n_samples x m x n`` float64 beyond the package budget.

    ``copies`` arrays of that size exist at once (the result and the factors or pieces it is built from).
    """
    check_memory(int(copies * 8 * n_samples * m * n), f"an array of {n_samples} Jacobians of shape {m}x{n}",
                 owner=owner, alternatives="fewer examples per call (compute the Jacobians of chunks of X), or a "
                 "larger budget.")


def unwrap_pipeline(model: Any, X: Any, supported: str) -> tuple[Any, Any]:
    """Push ``X`` through all but the last step; return ``(last_step, X_transformed)``.

    ``supported`` describes the models accepted as the last step, for the error messages.
    """
    if len(model) == 0:  # pragma: no cover - scikit-learn forbids empty pipelines
        raise TypeError(f"The Pipeline is empty; its last step must be a supported model: {supported}.")
    last = model[-1]
    if last is None or last == "passthrough":
        raise TypeError("The last step of the Pipeline is 'passthrough'; it must be a supported "
                        f"model: {supported}.")
    if X is None:
        raise ValueError("X is required to compute the Jacobian of a Pipeline.")
    if len(model) > 1:
        X = model[:-1].transform(X)
    return last, X
