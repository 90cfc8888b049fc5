"""Target functions of the KA-geometry study and the data-set generator ``make_ka_regression``.

The six families (``xor``, ``linear``, ``random``, ``lambda_xor``, ``so_xor``, ``gaussian``) are
those of Freedman and Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in Shallow MLPs"
(arXiv:2509.12326, 2025); they are defined in the user guide, :ref:`targets`.

A :class:`TargetFunction` is a fixed function (fixed by its name, ``n_features``,
``function_seed`` and parameters), separate from the sample it is evaluated on;
:func:`make_ka_regression` draws ``x ~ U[-1, 1]^n`` from ``random_state`` and evaluates it.
"""

from ._base import CallableTarget, TargetFunction, check_sample_random_state
from ._functions import (
    GaussianTarget,
    LambdaXorTarget,
    LinearTarget,
    RandomTarget,
    SOXorTarget,
    XorTarget,
    haar_special_orthogonal,
)
from ._make import make_ka_regression
from ._registry import canonical_target_name, list_targets, make_target, register_target

__all__ = [
    "TargetFunction",
    "CallableTarget",
    "XorTarget",
    "LinearTarget",
    "RandomTarget",
    "LambdaXorTarget",
    "SOXorTarget",
    "GaussianTarget",
    "make_target",
    "make_ka_regression",
    "register_target",
    "list_targets",
    "canonical_target_name",
    "check_sample_random_state",
    "haar_special_orthogonal",
]
