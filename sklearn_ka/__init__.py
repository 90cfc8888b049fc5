"""sklearn-ka: train shallow MLPs reproducibly and measure the Kolmogorov-Arnold geometry of their inner map.

Data flows one way through the sub-packages: ``targets`` -> ``engine`` -> ``neural_network``
-> ``jacobians`` -> ``exterior`` -> ``observables`` -> ``analysis`` -> ``sweeps``.

The names below are imported lazily: ``import sklearn_ka`` is cheap (it loads neither torch nor
scikit-learn), and each name is loaded from its sub-package the first time it is used, e.g. by
``from sklearn_ka import ShallowMLPRegressor`` or ``sklearn_ka.ShallowMLPRegressor``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__  # noqa: F401 (re-exported)

#: public name -> the sub-package that defines it
_LAZY = {
    "KAGeometryAnalyzer": "analysis",
    "ka_scorer": "analysis",
    "ACTIVATIONS": "engine",
    "get_activation": "engine",
    "inner_factors": "jacobians",
    "inner_jacobian": "jacobians",
    "CriticalBatchSize": "neural_network",
    "ShallowMLPClassifier": "neural_network",
    "ShallowMLPRegressor": "neural_network",
    "estimate_critical_batch_size": "neural_network",
    "fit_many": "neural_network",
    "summarize": "sweeps",
    "sweep": "sweeps",
    "TargetFunction": "targets",
    "list_targets": "targets",
    "make_ka_regression": "targets",
    "make_target": "targets",
    "register_target": "targets",
}

#: sub-packages reachable as attributes (``sklearn_ka.experiments``) without importing them first
_SUBPACKAGES = frozenset({
    "analysis", "cli", "engine", "experiments", "exterior", "jacobians", "neural_network", "observables",
    "plotting", "report", "sweeps", "targets",
})

__all__ = [
    "ACTIVATIONS",
    "CriticalBatchSize",
    "KAGeometryAnalyzer",
    "ShallowMLPClassifier",
    "ShallowMLPRegressor",
    "TargetFunction",
    "estimate_critical_batch_size",
    "fit_many",
    "get_activation",
    "inner_factors",
    "inner_jacobian",
    "ka_scorer",
    "list_targets",
    "make_ka_regression",
    "make_target",
    "register_target",
    "summarize",
    "sweep",
]

if TYPE_CHECKING:  # static analysers and IDEs see the eager imports
    from .analysis import KAGeometryAnalyzer, ka_scorer
    from .engine import ACTIVATIONS, get_activation
    from .jacobians import inner_factors, inner_jacobian
    from .neural_network import (
        CriticalBatchSize,
        ShallowMLPClassifier,
        ShallowMLPRegressor,
        estimate_critical_batch_size,
        fit_many,
    )
    from .sweeps import summarize, sweep
    from .targets import TargetFunction, list_targets, make_ka_regression, make_target, register_target


def __getattr__(name: str) -> Any:
    """Load a public name (or a sub-package) on first access (PEP 562)."""
    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    elif name in _SUBPACKAGES:
        value = importlib.import_module(f".{name}", __name__)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value  # later accesses skip this function
    return value


def __dir__() -> list[str]:
    dunders = {n for n in globals() if n.startswith("__")}
    return sorted(dunders | set(__all__) | _SUBPACKAGES | {"__version__"})
