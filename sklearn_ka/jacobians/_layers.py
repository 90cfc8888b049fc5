"""Jacobians between two layers of a multi-layer perceptron, float64.

Layers are counted from the input: layer ``0`` is the input ``x``, layer ``l >= 1`` the activations
after the ``l``-th affine map and its activation.  ``layer_jacobian(model, X, source=0, target=1)``
is the Jacobian of the inner (first-layer) map, equal to :func:`inner_jacobian`; ``source=1,
target=2`` is the map from the first to the second hidden layer, evaluated at the first hidden
layer's activations of each example of ``X``.

Two kinds of model are supported:

- a fitted estimator with ``coefs_``, ``intercepts_`` and ``activation`` (scikit-learn's
  ``MLPRegressor`` / ``MLPClassifier`` with any number of hidden layers, the project's
  ``ShallowMLPRegressor`` / ``ShallowMLPClassifier`` with one), or a Pipeline ending in one.
  The hidden layers are ``1 .. len(coefs_) - 1``; the output layer is not a hidden layer and is
  refused as a target.  Analytic, exact: ``J = diag(s_t) W_t^T ... diag(s_{s+1}) W_{s+1}^T``
  with ``s_l = sigma'(z_l)``.
- a ``torch.nn.Sequential`` (nested Sequentials are flattened).  Every ``nn.Linear`` starts a new
  layer, which also holds every module that follows it up to the next ``nn.Linear`` (its
  activation, dropout, ...); modules before the first ``nn.Linear`` belong to layer 1.  So
  ``Sequential(Linear, GELU, Linear, GELU, Linear)`` has layers 1 and 2 (hidden) and 3 (the
  output, a target like any other).  Differentiated exactly with ``torch.func`` in float64, on a
  deep copy in ``eval()`` mode.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike
from sklearn.pipeline import Pipeline

from .._utils import Integers, validate_params
from ._analytic import check_fitted_mlp, is_mlp_like, is_unfitted_mlp_like
from ._autodiff import torch_jacobian
from ._inputs import check_dtype, check_jacobian_memory, check_X, to_float64, unwrap_pipeline

__all__ = ["layer_jacobian", "layer_activations", "n_layers"]

_SUPPORTED = ("a fitted estimator with coefs_, intercepts_ and activation (scikit-learn's "
              "MLPRegressor / MLPClassifier, ShallowMLPRegressor / ShallowMLPClassifier), a "
              "scikit-learn Pipeline ending in one, or a torch.nn.Sequential of nn.Linear and "
              "activation modules")


#: Layer indices: integers (their range depends on the model, checked once it is known).
_CONSTRAINTS = {"source": [Integers()], "target": [Integers()], "layer": [Integers()]}


def _unsupported(model):
    return TypeError(f"layer_jacobian does not support a model of type {type(model).__name__}. "
                     f"Supported: {_SUPPORTED}. For any other map, compute the Jacobian "
                     "yourself and pass the array of shape (n_samples, m, n) to the analyzer.")


# ---------------------------------------------------------------------------------------------
# scikit-learn style MLPs
# ---------------------------------------------------------------------------------------------

def _mlp_layers(model):
    """``[(W_l, b_l)]`` for the hidden layers (the output layer dropped) and the activation."""
    from ..engine import get_activation

    if not hasattr(model, "activation"):
        raise TypeError(f"{type(model).__name__} has coefs_ and intercepts_ but no 'activation' "
                        "attribute naming its hidden activation; cannot differentiate it.")
    act = get_activation(getattr(model, "hidden_activation_", None) or model.activation)
    coefs, intercepts = list(model.coefs_), list(model.intercepts_)
    if len(coefs) != len(intercepts) or len(coefs) < 2:
        raise ValueError(f"{type(model).__name__}.coefs_ and .intercepts_ must list the same "
                         "number (at least 2) of layers: the hidden layers, then the output.")
    layers = []
    for i, (W, b) in enumerate(zip(coefs[:-1], intercepts[:-1])):
        W = to_float64(W, f"coefs_[{i}]")
        b = to_float64(b, f"intercepts_[{i}]")
        if W.ndim != 2 or b.shape != (W.shape[1],) or (layers and layers[-1][0].shape[1] != W.shape[0]):
            raise ValueError(f"Inconsistent layer {i + 1} of {type(model).__name__}: "
                             f"coefs_[{i}] has shape {W.shape}, intercepts_[{i}] {b.shape}.")
        layers.append((W, b))
    return layers, act


def _check_layers(source, target, n_hidden, what, *, output=False):
    """The layer indices' ranges for a model with ``n_hidden`` layers (their types are checked already)."""
    if target <= source:
        raise ValueError(f"target must be a later layer than source; got source={source}, "
                         f"target={target}.")
    top = n_hidden
    kind = "layers" if output else "hidden layers"
    if not 0 <= source < top:
        raise ValueError(f"source={source} is out of range for {what}: it has {top} {kind} "
                         f"(1..{top}) and 0 is the input, so source must be in [0, {top - 1}].")
    if not 1 <= target <= top:
        raise ValueError(f"target={target} is out of range for {what}: it has {top} {kind}, so "
                         f"target must be in [1, {top}]"
                         + ("" if output else " (the output layer is not a hidden layer)") + ".")


