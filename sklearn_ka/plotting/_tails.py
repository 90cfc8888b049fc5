"""Mean excess function (MEF) curves of size-k minors, trained vs initial, with linear fits.

The MEF and the tail statistics are defined in the user guide (:ref:`obs-tails`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .._utils import Options, check_param
from ..observables import mean_excess_fit
from ._base import get_axes, initial_of

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["MeanExcessDisplay"]


class MeanExcessDisplay:
    """``MEF(Q(q))`` against the quantile rank ``q``, one curve per (group, model), with dashed linear fits.

    ``MEF(u) = E[X - u | X > u]`` of the pooled size-k minors, at ``u = Q(q)`` the ``q``-quantile
    (:ref:`obs-tails`). A flat MEF means an exponential tail, an increasing one a power law, as
    read in the study [1]_.

    Parameters
    ----------
    data : pandas.DataFrame
        Columns ``label``, ``quantile_rank``, ``mef`` (mean over seeds), ``error``.
    k : int
        The minor size (axis labels only).
    yscale : {"linear", "log"}, default="linear"
    name : str or None
        Model name shown in the title.

    Attributes
    ----------
    lines_ : dict
        Label (e.g. "xor trained") -> ErrorbarContainer.
    fit_lines_ : dict
        Label -> Line2D of the least-squares line.
    fits_ : dict
        Label -> (slope, intercept).
    ax_, figure_

    References
    ----------
    .. [1] M. Freedman and M. Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in
       Shallow MLPs", arXiv:2509.12326, 2025. https://arxiv.org/abs/2509.12326

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn_ka import ShallowMLPRegressor, make_ka_regression
    >>> from sklearn_ka.plotting import MeanExcessDisplay
    >>> X, y = make_ka_regression("xor", 50, 3, random_state=0)
    >>> model = ShallowMLPRegressor(4, max_epochs=2, batch_size=25, random_state=0).fit(X, y)
    >>> disp = MeanExcessDisplay.from_model(model, X, k=1)
    >>> sorted(disp.lines_)
    ['initial', 'trained']
    """

    def __init__(self, data: pd.DataFrame, k: int, *, yscale: str = "linear", name: str | None = None) -> None:
        self.data = data
        self.k = k
        self.yscale = yscale
        self.name = name

    @classmethod
    def from_model(cls, model: Any, X: Any, k: int = 1, *, quantile_ranks: Sequence[float] | None = None,
                   initial: Any = "auto", name: str | None = None, ax: Axes | None = None,
                   **plot_kw: Any) -> MeanExcessDisplay:
        """Compute the MEF of ``model`` (and its initial model) on ``X`` with the analyzer and plot it."""
        from ..analysis import KAGeometryAnalyzer

        init = initial_of(model, initial)
        if init is None:
            raise ValueError("MeanExcessDisplay.from_model needs the initial model (initial='auto' or a model).")
        # the tails need the minors only: no thresholds, no rotations
        an = KAGeometryAnalyzer(minor_sizes=(k,), observables=("participation_ratio",), random_state=0).fit(init, X)
        stats = an.tail_statistics(model, X, quantile_ranks=quantile_ranks)[k]
        rows = [dict(label=label, quantile_rank=q, mef=v, error=np.nan)
                for label in ("trained", "initial")
                for q, v in zip(stats[label]["quantile_ranks"], stats[label]["mef"])]
        return cls(pd.DataFrame(rows), k, name=name).plot(ax=ax, **plot_kw)

    @classmethod
    def from_estimator(cls, estimator: Any, X: Any, k: int = 1, **kwargs: Any) -> MeanExcessDisplay:
        """Build and plot from a fitted estimator and its data: :meth:`from_model` under scikit-learn's name."""
        return cls.from_model(estimator, X, k, **kwargs)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, k: int = 1, *, functions: Sequence[str] | None = None,
                   models: Sequence[str] = ("trained", "initial"), error: str | None = "sem",
                   name: str | None = None, ax: Axes | None = None, **plot_kw: Any) -> MeanExcessDisplay:
        """Plot the output of :func:`sklearn_ka.experiments.tails` for one ``k`` (mean over seeds)."""
        need = {"function", "k", "model", "quantile_rank", "mef"}
        if not isinstance(frame, pd.DataFrame) or need - set(frame.columns):
            raise ValueError(f"frame must be a tails() DataFrame with columns {sorted(need)}.")
        check_param("error", error, [Options("sem", "std", None)], owner=f"{cls.__name__}.from_frame")
        df = frame[(frame["k"] == k) & frame["model"].isin(models)]
        if functions is not None:
            df = df[df["function"].isin(list(functions))]
        if df.empty:
            raise ValueError(f"no rows for k={k} and the requested functions/models.")
        df = df.assign(label=df["function"] + " " + df["model"])
        g = df.groupby(["label", "quantile_rank"], sort=False)["mef"]
        data = g.mean().rename("mef").to_frame()
        std, n = g.std(ddof=1), g.count()
        data["error"] = (std / np.sqrt(n) if error == "sem" else std) if error else np.nan
        return cls(data.reset_index(), k, name=name).plot(ax=ax, **plot_kw)

    def plot(self, ax: Axes | None = None, *, yscale: str | None = None, capsize: float = 2) -> MeanExcessDisplay:
        """Draw on ``ax`` (a new figure when None)."""
        fig, (ax,) = get_axes(ax, 1, type(self).__name__)
        self.lines_, self.fit_lines_, self.fits_ = {}, {}, {}
        for label, d in self.data.groupby("label", sort=False):
            q, mef, err = (d[c].to_numpy(dtype=float) for c in ("quantile_rank", "mef", "error"))
            cont = ax.errorbar(q, mef, yerr=None if np.all(np.isnan(err)) else err, marker="o", markersize=3,
                               capsize=capsize, label=label)
            slope, intercept = mean_excess_fit(q, mef)
            self.lines_[label], self.fits_[label] = cont, (slope, intercept)
            (self.fit_lines_[label],) = ax.plot(q, slope * q + intercept, linestyle="--", linewidth=1,
                                                color=cont.lines[0].get_color())
        ax.set_yscale(yscale or self.yscale)
        if ax.get_yscale() == "log":  # plain labels at 1, 2, 5 x 10^j (0.2, 0.5, 1, 2) instead of 2×10⁻¹
            from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

            ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:g}"))
            ax.yaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel("quantile rank q (fraction of minors below the level)")
        ax.set_ylabel(f"MEF(Q(q)) of size-{self.k} minors (dimensionless)")
        ax.set_title(f"mean excess, k={self.k}" + (f" ({self.name})" if self.name else ""))
        ax.legend(fontsize=7)
        self.ax_, self.figure_ = ax, fig
        return self
