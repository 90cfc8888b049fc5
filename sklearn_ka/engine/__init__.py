"""Training engine: many one-hidden-layer MLPs of any widths trained at once in ragged stacks.

The model, its activation and the training protocol are described in the user guide,
:ref:`training`.
"""

from .._utils import torch_threads
from ._activations import ACTIVATIONS, Activation, get_activation
from ._adam import check_adam_step
from ._blend import blend_activation
from ._callbacks import EpochInfo, requested_stops
from ._loss_terms import LossTerm
from ._memory import check_training_memory, training_nbytes
from ._padded import train_stacked
from ._parameters import pack_parameters, unpack_parameters
from ._run import CPU_MAX_UNITS, largest_stack, train_models
from ._schedules import ActivationSchedule, Schedule
from ._stopping import TrainingResult

__all__ = [
    "ACTIVATIONS",
    "CPU_MAX_UNITS",
    "Activation",
    "ActivationSchedule",
    "EpochInfo",
    "LossTerm",
    "Schedule",
    "TrainingResult",
    "blend_activation",
    "check_adam_step",
    "check_training_memory",
    "get_activation",
    "largest_stack",
    "pack_parameters",
    "requested_stops",
    "torch_threads",
    "train_models",
    "train_stacked",
    "training_nbytes",
    "unpack_parameters",
]
