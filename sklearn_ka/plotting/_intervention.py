"""The intervention experiment: time to training R² levels per arm, and observables against the final R².

The experiment and its statistics are described in the user guide (:ref:`interventions`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .._utils import InstanceOf, Options, Reals, check_param
from ._base import get_axes
from ._observables import AXIS_LABELS

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["ARM_COLORS", "InterventionDisplay"]

#: The colour of each arm of :data:`~sklearn_ka.experiments.INTERVENTION_ARMS` (other arms take the
#: following colours of matplotlib's ``tab10`` cycle).
ARM_COLORS = {"control": "black", "osc_start": "tab:blue", "osc_r2_0.3": "tab:cyan", "osc_r2_0.5": "tab:green",
              "ka_plus": "tab:red", "ka_minus": "tab:orange"}
_OTHER_COLORS = ("tab:purple", "tab:brown", "tab:pink", "tab:olive", "tab:gray")
_KINDS = ("time_to_level", "observable")
_CLOCK_LABELS = {"epochs": "epochs", "time": "wall time (s)"}


def _colors(arms: Sequence[str]) -> dict[str, str]:
    others = iter(_OTHER_COLORS * (1 + len(arms) // len(_OTHER_COLORS)))
    return {a: ARM_COLORS.get(a) or next(others) for a in arms}


def _selection(frame: pd.DataFrame, column: str, values: Any, owner: str) -> list:
    """The values of ``column`` to draw, in the frame's order (``None``: all); unknown ones are refused."""
    present = list(pd.unique(frame[column]))
    if values is None:
        return present
    values = [values] if isinstance(values, str) else list(values)
    unknown = [v for v in values if v not in present]
    if unknown or not values:
        raise ValueError(f"{owner}: {column} value(s) {unknown or values} are not in the frame; present: {present}.")
    return values


def _observable_label(name: str) -> str:
    return AXIS_LABELS.get(name, name + (" (trained / initial)" if "_normalized" in name else ""))