def _mlp_jacobian(model, X, source, target):
    layers, act = _mlp_layers(model)
    _check_layers(source, target, len(layers), f"{type(model).__name__}")
    H = check_X(X, model, layers[0][0].shape[0])
    # the product of the layers' Jacobians: the widest pair of widths, twice (the product and its factor)
    widths = [W.shape[0] for W, _ in layers[source:target]] + [layers[target - 1][0].shape[1]]
    check_jacobian_memory(H.shape[0], max(widths[1:]), max(widths[:-1]), "layer_jacobian", copies=3)
    for W, b in layers[:source]:
        H = act.numpy_fn(H @ W + b)
    J = None
    for W, b in layers[source:target]:
        D = np.asarray(act.numpy_deriv(H @ W + b), dtype=np.float64)  # (B, m_l)
        if J is None:
            J = D[:, :, None] * W.T[None, :, :]
        else:
            J = D[:, :, None] * np.matmul(W.T[None, :, :], J)
        H = act.numpy_fn(H @ W + b)
    return J


def _mlp_activations(model, X, layer):
    layers, act = _mlp_layers(model)
    H = check_X(X, model, layers[0][0].shape[0])
    if layer == 0:
        return H
    _check_layers(0, layer, len(layers), f"{type(model).__name__}")
    for W, b in layers[:layer]:
        H = act.numpy_fn(H @ W + b)
    return np.asarray(H, dtype=np.float64)


# ---------------------------------------------------------------------------------------------
# torch.nn.Sequential
# ---------------------------------------------------------------------------------------------

def _is_sequential(model):
    try:
        import torch
    except ImportError:  # pragma: no cover
        return False
    return isinstance(model, torch.nn.Sequential)


def _flatten(seq):
    import torch

    out = []
    for mod in seq:
        out.extend(_flatten(mod) if isinstance(mod, torch.nn.Sequential) else [mod])
    return out


def _sequential_blocks(model):
    """The layers of a Sequential: lists of modules, each starting with an ``nn.Linear``."""
    import torch

    mods = _flatten(model)
    starts = [i for i, mod in enumerate(mods) if isinstance(mod, torch.nn.Linear)]
    if not starts:
        raise ValueError("The torch.nn.Sequential has no nn.Linear module, so no layers to count "
                         "(each nn.Linear starts a layer).")
    bounds = [0] + starts[1:] + [len(mods)]
    return [mods[lo:hi] for lo, hi in zip(bounds[:-1], bounds[1:])]


