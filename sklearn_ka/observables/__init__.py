"""KA-geometry observables of minor matrices: pure functions on arrays.

numpy in, numpy out; torch in, torch out (on the tensor's device). Float64 throughout.
The observables are those of Freedman and Mulligan, "Spontaneous Kolmogorov-Arnold Geometry
in Shallow MLPs" (arXiv:2509.12326, 2025); their definitions are in the user guide,
:ref:`observables`.

Every observable the analyzers report has a key such as ``"zero_rows_k3_q0.01"`` or
``"pr_normalized_k2"``: :func:`observable_key` builds one from its parts and
:func:`parse_observable_key` reads one back into an :class:`ObservableKey`, so no caller needs to
assemble or split these strings by hand.
"""

from .._utils import ObservableKey, observable_key, parse_observable_key
from ._columns import column_entropy, column_kl, column_log_probabilities, column_statistics
from ._haar import haar_max_minor_constant, haar_rotations
from ._participation import participation_ratio, participation_ratio_max
from ._rank import below_rank_tolerance, numerical_rank_deficient, rank_tolerance
from ._rotation import RotationReference, rotation_ratio
from ._streaming_quantile import streaming_quantiles
from ._tails import mean_excess, mean_excess_fit, quantile_ratio
from ._zero_rows import (
    consistent_zero_rows,
    consistent_zero_rows_from_counts,
    dependent_zero_rows,
    induced_false_positive_rate,
    row_means,
    zero_row_counts,
    zero_row_mask,
    zero_row_threshold,
)

__all__ = [
    "ObservableKey",
    "RotationReference",
    "below_rank_tolerance",
    "column_entropy",
    "column_kl",
    "column_log_probabilities",
    "column_statistics",
    "consistent_zero_rows",
    "consistent_zero_rows_from_counts",
    "dependent_zero_rows",
    "haar_max_minor_constant",
    "haar_rotations",
    "induced_false_positive_rate",
    "mean_excess",
    "mean_excess_fit",
    "numerical_rank_deficient",
    "observable_key",
    "parse_observable_key",
    "participation_ratio",
    "participation_ratio_max",
    "quantile_ratio",
    "rank_tolerance",
    "rotation_ratio",
    "streaming_quantiles",
    "row_means",
    "zero_row_counts",
    "zero_row_mask",
    "zero_row_threshold",
]
