"""Rank-value (Zipf) plots of size-k row means and histograms of size-k minors, trained vs initial.

The minors and row means are defined in the user guide (:ref:`jacobian-minors`, :ref:`obs-zero-rows`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .._utils import check_int
from ..observables import induced_false_positive_rate, zero_row_threshold
from ._base import get_axes, initial_of, inner_jacobians, pooled_minors

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["RankValueDisplay", "MinorHistogramDisplay"]

_COLORS = {"trained": "C0", "initial": "C1"}


def _thin(n, max_points):
    """About ``max_points`` log-spaced ranks in 1..n (all of them when n is small)."""
    if n <= max_points:
        return np.arange(n)
    idx = np.unique(np.round(np.logspace(0, np.log10(n), max_points)).astype(np.int64) - 1)
    return idx


class RankValueDisplay:
    """Rank-value (Zipf) plot of the size-k row means ``rho_j^(k)(x)`` pooled over examples and rows.

    Sorted in decreasing order and drawn against their rank on log-log axes, for the trained and
    the initial model, with horizontal lines at the zero-row thresholds ``Q^(k)`` (the initial
    model's ``q(k)``-quantiles of the row means, see :ref:`obs-zero-rows`), as in the study [1]_.
    KA zero rows show as a trained curve that dives below the lines over many more ranks than the
    initial one.

    Parameters
    ----------
    row_means : dict
        ``{"trained": 1-D array, "initial": 1-D array}`` (``"initial"`` optional), any order.
    thresholds : dict
        ``{q1: Q^(k)}``.
    k : int
    name : str or None

    Attributes
    ----------
    lines_ : dict of Line2D
        ``"trained"``, ``"initial"``.
    threshold_lines_ : dict of Line2D
        One per q1.
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
    >>> from sklearn_ka.plotting import RankValueDisplay
    >>> X, y = make_ka_regression("xor", 50, 3, random_state=0)
    >>> model = ShallowMLPRegressor(4, max_epochs=2, batch_size=25, random_state=0).fit(X, y)
    >>> disp = RankValueDisplay.from_model(model, X, k=2)
    >>> disp.ax_.get_yscale(), len(disp.lines_["trained"].get_xdata())
    ('log', 300)
    """

    def __init__(self, row_means: Mapping[str, Any], thresholds: Mapping[float, float], k: int, *,
                 name: str | None = None) -> None:
        self.row_means = {key: np.sort(np.asarray(v, dtype=float).ravel())[::-1] for key, v in row_means.items()}
        if "trained" not in self.row_means:
            raise ValueError("row_means needs a 'trained' entry.")
        self.thresholds = dict(thresholds)
        self.k = k
        self.name = name

    @classmethod
    def from_model(cls, model: Any, X: Any, k: int = 1, *,
                   false_positive_rates: Sequence[float] = (1e-4, 1e-3, 1e-2), initial: Any = "auto",
                   name: str | None = None, ax: Axes | None = None, **plot_kw: Any) -> RankValueDisplay:
        """Compute the row means of ``model`` and its initial model on ``X`` and plot them.

        ``initial``: ``"auto"`` (``model.initial_model()``), another fitted model, or None (no
        initial curve and no thresholds). ``false_positive_rates``: the q1 of the threshold lines.
        """
        init = initial_of(model, initial)
        rm = {"trained": pooled_minors(model, X, k).mean(axis=2)}
        thresholds = {}
        if init is not None:
            rm["initial"] = pooled_minors(init, X, k).mean(axis=2)
            m_units = inner_jacobians(init, np.asarray(X)[:1]).shape[1]
            for q in false_positive_rates:
                thresholds[q] = float(zero_row_threshold(rm["initial"], induced_false_positive_rate(q, m_units, k)))
        return cls(rm, thresholds, k, name=name).plot(ax=ax, **plot_kw)

    @classmethod
    def from_estimator(cls, estimator: Any, X: Any, k: int = 1, **kwargs: Any) -> RankValueDisplay:
        """Build and plot from a fitted estimator and its data: :meth:`from_model` under scikit-learn's name."""
        return cls.from_model(estimator, X, k, **kwargs)

    def plot(self, ax: Axes | None = None, *, max_points: int = 2000) -> RankValueDisplay:
        """Draw on ``ax`` (a new figure when None); at most ``max_points`` log-spaced ranks per curve."""
        fig, (ax,) = get_axes(ax, 1, type(self).__name__)
        self.lines_, self.threshold_lines_ = {}, {}
        for label in ("initial", "trained"):
            if label not in self.row_means:
                continue
            v = self.row_means[label]
            pos = v[v > 0]  # exact zeros cannot be drawn on a log scale
            idx = _thin(pos.size, max_points)
            (self.lines_[label],) = ax.plot(idx + 1, pos[idx], color=_COLORS[label], label=label)
        for i, (q, t) in enumerate(sorted(self.thresholds.items())):
            self.threshold_lines_[q] = ax.axhline(t, color="0.3", linestyle=(0, (1 + 2 * i, 2)), linewidth=1,
                                                  label=f"initial q(k) quantile, q1={q:g}")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("rank of the (x, row) pair (1 = largest row mean)")
        ax.set_ylabel(f"row mean ρ^({self.k}) of size-{self.k} minors")
        ax.set_title(f"rank-value, k={self.k}" + (f" ({self.name})" if self.name else ""))
        ax.legend(fontsize=7)
        self.ax_, self.figure_ = ax, fig
        return self


class MinorHistogramDisplay:
    """Histogram of the pooled size-k minors (all entries of ``J^(k)(x)`` over examples), log-x, trained vs initial.

    The entries of ``J^(k)(x)`` are the absolute values of the k x k minors of the inner map's
    Jacobian (:ref:`jacobian-minors`). Bins are log-spaced over the positive minors of both
    models; exact zeros are counted in ``n_zero_`` and not drawn.

    Parameters
    ----------
    minors : dict
        ``{"trained": array, "initial": array}`` (``"initial"`` optional), any shape (flattened).
    k : int
        The minor size (axis labels only).
    name : str or None
        Model name shown in the title.

    Attributes
    ----------
    bars_ : dict of BarContainer
        ``"trained"``, ``"initial"``.
    counts_ : dict of ndarray
    bin_edges_ : ndarray
    n_zero_ : dict of int
    ax_, figure_

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn_ka import ShallowMLPRegressor, make_ka_regression
    >>> from sklearn_ka.plotting import MinorHistogramDisplay
    >>> X, y = make_ka_regression("xor", 50, 3, random_state=0)
    >>> model = ShallowMLPRegressor(4, max_epochs=2, batch_size=25, random_state=0).fit(X, y)
    >>> disp = MinorHistogramDisplay.from_model(model, X, k=1, bins=20)
    >>> int(disp.counts_["trained"].sum()), disp.ax_.get_xscale()
    (600, 'log')
    """

    def __init__(self, minors: Mapping[str, Any], k: int, *, name: str | None = None) -> None:
        self.minors = {key: np.asarray(v, dtype=float).ravel() for key, v in minors.items()}
        if "trained" not in self.minors:
            raise ValueError("minors needs a 'trained' entry.")
        self.k = k
        self.name = name

    @classmethod
    def from_model(cls, model: Any, X: Any, k: int = 1, *, initial: Any = "auto", name: str | None = None,
                   ax: Axes | None = None, **plot_kw: Any) -> MinorHistogramDisplay:
        """Compute the size-k minors of ``model`` and its initial model on ``X`` and plot them."""
        init = initial_of(model, initial)
        minors = {"trained": pooled_minors(model, X, k)}
        if init is not None:
            minors["initial"] = pooled_minors(init, X, k)
        return cls(minors, k, name=name).plot(ax=ax, **plot_kw)

    @classmethod
    def from_estimator(cls, estimator: Any, X: Any, k: int = 1, **kwargs: Any) -> MinorHistogramDisplay:
        """Build and plot from a fitted estimator and its data: :meth:`from_model` under scikit-learn's name."""
        return cls.from_model(estimator, X, k, **kwargs)

    def plot(self, ax: Axes | None = None, *, bins: int = 60, density: bool = False,
             alpha: float = 0.5) -> MinorHistogramDisplay:
        """Draw on ``ax`` (a new figure when None) with ``bins`` log-spaced bins."""
        bins = check_int("bins", bins, 1, owner=f"{type(self).__name__}.plot")
        fig, (ax,) = get_axes(ax, 1, type(self).__name__)
        positive = np.concatenate([v[v > 0] for v in self.minors.values()])
        if positive.size == 0:
            raise ValueError("every minor is zero: nothing to draw on a log scale.")
        lo, hi = positive.min(), positive.max()
        if hi <= lo:
            hi = lo * 1.0001
        self.bin_edges_ = np.logspace(np.log10(lo), np.log10(hi), bins + 1)
        self.bin_edges_[0], self.bin_edges_[-1] = lo, hi  # every positive minor falls in a bin
        self.bars_, self.counts_, self.n_zero_ = {}, {}, {}
        for label in ("initial", "trained"):
            if label not in self.minors:
                continue
            v = self.minors[label]
            self.n_zero_[label] = int(np.sum(v <= 0))
            counts, _, bars = ax.hist(v[v > 0], bins=self.bin_edges_, density=density, alpha=alpha,
                                      color=_COLORS[label], label=label)
            self.counts_[label], self.bars_[label] = counts, bars
        ax.set_xscale("log")
        ax.set_xlabel(f"size-{self.k} minor |det| (dimensionless)")
        ax.set_ylabel("probability density" if density else "count (minors per bin)")
        ax.set_title(f"size-{self.k} minors" + (f" ({self.name})" if self.name else ""))
        ax.legend(fontsize=7)
        self.ax_, self.figure_ = ax, fig
        return self
