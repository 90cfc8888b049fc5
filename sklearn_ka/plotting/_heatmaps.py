"""Weight and Jacobian heatmaps, before and after training.

The model and its inner map are described in the user guide (:ref:`training-model`,
:ref:`jacobian-minors`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .._utils import Integers, check_int, check_param
from ._base import get_axes, initial_of, inner_jacobians

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["WeightHeatmapDisplay", "JacobianHeatmapDisplay"]


class _TwoPanelHeatmap:
    """Two images (initial, trained) with one shared colour scale."""

    _title = ""
    _cmap = "RdBu_r"
    _symmetric = True
    _xlabel = ""
    _colorbar_label = ""

    def __init__(self, initial: Any, trained: Any, *, xticklabels: Sequence[str] | None = None,
                 name: str | None = None) -> None:
        self.initial = None if initial is None else np.asarray(initial, dtype=float)
        self.trained = np.asarray(trained, dtype=float)
        if self.trained.ndim != 2 or (self.initial is not None and self.initial.shape != self.trained.shape):
            raise ValueError("trained (and initial) must be 2-D arrays of the same shape.")
        self.xticklabels = xticklabels
        self.name = name

    def plot(self, ax: Axes | Sequence[Axes] | None = None, *, cmap: str | None = None, colorbar: bool = True,
             vmax: float | None = None) -> _TwoPanelHeatmap:
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
            a.set_xlabel(self._xlabel)
            if self.xticklabels is not None:
                a.set_xticks(range(len(self.xticklabels)))
                a.set_xticklabels(self.xticklabels, fontsize=7)
            self.images_[label] = im
        if colorbar:
            fig.colorbar(self.images_["trained"], ax=list(axes), label=self._colorbar_label)
        self.figure_, self.axes_, self.ax_ = fig, axes, axes[-1]
        self.vmin_, self.vmax_ = low, top
        return self


class WeightHeatmapDisplay(_TwoPanelHeatmap):
    """First-layer weights ``[A^T | a]`` (rows: hidden units; columns: inputs and the bias), initial vs trained.

    Parameters
    ----------
    initial, trained : ndarray of shape (m, n + 1) or None
        ``initial`` may be None (one panel).
    xticklabels : list of str or None
    name : str or None
        Model name shown in the titles.

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
    _xlabel = "input weight A_ij (column i) and bias a_j"
    _colorbar_label = "weight value (dimensionless)"

    @classmethod
    def from_model(cls, model: Any, *, initial: Any = "auto", name: str | None = None, ax: Any = None,
                   **plot_kw: Any) -> WeightHeatmapDisplay:
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

    @classmethod
    def from_estimator(cls, estimator: Any, **kwargs: Any) -> WeightHeatmapDisplay:
        """Build and plot from a fitted estimator: :meth:`from_model` under scikit-learn's name."""
        return cls.from_model(estimator, **kwargs)


class JacobianHeatmapDisplay(_TwoPanelHeatmap):
    """``|J(x)|`` of the inner map for a few examples side by side (rows: hidden units), initial vs trained.

    The columns are the ``n`` inputs of example 1, then of example 2, ...; zero rows that change
    with ``x`` (:ref:`obs-zero-rows`) show as dark stripes that move from block to block.

    Parameters
    ----------
    initial, trained : ndarray of shape (m, B * n) or None
        ``initial`` may be None (one panel).
    xticklabels : list of str or None
        One label per column; ignored when ``n_inputs`` is given.
    name : str or None
        Model name shown in the titles.
    n_inputs : int or None
        ``n``: the columns form blocks of ``n`` (one per example), each labelled once (``x1``,
        ``x2``, ...) and separated by thin white lines.

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
    _xlabel = "example (block of n inputs)"
    _colorbar_label = "|∂h_j/∂x_i| (dimensionless)"

    def __init__(self, initial: Any, trained: Any, *, xticklabels: Sequence[str] | None = None,
                 name: str | None = None, n_inputs: int | None = None) -> None:
        super().__init__(initial, trained, xticklabels=xticklabels, name=name)
        n_inputs = check_param("n_inputs", n_inputs, [Integers(1), None], owner=type(self).__name__)
        if n_inputs is not None and self.trained.shape[1] % n_inputs:
            raise ValueError(f"{type(self).__name__}: n_inputs must divide the {self.trained.shape[1]} columns; "
                             f"got {n_inputs!r}.")
        self.n_inputs = n_inputs

    def plot(self, ax: Axes | Sequence[Axes] | None = None, **kw: Any) -> JacobianHeatmapDisplay:
        """Draw the heatmaps (see the parameters of :meth:`WeightHeatmapDisplay.plot`)."""
        super().plot(ax, **kw)
        if self.n_inputs is not None:
            n = self.n_inputs
            n_blocks = self.trained.shape[1] // n
            for a in self.axes_:
                a.set_xticks([b * n + (n - 1) / 2 for b in range(n_blocks)])
                a.set_xticklabels([f"x{b + 1}" for b in range(n_blocks)], fontsize=8)
                for b in range(1, n_blocks):
                    a.axvline(b * n - 0.5, color="white", linewidth=1)
        return self

    @classmethod
    def from_model(cls, model: Any, X: Any, *, n_examples: int = 8, initial: Any = "auto", name: str | None = None,
                   ax: Any = None, **plot_kw: Any) -> JacobianHeatmapDisplay:
        """Build and plot from a fitted model and the first ``n_examples`` rows of ``X``."""
        X = np.asarray(X, dtype=float)
        n_examples = check_int("n_examples", n_examples, 1, owner=f"{cls.__name__}.from_model")
        if X.ndim != 2 or len(X) < n_examples:
            raise ValueError(f"X must be 2-D with at least n_examples={n_examples} rows; got shape {X.shape}.")
        Xs = X[:n_examples]
        init = initial_of(model, initial)

        def mat(mod):
            J = np.abs(inner_jacobians(mod, Xs))  # (B, m, n)
            return np.concatenate(list(J), axis=1)  # (m, B * n)

        disp = cls(None if init is None else mat(init), mat(model), name=name, n_inputs=X.shape[1])
        return disp.plot(ax=ax, **plot_kw)

    @classmethod
    def from_estimator(cls, estimator: Any, X: Any, **kwargs: Any) -> JacobianHeatmapDisplay:
        """Build and plot from a fitted estimator and its data: :meth:`from_model` under scikit-learn's name."""
        return cls.from_model(estimator, X, **kwargs)
