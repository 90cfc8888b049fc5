"""The KA phase diagram: heatmaps over two axes, and slices along one axis beside the study's figures.

The diagram and its statistics are described in the user guide (:ref:`phase-diagram`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .._utils import InstanceOf, Options, check_param
from ._base import get_axes
from ._observables import AXIS_LABELS, ObservableDisplay

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["PhaseDiagramDisplay", "PhaseSliceDisplay"]

#: The statistics of an observable a heatmap can show (columns of the ``tests`` frame), with the
#: value at which a diverging colour scale is centred.
STATISTICS = {"mean_difference": 0.0, "mean_normalized": 1.0, "mean_trained": None}
_STAT_LABELS = {"mean_difference": "trained − reference", "mean_normalized": "trained / reference",
                "mean_trained": "trained"}


def _label(name: str) -> str:
    return AXIS_LABELS.get(name, name)


def _fmt(v: Any) -> str:
    return f"{v:g}" if isinstance(v, (float, np.floating, int, np.integer)) and not isinstance(v, bool) else str(v)


def _select(frame: pd.DataFrame, fixed: Mapping[str, Any] | None, owner: str) -> pd.DataFrame:
    """The rows of ``frame`` at the ``fixed`` values (each column must exist, and some row must match)."""
    fixed = check_param("fixed", fixed, [InstanceOf(Mapping, "a dict {column: value}"), None], owner=owner) or {}
    out = frame
    for col, value in fixed.items():
        if col not in frame.columns:
            raise ValueError(f"{owner}: fixed names {col!r}, which is not a column; columns are {list(frame.columns)}.")
        out = out[np.isclose(out[col].astype(float), float(value))] if _numeric(out[col]) and _number(value) \
            else out[out[col] == value]
    if fixed and out.empty:
        raise ValueError(f"{owner}: no row has {dict(fixed)}; the values present are "
                         f"{ {c: sorted(frame[c].unique().tolist()) for c in fixed} }.")
    return out


def _numeric(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def _grid(frame: pd.DataFrame, x: str, y: str, column: str, owner: str) -> tuple[np.ndarray, list, list]:
    """``frame[column]`` as an array ``(len(y values), len(x values))`` (NaN where a cell is missing)."""
    if frame.duplicated([x, y]).any():
        others = [c for c in frame.columns if c not in (x, y) and frame.groupby([x, y])[c].nunique().max() > 1]
        raise ValueError(f"{owner}: several cells share one ({x}, {y}) point; they differ in {others[:4]}. Select one "
                         f"value of the other axes with fixed={{...}}.")
    xs, ys = sorted(frame[x].unique().tolist()), sorted(frame[y].unique().tolist())
    table = frame.pivot(index=y, columns=x, values=column).reindex(index=ys, columns=xs)
    return table.to_numpy(dtype=float), xs, ys


class PhaseDiagramDisplay:
    """A quantity of a phase diagram over two axes: a heatmap, non-significant cells marked, the
    emergence region outlined and R² contours overlaid.

    The cells sit at evenly spaced positions (the axes' values label them), so widths and batch
    sizes spaced by factors of 2 are evenly spaced, like the values of lambda.

    Parameters
    ----------
    values : ndarray of shape (n_y, n_x)
        The quantity per cell (NaN where a cell is missing or undefined).
    x_values, y_values : sequence
        The axes' values (columns and rows of ``values``).
    x_name, y_name : str
        Axis labels.
    label : str
        The colour bar's label.
    significant : ndarray of bool, shape (n_y, n_x), or None
        Cells whose test is significant after false-discovery control; the others are marked.
    emerged : ndarray of bool, shape (n_y, n_x), or None
        Cells called emerged: the region is outlined along the cells' edges.
    r2 : ndarray of shape (n_y, n_x) or None
        Mean R² per cell, drawn as contours at ``r2_levels``.
    r2_levels : sequence of float, default=(0.5, 0.9)
    center : float or None, default=None
        Centre of a diverging colour scale (``None``: a sequential one). Positive ratios centred on
        1 get a logarithmic scale, symmetric in ``log``: a ratio ``r`` and ``1 / r`` get opposite
        colours of the same depth.

    Attributes
    ----------
    image_ : QuadMesh
    nonsignificant_ : PathCollection or None
        A marker at every cell with ``significant`` False (offsets: the cells' ``(x, y)`` positions).
    emergence_contour_ : LineCollection or None
        The edges between emerged and other cells (or the border).
    r2_contours_ : QuadContourSet or None
        ``None`` when ``r2`` is None or the grid is thinner than 2 x 2.
    colorbar_ : Colorbar or None
    ax_, figure_

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from sklearn_ka.plotting import PhaseDiagramDisplay
    >>> cells = pd.DataFrame({"lam": [0.5, 1.0, 0.5, 1.0], "hidden_units": [8, 8, 16, 16],
    ...                       "test_r2_mean": [1.0, 0.7, 1.0, 0.95], "emerged": [False, True, False, True]})
    >>> disp = PhaseDiagramDisplay.from_frame(cells, x="lam", y="hidden_units", quantity="test_r2_mean")
    >>> disp.values.tolist()
    [[1.0, 0.7], [1.0, 0.95]]
    >>> len(disp.emergence_contour_.get_segments())  # the outline of the two emerged cells
    6
    """

    def __init__(self, values: Any, *, x_values: Sequence[Any], y_values: Sequence[Any], x_name: str, y_name: str,
                 label: str, significant: Any = None, emerged: Any = None, r2: Any = None,
                 r2_levels: Sequence[float] = (0.5, 0.9), center: float | None = None) -> None:
        self.values = np.asarray(values, dtype=float)
        shape = (len(y_values), len(x_values))
        if self.values.shape != shape:
            raise ValueError(f"values must have shape (len(y_values), len(x_values)) = {shape}; got "
                             f"{self.values.shape}.")
        for name, arr in (("significant", significant), ("emerged", emerged), ("r2", r2)):
            if arr is not None and np.shape(arr) != shape:
                raise ValueError(f"{name} must have shape {shape}; got {np.shape(arr)}.")
        self.x_values, self.y_values = list(x_values), list(y_values)
        self.x_name, self.y_name, self.label = x_name, y_name, label
        self.significant = None if significant is None else np.asarray(significant, dtype=bool)
        self.emerged = None if emerged is None else np.asarray(emerged, dtype=bool)
        self.r2 = None if r2 is None else np.asarray(r2, dtype=float)
        self.r2_levels = tuple(float(v) for v in r2_levels)
        self.center = center

    @classmethod
    def from_frame(cls, cells: pd.DataFrame, tests: pd.DataFrame | None = None, *, x: str, y: str,
                   quantity: str = "test_r2_mean", statistic: str = "mean_difference",
                   fixed: Mapping[str, Any] | None = None, r2: str | None = "test_r2",
                   r2_levels: Sequence[float] = (0.5, 0.9), xlabel: str | None = None, ylabel: str | None = None,
                   ax: Axes | None = None, **plot_kw: Any) -> PhaseDiagramDisplay:
        """Build from the ``cells`` (and ``tests``) of :func:`~sklearn_ka.experiments.phase_diagram` and plot.

        Parameters
        ----------
        cells : pandas.DataFrame
            One row per cell (columns ``x``, ``y``, ``emerged``, ``<r2>_mean``, ...).
        tests : pandas.DataFrame or None, default=None
            One row per (cell, observable); needed when ``quantity`` is an observable.
        x, y : str
            The two axes (columns of ``cells``).
        quantity : str, default="test_r2_mean"
            A column of ``cells`` (``"train_r2_mean"``, ``"pr_normalized_k3"``,
            ``"emergence_q_value"``, ...), or an observable of ``tests`` (``"pr_k3"``,
            ``"zero_rows_k3_q0.01"``, ...), shown by ``statistic`` with its non-significant
            cells marked.
        statistic : {"mean_difference", "mean_normalized", "mean_trained"}, default="mean_difference"
            For an observable: the mean over seeds of trained - reference, of trained / reference,
            or of the trained value.
        fixed : dict or None, default=None
            Values of the other axes (e.g. ``{"batch_size": 250}``) when the diagram has more than two.
        r2 : {"test_r2", "train_r2"} or None, default="test_r2"
            The R² whose contours are drawn (``None``: none).
        r2_levels : sequence of float, default=(0.5, 0.9)
        xlabel, ylabel : str or None
            Default: the usual labels of known columns (with units), else the column name.
        ax : Axes or None
        **plot_kw
            Passed to :meth:`plot`.
        """
        owner = f"{cls.__name__}.from_frame"
        check_param("cells", cells, [InstanceOf(pd.DataFrame, "a pandas DataFrame")], owner=owner)
        check_param("statistic", statistic, [Options(*STATISTICS)], owner=owner)
        check_param("r2", r2, [Options("test_r2", "train_r2"), None], owner=owner)
        missing = [c for c in (x, y) if c not in cells.columns]
        if missing:
            raise ValueError(f"{owner}: cells has no column(s) {missing}; columns are {list(cells.columns)}.")
        sel = _select(cells, fixed, owner)
        significant, center = None, None
        if quantity in cells.columns:
            values, xs, ys = _grid(sel, x, y, quantity, owner)
            label = _label(quantity)
        else:
            if tests is None or "observable" not in tests or quantity not in set(tests["observable"]):
                known = sorted(set(tests["observable"])) if tests is not None and "observable" in tests else []
                raise ValueError(f"{owner}: quantity {quantity!r} is neither a column of cells nor an observable of "
                                 f"tests; cells columns: {list(cells.columns)}; observables: {known}.")
            t = _select(tests[tests["observable"] == quantity], fixed, owner)
            values, xs, ys = _grid(t, x, y, statistic, owner)
            sig, _, _ = _grid(t.assign(_sig=t["significant"].astype(float)), x, y, "_sig", owner)
            significant = sig == 1.0
            center = STATISTICS[statistic]
            label = f"{quantity}: {_STAT_LABELS[statistic]}"
        emerged = _grid(sel.assign(_em=sel["emerged"].astype(float)), x, y, "_em", owner)[0] == 1.0 \
            if "emerged" in sel else None
        r2_grid = _grid(sel, x, y, f"{r2}_mean", owner)[0] if r2 is not None and f"{r2}_mean" in sel else None
        disp = cls(values, x_values=xs, y_values=ys, x_name=xlabel or _label(x), y_name=ylabel or _label(y),
                   label=label, significant=significant, emerged=emerged, r2=r2_grid, r2_levels=r2_levels,
                   center=center)
        return disp.plot(ax=ax, **plot_kw)

    @classmethod
    def from_result(cls, result: Mapping[str, Any], x: str, y: str, quantity: str = "test_r2_mean",
                    **kw: Any) -> PhaseDiagramDisplay:
        """Build from the result of :func:`~sklearn_ka.experiments.phase_diagram` (its ``cells`` and ``tests``)."""
        return cls.from_frame(result["cells"], result["tests"], x=x, y=y, quantity=quantity, **kw)

    def plot(self, ax: Axes | None = None, *, cmap: str | None = None, colorbar: bool = True,
             annotate: bool | None = None) -> PhaseDiagramDisplay:
        """Draw on ``ax`` (a new figure when None).

        Parameters
        ----------
        ax : Axes or None
        cmap : str or None
            Default: ``"RdBu_r"`` around ``center``, else ``"viridis"``.
        colorbar : bool, default=True
        annotate : bool or None, default=None
            Write each cell's value in it (``None``: when there are at most 80 cells).

        Returns
        -------
        self
        """
        from matplotlib.collections import LineCollection

        fig, (ax,) = get_axes(ax, 1, type(self).__name__, figsize=(6.4, 4.8))
        ny, nx = self.values.shape
        kw: dict[str, Any] = {"cmap": cmap or ("RdBu_r" if self.center is not None else "viridis"),
                              "norm": _norm(self.values, self.center)}
        self.image_ = ax.pcolormesh(np.arange(nx + 1) - 0.5, np.arange(ny + 1) - 0.5,
                                    np.ma.masked_invalid(self.values), shading="flat", **kw)
        if annotate if annotate is not None else nx * ny <= 80:
            rgba = self.image_.to_rgba(np.ma.masked_invalid(self.values))
            for (i, j), v in np.ndenumerate(self.values):
                if np.isfinite(v):  # dark text on light cells, light text on dark ones
                    light = 0.299 * rgba[i, j, 0] + 0.587 * rgba[i, j, 1] + 0.114 * rgba[i, j, 2] > 0.5
                    ax.text(j, i, f"{v:.3g}", ha="center", va="center", fontsize=6, color="0.1" if light else "0.95")
        self.nonsignificant_ = None
        if self.significant is not None:
            ii, jj = np.nonzero(~self.significant & np.isfinite(self.values))
            self.nonsignificant_ = ax.scatter(jj, ii + 0.3, marker="x", s=14, color="0.35", linewidths=0.8,
                                              label="not significant (BH q > α)")
        self.emergence_contour_ = None
        if self.emerged is not None and self.emerged.any():
            self.emergence_contour_ = LineCollection(_region_edges(self.emerged), colors="black", linewidths=2.2,
                                                     label="emerged")
            ax.add_collection(self.emergence_contour_)
        self.r2_contours_ = None
        if self.r2 is not None and nx >= 2 and ny >= 2 and np.isfinite(self.r2).sum() >= 4:
            self.r2_contours_ = ax.contour(np.arange(nx), np.arange(ny), np.ma.masked_invalid(self.r2),
                                           levels=sorted(self.r2_levels), colors="white", linestyles="--",
                                           linewidths=1.2)
            ax.clabel(self.r2_contours_, fmt=lambda v: f"R²={v:g}", fontsize=7)
        ax.set_xticks(range(nx))
        ax.set_xticklabels([_fmt(v) for v in self.x_values], fontsize=8)
        ax.set_yticks(range(ny))
        ax.set_yticklabels([_fmt(v) for v in self.y_values], fontsize=8)
        ax.set_xlim(-0.5, nx - 0.5)
        ax.set_ylim(-0.5, ny - 0.5)
        ax.set_xlabel(self.x_name)
        ax.set_ylabel(self.y_name)
        self.colorbar_ = fig.colorbar(self.image_, ax=ax, label=self.label) if colorbar else None
        if self.colorbar_ is not None and type(self.image_.norm).__name__ == "LogNorm":
            from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

            self.colorbar_.ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
            self.colorbar_.ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:g}"))
            self.colorbar_.ax.yaxis.set_minor_formatter(NullFormatter())
        handles = [h for h in (self.emergence_contour_, self.nonsignificant_) if h is not None]
        if handles:
            ax.legend(handles=handles, fontsize=7, loc="upper left", bbox_to_anchor=(0, -0.12), ncol=2,
                      frameon=False)
        self.ax_, self.figure_ = ax, fig
        return self


def _norm(values: np.ndarray, center: float | None) -> Any:
    """The colour scale: sequential (``center`` None); symmetric about ``center``; for positive ratios
    centred on 1, logarithmic and symmetric (a ratio r and 1/r get opposite colours of equal depth)."""
    from matplotlib.colors import LogNorm, Normalize

    finite = values[np.isfinite(values)]
    if center is None or not finite.size:
        return Normalize()
    if center == 1.0 and np.all(finite > 0):
        top = float(np.max(np.abs(np.log(finite)))) or np.log(2.0)
        return LogNorm(vmin=np.exp(-top), vmax=np.exp(top))
    half = float(np.max(np.abs(finite - center))) or 1.0
    return Normalize(vmin=center - half, vmax=center + half)


def _region_edges(mask: np.ndarray) -> list:
    """The cell edges between ``mask`` cells and the others (or the border), as segments in index coordinates."""
    ny, nx = mask.shape
    edges = []
    for i, j in zip(*np.nonzero(mask)):
        lo_x, hi_x, lo_y, hi_y = j - .5, j + .5, i - .5, i + .5
        for di, dj, seg in ((0, -1, [(lo_x, lo_y), (lo_x, hi_y)]), (0, 1, [(hi_x, lo_y), (hi_x, hi_y)]),
                            (-1, 0, [(lo_x, lo_y), (hi_x, lo_y)]), (1, 0, [(lo_x, hi_y), (hi_x, hi_y)])):
            a, b = i + di, j + dj
            if not (0 <= a < ny and 0 <= b < nx) or not mask[a, b]:
                edges.append(seg)
    return edges


class PhaseSliceDisplay:
    """One slice of a phase diagram: a quantity against one axis (mean ± error over seeds), emerged
    cells marked, beside the study's published range or values where it has them.

    Parameters
    ----------
    data : pandas.DataFrame
        Aggregated points: columns ``hue``, ``x``, ``y``, ``error``, ``count`` and ``emerged``
        (as made by :meth:`from_frame`).
    x_name, y_name : str
        Axis labels.
    reference : float or None
        A horizontal reference line (e.g. 1 for a normalised observable).
    paper_range : (float, float) or None
        A range of ``x`` the study reports (e.g. its Goldilocks range), shaded.
    paper_points : pandas.DataFrame or None
        Published values with columns ``x``, ``y`` (and optionally ``error``), drawn as squares.
    paper_label : str, default="paper"
    xscale : {"linear", "log"}, default="linear"

    Attributes
    ----------
    lines_ : dict
        Line label -> ErrorbarContainer (as :class:`ObservableDisplay`).
    emerged_markers_ : PathCollection or None
        A ring around every emerged point.
    paper_band_, paper_markers_ : artists or None
    reference_line_ : Line2D or None
    ax_, figure_

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from sklearn_ka.plotting import PhaseSliceDisplay
    >>> models = pd.DataFrame({"lam": [0.5, 0.5, 1.0, 1.0], "seed": [0, 1, 0, 1], "test_r2": [1.0, 0.8, 0.4, 0.6]})
    >>> cells = pd.DataFrame({"lam": [0.5, 1.0], "emerged": [False, True]})
    >>> disp = PhaseSliceDisplay.from_frame(models, "lam", "test_r2", cells=cells, paper_range=(0.7, 1.2))
    >>> disp.data[["x", "y", "emerged"]].values.tolist()
    [[0.5, 0.9, False], [1.0, 0.5, True]]
    """

    def __init__(self, data: pd.DataFrame, x_name: str, y_name: str, *, reference: float | None = None,
                 paper_range: tuple[float, float] | None = None, paper_points: pd.DataFrame | None = None,
                 paper_label: str = "paper", xscale: str = "linear") -> None:
        self.data = data
        self.x_name, self.y_name = x_name, y_name
        self.reference = reference
        self.paper_range = paper_range
        self.paper_points = paper_points
        self.paper_label = paper_label
        self.xscale = xscale

    @classmethod
    def from_frame(cls, models: pd.DataFrame, x: str, y: str, *, cells: pd.DataFrame | None = None,
                   hue: str | None = None, fixed: Mapping[str, Any] | None = None, error: str = "sem",
                   scale: float = 1.0, reference: float | None = None,
                   paper_range: tuple[float, float] | None = None, paper_points: pd.DataFrame | None = None,
                   paper_label: str = "paper", xscale: str = "linear", xlabel: str | None = None,
                   ylabel: str | None = None, ax: Axes | None = None, **plot_kw: Any) -> PhaseSliceDisplay:
        """Aggregate ``models[y]`` over the seeds of each (``hue``, ``x``) point at ``fixed`` and plot it.

        Parameters
        ----------
        models : pandas.DataFrame
            One row per model (the ``models`` of :func:`~sklearn_ka.experiments.phase_diagram`).
        x, y : str
            The axis and the column drawn (``"test_r2"``, ``"pr_normalized_k3"``, ...).
        cells : pandas.DataFrame or None, default=None
            The diagram's cells: their ``emerged`` column marks the points.
        hue : str or None, default=None
            Another axis: one line per value.
        fixed : dict or None, default=None
            The values of the remaining axes (e.g. ``{"hidden_units": 32, "batch_size": 250}``).
        error : {"sem", "std"}, default="sem"
            Error bars over the seeds of a point (ddof=1).
        scale : float, default=1.0
            Multiplies ``y`` (e.g. 100 for percentages).
        reference, paper_range, paper_points, paper_label, xscale :
            See the class parameters.
        xlabel, ylabel : str or None
        ax : Axes or None
        **plot_kw
            Passed to :meth:`plot`.
        """
        owner = f"{cls.__name__}.from_frame"
        check_param("models", models, [InstanceOf(pd.DataFrame, "a pandas DataFrame")], owner=owner)
        check_param("error", error, [Options("sem", "std")], owner=owner)
        missing = [c for c in (x, y) + ((hue,) if hue else ()) if c not in models.columns]
        if missing:
            raise ValueError(f"{owner}: models has no column(s) {missing}; columns are {list(models.columns)}.")
        sel = _select(models, fixed, owner)
        df = pd.DataFrame({"hue": sel[hue].map(_fmt) if hue else "", "x": sel[x].astype(float),
                           "y": sel[y].astype(float) * scale})
        g = df.groupby(["hue", "x"], sort=False)["y"]
        data = g.mean().rename("y").to_frame()
        data["count"] = g.count()
        std = g.std(ddof=1)
        data["error"] = std / np.sqrt(data["count"]) if error == "sem" else std
        data = data.reset_index().sort_values(["hue", "x"], kind="stable", key=_hue_key).reset_index(drop=True)
        data["emerged"] = _emerged_at(data, cells, x, hue, fixed, owner)
        disp = cls(data, xlabel or _label(x), ylabel or _label(y), reference=reference, paper_range=paper_range,
                   paper_points=paper_points, paper_label=paper_label, xscale=xscale)
        return disp.plot(ax=ax, **plot_kw)

    def plot(self, ax: Axes | None = None, *, legend: bool = True) -> PhaseSliceDisplay:
        """Draw on ``ax`` (a new figure when None); returns self."""
        fig, (ax,) = get_axes(ax, 1, type(self).__name__)
        self.paper_band_ = None
        if self.paper_range is not None:
            lo, hi = self.paper_range
            self.paper_band_ = ax.axvspan(lo, hi, color="tab:orange", alpha=0.15, zorder=0,
                                          label=f"{self.paper_label}: Goldilocks range")
        base = ObservableDisplay(self.data, self.x_name, self.y_name, reference=self.reference, xscale=self.xscale)
        base.plot(ax=ax, legend=False)
        self.lines_, self.reference_line_ = base.lines_, base.reference_line_
        em = self.data[self.data["emerged"].fillna(False).astype(bool)]
        self.emerged_markers_ = None
        if len(em):
            self.emerged_markers_ = ax.scatter(em["x"], em["y"], s=110, facecolors="none", edgecolors="black",
                                               linewidths=1.4, zorder=4, label="emerged (BH q ≤ α)")
        self.paper_markers_ = None
        if self.paper_points is not None and len(self.paper_points):
            pp = self.paper_points
            err = pp["error"].to_numpy(dtype=float) if "error" in pp else None
            self.paper_markers_ = ax.errorbar(pp["x"].to_numpy(dtype=float), pp["y"].to_numpy(dtype=float), yerr=err,
                                              fmt="s", color="black", markersize=5, capsize=3, zorder=5,
                                              label=self.paper_label)
        if legend and ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7)
        self.ax_, self.figure_ = ax, fig
        return self


def _hue_key(col: pd.Series) -> pd.Series:
    """Sort hue labels numerically when they are numbers."""
    if col.name != "hue":
        return col
    num = pd.to_numeric(col, errors="coerce")
    return num if num.notna().all() else col


def _emerged_at(data, cells, x, hue, fixed, owner) -> np.ndarray:
    """Per point of ``data``: whether its cell emerged (False without ``cells``)."""
    if cells is None:
        return np.zeros(len(data), dtype=bool)
    check_param("cells", cells, [InstanceOf(pd.DataFrame, "a pandas DataFrame")], owner=owner)
    need = [x, "emerged"] + ([hue] if hue else [])
    missing = [c for c in need if c not in cells.columns]
    if missing:
        raise ValueError(f"{owner}: cells has no column(s) {missing}.")
    sel = _select(cells, {k: v for k, v in (fixed or {}).items() if k in cells.columns}, owner)
    look = {(_fmt(h) if hue else "", float(v)): bool(e)
            for h, v, e in zip(sel[hue] if hue else [""] * len(sel), sel[x], sel["emerged"].fillna(False))}
    return np.array([look.get((h, float(v)), False) for h, v in zip(data["hue"], data["x"])], dtype=bool)
