"""Bad inputs of the sweeps, experiments, report and plotting entry points.

Every row fails before any model is trained (the sweep checks its whole grid, the analysis budget
and the training memory first), and before anything is written.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from _case import BadInput

from sklearn_ka._utils import MemoryBudgetError
from sklearn_ka.experiments import (
    batch_size_experiment,
    bootstrap_experiment,
    dependent_readings,
    evolution,
    interpolation,
    significance,
    static_comparison,
    static_tables,
    tails,
)
from sklearn_ka.plotting import (
    JacobianHeatmapDisplay,
    MeanExcessDisplay,
    MinorHistogramDisplay,
    ObservableDisplay,
    RankValueDisplay,
    WeightHeatmapDisplay,
)
from sklearn_ka.report import reproduce
from sklearn_ka.sweeps import load_sweep, summarize, sweep

#: A directory that never exists: a row that wrote anything would fail loudly elsewhere.
_NOWHERE = Path(tempfile.gettempdir()) / "sklearn-ka-bad-inputs-never-created"
_GRID = {"hidden_units": [3], "max_epochs": [2]}
_FRAME = pd.DataFrame({"function": ["xor"] * 2, "hidden_units": [4, 4], "seed": [0, 1], "train_r2": [0.9, 0.8],
                       "pr_k1": [1.5, 1.6], "pr_initial_k1": [1.7, 1.8]})
_TAILS = pd.DataFrame({"function": ["xor"], "k": [1], "model": ["trained"], "quantile_rank": [0.9], "mef": [0.1]})


def _sweep(**kwargs):
    args = dict(functions=["xor"], seeds=[0], n_samples=20, analyzer=False, verbose=0)
    args.update(kwargs)
    return lambda: sweep(args.pop("param_grid", _GRID), **args)


def _reproduce(**kwargs):
    return lambda: reproduce(kwargs.pop("out_dir", _NOWHERE), **{"verbose": 0, **kwargs})


def _untrained():
    from sklearn_ka import ShallowMLPRegressor

    return ShallowMLPRegressor(4)


def _module():
    import torch

    return torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.GELU())


def _wide_module():
    import torch

    return torch.nn.Sequential(torch.nn.Linear(3, 3000), torch.nn.GELU())


_X = np.random.default_rng(0).uniform(-1, 1, size=(8, 3))

CASES = [
    # ------------------------------------------------------------------ sweep
    BadInput("sweep-store-int", _sweep(store=123), TypeError, r"sweep: store must be a directory path .*got 123"),
    BadInput("sweep-store-empty", _sweep(store=""), ValueError, r"store must be a directory path; got an empty"),
    BadInput("sweep-seeds-str", _sweep(seeds="0,1"), TypeError, r"sweep: seeds must be a sequence"),
    BadInput("sweep-seeds-nan", _sweep(seeds=[float("nan")]), ValueError, r"seeds\[0\] must be an integer >= 0"),
    BadInput("sweep-n-samples-str", _sweep(n_samples="20"), TypeError, r"sweep: n_samples must be an integer >= 2"),
    BadInput("sweep-n-samples-huge", _sweep(n_samples=10**10), MemoryBudgetError,
             r"training 1 model .*10000000000 samples.*over the memory budget"),
    BadInput("sweep-hidden-units-huge", _sweep(param_grid={"hidden_units": [10**7]}), MemoryBudgetError,
             r"param_grid point \{'hidden_units': 10000000\} cannot be trained: training 1 model of 10000000 hidden"),
    BadInput("sweep-hidden-units-str", _sweep(param_grid={"hidden_units": ["8"]}), TypeError,
             r"hidden_units must be an integer >= 1"),
    BadInput("sweep-learning-rate-nan", _sweep(param_grid={"learning_rate": [float("nan")]}), ValueError,
             r"learning_rate"),
    BadInput("sweep-grid-str", _sweep(param_grid="hidden_units=3"), TypeError, r"param_grid must be a dict"),
    BadInput("sweep-functions-int", _sweep(functions=[3]), TypeError, r"functions must hold target names"),
    BadInput("sweep-function-params-str", _sweep(functions=["lambda_xor"], function_params={"lambda_xor": {
        "lam": "0.5"}}), TypeError, r"function_params\['lambda_xor'\]\['lam'\] must be a list of values"),
    BadInput("sweep-analyzer-too-wide", _sweep(param_grid={"hidden_units": [2000]}, analyzer=None),
             MemoryBudgetError, r"hidden_units=2000 cannot fit its memory budget \(checked before training"),
    BadInput("sweep-analyzer-param", _sweep(analyzer={"n_rotations": "400"}), TypeError,
             r"KAGeometryAnalyzer: n_rotations must be an integer >= 1"),
    BadInput("sweep-analyzer-unknown-param", _sweep(analyzer={"rotations": 4}), TypeError,
             r"Bad analyzer parameters \['rotations'\]"),
    BadInput("sweep-analyzer-str", _sweep(analyzer="default"), TypeError, r"analyzer must have fit"),
    BadInput("sweep-measure-int", _sweep(measure=3), ValueError, r"sweep: measure must be a callable"),
    BadInput("sweep-task-size-str", _sweep(task_size="big"), ValueError, r"task_size must be an integer >= 1 or"),
    BadInput("sweep-n-jobs-str", _sweep(n_jobs="2"), ValueError,
             r"sweep: n_jobs must be None, a positive number of workers, or -1 for every CPU"),
    BadInput("sweep-n-jobs-zero", _sweep(n_jobs=0), ValueError,
             r"sweep: n_jobs must be None, a positive number of workers"),
    BadInput("sweep-monitor", _sweep(monitor="validation"), ValueError,
             r"sweep: monitor must be one of 'test', 'train'; got 'validation'"),
    # ------------------------------------------------------ load_sweep, summarize
    BadInput("load-sweep-int", lambda: load_sweep(123), TypeError, r"load_sweep: store must be a directory path"),
    BadInput("load-sweep-none", lambda: load_sweep(None), TypeError, r"load_sweep: store must be a directory path"),
    BadInput("load-sweep-missing", lambda: load_sweep(_NOWHERE), FileNotFoundError, r"holds no sweep store"),
    BadInput("summarize-by-int", lambda: summarize(_FRAME, by=3), TypeError,
             r"summarize: by must be a column name or a non-empty list of column names; got 3"),
    BadInput("summarize-by-empty", lambda: summarize(_FRAME, by=[]), ValueError, r"by must name at least one"),
    BadInput("summarize-columns-text", lambda: summarize(_FRAME, by="function", columns="function"), ValueError,
             r"columns \['function'\] are missing or not numeric"),
    BadInput("summarize-precision-str", lambda: summarize(_FRAME, by="function", precision="4"), TypeError,
             r"summarize: precision must be an integer >= 0"),
    BadInput("summarize-df-dict", lambda: summarize({"a": [1]}, by="a"), TypeError,
             r"summarize: df must be a pandas DataFrame"),
    # ------------------------------------------------------------- experiments
    BadInput("static-widths-zero", lambda: static_comparison(widths=[0]), ValueError,
             r"static_comparison: widths\[0\] must be an integer >= 1"),
    BadInput("static-widths-str", lambda: static_comparison(widths="4"), TypeError, r"widths must be a sequence"),
    BadInput("static-functions-str-unknown", lambda: static_comparison(functions="xro"), ValueError,
             r"Unknown target function 'xro'"),
    BadInput("static-n-samples-huge", lambda: static_comparison(n_samples=10**10), MemoryBudgetError,
             r"over the memory budget"),
    BadInput("static-batch-size-zero", lambda: static_comparison(batch_size=0), ValueError, r"batch_size"),
    BadInput("static-store-int", lambda: static_comparison(store=3), TypeError, r"store must be a directory path"),
    BadInput("static-tables-not-frame", lambda: static_tables("frame"), TypeError,
             r"static_tables: frame must be a pandas DataFrame"),
    BadInput("evolution-r2-step-zero", lambda: evolution(r2_step=0), ValueError, r"evolution: r2_step must be"),
    BadInput("evolution-too-wide", lambda: evolution(hidden_units=3000), MemoryBudgetError,
             r"hidden_units=3000 cannot fit its memory budget"),
    BadInput("evolution-analyzer-false", lambda: evolution(analyzer=False), ValueError, r"needs an analyzer"),
    BadInput("interpolation-family", lambda: interpolation("nope"), ValueError,
             r"interpolation: family must be one of"),
    BadInput("interpolation-values-str", lambda: interpolation("gaussian", values="0.5"), TypeError,
             r"interpolation: values must be a sequence"),
    BadInput("batch-size-too-big", lambda: batch_size_experiment(batch_sizes=[2000]), ValueError,
             r"batch sizes \[2000\] exceed n_samples=1000"),
    BadInput("bootstrap-wide-huge", lambda: bootstrap_experiment(wide_units=10**7), MemoryBudgetError,
             r"10000000 hidden units.*over the memory budget"),
    BadInput("bootstrap-second-huge", lambda: bootstrap_experiment(second_units=10**7), MemoryBudgetError,
             r"10000000 hidden units.*over the memory budget"),
    BadInput("static-monitor", lambda: static_comparison(monitor="eval"), ValueError,
             r"static_comparison: monitor must be one of 'test', 'train'; got 'eval'"),
    BadInput("bootstrap-monitor", lambda: bootstrap_experiment(monitor=None), TypeError,
             r"bootstrap_experiment: monitor must be one of 'test', 'train'; got None"),
    BadInput("dependent-readings-width", lambda: dependent_readings(hidden_units=1), ValueError,
             r"dependent_readings: size-2 minors need hidden_units >= 2"),
    BadInput("dependent-readings-rates", lambda: dependent_readings(false_positive_rates=[0.0]), ValueError,
             r"dependent_readings: false_positive_rates\[0\] must be"),
    BadInput("tails-minor-sizes-zero", lambda: tails(minor_sizes=[0]), ValueError,
             r"tails: minor_sizes\[0\] must be an integer >= 1"),
    BadInput("tails-quantile-ranks", lambda: tails(quantile_ranks=[1.5]), ValueError,
             r"tails: quantile_ranks\[0\] must be a finite number in \[0, 1\)"),
    BadInput("significance-resamples-zero", lambda: significance(n_resamples=0), ValueError,
             r"significance: n_resamples must be an integer >= 1"),
    BadInput("significance-resamples-huge", lambda: significance(_FRAME, n_resamples=10**11), MemoryBudgetError,
             r"significance: .*bootstrap resamples.*over the memory budget"),
    BadInput("significance-by-int", lambda: significance(_FRAME, by=3), TypeError,
             r"significance: by must be a column name or a non-empty list of column names"),
    BadInput("significance-random-state", lambda: significance(_FRAME, random_state="0"), TypeError,
             r"random_state must be"),
    # -------------------------------------------------------------- reproduce
    BadInput("reproduce-seeds-str", _reproduce(seeds="0,1"), TypeError, r"reproduce: seeds must be a sequence"),
    BadInput("reproduce-quick-str", _reproduce(quick="yes"), TypeError, r"reproduce: quick must be True or False"),
    BadInput("reproduce-overwrite-str", _reproduce(overwrite="yes"), TypeError,
             r"reproduce: overwrite must be True or False"),
    BadInput("reproduce-device", _reproduce(device="mps"), ValueError, r"reproduce: device must be 'cpu'"),
    BadInput("reproduce-n-jobs", _reproduce(n_jobs="4"), ValueError,
             r"reproduce: n_jobs must be None, a positive number of workers"),
    BadInput("reproduce-monitor", _reproduce(monitor="val"), ValueError,
             r"reproduce: monitor must be one of 'test', 'train'; got 'val'"),
    BadInput("reproduce-patience", _reproduce(patience=0), ValueError, r"reproduce: patience must be an integer >= 1"),
    BadInput("reproduce-setting-monitor", _reproduce(settings={"monitor": "both"}), ValueError,
             r"reproduce: settings\['monitor'\] must be one of 'test', 'train'"),
    BadInput("reproduce-unknown-setting", _reproduce(settings={"nope": 1}), ValueError, r"unknown setting"),
    BadInput("reproduce-setting-type", _reproduce(settings={"n_samples": "1000"}), TypeError,
             r"reproduce: settings\['n_samples'\] must be an integer >= 2"),
    BadInput("reproduce-setting-widths", _reproduce(settings={"widths": [4, -1]}), ValueError,
             r"reproduce: settings\['widths'\]\[1\] must be an integer >= 1"),
    BadInput("reproduce-too-wide", _reproduce(settings={"widths": [4, 3000]}), MemoryBudgetError,
             r"reproduce: the analysis of the models with hidden_units=3000 cannot fit"),
    BadInput("reproduce-out-int", _reproduce(out_dir=3), TypeError, r"reproduce: out_dir must be a directory path"),
    BadInput("reproduce-out-empty", _reproduce(out_dir=""), ValueError,
             r"reproduce: out_dir must be a directory path; got an empty path"),
    # --------------------------------------------------------------- plotting
    BadInput("observable-display-frame-str", lambda: ObservableDisplay.from_frame("frame", "hidden_units",
                                                                                  "train_r2"),
             TypeError, r"ObservableDisplay.from_frame: frame must be a pandas DataFrame"),
    BadInput("observable-display-column", lambda: ObservableDisplay.from_frame(_FRAME, "width", "train_r2"),
             ValueError, r"frame has no column\(s\) \['width'\]"),
    BadInput("mean-excess-frame", lambda: MeanExcessDisplay.from_frame(_FRAME), ValueError,
             r"frame must be a tails\(\) DataFrame"),
    BadInput("mean-excess-k", lambda: MeanExcessDisplay.from_frame(_TAILS, k=2), ValueError, r"no rows for k=2"),
    BadInput("rank-value-no-trained", lambda: RankValueDisplay({}, {}, 1), ValueError,
             r"row_means needs a 'trained' entry"),
    BadInput("rank-value-k-too-big", lambda: RankValueDisplay.from_model(_module(), _X, k=4, initial=None),
             ValueError, r"k must be an integer in \[1, min\(m, n\) = 3\]"),
    BadInput("minor-histogram-too-many-minors", lambda: MinorHistogramDisplay.from_model(_wide_module(), _X, k=3,
                                                                                          initial=None),
             MemoryBudgetError, r"minors"),
    BadInput("minor-histogram-bins", lambda: MinorHistogramDisplay({"trained": [1.0, 2.0]}, 1).plot(bins=0),
             ValueError, r"bins must be an integer >= 1"),
    BadInput("weight-heatmap-unfitted", lambda: WeightHeatmapDisplay.from_model(_untrained()), ValueError,
             r"is not fitted"),
    BadInput("jacobian-heatmap-n-examples", lambda: JacobianHeatmapDisplay.from_model(_module(), _X, n_examples=100,
                                                                                      initial=None),
             ValueError, r"at least n_examples=100 rows"),
]
