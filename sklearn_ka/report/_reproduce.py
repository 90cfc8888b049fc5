"""``reproduce``: run the experiments of the study [1]_ and write a report (Markdown + HTML + PNG + CSV).

The experiments are described in the user guide (:ref:`experiments`).

References
----------
.. [1] M. Freedman and M. Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in
   Shallow MLPs", arXiv:2509.12326, 2025. https://arxiv.org/abs/2509.12326
"""

from __future__ import annotations

import copy
import inspect
import json
import numbers
import os
import platform
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._paper import PAPER, PAPER_URL, paper_tables
from ._render import Document

__all__ = ["reproduce", "QUICK_SETTINGS", "FULL_SETTINGS", "MIN_SEEDS", "check_device", "deviations"]

#: The report gives means and standard deviations over seeds: at least two are needed.
MIN_SEEDS = 2

#: ``--quick``: Tables I-III (the 48-model static grid, paper protocol) and their figures,
#: one evolution run and the MEFs of the figure models.
QUICK_SETTINGS = {
    "functions": ["xor", "linear", "random"],
    "widths": [4, 8, 16, 32],
    "seeds": [0, 1, 2, 3],
    "n_samples": 1000,
    "batch_size": 250,
    "max_epochs": 10000,
    "patience": 50,
    "analyzer": {"n_rotations": 400, "rotation_method": "haar"},
    "table_width": 32,
    "figure_seed": 0,
    "evolution": {"function": "xor", "seeds": [0], "r2_step": 0.1},
    "significance": {"n_resamples": 9999, "paired": True},
    "interpolation": None,
    "batch_size_experiment": None,
    "bootstrap": None,
    "tails": None,
    "device": "cpu",
}

#: ``--full``: every experiment of the study (:ref:`experiments`) at the paper's scale.
FULL_SETTINGS = {
    **copy.deepcopy(QUICK_SETTINGS),
    "evolution": {"function": "xor", "seeds": [0, 1, 2, 3], "r2_step": 0.05},
    "interpolation": {"families": ["lambda_xor", "gaussian", "so_xor"], "values": None},
    "batch_size_experiment": {"functions": ["random", "xor"], "batch_sizes": [32, 64, 128, 256, 512, 1000]},
    "bootstrap": {"function": "xor", "batch_sizes": [32, 64, 128, 256, 512, 1000], "wide_units": 264},
    "tails": {"functions": ["xor", "linear", "random"]},
}


def _causes(n_seeds):
    """Plausible causes of deviations from the published cells (report prose)."""
    # relative standard error of a sample standard deviation from n values: about 1 / sqrt(2 (n - 1))
    sd_error = 100 / np.sqrt(2 * (n_seeds - 1))
    return [
        f"Sampling: every number is a mean over {n_seeds} seeds{'' if n_seeds == 4 else ' (the paper used 4)'}, "
        f"and a standard deviation from "
        f"{n_seeds} values is itself uncertain by about ±{sd_error:.0f} %; with dozens of cells, some land outside "
        "mean ± 2 std even under an identical protocol.",
    ] + _CAUSES


_CAUSES = [
    "Random draws: our initialisations, data sets and mini-batch orders come from our seed protocol "
    "(numpy generators), not from the paper's code, so individual models differ.",
    "Early stopping: we monitor the loss of an independent test set of 1000 examples (patience 50, best weights "
    "kept); when and where training stops moves R² and, through the weights, every geometric observable.",
    "Precision: training runs in float32 (PyTorch's default), the analysis in float64.",
    "Definitions: the thresholds are quantiles of the initial model's row means pooled over examples and rows, "
    "and dependent zero rows are read as in the user guide (Observables: 'Zero rows' and 'Dependent zero rows'); "
    "where the paper's code made a different choice (pooling, quantile interpolation, the k=2 vs k=3 reading of "
    "'dependent'), zero-row percentages move first.",
    "Zero standard deviations: a published std of 0.0000 (linear R²) makes any difference beyond the printed "
    "precision count as 'outside'; such cells are marked as agreeing to the printed precision instead.",
]


#: x-axis labels of the interpolation figures, per target family.
_PARAMETER_LABELS = {
    "lambda_xor": "λ (frequency of λ-xor; λ = 1 is xor)",
    "gaussian": "λ (width of the Gaussian G(λ))",
    "so_xor": "α (seed of the rotation of SO(α)-xor)",
}


def _observable_labels(k, q1):
    """y-axis labels (with units) of the observables drawn in the report."""
    pairs = "(% of (x, row) pairs)"
    return {
        "zero": f"zero rows k={k}, q1={100 * q1:g}%\n{pairs}",
        "consistent": f"consistently zero rows k={k}\n{pairs}",
        "dependent": f"dependent zero rows k={k}\n{pairs}",
        "pr": f"PR(k={k}), trained / initial\n(ratio; 1 = as initialised)",
        "rotation": f"rotation ratio k={k}, trained / initial\n(ratio; 1 = as initialised)",
        "kl": f"column KL to initial, k={k}\n(log base C(m, k))",
    }


def _log(verbose, msg, t0):
    if verbose:
        print(f"[{time.perf_counter() - t0:7.1f} s] {msg}", flush=True)


#: Resolution of the report's PNG figures.
FIGURE_DPI = 150


def _save(fig, path):
    fig.savefig(path, dpi=FIGURE_DPI, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)


