"""The experiments of the KA-geometry study, each a function returning tidy pandas data.

The study is M. Freedman and M. Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in Shallow
MLPs" (arXiv:2509.12326, 2025); the user guide describes each experiment (:ref:`experiments`).

Every experiment runs through :func:`sklearn_ka.sweeps.sweep` (parallel with ``n_jobs``, resumable
with ``store``) and takes the scale parameters (``seeds``, ``n_samples``, ``max_epochs``, ...) so
that it can run tiny in a test or at the paper's scale.

1. :func:`static_comparison` (+ :func:`static_tables`): Tables I-III.
2. :func:`evolution`: observables at snapshots of training R^2.
3. :func:`interpolation`: lambda-xor, G(lambda), SO(alpha)-xor.
4. :func:`batch_size_experiment`: consistently vs example-dependent zero rows per batch size.
5. :func:`bootstrap_experiment`: a second MLP on a frozen inner map, with controls.
6. :func:`tails`: mean excess functions of the minors.
7. :func:`significance`: trained vs initial, bootstrap CI and permutation p-value.
8. :func:`dependent_readings`: size-2 dependent zero rows under alternative readings.
9. :func:`phase_diagram` (+ :func:`phase_statistics`, :func:`goldilocks_ranges`): the KA phase diagram.
10. :func:`intervention` (+ :func:`intervention_statistics`, :func:`time_to_level_curves`): an oscillatory
    activation or a KA term in the loss, against a control: time to R² levels, final R², observables.

Every experiment takes ``patience`` and ``monitor`` (the loss early stopping monitors: the
independent test set or the training loss; the study does not say which, see
:ref:`early-stopping-monitor`).
"""

from .._utils import PAPER_PROTOCOL
from ._batch_size import BATCH_SIZES, ConsistentRowMeasure, batch_size_experiment
from ._bootstrap import BootstrapMeasure, bootstrap_experiment, train_deep_mlp
from ._dependent import READINGS, DependentReadingsMeasure, dependent_readings
from ._evolution import SnapshotMeasure, evolution, snapshot_levels
from ._interpolation import FAMILIES, interpolation
from ._intervention import (
    INTERVENTION_ARMS,
    INTERVENTION_CONDITIONS,
    INTERVENTION_LEVELS,
    TimeToLevelMeasure,
    intervention,
)
from ._intervention_statistics import intervention_statistics, time_to_level_curves
from ._phase_diagram import PAPER_GOLDILOCKS, PHASE_BATCH_SIZES, PHASE_SEEDS, PHASE_WIDTHS, default_axes, phase_diagram
from ._phase_statistics import EMERGENCE_RULE, goldilocks_ranges, phase_statistics
from ._significance import paired_observables, significance
from ._static import static_comparison, static_tables
from ._tails import TailMeasure, tails

__all__ = [
    "BATCH_SIZES",
    "FAMILIES",
    "INTERVENTION_ARMS",
    "INTERVENTION_CONDITIONS",
    "INTERVENTION_LEVELS",
    "PAPER_PROTOCOL",
    "READINGS",
    "EMERGENCE_RULE",
    "PAPER_GOLDILOCKS",
    "PHASE_BATCH_SIZES",
    "PHASE_SEEDS",
    "PHASE_WIDTHS",
    "BootstrapMeasure",
    "ConsistentRowMeasure",
    "DependentReadingsMeasure",
    "SnapshotMeasure",
    "TailMeasure",
    "TimeToLevelMeasure",
    "batch_size_experiment",
    "bootstrap_experiment",
    "default_axes",
    "dependent_readings",
    "evolution",
    "goldilocks_ranges",
    "interpolation",
    "intervention",
    "intervention_statistics",
    "paired_observables",
    "phase_diagram",
    "phase_statistics",
    "significance",
    "snapshot_levels",
    "static_comparison",
    "static_tables",
    "tails",
    "time_to_level_curves",
    "train_deep_mlp",
]
