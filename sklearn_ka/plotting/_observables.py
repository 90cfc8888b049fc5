"""Observables against a parameter (width, training R^2, lambda, batch size), with error bars.

The experiments behind these figures are described in the user guide (:ref:`experiments`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .._utils import InstanceOf, Options, check_param
from ._base import get_axes, label_log_axis

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["AXIS_LABELS", "ObservableDisplay"]

_ERRORS = ("sem", "std", None)

#: Axis labels (with units, or the kind of quantity when it has none) of the usual columns;
#: :meth:`ObservableDisplay.from_frame` uses them when no label is given.
AXIS_LABELS = {
    "hidden_units": "hidden width m (units)",
    "batch_size": "batch size B (examples)",
    "n_samples": "training examples",
    "train_r2": "training R²",
    "test_r2": "test R²",
    "lam": "λ (target parameter)",
    "alpha": "α (seed of the rotation)",
    "seed": "seed",
}


class ObservableDisplay:
    """An observable (mean over seeds, with error bars) against a parameter, one line per group.

    With ``xscale="log"`` the x axis is drawn in base 2 with one labelled tick at each distinct
    ``x`` value (plain numbers such as ``4, 8, 16, 32``, no minor ticks) when there are at most
    12 of them, else at the powers of 2.

    Parameters
    ----------
    data : pandas.DataFrame
        Aggregated points: columns ``hue``, ``x``, ``y``, ``error``, ``count`` (as made by
        :meth:`from_frame`).
    x_name, y_name : str
        Axis labels.
    reference : float or None
        A horizontal reference line (e.g. 1 for normalised observables).
    xscale, yscale : {"linear", "log"}, default="linear"
        Axis scales.

    Attributes
    ----------
    lines_ : dict
        Group label -> ErrorbarContainer (``lines_[g].lines[0]`` is the Line2D of the means).
    reference_line_ : Line2D or None
    ax_, figure_

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from sklearn_ka.plotting import ObservableDisplay
    >>> df = pd.DataFrame({"function": ["xor"] * 4, "hidden_units": [4, 4, 8, 8],
    ...                    "train_r2": [0.3, 0.5, 0.7, 0.7]})
    >>> disp = ObservableDisplay.from_frame(df, "hidden_units", "train_r2")
    >>> disp.lines_["xor"].lines[0].get_ydata().tolist()
    [0.4, 0.7]
    """

    def __init__(self, data: pd.DataFrame, x_name: str, y_name: str, *, reference: float | None = None,
                 xscale: str = "linear", yscale: str = "linear") -> None:
        self.data = data
        self.x_name, self.y_name = x_name, y_name
        self.reference = reference
        self.xscale, self.yscale = xscale, yscale

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, x: str, y: str, *, hue: str | None = "function",
                   error: str | None = "sem", aggregate: bool = True, scale: float = 1.0,
                   reference: float | None = None, xscale: str = "linear", yscale: str = "linear",
                   xlabel: str | None = None, ylabel: str | None = None, ax: Axes | None = None,
                   **plot_kw: Any) -> ObservableDisplay:
        """Aggregate ``frame[y]`` over the rows of each (``hue``, ``x``) and plot it.

        Parameters
        ----------
        frame : pandas.DataFrame
            E.g. a sweep or experiment result (one row per model, or per snapshot).
        x, y : str
            Column names.
        hue : str or None, default="function"
            One line per value (``None``: a single line).
        error : {"sem", "std", None}, default="sem"
            Error bars: standard error or standard deviation over the rows of a point (ddof=1).
        aggregate : bool, default=True
            ``False``: draw every row (sorted by ``x``), no error bars (e.g. evolution, one line per seed
            with ``hue="seed"``).
        scale : float, default=1.0
            Multiplies ``y`` (e.g. 100 for percentages).
        reference : float or None
            A horizontal reference line (e.g. 1 for observables normalised by their initial value).
        xscale, yscale : {"linear", "log"}
        xlabel : str or None
            Default: :data:`AXIS_LABELS` for known columns (e.g. ``"hidden width m (units)"``),
            else the column name.
        ylabel : str or None
            Default: as ``xlabel``, for ``y``.
        ax : Axes or None
        **plot_kw
            Passed to :meth:`plot`.

        Returns
        -------
        ObservableDisplay
        """
        owner = f"{cls.__name__}.from_frame"
        check_param("frame", frame, [InstanceOf(pd.DataFrame, "a pandas DataFrame")], owner=owner)
        missing = [c for c in (x, y) + ((hue,) if hue else ()) if c not in frame.columns]
        if missing:
            raise ValueError(f"frame has no column(s) {missing}; columns are {list(frame.columns)}.")
        check_param("error", error, [Options(*_ERRORS)], owner=owner)
        df = pd.DataFrame({"hue": frame[hue].astype(str) if hue else "", "x": frame[x].astype(float),
                           "y": frame[y].astype(float) * scale})
        if aggregate:
            g = df.groupby(["hue", "x"], sort=True)["y"]
            data = g.mean().rename("y").to_frame()
            std = g.std(ddof=1)
            data["count"] = g.count()
            data["error"] = (std / np.sqrt(data["count"]) if error == "sem" else std) if error else np.nan
            data = data.reset_index()
        else:
            data = df.sort_values(["hue", "x"], kind="stable").assign(error=np.nan, count=1).reset_index(drop=True)
        order = list(dict.fromkeys(df["hue"]))
        data["hue"] = pd.Categorical(data["hue"], categories=order, ordered=True)
        data = data.sort_values(["hue", "x"], kind="stable").reset_index(drop=True)
        data["hue"] = data["hue"].astype(str)
        disp = cls(data, xlabel or AXIS_LABELS.get(x, x), ylabel or AXIS_LABELS.get(y, y), reference=reference,
                   xscale=xscale, yscale=yscale)
        return disp.plot(ax=ax, **plot_kw)

    def plot(self, ax: Axes | None = None, *, marker: str = "o", capsize: float = 3,
             legend: bool = True) -> ObservableDisplay:
        """Draw on ``ax`` (a new figure when None).

        Returns
        -------
        self
            With ``lines_``, ``reference_line_``, ``ax_`` and ``figure_``.
        """
        fig, (ax,) = get_axes(ax, 1, type(self).__name__)
        self.lines_ = {}
        for label, d in self.data.groupby("hue", sort=False):
            err = d["error"].to_numpy(dtype=float)
            self.lines_[label] = ax.errorbar(d["x"].to_numpy(dtype=float), d["y"].to_numpy(dtype=float),
                                             yerr=None if np.all(np.isnan(err)) else err,
                                             marker=marker, capsize=capsize, label=label or None)
        self.reference_line_ = None
        if self.reference is not None:
            self.reference_line_ = ax.axhline(self.reference, color="0.5", linestyle="--", linewidth=1)
        if self.xscale == "log":
            label_log_axis(ax, self.data["x"].to_numpy(dtype=float), axis="x")
        else:
            ax.set_xscale(self.xscale)
        ax.set_yscale(self.yscale)
        ax.set_xlabel(self.x_name)
        ax.set_ylabel(self.y_name)
        if legend and any(self.lines_):
            ax.legend(fontsize=7)
        self.ax_, self.figure_ = ax, fig
        return self
