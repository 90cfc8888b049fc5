"""Exact exterior powers (minor matrices) of batches of Jacobians, with a memory budget.

Pure numerical kernels (numpy/torch, float64). The size-k minor matrices are defined in the
user guide, :ref:`jacobian-minors`, after Freedman and Mulligan, "Spontaneous Kolmogorov-Arnold
Geometry in Shallow MLPs" (arXiv:2509.12326, 2025).

The checked functions (:func:`minor_matrices`, :func:`signed_minor_matrices`,
:func:`factored_minor_matrices`, the sampled forms) validate their inputs and plan their memory;
the low-level kernels they share (:func:`compound_chain`, :func:`compound_chain_qp`,
:func:`row_products`, :func:`scale_minors`) take float64 tensors and check nothing, for callers
that validate once and then work block by block (the observables and the analyzers).
"""

from ._budget import (
    DEFAULT_MAX_BYTES,
    MinorBudgetError,
    minor_nbytes,
    minor_working_nbytes,
    plan_example_chunks,
)
from ._compound import compound_chain, compound_chain_qp, row_products, scale_minors
from ._indices import combination_indices, face_indices
from ._minors import factored_minor_matrices, minor_matrices, signed_minor_matrices
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
    "compound_chain",
    "compound_chain_qp",
    "face_indices",
    "factored_minor_matrices",
    "minor_matrices",
    "minor_nbytes",
    "minor_working_nbytes",
    "plan_example_chunks",
    "row_products",
    "sample_combinations",
    "sampled_factored_minor_matrices",
    "sampled_minor_matrices",
    "scale_minors",
    "signed_minor_matrices",
    "unrank_combinations",
]