def _sequential_input_width(blocks):
    for mod in blocks[0]:
        if hasattr(mod, "in_features"):
            return mod.in_features
    return None  # pragma: no cover - every block holds a Linear


def _push(blocks, X):
    import torch

    if not blocks:
        return X
    seq = copy.deepcopy(torch.nn.Sequential(*[mod for block in blocks for mod in block])).to(torch.float64).eval()
    p = next(iter(seq.parameters()), None)
    device = p.device if p is not None else torch.device("cpu")
    with torch.no_grad():
        H = seq(torch.as_tensor(np.ascontiguousarray(X), dtype=torch.float64, device=device))
    return H.detach().cpu().numpy().astype(np.float64, copy=False)


def _sequential_jacobian(model, X, source, target):
    import torch

    blocks = _sequential_blocks(model)
    _check_layers(source, target, len(blocks), "the torch.nn.Sequential", output=True)
    X = check_X(X, model, _sequential_input_width(blocks))
    H = _push(blocks[:source], X)
    sub = torch.nn.Sequential(*[mod for block in blocks[source:target] for mod in block])
    return torch_jacobian(sub, H, owner="layer_jacobian")


def _sequential_activations(model, X, layer):
    blocks = _sequential_blocks(model)
    X = check_X(X, model, _sequential_input_width(blocks))
    if layer != 0:
        _check_layers(0, layer, len(blocks), "the torch.nn.Sequential", output=True)
    return _push(blocks[:layer], X)


# ---------------------------------------------------------------------------------------------
# public API
# ---------------------------------------------------------------------------------------------

def _dispatch(model, X):
    """Unwrap a Pipeline; check the model kind. Returns ``(kind, model, X)``."""
    if isinstance(model, Pipeline):
        model, X = unwrap_pipeline(model, X, _SUPPORTED)
        if isinstance(model, Pipeline):  # pragma: no cover - nested pipelines
            return _dispatch(model, X)
    if is_mlp_like(model):
        return "mlp", model, X
    if is_unfitted_mlp_like(model):
        check_fitted_mlp(model)
    if _is_sequential(model):
        return "sequential", model, X
    raise _unsupported(model)


def n_layers(model: Any) -> int:
    """Number of layers that can be a ``target`` of :func:`layer_jacobian` (input excluded).

    For an MLP-like estimator: its hidden layers, ``len(coefs_) - 1``. For a torch
    ``nn.Sequential``: its number of ``nn.Linear`` modules (output layer included).

    Parameters
    ----------
    model : object
        A model accepted by :func:`layer_jacobian`.

    Returns
    -------
    int
        The largest valid ``target`` layer.
    """
    if isinstance(model, Pipeline):
        model = model[-1]
    if is_mlp_like(model):
        return len(_mlp_layers(model)[0])
    if is_unfitted_mlp_like(model):
        check_fitted_mlp(model)
    if _is_sequential(model):
        return len(_sequential_blocks(model))
    raise _unsupported(model)


def layer_activations(model: Any, X: ArrayLike, layer: int) -> np.ndarray:
    """Activations of layer ``layer`` (0 = the input itself) at every example of ``X``.

    Parameters
    ----------
    model : object
        A model accepted by :func:`layer_jacobian`.
    X : array-like of shape (n_samples, n_features)
        Inputs (of the Pipeline, for a Pipeline).
    layer : int
        Layer index, counted as in :func:`layer_jacobian`.

    Returns
    -------
    H : ndarray of shape (n_samples, m_layer), float64
    """
    layer = validate_params({"layer": layer}, _CONSTRAINTS, owner="layer_activations")["layer"]
    kind, model, X = _dispatch(model, X)
    top = n_layers(model)
    if not 0 <= layer <= top:
        raise ValueError(f"layer_activations: layer={layer} is out of range: the model has {top} layer(s) after the "
                         f"input (layer 0), so layer must be in [0, {top}].")
    if kind == "mlp":
        return _mlp_activations(model, X, layer)
    return _sequential_activations(model, X, layer)


