"""Training engine: many one-hidden-layer MLPs trained at once on stacked parameters."""

from ._activations import ACTIVATIONS, Activation, get_activation

__all__ = ["ACTIVATIONS", "Activation", "get_activation"]
