"""Training-time schedules: when an intervention switches on for each model, and how fast it ramps.

A :class:`Schedule` starts after a fixed number of epochs, or at the end of the first epoch whose
training score (R^2, or the accuracy) reaches a level; from then on its factor rises linearly from
``1 / ramp_epochs`` to 1 over ``ramp_epochs`` epochs (at once when ``ramp_epochs`` is 0). Each
model of a stack keeps its own trigger epoch, so models that learn at different speeds switch at
different epochs. :class:`ActivationSchedule` blends the hidden activation toward another one by that
factor; loss terms (:class:`~sklearn_ka.engine.LossTerm`) scale their weight by it.

See the user guide, :ref:`interventions`.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ._activations import ACTIVATIONS

__all__ = ["Schedule", "ActivationSchedule", "ScheduleState"]


def _check_int(name, value, owner, low=0):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) or value < low:
        raise ValueError(f"{owner}: {name} must be an int >= {low}, got {value!r}.")
    return int(value)


@dataclass(frozen=True, kw_only=True)
class Schedule:
    """When an intervention switches on during training, and how fast it ramps up.

    Parameters
    ----------
    start_epoch : int, default=0
        The intervention is on from epoch ``start_epoch + 1`` (0: from the first epoch). Ignored
        when ``start_r2`` is set.
    start_r2 : float or None, default=None
        Switch on after the first epoch whose training score (R^2 for regression, accuracy for
        classification) is at least this level; a model that never reaches it never switches.
    ramp_epochs : int, default=0
        The factor rises linearly over this many epochs after the switch (``1 / ramp_epochs``,
        ``2 / ramp_epochs``, ..., 1); 0 switches fully at once.

    Notes
    -----
    The factor of epoch ``e`` (1-based) of a model whose trigger epoch is ``T`` (``start_epoch``,
    or the epoch whose training score first reached ``start_r2``) is 0 for ``e <= T``, then
    ``min(1, (e - T) / ramp_epochs)`` (1 when ``ramp_epochs`` is 0).
    """

    start_epoch: int = 0
    start_r2: float | None = None
    ramp_epochs: int = 0

    def __post_init__(self) -> None:
        owner = type(self).__name__
        _check_int("start_epoch", self.start_epoch, owner)
        _check_int("ramp_epochs", self.ramp_epochs, owner)
        if self.start_r2 is not None:
            ok = isinstance(self.start_r2, numbers.Real) and not isinstance(self.start_r2, (bool, np.bool_))
            if not ok or not math.isfinite(self.start_r2) or self.start_r2 > 1:
                raise ValueError(f"{owner}: start_r2 must be None or a finite float <= 1 (a training R^2 or "
                                 f"accuracy level), got {self.start_r2!r}.")
            if self.start_epoch:
                raise ValueError(f"{owner}: give start_epoch or start_r2, not both (got start_epoch="
                                 f"{self.start_epoch}, start_r2={self.start_r2}).")

    def describe(self) -> str:
        """A short human-readable description of the timing."""
        when = (f"when training R^2 >= {self.start_r2:g}" if self.start_r2 is not None
                else "from the start" if self.start_epoch == 0 else f"after epoch {self.start_epoch}")
        return when + (f", ramped over {self.ramp_epochs} epochs" if self.ramp_epochs else "")


@dataclass(frozen=True, kw_only=True)
class ActivationSchedule(Schedule):
    """Switch the hidden activation during training, or blend it toward another one.

    With factor ``t`` (see :class:`Schedule`) the hidden activation is
    ``(1 - t) * sigma(z) + t * tau(z)``, ``sigma`` the estimator's ``activation`` and ``tau``
    this ``activation`` (by default the oscillatory ``z + 0.1 sin(10 z)`` the KA-geometry study
    names as a tool to induce KA geometry [1]_); its derivative is blended the same way, exactly.
    The fitted model predicts with the blend of the epoch its kept weights come from. See the user
    guide, :ref:`interventions`.

    Parameters
    ----------
    activation : str, default="oscillatory"
        The activation switched to: a key of :data:`sklearn_ka.engine.ACTIVATIONS`.
    restart_stopping : bool, default=True
        Restart early stopping at every epoch whose blend differs from the previous epoch's: the
        best monitored loss is forgotten and the patience counter starts again, so the weights
        kept come from the switched model. The switch changes the function the weights compute
        and its loss jumps; without a restart, a model that does not beat its pre-switch loss
        within ``patience`` epochs stops and keeps its pre-switch weights and activation,
        silently undoing the switch. False keeps one early-stopping record across the switch.
    start_epoch, start_r2, ramp_epochs
        The timing, as in :class:`Schedule`.

    References
    ----------
    .. [1] M. Freedman and M. Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in
       Shallow MLPs", arXiv:2509.12326, 2025. https://arxiv.org/abs/2509.12326

    Examples
    --------
    >>> from sklearn_ka.engine import ActivationSchedule
    >>> ActivationSchedule(start_r2=0.5).describe()
    'oscillatory when training R^2 >= 0.5'
    """

    activation: str = "oscillatory"
    restart_stopping: bool = True

    def __post_init__(self) -> None:
        super().__post_init__()
        if not isinstance(self.restart_stopping, (bool, np.bool_)):
            raise ValueError(f"ActivationSchedule: restart_stopping must be True or False, got "
                             f"{self.restart_stopping!r}.")
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"ActivationSchedule: unknown activation {self.activation!r}; accepted: "
                             f"{sorted(ACTIVATIONS)}.")

    def describe(self) -> str:
        return f"{self.activation} {super().describe()}"


class ScheduleState:
    """The trigger epoch and the factor of every model of a run for one kind of schedule.

    Parameters
    ----------
    schedules : sequence of Schedule or None
        One per model of the run (None: never on).
    """

    def __init__(self, schedules: Sequence[Schedule | None]) -> None:
        K = len(schedules)
        self.on = np.array([s is not None for s in schedules], dtype=bool)
        self.level = np.array([np.nan if s is None or s.start_r2 is None else s.start_r2 for s in schedules])
        self.ramp = np.array([0 if s is None else s.ramp_epochs for s in schedules], dtype=np.int64)
        fixed = np.array([-1 if s is None or s.start_r2 is not None else s.start_epoch for s in schedules])
        #: epoch after which the schedule is on; -1 while it is not triggered
        self.trigger = fixed.astype(np.int64).reshape(K)
        self.factors: list[list[float]] = [[] for _ in range(K)]

    @property
    def any(self) -> bool:
        return bool(self.on.any())

    def factor(self, models: np.ndarray, epochs: np.ndarray) -> np.ndarray:
        """The factor of the epochs ``epochs`` (1-based, about to run) of ``models``."""
        trig, ramp = self.trigger[models], self.ramp[models]
        live = (trig >= 0) & (epochs > trig)
        steps = np.where(ramp > 0, (epochs - trig) / np.maximum(ramp, 1), 1.0)
        return np.where(live, np.minimum(steps, 1.0), 0.0)

    def record(self, models: np.ndarray, factors: np.ndarray) -> np.ndarray:
        """Remember the factor each model trains its epoch with; return where it differs from the last epoch's."""
        changed = np.zeros(len(models), dtype=bool)
        for i, (k, f) in enumerate(zip(models, factors)):
            history = self.factors[k]
            changed[i] = bool(history) and history[-1] != f or not history and f != 0
            history.append(float(f))
        return changed

    def update(self, models: np.ndarray, epochs: np.ndarray, train_score: np.ndarray) -> None:
        """Trigger the level schedules whose training score reached their level at the end of ``epochs``."""
        waiting = self.on[models] & (self.trigger[models] < 0) & ~np.isnan(self.level[models])
        with np.errstate(invalid="ignore"):
            hit = waiting & (train_score >= self.level[models])
        self.trigger[models[hit]] = epochs[hit]

    def start_epoch(self, model: int) -> int | None:
        """The epoch after which the schedule of ``model`` switched on (None: never, or no schedule)."""
        t = int(self.trigger[model])
        return None if t < 0 or not self.on[model] else t
