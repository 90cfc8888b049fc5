"""Weight and Jacobian heatmaps, before and after training."""

from __future__ import annotations

import numpy as np

from ._base import get_axes, initial_of, inner_jacobians

__all__ = ["WeightHeatmapDisplay", "JacobianHeatmapDisplay"]


class _TwoPanelHeatmap:
    """Two images (initial, trained) with one shared colour scale."""

    _title = ""
    _cmap = "RdBu_r"
    _symmetric = True

    def __init__(self, initial, trained, *, xticklabels=None, name=None):
        self.initial = None if initial is None else np.asarray(initial, dtype=float)
        self.trained = np.asarray(trained, dtype=float)
        if self.trained.ndim != 2 or (self.initial is not None and self.initial.shape != self.trained.shape):
            raise ValueError("trained (and initial) must be 2-D arrays of the same shape.")
        self.xticklabels = xticklabels
        self.name = name

    def plot(self, ax=None, *, cmap=None, colorbar=True, vmax=None):
        """Draw the heatmaps.

        Parameters
        ----------
        ax : matplotlib Axes, sequence of two Axes, or None
            Two axes (initial, trained) when an initial matrix is held, else one. ``None``: a new figure.
        cmap : str or None
            Colour map (default: diverging for signed data, sequential for absolute values).
        colorbar : bool, default=True
        vmax : float or None
            Upper end of the colour scale (default: the largest absolute value of both panels).

        Returns
        -------
        self
            With ``figure_``, ``axes_`` (array of Axes), ``ax_`` (the trained panel), ``images_``
            (dict ``"initial"``/``"trained"`` -> AxesImage) and ``vmin_``, ``vmax_``.
        """
        panels = ([("initial", self.initial)] if self.initial is not None else []) + [("trained", self.trained)]
        fig, axes = get_axes(ax, len(panels), type(self).__name__)
        top = vmax if vmax is not None else max(float(np.nanmax(np.abs(p))) for _, p in panels) or 1.0
        low = -top if self._symmetric else 0.0
        self.images_ = {}
        for a, (label, data) in zip(axes, panels):
            im = a.imshow(data, aspect="auto", interpolation="nearest", cmap=cmap or self._cmap, vmin=low, vmax=top)
            a.set_title(f"{self._title}: {label}" + (f" ({self.name})" if self.name else ""))
            a.set_ylabel("hidden unit j")
            if self.xticklabels is not None:
                a.set_xticks(range(len(self.xticklabels)))
                a.set_xticklabels(self.xticklabels, fontsize=7)
            self.images_[label] = im
        if colorbar:
            fig.colorbar(self.images_["trained"], ax=list(axes))
        self.figure_, self.axes_, self.ax_ = fig, axes, axes[-1]
        self.vmin_, self.vmax_ = low, top
        return self


class WeightHeatmapDisplay(_TwoPanelHeatmap):
    """First-layer weights ``[A^T | a]`` (rows: hidden units; columns: inputs and the bias), initial vs trained.

    Parameters
    ----------
    initial, trained : ndarray of shape (m, n + 1) or None
    xticklabels : list of str or None
    name : str or None

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn_ka import ShallowMLPRegressor, make_ka_regression
    >>> from sklearn_ka.plotting import WeightHeatmapDisplay
    >>> X, y = make_ka_regression("xor", 50, 3, random_state=0)
    >>> model = ShallowMLPRegressor(4, max_epochs=2, batch_size=25, random_state=0).fit(X, y)
    >>> disp = WeightHeatmapDisplay.from_model(model)
    >>> disp.images_["trained"].get_array().shape
    (4, 4)
    """

    _title = "weights"

    @classmethod
    def from_model(cls, model, *, initial="auto", name=None, ax=None, **plot_kw):
        """Build and plot from a fitted ShallowMLPRegressor (or anything with ``coefs_``/``intercepts_``).

        ``initial``: ``"auto"`` (``model.initial_model()``), another fitted model, or None (one panel).
        """
        if not hasattr(model, "coefs_"):
            raise ValueError(f"{type(model).__name__} is not fitted (no coefs_).")
        init = initial_of(model, initial)

        def mat(m):
            return np.column_stack([np.asarray(m.coefs_[0]).T, np.asarray(m.intercepts_[0])])

        n = np.asarray(model.coefs_[0]).shape[0]
        labels = [f"A x{i + 1}" for i in range(n)] + ["a"]
        disp = cls(None if init is None else mat(init), mat(model), xticklabels=labels, name=name)
        return disp.plot(ax=ax, **plot_kw)


class JacobianHeatmapDisplay(_TwoPanelHeatmap):
    """``|J(x)|`` of the inner map for a few examples side by side (rows: hidden units), initial vs trained.

    The columns are the ``n`` inputs of example 1, then of example 2, ...; zero rows that change
    with ``x`` show as light stripes that move from block to block.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn_ka import ShallowMLPRegressor, make_ka_regression
    >>> from sklearn_ka.plotting import JacobianHeatmapDisplay
    >>> X, y = make_ka_regression("xor", 50, 3, random_state=0)
    >>> model = ShallowMLPRegressor(4, max_epochs=2, batch_size=25, random_state=0).fit(X, y)
    >>> JacobianHeatmapDisplay.from_model(model, X, n_examples=2).images_["trained"].get_array().shape
    (4, 6)
    """

    _title = "|J(x)|"
    _cmap = "viridis"
    _symmetric = False

    @classmethod
    def from_model(cls, model, X, *, n_examples=8, initial="auto", name=None, ax=None, **plot_kw):
        """Build and plot from a fitted model and the first ``n_examples`` rows of ``X``."""
        X = np.asarray(X, dtype=float)
        if isinstance(n_examples, bool) or not isinstance(n_examples, (int, np.integer)) or n_examples < 1:
            raise ValueError(f"n_examples must be a positive integer; got {n_examples!r}.")
        if X.ndim != 2 or len(X) < n_examples:
            raise ValueError(f"X must be 2-D with at least n_examples={n_examples} rows; got shape {X.shape}.")
        Xs = X[:n_examples]
        init = initial_of(model, initial)

        def mat(mod):
            J = np.abs(inner_jacobians(mod, Xs))  # (B, m, n)
            return np.concatenate(list(J), axis=1)  # (m, B * n)

        n = X.shape[1]
        labels = [f"x{b + 1}:{i + 1}" for b in range(n_examples) for i in range(n)]
        disp = cls(None if init is None else mat(init), mat(model), xticklabels=labels, name=name)
        return disp.plot(ax=ax, **plot_kw)
