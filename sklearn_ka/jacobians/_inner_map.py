"""Jacobians of the inner (first-layer) map: one entry point for every supported model.

For the inner map ``h(x) = sigma(x A + a)`` of a one-hidden-layer network, the Jacobian ``J(x)``
is ``m x n`` (rows = hidden neurons, columns = inputs) with ``J_ji(x) = sigma'(z_j) A_ij``,
``z = x A + a`` (see the user guide, :ref:`jacobian-minors`).  Everything is float64.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike
from sklearn.pipeline import Pipeline

from .._utils import InvalidParameterError
from ._analytic import (
    check_fitted_mlp,
    first_layer,
    first_layer_factors,
    is_mlp_like,
    is_unfitted_mlp_like,
)
from ._autodiff import torch_jacobian
from ._inputs import (
    check_dtype,
    check_jacobian_memory,
    check_X,
    is_torch_module,
    is_torch_tensor,
    unwrap_pipeline,
)
from ._layers import (
    _is_sequential,
    _mlp_jacobian,
    _sequential_blocks,
    _sequential_input_width,
    _sequential_jacobian,
    n_layers,
)
from ._selection import resolve_layer, submodule_map

__all__ = ["inner_jacobian", "inner_factors"]

_SUPPORTED = (
    "a fitted estimator with coefs_, intercepts_ and activation (ShallowMLPRegressor, "
    "scikit-learn's MLPRegressor / MLPClassifier); a scikit-learn Pipeline whose last step is "
    "one of those; a torch.nn.Module or a callable mapping a torch tensor of shape (n,) to (m,); "
    "a precomputed Jacobian array of shape (n_samples, m, n)"
)


def _unsupported(model):
    return TypeError(f"Unsupported model of type {type(model).__name__}. Supported: "
                     f"{_SUPPORTED}.")


def _precomputed(J, X):
    if is_torch_tensor(J):
        J = J.detach().cpu().numpy()
    J = np.asarray(J)
    if J.ndim != 3:
        hint = " (for one example use J[None])" if J.ndim == 2 else ""
        raise ValueError(f"A precomputed Jacobian must have shape (n_samples, m, n); got an "
                         f"array of rank {J.ndim} with shape {J.shape}{hint}.")
    if J.dtype.kind not in "fiu" or J.dtype == bool:
        raise ValueError(f"A precomputed Jacobian must be a real numeric array; got dtype "
                         f"{J.dtype}.")
    J = np.asarray(J, dtype=np.float64)
    if not np.all(np.isfinite(J)):
        raise ValueError("The precomputed Jacobian contains NaN or infinity.")
    if min(J.shape) == 0:
        raise ValueError(f"The precomputed Jacobian is empty: shape {J.shape}.")
    if X is not None:  # X is not used; only checked for consistency
        X = check_X(X, J, J.shape[2], what="the precomputed Jacobian")
        if X.shape[0] != J.shape[0]:
            raise ValueError(f"X has {X.shape[0]} samples but the precomputed Jacobian has "
                             f"{J.shape[0]}.")
    return J


def _choice(model: Any, layer: Any, owner: str):
    """``(LayerChoice, blocks)`` of a model that is not an array, a Pipeline or an MLP with ``layer=None``."""
    if is_mlp_like(model):
        return resolve_layer(model, layer, n_hidden=n_layers(model), owner=owner), None
    blocks = _sequential_blocks(model) if _is_sequential(model) else None
    return resolve_layer(model, layer, blocks=blocks, owner=owner), blocks


def inner_factors(model: Any, X: ArrayLike, *, layer: Any = None) -> tuple[np.ndarray, np.ndarray] | None:
    """Factors ``(D, W)`` of the inner Jacobian, ``J[b] = diag(D[b]) @ W``, when they exist.

    For a one-hidden-layer inner map ``h(x) = sigma(x A + a)``, ``D = sigma'(X A + a)`` and
    ``W = A^T``.  Downstream code uses the factorisation to compute minors fast: a ``k x k``
    minor of ``J[b]`` with rows ``I`` and columns ``K`` is ``prod_{j in I} D[b, j] *
    det(W[I, K])``, so the minors of ``W`` are computed once per model (see the user guide,
    :ref:`jacobian-minors`).

    Parameters
    ----------
    model : object
        Any model accepted by :func:`inner_jacobian`.
    X : array-like of shape (n_samples, n_features)
        Inputs (for a Pipeline: inputs of the Pipeline, pushed through its earlier steps).
    layer : None, int or str, default=None
        The hidden layer that ends the inner map, as in :func:`inner_jacobian`; only the first
        hidden layer of an MLP-like estimator has factors.

    Returns
    -------
    factors : tuple (D, W) or None
        ``D`` of shape (n_samples, m) and ``W`` of shape (m, n), both float64, for an MLP-like
        estimator or a Pipeline ending in one (first hidden layer); ``None`` for models without
        that structure (deeper layers, torch modules, callables, precomputed arrays).

    Raises
    ------
    NotFittedError
        If the MLP-like estimator is not fitted.
    ValueError
        Bad ``X`` (NaN/inf, wrong width, missing).
    TypeError
        Unsupported model.
    InvalidParameterError
        A bad ``layer`` (see :func:`inner_jacobian`).
    """
    return _inner_factors(model, X, layer, "inner_factors")


def _inner_factors(model, X, layer, owner):
    if isinstance(model, Pipeline):
        model, X = unwrap_pipeline(model, X, _SUPPORTED)
        return _inner_factors(model, X, layer, owner)
    if is_mlp_like(model):
        if layer is not None and _choice(model, layer, owner)[0].index != 1:
            return None
        A = first_layer(model)[0]
        X = check_X(X, model, A.shape[0])
        # the pre-activations and the derivatives, (n_samples, m) each
        check_jacobian_memory(X.shape[0], A.shape[1], 1, "inner_factors", copies=3)
        return first_layer_factors(model, X)
    if is_unfitted_mlp_like(model):
        check_fitted_mlp(model)
    if isinstance(model, np.ndarray) or is_torch_tensor(model):
        if layer is not None:
            _precomputed_layer(layer)
        return None
    if is_torch_module(model) or (callable(model) and not isinstance(model, type)
                                   and not hasattr(model, "fit")):
        _choice(model, layer, owner)  # an ambiguous or bad layer fails here already
        return None
    raise _unsupported(model)


def _precomputed_layer(layer):
    raise InvalidParameterError(f"layer={layer!r} selects a layer of a network; a precomputed Jacobian has none "
                                "(pass layer=None).")


def _layer_jacobian_of(model: Any, X: Any, layer: Any) -> np.ndarray:
    """The Jacobian of the inner map that ``layer`` selects, for a model without factors there."""
    choice, blocks = _choice(model, layer, "inner_jacobian")
    if choice.kind == "mlp":
        return _mlp_jacobian(model, X, 0, choice.index)
    if choice.kind == "sequential":
        X = check_X(X, model, _sequential_input_width(blocks))
        return _sequential_jacobian(model, X, 0, choice.index)
    X = check_X(X, model)
    if choice.kind == "submodule":
        fn, device = submodule_map(model, choice.name)
        return torch_jacobian(fn, X, device=device, name=f"{type(model).__name__} up to {choice.name!r}")
    return torch_jacobian(model, X)


def inner_jacobian(model: Any, X: ArrayLike | None = None, *, layer: Any = None,
                   dtype: DTypeLike = np.float64) -> np.ndarray:
    """Jacobian of the inner (first-layer) map at every example.

    For a one-hidden-layer network the inner map is ``h(x) = sigma(x A + a)``, the map whose
    Kolmogorov-Arnold geometry the study [1]_ measures; see the user guide,
    :ref:`jacobian-minors`.

    Parameters
    ----------
    model : object
        One of:

        - a fitted estimator with ``coefs_`` (``coefs_[0]`` = ``A``, shape (n, m)),
          ``intercepts_`` (``intercepts_[0]`` = ``a``, shape (m,)) and an ``activation`` name
          from :data:`sklearn_ka.engine.ACTIVATIONS`: ``ShallowMLPRegressor``, scikit-learn's
          ``MLPRegressor`` / ``MLPClassifier`` (by default the first hidden layer). Analytic:
          ``J_ji(x) = sigma'(z_j) A_ij``, ``z = x A + a``.
        - a scikit-learn ``Pipeline`` whose last step is such an estimator. ``X`` is pushed
          through ``pipe[:-1].transform`` and the Jacobian is taken **with respect to the last
          step's own input** (the transformed features), not the Pipeline's raw input: it is
          the geometry of the network's inner map, whatever preprocessing precedes it.
        - a ``torch.nn.Module`` or a callable: by default a ``torch.nn.Sequential`` up to its
          first activation (``nn.Sequential(Linear, GELU, Linear)`` gives the GELU's output), any
          other module with at most one ``nn.Linear`` and any callable whole; ``layer`` selects
          another end. The map is called on one example, a float64 tensor of shape (n,), and
          returns shape (m,). Differentiated with ``torch.func``
          (forward mode when ``n <= m``, reverse mode otherwise) under ``vmap``, in float64, on a
          deep copy in ``eval()`` mode (the user's module is not modified).
        - a precomputed Jacobian, a NumPy array (or torch tensor) of shape (n_samples, m, n).
          ``X`` is then optional and unused; if given it is only checked for consistency
          (n_samples rows of width n).
    X : array-like of shape (n_samples, n_features), default=None
        Inputs; required except for a precomputed array. Must be finite.
    layer : None, int or str, default=None
        Which hidden layer ends the inner map ``x -> h(x)`` of a larger network (``m`` is its
        width): ``None`` the first hidden layer's activation (a torch module with several
        ``nn.Linear`` and no Sequential structure is ambiguous and refused, the message listing
        its candidate layers); an integer ``l >= 1`` hidden layer ``l`` of an MLP-like estimator
        or layer ``l`` of a ``torch.nn.Sequential`` (counted as in :func:`layer_jacobian`); a
        string the dotted name of a torch submodule (``named_modules()``, e.g. ``"encoder.act"``)
        whose output is the hidden layer, ``""`` the whole module. Callables and precomputed
        arrays have no layers. See the user guide, :ref:`own-network`.
    dtype : NumPy floating dtype, default=np.float64
        Dtype of the returned array. The computation is always float64 (size-3 minors of trained
        models reach 1e-16); a narrower dtype is only a final cast.

    Returns
    -------
    J : ndarray of shape (n_samples, m, n)
        ``J[b, j, i] = d h_j / d x_i`` at example ``b``: rows are hidden neurons, columns inputs.

    Raises
    ------
    NotFittedError
        If an MLP-like estimator (or the Pipeline) is not fitted.
    ValueError
        ``X`` missing, with NaN/inf or of the wrong width; a precomputed array of the wrong rank
        or with non-finite values; a callable whose output is not of shape (m,).
    TypeError
        An unsupported model (the message lists the supported kinds).
    InvalidParameterError
        A bad ``layer``: of the wrong type, out of range, not a submodule, or missing for an
        ambiguous model (the message lists the candidate layers).

    References
    ----------
    .. [1] M. Freedman and M. Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in
       Shallow MLPs", arXiv:2509.12326, 2025. https://arxiv.org/abs/2509.12326

    Examples
    --------
    >>> import numpy as np, warnings
    >>> from sklearn.neural_network import MLPRegressor
    >>> from sklearn_ka.jacobians import inner_jacobian
    >>> X = np.random.default_rng(0).uniform(-1, 1, (20, 3)); y = X.sum(1)
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     mlp = MLPRegressor(hidden_layer_sizes=(8,), max_iter=5).fit(X, y)
    >>> inner_jacobian(mlp, X).shape
    (20, 8, 3)
    """
    dt = check_dtype(dtype)
    if isinstance(model, np.ndarray) or is_torch_tensor(model):
        if layer is not None:
            _precomputed_layer(layer)
        J = _precomputed(model, X)
    else:
        factors = _inner_factors(model, X, layer, "inner_jacobian")  # MLP-like, Pipeline, or errors
        if factors is not None:
            D, W = factors
            check_jacobian_memory(D.shape[0], W.shape[0], W.shape[1], "inner_jacobian",
                                  copies=1 if dt == np.float64 else 2)
            J = D[:, :, None] * W[None, :, :]
        else:  # a deeper layer, a torch module or a callable (arrays handled above)
            if isinstance(model, Pipeline):
                model, X = unwrap_pipeline(model, X, _SUPPORTED)
            J = _layer_jacobian_of(model, X, layer)
    return J if J.dtype == dt else J.astype(dt)
