"""Estimators: the shallow MLP of the KA-geometry study, trained on the stacked engine.

The model and its training protocol are described in the user guide, :ref:`training`.
"""

from ._critical_batch import CriticalBatchSize, estimate_critical_batch_size
from ._fit_many import fit_many
from ._shallow_mlp import ShallowMLPClassifier, ShallowMLPRegressor

__all__ = [
    "CriticalBatchSize",
    "ShallowMLPClassifier",
    "ShallowMLPRegressor",
    "estimate_critical_batch_size",
    "fit_many",
]
