"""The headline figure of one analysis: each observable, trained / baseline, against the minor size k.

The observables are defined in the user guide (:ref:`observables`); :func:`sklearn_ka.analyze`
and the analyzers' ``result`` compute the numbers drawn here (:ref:`own-network`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .._utils import InstanceOf, check_param
from ._base import get_axes

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["KAGeometryDisplay"]

#: The observables drawn by default, in order, with the axis label of their normalised value.
_LABELS = {
    "zero_rows": "zero rows / their rate at initialisation",
    "dependent_zero_rows": "dependent zero rows (fraction)",
    "pr": "participation ratio, trained / initial",
    "rotation_ratio": "rotation ratio, trained / initial",
    "subset_rotation_ratio": "sub-map rotation ratio, trained / initial",
    "column_entropy": "column entropy, trained / initial",
}
_DEFAULT = ("zero_rows", "pr", "rotation_ratio", "subset_rotation_ratio", "column_entropy")


class KAGeometryDisplay:
    """Normalised observables (trained / baseline) against the minor size k, one panel per observable.

    A value above 1 means the trained model has more of it than its baseline; the dashed line
    marks 1. Error bars are the analysis' intervals (the sampled analyzer's jackknife) for one
    model, the standard error over the models (seeds) for several; each model's values are
    also drawn, thin. Zero rows are drawn at one rate ``q1`` (the largest analysed), divided by
    their rate at initialisation ``q(k)``.

    Parameters
    ----------
    data : pandas.DataFrame
        Columns ``observable``, ``k``, ``model``, ``normalized``, ``normalized_low``,
        ``normalized_high`` (rows of :meth:`KAGeometryResult.to_frame
        <sklearn_ka.analysis.KAGeometryResult.to_frame>`).
    observables : sequence of str
        The panels, in order.

    Attributes
    ----------
    lines_ : dict
        Observable -> ErrorbarContainer of the drawn means (``lines_[o].lines[0]`` is their Line2D).
    model_lines_ : dict
        Observable -> list of Line2D, one per model (empty for a single model).
    reference_lines_ : dict
        Observable -> the Line2D at 1.
    axes_, figure_

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from sklearn_ka.plotting import KAGeometryDisplay
    >>> data = pd.DataFrame({"observable": ["pr"] * 3, "k": [1, 2, 3], "model": 0,
    ...                      "normalized": [0.9, 0.8, 0.7], "normalized_low": float("nan"),
    ...                      "normalized_high": float("nan")})
    >>> disp = KAGeometryDisplay(data, ["pr"]).plot()
    >>> disp.lines_["pr"].lines[0].get_ydata().tolist()
    [0.9, 0.8, 0.7]
    """

    def __init__(self, data: pd.DataFrame, observables: Sequence[str]) -> None:
        self.data = data
        self.observables = list(observables)

    @classmethod
    def from_result(cls, result: Any, *, observables: Sequence[str] | None = None, ax: Any = None,
                    **plot_kw: Any) -> KAGeometryDisplay:
        """Draw a :class:`~sklearn_ka.analysis.KAGeometryResult`.

        Parameters
        ----------
        result : KAGeometryResult
        observables : sequence of str or None
            Observable names of the result's frame (default: the zero rows, the participation
            ratio, the rotation ratio and the column entropy, those present).
        ax : Axes, sequence of Axes, or None
            One per observable (new ones in a row when None).
        **plot_kw
            Passed to :meth:`plot`.

        Returns
        -------
        KAGeometryDisplay
        """
        frame = result.to_frame()
        zero = frame["observable"] == "zero_rows"
        if zero.any():  # one rate: the largest
            frame = frame[~zero | (frame["q"] == frame.loc[zero, "q"].max())]
        present = [o for o in frame["observable"].unique() if frame.loc[frame["observable"] == o,
                                                                        "normalized"].notna().any()]
        if observables is None:
            observables = [o for o in _DEFAULT if o in present]
        else:
            observables = [check_param("observables[]", o, [InstanceOf(str, "a string")],
                                       owner=f"{cls.__name__}.from_result") for o in observables]
            missing = [o for o in observables if o not in present]
            if missing:
                raise ValueError(f"{cls.__name__}.from_result: the result has no normalised values of {missing}; it "
                                 f"has {present}.")
        if not observables:
            raise ValueError(f"{cls.__name__}.from_result: the result has no normalised observable to draw.")
        columns = ["observable", "k", "model", "normalized", "normalized_low", "normalized_high"]
        data = frame.loc[frame["observable"].isin(observables), columns].reset_index(drop=True)
        return cls(data, observables).plot(ax=ax, **plot_kw)

    @classmethod
    def from_estimator(cls, estimator: Any, X: Any = None, *, baseline: Any = "initial", layer: Any = None,
                       analyzer: Any = "exact", observables: Sequence[str] | None = None, ax: Any = None,
                       plot_kw: dict | None = None, **analyzer_params: Any) -> KAGeometryDisplay:
        """Analyse a fitted model with :func:`sklearn_ka.analyze` and draw the result.

        Parameters
        ----------
        estimator : model
            Anything :func:`sklearn_ka.analyze` accepts (a list of models: one per seed).
        X : array-like or None
        baseline, layer, analyzer
            As for :func:`sklearn_ka.analyze`.
        observables : sequence of str or None
            As for :meth:`from_result`.
        ax : Axes, sequence of Axes, or None
        plot_kw : dict or None
            Passed to :meth:`plot`.
        **analyzer_params
            Parameters of the analyzer.

        Returns
        -------
        KAGeometryDisplay
        """
        from ..analysis import analyze

        result = analyze(estimator, X, baseline=baseline, layer=layer, analyzer=analyzer, **analyzer_params)
        return cls.from_result(result, observables=observables, ax=ax, **(plot_kw or {}))

    def plot(self, ax: Axes | Sequence[Axes] | None = None, *, capsize: float = 3,
             marker: str = "o") -> KAGeometryDisplay:
        """Draw one panel per observable (new axes in a row when ``ax`` is None).

        Returns
        -------
        self
            With ``lines_``, ``model_lines_``, ``reference_lines_``, ``axes_`` and ``figure_``.
        """
        fig, axes = get_axes(ax, len(self.observables), type(self).__name__)
        self.lines_, self.model_lines_, self.reference_lines_ = {}, {}, {}
        n_models = self.data["model"].nunique()
        for a, name in zip(axes, self.observables):
            d = self.data[self.data["observable"] == name]
            g = d.groupby("k")["normalized"]
            ks = np.asarray(g.mean().index, dtype=float)
            mean = g.mean().to_numpy(dtype=float)
            if n_models > 1:
                err = (g.std(ddof=1) / np.sqrt(g.count())).to_numpy(dtype=float)
                yerr = err
                self.model_lines_[name] = [a.plot(m["k"], m["normalized"], color="0.7", linewidth=0.8)[0]
                                           for _, m in d.groupby("model")]
            else:
                low, high = d["normalized_low"].to_numpy(dtype=float), d["normalized_high"].to_numpy(dtype=float)
                ok = np.isfinite(low) & np.isfinite(high)
                yerr = np.vstack([np.where(ok, mean - low, 0), np.where(ok, high - mean, 0)]) if ok.any() else None
                self.model_lines_[name] = []
            self.lines_[name] = a.errorbar(ks, mean, yerr=yerr, marker=marker, capsize=capsize)
            self.reference_lines_[name] = a.axhline(1.0, color="0.5", linestyle="--", linewidth=1)
            a.set_xticks(ks)
            a.set_xlabel("minor size k")
            a.set_ylabel(_LABELS.get(name, f"{name}, trained / baseline"))
        self.axes_, self.figure_ = axes, fig
        return self