def deviations(merged: pd.DataFrame, n_std: float = 2.0) -> pd.DataFrame:
    """Cells where our mean lies outside the mean ± ``n_std`` std published in the study [1]_.

    Parameters
    ----------
    merged : pandas.DataFrame
        Tidy tables with ``mean``, ``std`` (ours) and ``paper_mean``, ``paper_std``, ``table``
        (as :func:`paper_tables` merged with :func:`sklearn_ka.experiments.static_tables`).
    n_std : float, default=2.0
        Width of the accepted band, in published standard deviations.

    Returns
    -------
    pandas.DataFrame
        The ``merged`` rows with ``difference`` (ours - paper), ``in_paper_std`` (difference in
        units of the paper's std; NaN when it is 0 or absent), ``relative`` (``difference / |paper|``),
        and ``status``: "agrees", "agrees to printed precision" (paper std 0 or absent and
        ``|difference|`` below the printed precision), or "outside".

    References
    ----------
    .. [1] M. Freedman and M. Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in
       Shallow MLPs", arXiv:2509.12326, 2025. https://arxiv.org/abs/2509.12326
    """
    df = merged.dropna(subset=["paper_mean"]).copy()
    df["difference"] = df["mean"] - df["paper_mean"]
    std = df["paper_std"].astype(float)
    df["in_paper_std"] = np.where(std > 0, df["difference"] / std.where(std > 0), np.nan)
    df["relative"] = df["difference"] / df["paper_mean"].abs().where(df["paper_mean"] != 0)
    status = []
    for _, r in df.iterrows():
        s = r["paper_std"]
        if not np.isfinite(r["mean"]):
            status.append("missing")
        elif np.isfinite(s) and s > 0:
            status.append("agrees" if abs(r["difference"]) <= n_std * s else "outside")
        else:  # no or zero published std: compare to the printed precision
            tol = 5e-5 if r["table"] == "I" else 5e-3
            status.append("agrees to printed precision" if abs(r["difference"]) <= tol else "outside")
    df["status"] = status
    return df


def _check_out_dir(out_dir):
    if not isinstance(out_dir, (str, os.PathLike)):
        raise TypeError(f"out_dir must be a directory path; got {type(out_dir).__name__}.")
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ValueError(f"out_dir {str(out)!r} exists and is not a directory.")
    (out / "figures").mkdir(parents=True, exist_ok=True)
    return out


def check_device(device: str) -> str:
    """Check that torch can use ``device`` (``"cpu"``, ``"cuda"`` or ``"cuda:N"``); return it.

    Raises
    ------
    TypeError
        ``device`` is not a string.
    ValueError
        An unknown device, or a CUDA device that torch cannot use on this machine.
    """
    if not isinstance(device, str):
        raise TypeError(f"device must be a string such as 'cpu' or 'cuda'; got {type(device).__name__}.")
    import torch

    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError):
        raise ValueError(f"device must be 'cpu', 'cuda' or 'cuda:N'; got {device!r}.") from None
    if dev.type not in ("cpu", "cuda"):
        raise ValueError(f"device must be 'cpu', 'cuda' or 'cuda:N'; got {device!r}.")
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"{device!r} was requested but torch {torch.__version__} sees no CUDA GPU on this "
                             "machine; use 'cpu', or a CUDA build of torch on a machine with a GPU.")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise ValueError(f"{device!r} was requested but torch sees {torch.cuda.device_count()} GPU(s) "
                             f"(cuda:0 to cuda:{torch.cuda.device_count() - 1}).")
    return device


def _check_seeds(seeds):
    """``N`` -> ``[0, ..., N-1]``; a sequence -> a list of distinct integers >= 0 (at least ``MIN_SEEDS``)."""
    if isinstance(seeds, numbers.Integral) and not isinstance(seeds, bool):
        if seeds < MIN_SEEDS:
            raise ValueError(f"seeds must be at least {MIN_SEEDS} (the report gives the mean and standard deviation "
                             f"over seeds); got {seeds}.")
        return list(range(int(seeds)))
    if isinstance(seeds, (str, bytes, bool)) or not isinstance(seeds, Iterable):
        raise TypeError(f"seeds must be an integer N (seeds 0..N-1) or a sequence of integers; got {seeds!r}.")
    values = list(seeds)
    if not all(isinstance(v, numbers.Integral) and not isinstance(v, bool) and v >= 0 for v in values):
        raise ValueError(f"seeds must be integers >= 0; got {values!r}.")
    values = [int(v) for v in values]
    if len(set(values)) != len(values):
        raise ValueError(f"seeds must be distinct; got {values!r}.")
    if len(values) < MIN_SEEDS:
        raise ValueError(f"at least {MIN_SEEDS} seeds are needed (the report gives the mean and standard deviation "
                         f"over seeds); got {values!r}.")
    return values


def _training_device(device, experiments):
    """Keyword arguments that make ``experiments`` train on ``device`` (none for the CPU, their default)."""
    if device == "cpu":
        return {}
    lacking = [f.__name__ for f in experiments if "device" not in inspect.signature(f).parameters]
    if lacking:
        raise ValueError(f"device={device!r}: {', '.join(lacking)} of this version of sklearn_ka.experiments "
                         "take no device and train on the CPU; use device='cpu'.")
    return {"device": device}


