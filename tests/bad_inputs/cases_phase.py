"""Bad inputs of the KA phase diagram: the experiment, its statistics, its Displays and its report.

Every row fails before any model is trained and before anything is written.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
from _case import BadInput

from sklearn_ka._utils import InvalidParameterError
from sklearn_ka.experiments import goldilocks_ranges, phase_diagram, phase_statistics
from sklearn_ka.plotting import PhaseDiagramDisplay, PhaseSliceDisplay
from sklearn_ka.report import phase_report

_NOWHERE = Path(tempfile.gettempdir()) / "sklearn-ka-bad-inputs-never-created"
_FRAME = pd.DataFrame({"lam": [0.5, 0.5], "hidden_units": [4, 4], "seed": [0, 1], "train_r2": [0.9, 0.8],
                       "test_r2": [0.9, 0.8], "pr_k3": [1.5, 1.6], "pr_initial_k3": [1.7, 1.8]})
_CELLS = pd.DataFrame({"lam": [0.5, 1.0], "hidden_units": [4, 4], "emerged": [True, False],
                       "test_r2_mean": [0.9, 0.2]})


def _phase(**kwargs):
    args = dict(seeds=[0, 1], n_samples=40, max_epochs=2, fixed={"batch_size": 20})
    args.update(kwargs)
    return lambda: phase_diagram("lambda_xor", args.pop("axes", {"lam": [0.5]}), **args)


CASES = [
    BadInput("phase-axes-not-dict", _phase(axes="lam"), InvalidParameterError, r"axes must be a dict"),
    BadInput("phase-axis-scalar", _phase(axes={"lam": 0.5}), InvalidParameterError, r"axes\['lam'\] must be a list"),
    BadInput("phase-axis-reserved", _phase(axes={"seed": [1]}), InvalidParameterError, r"axis names must be"),
    BadInput("phase-axis-fixed-too", _phase(axes={"lam": [0.5]}, fixed={"lam": 1.0, "batch_size": 20}),
             InvalidParameterError,
             r"either an axis or fixed"),
    BadInput("phase-planes-differ", _phase(axes=[{"lam": [0.5]}, {"lam": [1.0]}]), InvalidParameterError,
             r"same target-parameter values"),
    BadInput("phase-unknown-param", _phase(axes={"lam": [0.5], "colour": [1, 2]}), (TypeError, ValueError),
             r"colour.*Accepted parameters: \['lam'\]"),
    BadInput("phase-narrow-width", _phase(axes={"lam": [0.5], "hidden_units": [2]}), InvalidParameterError,
             r"size-3 minors"),
    BadInput("phase-rule-direction", _phase(rule=[("pr_k3", "up")]), InvalidParameterError, r"direction"),
    BadInput("phase-rule-not-key", _phase(rule=[("r2", "above")]), InvalidParameterError, r"not an observable key"),
    BadInput("phase-rule-unmeasured", _phase(analyzer={"minor_sizes": (1,)}), InvalidParameterError,
             r"minor_sizes"),
    BadInput("phase-alpha", _phase(alpha=0.0), InvalidParameterError, r"alpha"),
    BadInput("phase-monitor", _phase(monitor="valid"), InvalidParameterError, r"monitor"),
    BadInput("phase-no-analyzer", _phase(analyzer=False), ValueError, r"needs an analyzer"),
    BadInput("phase-stats-no-axis", lambda: phase_statistics(_FRAME, "batch_size"), ValueError,
             r"no column\(s\) \['batch_size'\]"),
    BadInput("phase-stats-not-frame", lambda: phase_statistics({"lam": [1]}, "lam"), InvalidParameterError,
             r"models must be a pandas DataFrame"),
    BadInput("phase-ranges-repeats", lambda: goldilocks_ranges(pd.concat([_CELLS, _CELLS]), "lam"), ValueError,
             r"repeat values of 'lam'"),
    BadInput("phase-ranges-r2", lambda: goldilocks_ranges(_CELLS, "lam", r2="r2"), InvalidParameterError, r"r2"),
    BadInput("phase-display-ambiguous",
             lambda: PhaseDiagramDisplay.from_frame(pd.concat([_CELLS, _CELLS]), x="lam", y="hidden_units"),
             ValueError, r"fixed="),
    BadInput("phase-display-quantity",
             lambda: PhaseDiagramDisplay.from_frame(_CELLS, x="lam", y="hidden_units", quantity="pr_k3"),
             ValueError, r"neither a column of cells nor an observable"),
    BadInput("phase-slice-error", lambda: PhaseSliceDisplay.from_frame(_FRAME, "lam", "test_r2", error="mad"),
             InvalidParameterError, r"error"),
    BadInput("phase-report-settings", lambda: phase_report(_NOWHERE, settings={"colour": 1}, verbose=0),
             InvalidParameterError, r"unknown setting"),
    BadInput("phase-report-one-seed", lambda: phase_report(_NOWHERE, seeds=[0], verbose=0), InvalidParameterError,
             r"at least 2 seeds"),
    BadInput("phase-report-quick", lambda: phase_report(_NOWHERE, quick="yes", verbose=0), InvalidParameterError,
             r"quick"),
]
