"""Training engine: many one-hidden-layer MLPs trained at once on stacked parameters.

The model, its activation and the training protocol are described in the user guide,
:ref:`training`.
"""

from .._utils import torch_threads
from ._activations import ACTIVATIONS, Activation, get_activation
from ._adam import check_adam_step
from ._memory import check_training_memory, training_nbytes
from ._parameters import pack_parameters, unpack_parameters
from ._stopping import TrainingResult
from ._training import train_stacked

__all__ = [
    "ACTIVATIONS",
    "Activation",
    "TrainingResult",
    "check_adam_step",
    "check_training_memory",
    "get_activation",
    "pack_parameters",
    "torch_threads",
    "train_stacked",
    "training_nbytes",
    "unpack_parameters",
]