def _merge_settings(quick, settings):
    base = copy.deepcopy(QUICK_SETTINGS if quick else FULL_SETTINGS)
    if settings is None:
        return base
    if not isinstance(settings, dict):
        raise TypeError(f"settings must be a dict of overrides or None; got {type(settings).__name__}.")
    unknown = sorted(set(settings) - set(base))
    if unknown:
        raise ValueError(f"unknown setting(s) {unknown}; known: {sorted(base)}.")
    for key, value in settings.items():
        if isinstance(base[key], dict) and isinstance(value, dict):
            base[key].update(value)
        else:
            base[key] = value
    return base


def _figure_models(s):
    """The table-width, figure-seed models of each function, retrained exactly as in the sweep."""
    from ..neural_network import ShallowMLPRegressor, fit_many
    from ..sweeps import make_sweep_data

    data = [make_sweep_data(f, s["figure_seed"], n_samples=s["n_samples"]) for f in s["functions"]]
    models = [ShallowMLPRegressor(s["table_width"], batch_size=s["batch_size"], max_epochs=s["max_epochs"],
                                  patience=s["patience"], random_state=s["figure_seed"], device=s["device"])
              for _ in data]
    fit_many(models, [d[0] for d in data], [d[1] for d in data], eval_set=[(d[2], d[3]) for d in data])
    return {f: (m, d) for f, m, d in zip(s["functions"], models, data)}


def _tables_markdown(merged, table):
    sub = merged[merged["table"] == table]
    out = pd.DataFrame({
        "row": sub["row"], "quantity": sub["quantity"], "column": sub["column"],
        "ours (mean ± std)": [_pm(m, s, u) for m, s, u in zip(sub["mean"], sub["std"], sub["unit"])],
        "paper (mean ± std)": [_pm(m, s, u) for m, s, u in zip(sub["paper_mean"], sub["paper_std"], sub["unit"])],
    })
    if table != "II":
        out = out.drop(columns="quantity")
    return out


def _pm(mean, std, unit=""):
    if mean is None or not np.isfinite(mean):
        return "–"
    digits = 3 if unit == "%" else (4 if abs(mean) < 5 else 2)
    if std is None or not np.isfinite(std):
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} ± {std:.{digits}f}"


