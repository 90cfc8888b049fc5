"""Figures of the KA-geometry study, in scikit-learn's Display pattern.

Each Display is built with ``XDisplay.from_estimator(...)`` (a fitted model and its data, as in
scikit-learn; ``from_model`` is the same), ``XDisplay.from_frame(...)`` or
``KAGeometryDisplay.from_result(...)`` (which compute and plot), or constructed from precomputed
data and drawn with ``.plot(ax=None, ...)``; after plotting it holds ``ax_`` (or ``axes_``),
``figure_`` and the artists (``lines_``, ``bars_``, ``images_``, ...). matplotlib is imported only
when plotting.

* :class:`WeightHeatmapDisplay`, :class:`JacobianHeatmapDisplay`: before/after training.
* :class:`RankValueDisplay`: Zipf plots of size-k row means with the initial quantile lines.
* :class:`MinorHistogramDisplay`: size-k minors on a log x axis, trained vs initial.
* :class:`ObservableDisplay`: any observable against width, training R^2, lambda, batch size.
* :class:`MeanExcessDisplay`: mean excess function curves with linear fits.
* :class:`KAGeometryDisplay`: one analysis (:func:`sklearn_ka.analyze`), each observable trained /
  baseline against the minor size k.
* :class:`PhaseDiagramDisplay`, :class:`PhaseSliceDisplay`: the KA phase diagram over two axes, and its slices.
* :class:`InterventionDisplay`: interventions on training against a control: time to R² levels, observables.

These are the figures of the study [1]_; the quantities drawn are defined in the user guide
(:ref:`observables`) and the experiments behind them in :ref:`experiments`. Axes carry units (or
say what a dimensionless quantity counts), and log-scaled parameter axes are labelled at the
data's own values (e.g. the widths 4, 8, 16, 32).

References
----------
.. [1] M. Freedman and M. Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in
   Shallow MLPs", arXiv:2509.12326, 2025. https://arxiv.org/abs/2509.12326
"""

from ._geometry import KAGeometryDisplay
from ._heatmaps import JacobianHeatmapDisplay, WeightHeatmapDisplay
from ._intervention import InterventionDisplay
from ._minors import MinorHistogramDisplay, RankValueDisplay
from ._observables import ObservableDisplay
from ._phase_diagram import PhaseDiagramDisplay, PhaseSliceDisplay
from ._tails import MeanExcessDisplay

__all__ = [
    "InterventionDisplay",
    "JacobianHeatmapDisplay",
    "KAGeometryDisplay",
    "MeanExcessDisplay",
    "MinorHistogramDisplay",
    "ObservableDisplay",
    "PhaseDiagramDisplay",
    "PhaseSliceDisplay",
    "RankValueDisplay",
    "WeightHeatmapDisplay",
]
