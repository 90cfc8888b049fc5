"""Bad inputs of the intervention experiment: the experiment, its statistics, its Display and its report.

Every row fails before any model is trained and before anything is written.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
from _case import BadInput

from sklearn_ka._utils import InvalidParameterError
from sklearn_ka.experiments import intervention, intervention_statistics, time_to_level_curves
from sklearn_ka.plotting import InterventionDisplay
from sklearn_ka.report import intervention_report

_NOWHERE = Path(tempfile.gettempdir()) / "sklearn-ka-bad-inputs-never-created"
_FRAME = pd.DataFrame({"condition": "c", "arm": ["control", "osc_start"], "seed": [0, 0],
                       "reached_r2_0.9": [True, False], "epochs_to_r2_0.9": [10.0, float("nan")],
                       "time_to_r2_0.9": [1.0, float("nan")], "n_epochs": [50, 60], "wall_time": [5.0, 6.0],
                       "train_r2": [0.95, 0.5]})


def _run(*args, **kwargs):
    kw = dict(seeds=2, n_samples=40, batch_size=20, max_epochs=2, analyzer=False)
    kw.update(kwargs)
    return lambda: intervention(*args, **kw)


CASES = [
    BadInput("intervention-condition-name", _run(["xor_m64"]), InvalidParameterError,
             r"unknown condition\(s\) \['xor_m64'\]; known: \['xor_m8'"),
    BadInput("intervention-condition-spec", _run({"a": {"hidden_units": 8}}), InvalidParameterError,
             r"conditions\['a'\] must be a dict with 'function'"),
    BadInput("intervention-condition-width", _run({"a": {"function": "xor", "hidden_units": 0}}),
             InvalidParameterError, r"conditions\['a'\]\['hidden_units'\] must be an integer >= 1"),
    BadInput("intervention-arm-name", _run(["xor_m8"], ["control", "osc"]), InvalidParameterError,
             r"arms\[1\] must be one of 'control', 'osc_start'"),
    BadInput("intervention-no-control", _run(["xor_m8"], ["osc_start"]), InvalidParameterError,
             r"arms must include 'control'"),
    BadInput("intervention-control-params", _run(["xor_m8"], {"control": {"max_epochs": 3}}), InvalidParameterError,
             r"the 'control' arm adds no parameter"),
    BadInput("intervention-beta", _run(["xor_m8"], beta=-0.01), InvalidParameterError,
             r"beta must be a finite number in \(0, inf\)"),
    BadInput("intervention-ka-term", _run(["xor_m8"], ka_term="entropy"), InvalidParameterError,
             r"ka_term must be one of 'participation_ratio'"),
    BadInput("intervention-ka-orders", _run(["xor_m8"], ka_orders=(0,)), InvalidParameterError,
             r"KA arms' penalty cannot be built from ka_orders=\(0,\)"),
    BadInput("intervention-ka-order-above-width", _run({"a": {"function": "xor", "hidden_units": 2}},
                                                        ka_orders=(1, 2, 3)),
             InvalidParameterError, r"arm 'ka_plus' cannot train condition 'a'.*k=3 exceeds min\(m, n\) = 2"),
    BadInput("intervention-levels", _run(["xor_m8"], levels=(0.5, 1.5)), InvalidParameterError,
             r"levels\[1\] must be a finite number in \(0, 1\]"),
    BadInput("intervention-seeds", _run(["xor_m8"], seeds=[0, 0]), InvalidParameterError,
             r"seeds contains duplicates"),
    BadInput("intervention-batch", _run(["xor_m8"], batch_size=50), InvalidParameterError,
             r"batch_size=50 exceeds n_samples=40"),
    BadInput("intervention-monitor", _run(["xor_m8"], monitor="valid"), InvalidParameterError,
             r"monitor must be one of 'test', 'train'"),
    BadInput("intervention-store", _run(["xor_m8"], store=3), InvalidParameterError,
             r"store must be a directory path or None"),
    BadInput("intervention-resamples", _run(["xor_m8"], n_resamples=0), InvalidParameterError,
             r"n_resamples must be an integer >= 1"),
    BadInput("intervention-stats-no-control", lambda: intervention_statistics(_FRAME[_FRAME["arm"] != "control"]),
             ValueError, r"condition 'c' has no 'control' arm"),
    BadInput("intervention-stats-not-frame", lambda: intervention_statistics({"arm": ["control"]}),
             InvalidParameterError, r"models must be a pandas DataFrame"),
    BadInput("intervention-stats-level", lambda: intervention_statistics(_FRAME, levels=[0.5]), ValueError,
             r"no columns for level\(s\) \[0.5\]; its levels are \[0.9\]"),
    BadInput("intervention-stats-columns", lambda: intervention_statistics(_FRAME.drop(columns="wall_time")),
             ValueError, r"no column\(s\) \['wall_time'\]"),
    BadInput("intervention-stats-observable", lambda: intervention_statistics(_FRAME, observables=["pr_k3"]),
             ValueError, r"observables names column\(s\) \['pr_k3'\]"),
    BadInput("intervention-curves-clock", lambda: time_to_level_curves(_FRAME, clocks=["hours"]),
             InvalidParameterError, r"clocks\[0\] must be one of 'epochs', 'time'"),
    BadInput("intervention-display-kind", lambda: InterventionDisplay.from_frame(_FRAME, kind="map"),
             InvalidParameterError, r"kind must be one of 'time_to_level', 'observable'"),
    BadInput("intervention-display-arm", lambda: InterventionDisplay.from_frame(_FRAME, arms=["ka_plus"]),
             ValueError, r"arm value\(s\) \['ka_plus'\] are not in the frame"),
    BadInput("intervention-report-setting", lambda: intervention_report(_NOWHERE, settings={"colour": 1}, verbose=0),
             InvalidParameterError, r"unknown setting\(s\) \['colour'\]"),
    BadInput("intervention-report-seeds", lambda: intervention_report(_NOWHERE, seeds=[0], verbose=0),
             InvalidParameterError, r"at least 2 seeds"),
    BadInput("intervention-report-arms", lambda: intervention_report(_NOWHERE, settings={"arms": ["ka_plus"]},
                                                                     verbose=0),
             InvalidParameterError, r"settings\['arms'\] must include 'control'"),
    BadInput("intervention-report-quick", lambda: intervention_report(_NOWHERE, quick="yes", verbose=0),
             InvalidParameterError, r"quick"),
]
