"""Training engine: many one-hidden-layer MLPs trained at once on stacked parameters.

The model, its activation and the training protocol are described in the user guide,
:ref:`training`.
"""

from .._utils import torch_threads
from ._activations import ACTIVATIONS, Activation, get_activation
from ._parameters import pack_parameters, unpack_parameters
from ._stopping import TrainingResult
from ._training import train_stacked

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