class InterventionDisplay:
    """Arms of the intervention experiment side by side, one panel per condition.

    Two kinds of figure. ``"time_to_level"``: the fraction of runs whose training R² has reached a
    level against epochs or wall time, one Kaplan-Meier step curve per arm with its pointwise
    confidence band (runs that never reach the level are censored at their end, so the curve
    stops rising there; it ends at the last run's end). ``"observable"``: a KA observable at the
    end of training against the final R², one point per model and the arm's mean with standard
    deviations in both directions.

    Parameters
    ----------
    data : pandas.DataFrame
        ``"time_to_level"``: the rows of :func:`~sklearn_ka.experiments.time_to_level_curves` for
        one level and clock (``condition``, ``arm``, ``time``, ``fraction_reached``, ``low``,
        ``high``). ``"observable"``: one row per model (``condition``, ``arm``, ``seed``, ``x``,
        ``y``).
    kind : {"time_to_level", "observable"}
    x_name, y_name : str
        Axis labels.
    conditions, arms : sequence of str
        The panels, and the arms drawn in each (in this order).
    reference : float or None, default=None
        A horizontal reference line (``"observable"``; 1 for normalised observables).
    xscale : {"linear", "log"}, default="linear"

    Attributes
    ----------
    lines_ : dict
        ``(condition, arm)`` -> the Line2D of the curve (``"time_to_level"``) or of the mean's
        error bars (``"observable"``, an ErrorbarContainer).
    bands_ : dict
        ``(condition, arm)`` -> the band's PolyCollection (``"time_to_level"``).
    points_ : dict
        ``(condition, arm)`` -> the PathCollection of the models (``"observable"``).
    reference_lines_ : list of Line2D
    axes_ : ndarray of Axes
        One per condition.
    figure_

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from sklearn_ka.plotting import InterventionDisplay
    >>> models = pd.DataFrame({"condition": "xor_m8", "arm": ["control"] * 2 + ["osc_start"] * 2, "seed": [0, 1] * 2,
    ...                        "reached_r2_0.9": [True, False, True, True],
    ...                        "epochs_to_r2_0.9": [300.0, float("nan"), 40.0, 60.0], "n_epochs": [800, 900, 500, 400]})
    >>> disp = InterventionDisplay.from_frame(models, level=0.9)
    >>> disp.lines_["xor_m8", "osc_start"].get_xdata().tolist(), disp.lines_["xor_m8", "osc_start"].get_ydata().tolist()
    ([0.0, 40.0, 60.0], [0.0, 0.5, 1.0])
    """

    def __init__(self, data: pd.DataFrame, *, kind: str, x_name: str, y_name: str, conditions: Sequence[str],
                 arms: Sequence[str], reference: float | None = None, xscale: str = "linear") -> None:
        self.data = data
        self.kind = kind
        self.x_name, self.y_name = x_name, y_name
        self.conditions, self.arms = list(conditions), list(arms)
        self.reference = reference
        self.xscale = xscale

    @classmethod
    def from_frame(cls, models: pd.DataFrame, *, kind: str = "time_to_level", level: float = 0.9,
                   clock: str = "epochs", observable: str = "pr_normalized_k3", r2: str = "train_r2",
                   conditions: Sequence[str] | None = None, arms: Sequence[str] | None = None,
                   confidence_level: float = 0.95, xscale: str = "linear", ax: Axes | Sequence[Axes] | None = None,
                   **plot_kw: Any) -> InterventionDisplay:
        """Compute the curves (or points) from the ``models`` of :func:`~sklearn_ka.experiments.intervention`
        and plot them.

        Parameters
        ----------
        models : pandas.DataFrame
            One row per model (``condition``, ``arm``, ``seed``, the time-to-level columns, the
            R² and observable columns).
        kind : {"time_to_level", "observable"}, default="time_to_level"
        level : float, default=0.9
            The training R² level (``"time_to_level"``).
        clock : {"epochs", "time"}, default="epochs"
            Epochs or wall seconds (``"time_to_level"``).
        observable : str, default="pr_normalized_k3"
            The observable column (``"observable"``).
        r2 : {"train_r2", "test_r2"}, default="train_r2"
            The final R² on the x axis (``"observable"``).
        conditions, arms : sequence of str or None, default=None
            The panels and arms drawn (``None``: all, in the frame's order).
        confidence_level : float, default=0.95
            Of the Kaplan-Meier band.
        xscale : {"linear", "log"}, default="linear"
        ax : Axes, sequence of Axes or None
            One Axes per condition (``None``: a new figure with a row of panels).
        **plot_kw
            Passed to :meth:`plot`.
        """
        from ..experiments import time_to_level_curves

        owner = f"{cls.__name__}.from_frame"
        check_param("models", models, [InstanceOf(pd.DataFrame, "a pandas DataFrame")], owner=owner)
        kind = check_param("kind", kind, [Options(*_KINDS)], owner=owner)
        xscale = check_param("xscale", xscale, [Options("linear", "log")], owner=owner)
        missing = [c for c in ("condition", "arm") if c not in models.columns]
        if missing:
            raise ValueError(f"{owner}: models has no column(s) {missing}; pass the models frame of intervention().")
        conditions = _selection(models, "condition", conditions, owner)
        arms = _selection(models, "arm", arms, owner)
        sel = models[models["condition"].isin(conditions) & models["arm"].isin(arms)]
        if kind == "time_to_level":
            level = check_param("level", level, [Reals(0, 1, low_open=True)], owner=owner)
            clock = check_param("clock", clock, [Options(*_CLOCK_LABELS)], owner=owner)
            data = time_to_level_curves(sel, levels=[level], clocks=[clock], confidence_level=confidence_level)
            disp = cls(data, kind=kind, x_name=_CLOCK_LABELS[clock], y_name=f"runs with training R² ≥ {level:g}",
                       conditions=conditions, arms=arms, xscale=xscale)
        else:
            check_param("r2", r2, [Options("train_r2", "test_r2")], owner=owner)
            absent = [c for c in (observable, r2, "seed") if c not in sel.columns]
            if absent:
                raise ValueError(f"{owner}: models has no column(s) {absent}.")
            data = pd.DataFrame({"condition": sel["condition"], "arm": sel["arm"], "seed": sel["seed"],
                                 "x": sel[r2].astype(float), "y": sel[observable].astype(float)}).reset_index(drop=True)
            disp = cls(data, kind=kind, x_name=f"final {AXIS_LABELS[r2]}", y_name=_observable_label(observable),
                       conditions=conditions, arms=arms, reference=1.0 if "_normalized" in observable else None,
                       xscale=xscale)
        return disp.plot(ax=ax, **plot_kw)

    def plot(self, ax: Axes | Sequence[Axes] | None = None, *, band: bool = True, band_alpha: float = 0.15,
             legend: bool = True) -> InterventionDisplay:
        """Draw one panel per condition on ``ax`` (a new row of panels when None).

        Returns
        -------
        self
            With ``lines_``, ``bands_``, ``points_``, ``reference_lines_``, ``axes_`` and ``figure_``.
        """
        n = len(self.conditions)
        fig, axes = get_axes(ax, n, type(self).__name__, figsize=(4.2 * n, 3.6))
        colors = _colors(self.arms)
        self.lines_, self.bands_, self.points_, self.reference_lines_ = {}, {}, {}, []
        for a, cond in zip(axes, self.conditions):
            for arm in self.arms:
                d = self.data[(self.data["condition"] == cond) & (self.data["arm"] == arm)]
                if d.empty:
                    continue
                if self.kind == "time_to_level":
                    self._curve(a, cond, arm, d, colors[arm], band, band_alpha)
                else:
                    self._points(a, cond, arm, d, colors[arm])
            if self.reference is not None:
                self.reference_lines_.append(a.axhline(self.reference, color="0.5", linestyle="--", linewidth=1))
            a.set_xscale(self.xscale)
            a.set_title(cond, fontsize=10)
            a.set_xlabel(self.x_name)
            a.set_ylabel(self.y_name)
            if self.kind == "time_to_level":
                a.set_ylim(-0.02, 1.02)
        if legend and len(axes):
            axes[0].legend(fontsize=7, loc="best")
        self.axes_, self.figure_ = axes, fig
        return self

    def _curve(self, a, cond, arm, d, color, band, band_alpha):
        x = d["time"].to_numpy(dtype=float)
        if self.xscale == "log":  # the curve starts at the first positive time on a log axis
            x = np.where(x > 0, x, np.nan)
            x[0] = np.nanmin(x) if np.isfinite(x).any() else 1.0
        (self.lines_[cond, arm],) = a.step(x, d["fraction_reached"].to_numpy(dtype=float), where="post", color=color,
                                          label=arm, linewidth=1.5)
        if band:
            self.bands_[cond, arm] = a.fill_between(x, d["low"].to_numpy(dtype=float), d["high"].to_numpy(dtype=float),
                                                    step="post", color=color, alpha=band_alpha, linewidth=0)

    def _points(self, a, cond, arm, d, color):
        x, y = d["x"].to_numpy(dtype=float), d["y"].to_numpy(dtype=float)
        self.points_[cond, arm] = a.scatter(x, y, s=14, color=color, alpha=0.6, linewidths=0)
        ok = np.isfinite(x) & np.isfinite(y)
        if ok.any():
            sx = float(np.std(x[ok], ddof=1)) if ok.sum() > 1 else 0.0
            sy = float(np.std(y[ok], ddof=1)) if ok.sum() > 1 else 0.0
            self.lines_[cond, arm] = a.errorbar([x[ok].mean()], [y[ok].mean()], xerr=[sx], yerr=[sy], color=color,
                                                marker="D", markersize=6, capsize=3, label=arm)
