"""Exact exterior powers (minor matrices) of batches of Jacobians, with a memory budget.

Pure numerical kernels (numpy/torch, float64). The size-k minor matrices are defined in the
user guide, :ref:`jacobian-minors`, after Freedman and Mulligan, "Spontaneous Kolmogorov-Arnold
Geometry in Shallow MLPs" (arXiv:2509.12326, 2025).
"""

from ._budget import (
    DEFAULT_MAX_BYTES,
    MinorBudgetError,
    minor_nbytes,
    minor_working_nbytes,
    plan_example_chunks,
)
from ._minors import (
    combination_indices,
    face_indices,
    factored_minor_matrices,
    minor_matrices,
    signed_minor_matrices,
)
from ._sampled import (
    MinorSample,
    sample_combinations,
    sampled_factored_minor_matrices,
    sampled_minor_matrices,
    unrank_combinations,
)

__all__ = [
    "DEFAULT_MAX_BYTES",
    "MinorBudgetError",
    "MinorSample",
    "combination_indices",
    "face_indices",
    "factored_minor_matrices",
    "minor_matrices",
    "minor_nbytes",
    "minor_working_nbytes",
    "plan_example_chunks",
    "sample_combinations",
    "sampled_factored_minor_matrices",
    "sampled_minor_matrices",
    "signed_minor_matrices",
    "unrank_combinations",
]