def reproduce(out_dir: str | os.PathLike = "reproduce-report", quick: bool = True, *, n_jobs: int | None = None,
              seeds: int | Iterable[int] | None = None, device: str | None = None,
              settings: Mapping[str, Any] | None = None, verbose: int = 1) -> dict[str, Any]:
    """Run the experiments of the KA-geometry study [1]_ and write a self-contained report.

    The experiments and their observables are described in the user guide
    (:ref:`experiments`, :ref:`observables`); ``python -m sklearn_ka reproduce`` calls this.

    Writes into ``out_dir``: ``report.md`` and ``report.html`` (the same content), ``figures/*.png``,
    ``static.csv`` (one row per model of the static grid: every number), ``tables.csv`` (Tables
    I-III, ours beside the paper's, with the deviation of each cell), ``significance.csv``,
    ``evolution.csv``, ``tails.csv`` (and with ``quick=False`` ``interpolation.csv``,
    ``batch_size.csv``, ``bootstrap.csv``), ``settings.json`` (settings, timings, versions) and the
    sweep stores under ``store/`` (a rerun into the same directory resumes from them).

    Parameters
    ----------
    out_dir : str or os.PathLike, default="reproduce-report"
        Output directory (created).
    quick : bool, default=True
        ``True``: Tables I-III from the 48-model static grid (xor/linear/random x m in {4, 8, 16, 32} x
        4 seeds, paper protocol: 1000 examples, batch 250, patience 50, the test set as eval_set;
        :ref:`exp-static`), their figures, one evolution run (xor(32), seed 0, R^2 steps of 0.1;
        :ref:`exp-evolution`) and the MEFs of the m = 32 models of seed 0 (:ref:`exp-tails`); a few
        minutes on 2 cores. ``False``: every experiment of the study at the paper's scale (see
        :data:`FULL_SETTINGS`); hours on 2 cores (see the report), resumable through the stores.
    n_jobs : int or None, default=None
        Parallel sweep tasks (joblib); ``None`` uses 1 (or the active ``joblib.parallel_config``).
    seeds : int, sequence of int or None, default=None
        ``N``: the seeds ``0, ..., N-1``; a sequence: those seeds (distinct, >= 0); at least
        ``MIN_SEEDS`` = 2. They replace the ``"seeds"`` setting (every multi-seed experiment);
        the figures then use the first seed (``"figure_seed"``), and so does the quick mode's
        evolution run (the full mode's runs every seed). ``None``: the settings' seeds (0-3, as in
        the paper).
    device : str or None, default=None
        Torch device that trains the models and runs the analysis: ``"cpu"``, ``"cuda"`` or
        ``"cuda:N"``; replaces the ``"device"`` setting. ``None``: the setting (``"cpu"``).
    settings : dict or None, default=None
        Overrides of :data:`QUICK_SETTINGS` / :data:`FULL_SETTINGS` (nested dicts are updated), e.g.
        for a tiny test run. Overridden settings are recorded in ``settings.json`` and the report.
    verbose : int, default=1
        Progress messages when positive (sweep progress bars when > 1).

    Returns
    -------
    dict
        ``out_dir``, ``files`` (paths written), ``tables`` (the merged tidy tables),
        ``deviations`` (their deviation rows), ``run_time_s``.

    Raises
    ------
    TypeError, ValueError
        Bad arguments (checked before any work starts), e.g. fewer than two seeds or a CUDA device
        on a machine without a GPU.

    References
    ----------
    .. [1] M. Freedman and M. Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in
       Shallow MLPs", arXiv:2509.12326, 2025. https://arxiv.org/abs/2509.12326
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    from .._version import __version__
    from ..experiments import (
        batch_size_experiment,
        bootstrap_experiment,
        evolution,
        interpolation,
        significance,
        static_comparison,
        static_tables,
        tails,
    )
    from ..experiments._tails import TailMeasure
    from ..plotting import (
        JacobianHeatmapDisplay,
        MeanExcessDisplay,
        MinorHistogramDisplay,
        ObservableDisplay,
        RankValueDisplay,
        WeightHeatmapDisplay,
    )

    if not isinstance(quick, bool):
        raise TypeError(f"quick must be True or False; got {quick!r}.")
    if isinstance(verbose, bool) or not isinstance(verbose, int) or verbose < 0:
        raise ValueError(f"verbose must be an integer >= 0; got {verbose!r}.")
    s = _merge_settings(quick, settings)
    if seeds is not None:
        s["seeds"] = _check_seeds(seeds)
        s["figure_seed"] = s["seeds"][0]
        if s.get("evolution"):
            s["evolution"]["seeds"] = s["seeds"][:1] if quick else list(s["seeds"])
    if device is not None:
        s["device"] = device
    check_device(s["device"])
    analyzer = dict(s["analyzer"], **({} if s["device"] == "cpu" else {"device": s["device"]}))
    trainers = [static_comparison] + [fn for key, fn in (("evolution", evolution), ("tails", tails),
                                                         ("interpolation", interpolation),
                                                         ("batch_size_experiment", batch_size_experiment),
                                                         ("bootstrap", bootstrap_experiment)) if s.get(key)]
    on_device = _training_device(s["device"], trainers)
    out = _check_out_dir(out_dir)
    figs = out / "figures"
    store = out / "store"
    t0 = time.perf_counter()
    timings = {}
    sv = max(0, verbose - 1)
    common = dict(n_samples=s["n_samples"], max_epochs=s["max_epochs"], patience=s["patience"], n_jobs=n_jobs,
                  verbose=sv, **on_device)
    W = s["table_width"]
    written = []

    def write_csv(frame, name):
        path = out / name
        frame.to_csv(path, index=False)
        written.append(path)

    # ------------------------------------------------------------------ Tables I-III
    _log(verbose, f"static grid: {len(s['functions'])} functions x {len(s['widths'])} widths x "
                  f"{len(s['seeds'])} seeds", t0)
    t = time.perf_counter()
    static = static_comparison(s["functions"], s["widths"], s["seeds"], batch_size=s["batch_size"],
                               analyzer=dict(analyzer), store=store / "static", **common)
    timings["static_s"] = time.perf_counter() - t
    write_csv(static, "static.csv")
    qs = tuple(dict(s["analyzer"]).get("false_positive_rates", (1e-4, 1e-3, 1e-2)))
    tables = static_tables(static, width=W, false_positive_rates=qs)
    merged = tables.merge(paper_tables(), on=["table", "row", "quantity", "column"], how="left")
    dev = deviations(merged)
    merged = merged.merge(dev[["table", "row", "quantity", "column", "difference", "in_paper_std", "status"]],
                          on=["table", "row", "quantity", "column"], how="left")
    write_csv(merged, "tables.csv")
    _log(verbose, f"static grid done ({timings['static_s']:.0f} s)", t0)

    # ------------------------------------------------------------------ significance
    t = time.perf_counter()
    sig = significance(static, **s["significance"])
    write_csv(sig, "significance.csv")
    timings["significance_s"] = time.perf_counter() - t

    # ------------------------------------------------------------------ figures of the static grid
    t = time.perf_counter()
    fig_list = []

    def save(fig, name, caption):
        path = figs / name
        _save(fig, path)
        written.append(path)
        fig_list.append((f"figures/{name}", caption))

    d = ObservableDisplay.from_frame(static, "hidden_units", "train_r2", xscale="log",
                                     ylabel="training R² (dimensionless)")
    save(d.figure_, "r2_vs_width.png", "Training R² against width m (mean ± sem over seeds); Table I.")

    k_max = max(k for k in (1, 2, 3) if f"pr_k{k}" in static.columns)
    labels = _observable_labels(k_max, qs[-1])
    panels = [(f"zero_rows_k{k_max}_q{qs[-1]:g}", 100, labels["zero"], None),
              (f"consistent_zero_rows_k{k_max}_q{qs[-1]:g}", 100, labels["consistent"], None),
              (f"dependent_zero_rows_k{k_max}_q{qs[-1]:g}", 100, labels["dependent"], None),
              (f"pr_normalized_k{k_max}", 1, labels["pr"], 1.0),
              (f"rotation_ratio_normalized_k{k_max}", 1, labels["rotation"], 1.0),
              (f"column_kl_k{k_max}", 1, labels["kl"], None)]
    panels = [p for p in panels if p[0] in static.columns]
    fig, axes = plt.subplots(2, 3, figsize=(14, 8))
    for ax, (col, scale, label, ref) in zip(axes.ravel(), panels):
        ObservableDisplay.from_frame(static, "hidden_units", col, scale=scale, reference=ref, xscale="log",
                                     ylabel=label, ax=ax)
    for ax in axes.ravel()[len(panels):]:
        ax.set_visible(False)
    fig.tight_layout()
    save(fig, "observables_vs_width.png", "KA observables against width m (mean ± sem over seeds).")

    _log(verbose, f"figure models (m={W}, seed {s['figure_seed']})", t0)
    fmodels = _figure_models(s)
    ks = [k for k in (1, 2, 3) if k <= min(W, 3)]
    xor_like = "xor" if "xor" in fmodels else next(iter(fmodels))
    model, (X, y, Xt, yt) = fmodels[xor_like]
    d = WeightHeatmapDisplay.from_model(model, name=f"{xor_like}({W})")
    save(d.figure_, "weights_heatmap.png", f"First-layer weights [Aᵀ | a] of {xor_like}({W}), initial vs trained.")
    d = JacobianHeatmapDisplay.from_model(model, X, n_examples=8, name=f"{xor_like}({W})")
    save(d.figure_, "jacobian_heatmap.png", f"|J(x)| of {xor_like}({W}) at 8 training examples, initial vs trained.")
    for cls, name, caption, kw in (
        (RankValueDisplay, "rank_value.png", "Rank-value (Zipf) plots of size-k row means, trained vs initial, "
                                             "with the initial quantile thresholds Q^(k) for each q1.",
         {"false_positive_rates": qs}),
        (MinorHistogramDisplay, "minor_histograms.png", "Histograms of size-k minors (log x), trained vs initial.",
         {}),
    ):
        fig, axes = plt.subplots(len(fmodels), len(ks), figsize=(4.5 * len(ks), 3.6 * len(fmodels)), squeeze=False)
        for i, (f, (mdl, (Xf, *_))) in enumerate(fmodels.items()):
            for j, k in enumerate(ks):
                cls.from_model(mdl, Xf, k=k, name=f"{f}({W})", ax=axes[i, j], **kw)
        fig.tight_layout()
        save(fig, name, caption)

    # MEFs of the figure models (tails of quick mode)
    rows = []
    tm = TailMeasure(ks)
    for f, (mdl, (Xf, yf, *_)) in fmodels.items():
        for p in json.loads(tm(mdl, Xf, yf)["tails_json"]):
            rows.append(dict(function=f, hidden_units=W, seed=s["figure_seed"], **p))
    tails_df = pd.DataFrame(rows)
    timings["figures_s"] = time.perf_counter() - t

    # ------------------------------------------------------------------ evolution
    evo = None
    if s.get("evolution"):
        t = time.perf_counter()
        e = dict(s["evolution"])
        _log(verbose, f"evolution: {e['function']}({W}), seeds {e['seeds']}", t0)
        evo = evolution(e["function"], W, e["seeds"], r2_step=e["r2_step"], batch_size=s["batch_size"],
                        analyzer=dict(analyzer), store=store / "evolution", **common)
        write_csv(evo, "evolution.csv")
        cols = [(f"zero_rows_k{k_max}_q{qs[-1]:g}", 100, labels["zero"], None),
                (f"pr_normalized_k{k_max}", 1, labels["pr"], 1.0),
                (f"rotation_ratio_normalized_k{k_max}", 1, labels["rotation"], 1.0),
                (f"column_kl_k{k_max}", 1, labels["kl"], None)]
        cols = [c for c in cols if c[0] in evo.columns]
        evo_points = evo[evo["stage"] != "final"].assign(run=lambda d: "seed " + d["seed"].astype(str))
        fig, axes = plt.subplots(1, len(cols), figsize=(4.5 * len(cols), 3.8), squeeze=False)
        for ax, (col, scale, label, ref) in zip(axes.ravel(), cols):
            ObservableDisplay.from_frame(evo_points, "train_r2", col, hue="run", aggregate=False,
                                         error=None, scale=scale, reference=ref,
                                         xlabel="training R² (dimensionless)", ylabel=label, ax=ax)
        fig.tight_layout()
        save(fig, "evolution.png", f"Observables during training of {e['function']}({W}) against training R² "
                                   "(one line per seed; snapshots every "
                                   f"{e['r2_step']} of R²).")
        timings["evolution_s"] = time.perf_counter() - t

    # ------------------------------------------------------------------ full-only experiments
    extra = {}
    if s.get("tails"):
        t = time.perf_counter()
        _log(verbose, "tails", t0)
        tails_df = tails(s["tails"]["functions"], W, s["seeds"], minor_sizes=ks, batch_size=s["batch_size"],
                         store=store / "tails", **common)
        timings["tails_s"] = time.perf_counter() - t
    write_csv(tails_df, "tails.csv")
    fig, axes = plt.subplots(1, len(ks), figsize=(5 * len(ks), 4), squeeze=False)
    for ax, k in zip(axes.ravel(), ks):
        MeanExcessDisplay.from_frame(tails_df, k=k, yscale="log", ax=ax)
    fig.tight_layout()
    save(fig, "mef.png", "Mean excess functions of size-k minors against the quantile rank, trained vs initial, "
                         "with least-squares lines (dashed).")

    if s.get("interpolation"):
        t = time.perf_counter()
        frames = []
        for fam in s["interpolation"]["families"]:
            _log(verbose, f"interpolation: {fam}", t0)
            frames.append(interpolation(fam, s["interpolation"].get("values"), W, s["seeds"],
                                        batch_size=s["batch_size"], analyzer=dict(analyzer),
                                        store=store / f"interpolation-{fam}", **common))
        inter = pd.concat(frames, ignore_index=True)
        write_csv(inter, "interpolation.csv")
        extra["interpolation"] = inter
        cols = [("train_r2", 1, "training R² (dimensionless)", None), ("test_r2", 1, "test R² (dimensionless)", None),
                (f"zero_rows_k{k_max}_q{qs[-1]:g}", 100, labels["zero"], None),
                (f"pr_normalized_k{k_max}", 1, labels["pr"], 1.0),
                (f"rotation_ratio_normalized_k{k_max}", 1, labels["rotation"], 1.0),
                (f"column_kl_k{k_max}", 1, labels["kl"], None)]
        for fam, fr in inter.groupby("function", sort=False):
            fig, axes = plt.subplots(2, 3, figsize=(14, 8))
            xlabel = _PARAMETER_LABELS.get(fam, str(fr["parameter"].iloc[0]))
            for ax, (col, scale, label, ref) in zip(axes.ravel(), cols):
                ObservableDisplay.from_frame(fr, "value", col, scale=scale, reference=ref, xlabel=xlabel,
                                             ylabel=label, ax=ax)
            fig.tight_layout()
            save(fig, f"interpolation_{fam}.png", f"Observables against the parameter of {fam}({W}).")
        timings["interpolation_s"] = time.perf_counter() - t
    if s.get("batch_size_experiment"):
        t = time.perf_counter()
        b = s["batch_size_experiment"]
        _log(verbose, "batch size experiment", t0)
        bs = batch_size_experiment(b["functions"], b["batch_sizes"], W, s["seeds"], analyzer=dict(analyzer),
                                   store=store / "batch_size", **common)
        write_csv(bs, "batch_size.csv")
        extra["batch_size"] = bs
        cols = [("train_r2", 1, "training R² (dimensionless)", None),
                (f"consistent_zero_rows_k{k_max}_q{qs[-1]:g}", 100, labels["consistent"], None),
                (f"example_dependent_zero_rows_k{k_max}_q{qs[-1]:g}", 100,
                 f"example-dependent zero rows k={k_max}\n(% of (x, row) pairs)", None),
                (f"consistent_small_weight_overlap_q{qs[-1]:g}", 1,
                 "consistent rows among smallest |A|\n(fraction of consistent rows)", None),
                (f"consistent_negative_bias_q{qs[-1]:g}", 1,
                 "consistent rows with a < 0\n(fraction of consistent rows)", None),
                (f"pr_normalized_k{k_max}", 1, labels["pr"], 1.0)]
        fig, axes = plt.subplots(2, 3, figsize=(14, 8))
        for ax, (col, scale, label, ref) in zip(axes.ravel(), cols):
            ObservableDisplay.from_frame(bs, "batch_size", col, scale=scale, reference=ref, xscale="log", ylabel=label,
                                         ax=ax)
        fig.tight_layout()
        save(fig, "batch_size.png", f"Observables against the mini-batch size, m={W}.")
        timings["batch_size_s"] = time.perf_counter() - t
    if s.get("bootstrap"):
        t = time.perf_counter()
        b = s["bootstrap"]
        _log(verbose, "bootstrapped model", t0)
        boot = bootstrap_experiment(b["function"], b["batch_sizes"], W, s["seeds"], wide_units=b["wide_units"],
                                    store=store / "bootstrap", **common)
        write_csv(boot, "bootstrap.csv")
        extra["bootstrap"] = boot
        d = ObservableDisplay.from_frame(boot, "batch_size", "train_r2", hue="model", xscale="log",
                                         ylabel="training R² (dimensionless)")
        save(d.figure_, "bootstrap.png", "Training R² of the bootstrapped model and its controls per batch size.")
        timings["bootstrap_s"] = time.perf_counter() - t

    run_time = time.perf_counter() - t0
    timings["total_s"] = run_time
    info = {"mode": "quick" if quick else "full", "settings": s, "timings_s": timings, "n_jobs": n_jobs,
            "sklearn_ka": __version__, "python": platform.python_version(), "platform": platform.platform(),
            "cpu_count": os.cpu_count(), "date": time.strftime("%Y-%m-%d %H:%M:%S %z"),
            "numpy": np.__version__, "pandas": pd.__version__}
    try:
        import torch

        info["torch"] = torch.__version__
    except ImportError:  # pragma: no cover
        pass
    (out / "settings.json").write_text(json.dumps(info, indent=2, default=str))
    written.append(out / "settings.json")

    # ------------------------------------------------------------------ the report
    doc = _build_document(s, quick, info, merged, dev, sig, static, evo, extra, fig_list, W, qs, k_max)
    (out / "report.md").write_text(doc.markdown(), encoding="utf-8")
    (out / "report.html").write_text(doc.html(), encoding="utf-8")
    written += [out / "report.md", out / "report.html"]
    _log(verbose, f"report written to {out / 'report.md'} ({run_time:.0f} s)", t0)
    return {"out_dir": out, "files": written, "tables": merged, "deviations": dev, "run_time_s": run_time}


def _build_document(s, quick, info, merged, dev, sig, static, evo, extra, fig_list, W, qs, k_max):
    doc = Document("sklearn-ka: reproduction of the KA-geometry study")
    t = info["timings_s"]
    doc.p(f"A reproduction of {PAPER} ({PAPER_URL}) with sklearn-ka: our numbers beside the published ones, with "
          "every setting used. The definitions are those of the sklearn-ka user guide (pages 'Observables' and "
          "'Experiments'), which follows the paper.")
    doc.p(f"Mode: {'--quick' if quick else '--full'}. Run time {t['total_s']:.0f} s on {info['cpu_count']} CPU(s) "
          f"(n_jobs={info['n_jobs']}, device {s['device']}), {info['date']}. sklearn-ka {info['sklearn_ka']}, "
          f"Python {info['python']}, torch {info.get('torch', '?')}.")
    doc.h(1, "Settings")
    doc.ul([
        f"Functions {s['functions']}, widths m ∈ {s['widths']}, seeds {s['seeds']} (seed protocol of "
        "sklearn_ka.sweeps: the seed fixes initialisation, shuffling, the function's own draw, training and test "
        "data).",
        f"Protocol: n = 3 inputs, {s['n_samples']} training examples and an independent test set of the same size as "
        f"the early-stopping eval_set; batch size {s['batch_size']}, Adam lr 0.01, at most {s['max_epochs']} epochs, "
        f"patience {s['patience']}, best weights kept; exact GeLU; float32 training.",
        f"Analyzer: KAGeometryAnalyzer({', '.join(f'{k}={v!r}' for k, v in s['analyzer'].items())}) with defaults "
        "otherwise (k = 1, 2, 3; q1 ∈ {1e-4, 1e-3, 1e-2}; PR convention ‖·‖₁/‖·‖₂; softmax column probabilities; "
        "consistently zero = zero at ≥ 99 % of the examples); observables on the training data, each model against its "
        "own initialisation.",
        f"Tables II and III and the single-model figures use m = {W}; figures of one model use seed "
        f"{s['figure_seed']}.",
        f"Device: {s['device']} (training and analysis).",
        "Timings (s): " + ", ".join(f"{k[:-2]} {v:.0f}" for k, v in t.items()),
    ])
    doc.code(json.dumps(s, default=str))

    titles = {"I": "Table I: training R² (mean ± std over seeds)",
              "II": f"Table II: size-3 zero rows and dependent zero rows, m = {W}, in %",
              "III": f"Table III: participation ratios, m = {W}"}
    for tab in ("I", "II", "III"):
        doc.h(1, titles[tab])
        doc.table(_tables_markdown(merged, tab))
    doc.p("Dependent(2) counts zero rows of J^(2) whose two units are not zero rows of J^(1); dependent(3) zero rows "
          "of J^(3) none of whose pairs is a zero row of J^(2), each as a percentage of all (x, row) pairs of that k "
          "(user guide, Observables: 'Dependent zero rows').")

    doc.h(1, "Deviations from the paper")
    outside = dev[dev["status"] == "outside"]
    n_cmp = int((dev["status"] != "missing").sum())
    doc.p(f"{len(outside)} of {n_cmp} published cells lie outside the paper's mean ± 2 std (cells with a published "
          "std of 0 or none are compared at the printed precision). Differences are ours − paper; 'in paper std' "
          "divides by the published std.")
    if len(outside):
        tab = outside.assign(ours=[_pm(m, sd, u) for m, sd, u in zip(outside["mean"], outside["std"], outside["unit"])],
                             paper=[_pm(m, sd, u) for m, sd, u in zip(outside["paper_mean"], outside["paper_std"],
                                                                      outside["unit"])])
        doc.table(tab[["table", "row", "quantity", "column", "ours", "paper", "difference", "in_paper_std",
                       "relative"]], precision=3)
        summary = []
        for tab_id, grp in outside.groupby("table"):
            hi = int((grp["difference"] > 0).sum())
            summary.append(f"Table {tab_id}: {len(grp)} cell(s) outside, {hi} above and {len(grp) - hi} below the "
                           f"paper; largest |difference| {grp['difference'].abs().max():.4g} "
                           f"({grp.loc[grp['difference'].abs().idxmax(), 'row']}, "
                           f"{grp.loc[grp['difference'].abs().idxmax(), 'quantity']}, "
                           f"{grp.loc[grp['difference'].abs().idxmax(), 'column']}).")
        doc.ul(summary)
    else:
        doc.p("Every compared cell agrees with the paper within mean ± 2 std.")
    # does the qualitative finding hold?
    qual = _qualitative(merged, W)
    if qual:
        doc.p("Qualitative checks (the paper's claims, tested on our numbers):")
        doc.ul(qual)
    doc.p("Plausible causes (we did not tune anything toward the paper):")
    doc.ul(_causes(len(s["seeds"])))

    doc.h(1, "Significance: trained vs initial")
    n_seeds = len(s["seeds"])
    min_p = 2 / 2 ** n_seeds
    if min_p >= 0.05:
        reach = (f"so {n_seeds} seeds cannot reach p < 0.05 whatever the effect: use more seeds (--seeds 8 gives "
                 f"{2 / 2 ** 8:.4f}) to claim emergence with a p-value.")
    else:
        reach = f"so p < 0.05 is attainable with {n_seeds} seeds."
    doc.p("Per (function, m), the mean over seeds of trained − initial, a 95 % percentile-bootstrap interval of that "
          "mean, and a two-sided paired permutation test (sign flips of the per-seed differences; exact). With n seeds "
          f"the smallest attainable p-value is 2/2ⁿ ({min_p:.4g} for {n_seeds} seeds), {reach} References: "
          "PR, rotation ratio and entropy against the initial model's own value; zero rows against q(k); KL against 0. "
          "See the user guide, Experiments: 'Significance'.")
    keep = [f"zero_rows_k{k_max}_q{qs[-1]:g}", f"dependent_zero_rows_k{k_max}_q{qs[-1]:g}", f"pr_k{k_max}",
            f"rotation_ratio_k{k_max}", f"column_entropy_k{k_max}", f"column_kl_k{k_max}"]
    st = sig[sig["observable"].isin(keep) & (sig["hidden_units"] == W)] if "hidden_units" in sig else sig
    doc.table(st[["function", "hidden_units", "observable", "mean_trained", "mean_initial", "mean_difference", "ci_low",
                  "ci_high", "p_value", "min_p_value"]], precision=4)
    doc.p("All observables, widths and functions: significance.csv.")

    if evo is not None:
        doc.h(1, "Evolution during training")
        last = evo[evo["stage"] == "final"]
        doc.p(f"{len(evo)} analysed points ({len(last)} run(s)); see evolution.csv and the figure below.")
    if "bootstrap" in extra:
        doc.h(1, "Bootstrapped model: training R² per batch size")
        b = extra["bootstrap"].groupby(["model", "batch_size"])["train_r2"].agg(["mean", "std"]).reset_index()
        doc.table(b)
    if "batch_size" in extra:
        doc.h(1, "Batch size: consistently zero vs example-dependent rows")
        bs = extra["batch_size"]
        cols = [c for c in (f"consistent_zero_rows_k{k_max}_q{qs[-1]:g}",
                            f"example_dependent_zero_rows_k{k_max}_q{qs[-1]:g}",
                            f"consistent_small_weight_overlap_q{qs[-1]:g}", f"consistent_negative_bias_q{qs[-1]:g}",
                            "negative_bias_fraction") if c in bs]
        doc.table(bs.groupby(["function", "batch_size"])[cols].mean().reset_index())
    if "interpolation" in extra:
        doc.h(1, "Interpolation")
        it = extra["interpolation"]
        doc.table(it.groupby(["function", "value"])[["train_r2", "test_r2"]].mean().reset_index())

    doc.h(1, "Figures")
    for path, caption in fig_list:
        doc.img(path, caption)
    doc.h(1, "Files")
    doc.ul(["static.csv: one row per model of the static grid (every number of Tables I–III and more)",
            "tables.csv: Tables I–III, ours beside the paper's, with differences and status",
            "significance.csv, evolution.csv, tails.csv" + (", interpolation.csv, batch_size.csv, bootstrap.csv"
                                                              if not quick else ""),
            "settings.json: settings, timings and versions; store/: the sweep stores (a rerun resumes)"])
    doc.h(1, "Run time of --full")
    doc.p("--full runs every experiment of the paper at its scale (user guide: Experiments), here with the default "
          "4 seeds: the static grid (48 models), evolution (4 seeds, R² steps of 0.05, about 20 analysed snapshots per "
          "seed), interpolation (31 parameter values × 4 seeds = 124 models), batch size (2 functions × 6 batch "
          "sizes × 4 seeds = 48 models; small batches cost up to 8× more steps per epoch), the bootstrapped model "
          "(24 base models, each with two second-stage MLPs and a deep control, plus 24 models of width 264) and "
          "tails (12 models). Estimated from the per-model costs of --quick: about 1.5–3 hours with n_jobs=2 on 2 "
          "cores; the model count grows in proportion to --seeds. Every sweep is written to store/ as it goes, so an "
          "interrupted run resumes where it stopped when rerun into the same directory.")
    return doc


def _qualitative(merged, W):
    """The paper's qualitative claims, checked on our numbers (strings)."""
    out = []
    get = merged.set_index(["table", "row", "quantity", "column"])["mean"]
    try:
        r2 = [get[("I", "xor", "train_r2", f"m = {m}")] for m in (4, 8, 16, 32)]
        out.append(f"xor training R² increases with width: {'yes' if all(np.diff(r2) > 0) else 'no'} "
                   f"({', '.join(f'{v:.3f}' for v in r2)}).")
    except KeyError:
        pass
    try:
        z = {f: get[("II", f"{f}({W})", "zero", "q1 = 1%")] for f in ("xor", "linear", "random")}
        out.append(f"xor({W}) has more size-3 zero rows (q1 = 1%) than linear and random: "
                   f"{'yes' if z['xor'] > max(z['linear'], z['random']) else 'no'} "
                   f"({z['xor']:.2f}% vs {z['linear']:.2f}% and {z['random']:.2f}%; the initial rate is ≈ 3%).")
    except KeyError:
        pass
    try:
        pr = {f: get[("III", f"{f}({W})", "pr_k3", "k = 3")] for f in ("xor", "linear", "random")}
        init = get[("III", f"initial({W})", "pr_initial_k3", "k = 3")]
        lowest = pr["xor"] < min(pr["linear"], pr["random"])
        out.append(f"PR(k=3) is lowest (most concentrated) for xor: {'yes' if lowest else 'no'} "
                   f"(xor {pr['xor']:.2f}, linear {pr['linear']:.2f}, random {pr['random']:.2f}, initial {init:.2f}).")
    except KeyError:
        pass
    return out
