"""Interventions that induce (or suppress) KA geometry during training.

Two tools the KA-geometry study names for a sequel, both measured here: a differentiable KA term in
the loss (:class:`KAPenalty`) and a switch of the hidden activation to an oscillatory one at a
chosen time (:class:`ActivationSchedule`, from :mod:`sklearn_ka.engine`). Both are parameters of
:class:`~sklearn_ka.neural_network.ShallowMLPRegressor` (``ka_penalty=``, ``activation_schedule=``)
and of :func:`~sklearn_ka.engine.train_models`. See the user guide, :ref:`interventions`.
"""

from ..engine import ActivationSchedule, Schedule  # noqa: F401 - the activation tool, at hand beside the loss term
from ._ka_penalty import KA_TERMS, KAPenalty
from ._kernels import (
    column_entropy_mean,
    participation_ratio_mean,
    row_means,
    row_scales,
    weight_minors,
    zero_row_fraction,
)

__all__ = [
    "KA_TERMS",
    "KAPenalty",
    "column_entropy_mean",
    "participation_ratio_mean",
    "row_means",
    "row_scales",
    "weight_minors",
    "zero_row_fraction",
]
