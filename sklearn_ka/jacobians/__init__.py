"""Jacobians of the inner (first-layer) map, float64, shape (n_samples, m, n).

Supported models: fitted MLP-like estimators (``coefs_``, ``intercepts_``, ``activation``:
``ShallowMLPRegressor``, scikit-learn's ``MLPRegressor``/``MLPClassifier``), a Pipeline ending in
one, torch modules and callables (``torch.func``), and precomputed arrays.  This package depends
only on :mod:`sklearn_ka.engine` (for the activations and their exact derivatives).

The Jacobian and its minors are defined in the user guide, :ref:`jacobian-minors`, after
Freedman and Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in Shallow MLPs"
(arXiv:2509.12326, 2025).
"""

from ._inner_map import inner_factors, inner_jacobian
from ._layers import layer_activations, layer_jacobian, n_layers

__all__ = ["inner_jacobian", "inner_factors"]
__all__ += ["layer_jacobian", "layer_activations", "n_layers"]
