"""sklearn-ka: train shallow MLPs reproducibly and measure the Kolmogorov-Arnold geometry of their inner map.

Data flows one way through the sub-packages: ``targets`` -> ``engine`` -> ``neural_network``
-> ``jacobians`` -> ``exterior`` -> ``observables`` -> ``analysis`` -> ``sweeps``.
"""

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

__version__ = "0.1.0.dev0"

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
