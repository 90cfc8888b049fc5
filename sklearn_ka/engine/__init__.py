"""Training engine: many one-hidden-layer MLPs trained at once on stacked parameters.

The model, its activation and the training protocol are described in the user guide,
:ref:`training`.
"""

from ._activations import ACTIVATIONS, Activation, get_activation
from ._training import TrainingResult, pack_parameters, torch_threads, train_stacked, unpack_parameters

__all__ = [
    "ACTIVATIONS",
    "Activation",
    "TrainingResult",
    "get_activation",
    "pack_parameters",
    "torch_threads",
    "train_stacked",
    "unpack_parameters",
]
