"""Analytic Jacobian of the first layer of a fitted MLP-like estimator.

Duck typing, so that this package depends on nothing above the engine: any fitted object with

- ``coefs_``: a sequence whose first element is ``A`` of shape (n, m),
- ``intercepts_``: a sequence whose first element is ``a`` of shape (m,),
- ``activation``: a name registered in :data:`sklearn_ka.engine.ACTIVATIONS` (or an
  :class:`~sklearn_ka.engine.Activation`),

is supported.  That covers scikit-learn's ``MLPRegressor`` / ``MLPClassifier`` (activations
``'identity'``, ``'logistic'``, ``'tanh'``, ``'relu'``; the hidden layers share one activation, the
output activation is irrelevant here) and the project's ``ShallowMLPRegressor``.  For deeper
networks only the *first* hidden layer is used.

The inner map is ``h(x) = sigma(x A + a)`` and its Jacobian (see the user guide,
:ref:`jacobian-minors`) is ``J_ji(x) = sigma'(z_j) A_ij`` with ``z = x A + a``, i.e.
``J(x) = diag(sigma'(z)) A^T``.
Everything is computed in float64 whatever the dtype of the weights.
"""

from __future__ import annotations

from typing import Any, NoReturn

import numpy as np
from sklearn.exceptions import NotFittedError

from ..engine import Activation, get_activation
from ._inputs import to_float64

__all__ = [
    "is_mlp_like",
    "is_unfitted_mlp_like",
    "check_fitted_mlp",
    "first_layer",
    "first_layer_factors",
]


def is_mlp_like(model: Any) -> bool:
    """Whether ``model`` looks like a fitted MLP (``coefs_`` and ``intercepts_`` present)."""
    return hasattr(model, "coefs_") and hasattr(model, "intercepts_")


def is_unfitted_mlp_like(model: Any) -> bool:
    """Whether ``model`` looks like an MLP estimator that has not been fitted yet."""
    return (not is_mlp_like(model) and hasattr(model, "fit") and hasattr(model, "activation")
            and not isinstance(model, type))


def check_fitted_mlp(model: Any) -> NoReturn:
    """Raise scikit-learn's ``NotFittedError`` for an unfitted MLP-like estimator."""
    # Same message as sklearn.utils.validation.check_is_fitted, which cannot be used on duck-typed
    # estimators that do not inherit from BaseEstimator.
    raise NotFittedError(
        f"This {type(model).__name__} instance is not fitted yet (no coefs_/intercepts_). Call "
        "'fit' with appropriate arguments before computing its Jacobian.")


def first_layer(model: Any) -> tuple[np.ndarray, np.ndarray, Activation]:
    """Return ``(A, a, activation)`` of a fitted MLP-like model, in float64.

    Returns
    -------
    A : ndarray of shape (n, m), float64
    a : ndarray of shape (m,), float64
    activation : sklearn_ka.engine.Activation

    Raises
    ------
    TypeError
        If ``model`` has no ``activation`` attribute.
    ValueError
        If the activation is unknown or the first-layer shapes are inconsistent.
    """
    if not hasattr(model, "activation"):
        raise TypeError(f"{type(model).__name__} has coefs_ and intercepts_ but no 'activation' "
                        "attribute naming its hidden activation; cannot differentiate it.")
    activation = get_activation(getattr(model, "hidden_activation_", None) or model.activation)
    try:
        A, a = model.coefs_[0], model.intercepts_[0]
    except (TypeError, IndexError, KeyError):
        raise ValueError(f"{type(model).__name__}.coefs_ and .intercepts_ must be non-empty "
                         "sequences with the first layer first.") from None
    A = to_float64(A, "coefs_[0]")
    a = to_float64(a, "intercepts_[0]")
    if A.ndim != 2 or a.shape != (A.shape[1],):
        raise ValueError(f"Inconsistent first layer of {type(model).__name__}: coefs_[0] must "
                         f"have shape (n, m) and intercepts_[0] shape (m,); got {A.shape} and "
                         f"{a.shape}.")
    return A, a, activation


def first_layer_factors(model: Any, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``D = sigma'(X A + a)`` (n_samples, m) and ``W = A^T`` (m, n), float64.

    ``X`` must already be a validated float64 array of width ``A.shape[0]``.
    """
    A, a, activation = first_layer(model)
    Z = X @ A + a
    D = np.asarray(activation.numpy_deriv(Z), dtype=np.float64)
    return D, np.ascontiguousarray(A.T)
