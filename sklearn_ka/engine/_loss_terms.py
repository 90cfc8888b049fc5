"""Extra terms of the training loss: ``loss = data loss + beta * term(theta)``, scheduled per model.

A :class:`LossTerm` is a differentiable function of each model's first layer ``(A, a)`` on its
current mini-batch; the engine differentiates it with autograd and adds ``beta * factor`` times
its gradient to the hand-written gradient of the data loss, where ``factor`` is the term's
:class:`~sklearn_ka.engine.Schedule` factor of the epoch. A term is normalised by a state computed
once per model, on its training data at its initialisation (:meth:`LossTerm.initial_state`).

The KA-geometry terms of :class:`sklearn_ka.interventions.KAPenalty` are the loss terms this
package ships; see the user guide, :ref:`interventions`.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass

import torch

from ._schedules import Schedule

__all__ = ["LossTerm"]

#: ``deriv(z)``: the hidden activation's derivative at pre-activations ``z (G, N, m)``, differentiable.
Derivative = Callable[[torch.Tensor], torch.Tensor]


@dataclass(frozen=True, kw_only=True)
class LossTerm(Schedule, ABC):
    """A scheduled, differentiable term added to the training loss: ``+ beta * factor * value``.

    Subclasses define :meth:`initial_state` and :meth:`value`; the timing fields are those of
    :class:`Schedule`. Models whose terms share a :meth:`group_key` (all fields but ``beta`` and
    the timing) train in one stack, each with its own ``beta`` and trigger.

    Parameters
    ----------
    beta : float, default=0.0
        The weight of the term; 0 leaves training exactly as without the term.
    start_epoch, start_r2, ramp_epochs
        The timing, as in :class:`Schedule`.
    """

    beta: float = 0.0

    def __post_init__(self) -> None:
        super().__post_init__()
        b = self.beta
        if isinstance(b, bool) or not isinstance(b, (int, float)) or not torch.isfinite(torch.tensor(float(b))):
            raise ValueError(f"{type(self).__name__}: beta must be a finite float, got {b!r}.")

    def group_key(self) -> tuple:
        """The fields that must agree between the models of one stack (all but ``beta`` and the timing)."""
        timing = {f.name for f in dataclasses.fields(Schedule)} | {"beta"}
        return (type(self).__qualname__,) + tuple(
            (f.name, getattr(self, f.name)) for f in dataclasses.fields(self) if f.name not in timing)

    def check(self, width: int, n_features: int) -> None:  # noqa: B027 - optional hook, no-op by default
        """Raise ``ValueError`` when the term is undefined for a model of this shape."""

    @abstractmethod
    def initial_state(self, A: torch.Tensor, a: torch.Tensor, X: torch.Tensor, deriv: Derivative) -> dict:
        """The normalising state of ``G`` models at their initialisation (computed without gradients).

        Parameters
        ----------
        A : torch.Tensor of shape (G, n, m)
        a : torch.Tensor of shape (G, m)
        X : torch.Tensor of shape (G, N, n)
            Each model's whole training set.
        deriv : callable
            The hidden activation's derivative.

        Returns
        -------
        dict of str to torch.Tensor
            Each value with a leading dimension ``G``.
        """

    @abstractmethod
    def value(self, A: torch.Tensor, a: torch.Tensor, X: torch.Tensor, mask: torch.Tensor, deriv: Derivative,
              state: dict) -> torch.Tensor:
        """The term of ``G`` models on their mini-batches, differentiable in ``A`` and ``a``.

        Parameters
        ----------
        A : torch.Tensor of shape (G, n, m)
        a : torch.Tensor of shape (G, m)
        X : torch.Tensor of shape (G, B, n)
            Each model's mini-batch.
        mask : torch.Tensor of bool, shape (G, B)
            The real samples of each batch (False: padding or zero weight).
        deriv : callable
            The hidden activation's derivative (blended when an activation schedule is on).
        state : dict
            The models' :meth:`initial_state`, stacked.

        Returns
        -------
        torch.Tensor of shape (G,)
        """