def layer_jacobian(
    model: Any, X: ArrayLike, *, source: int = 0, target: int = 1, dtype: DTypeLike = np.float64
) -> np.ndarray:
    """Jacobian of the map from the activations of layer ``source`` to those of layer ``target``.

    Layer ``0`` is the input, layer ``l >= 1`` the activations after the ``l``-th affine map and
    its activation. ``X`` (raw inputs) is first pushed through the layers before ``source``; the
    Jacobian is taken at those activations. ``source=0, target=1`` is the inner map of
    :func:`inner_jacobian`. See the user guide, :ref:`jacobian-minors`, for the Jacobian whose
    minors the analysis measures.

    Parameters
    ----------
    model : object
        One of:

        - a fitted estimator with ``coefs_``, ``intercepts_`` and an ``activation`` name:
          scikit-learn's ``MLPRegressor`` / ``MLPClassifier`` (any number of hidden layers, all
          with that activation), ``ShallowMLPRegressor`` / ``ShallowMLPClassifier`` (one). Its
          layers ``1 .. len(coefs_) - 1`` are the hidden layers; the output layer is not a valid
          target. Analytic, exact.
        - a scikit-learn ``Pipeline`` whose last step is such an estimator; ``X`` goes through
          ``pipe[:-1].transform`` first (layer 0 is the last step's own input).
        - a ``torch.nn.Sequential`` of ``nn.Linear`` and activation modules (nested Sequentials
          are flattened). Each ``nn.Linear`` starts a layer that holds the modules after it up to
          the next ``nn.Linear``; modules before the first ``nn.Linear`` belong to layer 1. The
          last layer (often the output, ``nn.Linear`` alone) is a valid target. Differentiated
          with ``torch.func`` in float64 on a deep copy in ``eval()`` mode.
    X : array-like of shape (n_samples, n_features)
        Raw inputs of the model. Must be finite.
    source : int, default=0
        Layer whose activations are the variables (0 = the input).
    target : int, default=1
        Layer whose activations are differentiated; ``source < target <= n_layers(model)``.
    dtype : NumPy floating dtype, default=np.float64
        Dtype of the result (the computation is float64 in all cases).

    Returns
    -------
    J : ndarray of shape (n_samples, m_target, m_source)
        ``J[b, j, i] = d h_target_j / d h_source_i`` at example ``b``. Pass ``J`` (and ``J0`` of
        the initial model, on the same ``X``) to the analyzer as precomputed Jacobians:
        ``KAGeometryAnalyzer().fit(J0).score(J)``.

    Raises
    ------
    ValueError
        ``target <= source``, a layer out of range, bad ``X``.
    TypeError
        Non-integer layer indices, an unsupported model.
    NotFittedError
        An unfitted estimator.

    Examples
    --------
    >>> import numpy as np, warnings
    >>> from sklearn.neural_network import MLPRegressor
    >>> from sklearn_ka.jacobians import layer_jacobian
    >>> X = np.random.default_rng(0).uniform(-1, 1, (20, 3)); y = X.sum(1)
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     mlp = MLPRegressor(hidden_layer_sizes=(8, 5), max_iter=5).fit(X, y)
    >>> layer_jacobian(mlp, X, source=1, target=2).shape
    (20, 5, 8)
    >>> layer_jacobian(mlp, X, source=0, target=2).shape
    (20, 5, 3)
    """
    dt = check_dtype(dtype)
    layers = validate_params({"source": source, "target": target}, _CONSTRAINTS, owner="layer_jacobian")
    source, target = layers["source"], layers["target"]
    kind, model, X = _dispatch(model, X)
    if kind == "mlp":
        J = _mlp_jacobian(model, X, source, target)
    else:
        J = _sequential_jacobian(model, X, source, target)
    J = np.asarray(J, dtype=np.float64)
    return J if J.dtype == dt else J.astype(dt)
