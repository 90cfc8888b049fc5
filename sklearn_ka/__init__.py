"""sklearn-ka: train shallow MLPs reproducibly and measure the Kolmogorov-Arnold geometry of their inner map.

The study this package implements: M. Freedman and M. Mulligan, "Spontaneous Kolmogorov-Arnold
Geometry in Shallow MLPs", arXiv:2509.12326 (2025).

Layers, lowest first; each imports only layers below it (and the private ``_utils`` layer of shared
conventions, which imports none of them)::

    targets          target functions and data sets
    engine           many one-hidden-layer MLPs trained at once on stacked parameters
    neural_network   ShallowMLPRegressor / ShallowMLPClassifier, fit_many, critical batch size
    jacobians        Jacobians of the inner map (and of any layer) of many kinds of model
    exterior         exact and sampled minor matrices (exterior powers)
    observables      the KA observables: pure functions on arrays
    analysis         analyze, KAGeometryAnalyzer, SampledKAGeometryAnalyzer, ka_scorer
    sweeps           grids of models on joblib or Dask, stored and resumable
    experiments      the study's experiments, as tidy tables
    plotting, report, cli   Displays, the reproduction report, the command line

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
    "KAGeometryResult": "analysis",
    "analyze": "analysis",
    "SampledKAGeometryAnalyzer": "analysis",
    "ka_scorer": "analysis",
    "CriticalBatchSize": "neural_network",
    "ShallowMLPClassifier": "neural_network",
    "ShallowMLPRegressor": "neural_network",
    "estimate_critical_batch_size": "neural_network",
    "fit_many": "neural_network",
    "observable_key": "observables",
    "parse_observable_key": "observables",
    "load_sweep": "sweeps",
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
    "CriticalBatchSize",
    "KAGeometryAnalyzer",
    "KAGeometryResult",
    "SampledKAGeometryAnalyzer",
    "ShallowMLPClassifier",
    "ShallowMLPRegressor",
    "TargetFunction",
    "analyze",
    "estimate_critical_batch_size",
    "fit_many",
    "ka_scorer",
    "list_targets",
    "load_sweep",
    "make_ka_regression",
    "make_target",
    "observable_key",
    "parse_observable_key",
    "register_target",
    "summarize",
    "sweep",
]

if TYPE_CHECKING:  # static analysers and IDEs see the eager imports
    from .analysis import KAGeometryAnalyzer, KAGeometryResult, SampledKAGeometryAnalyzer, analyze, ka_scorer
    from .neural_network import (
        CriticalBatchSize,
        ShallowMLPClassifier,
        ShallowMLPRegressor,
        estimate_critical_batch_size,
        fit_many,
    )
    from .observables import observable_key, parse_observable_key
    from .sweeps import load_sweep, summarize, sweep
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
