"""Appendix B of the study [1]_: the batch-size study and the bootstrapped model, under both monitors.

The paper does not say which loss early stopping monitors. For random(32) the choice decides
Appendix B: the test loss stops training on its first plateau, the training loss lets the models
memorise. Both sections run their experiment under every monitor of their setting and set the
results side by side, with the paper's claims (and our verdict under each monitor) beside them.

References
----------
.. [1] M. Freedman and M. Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in
   Shallow MLPs", arXiv:2509.12326, 2025. https://arxiv.org/abs/2509.12326
"""

from __future__ import annotations

import pandas as pd

from .._utils import observable_key
from ._claims import CLAIMS, check_claims
from ._comparison import pm
from ._context import ReportRun, monitor_label
from ._figures import panel_figure, panels
from ._sections import OptionalSection

__all__ = ["BatchSize", "Bootstrap", "side_by_side"]


def side_by_side(frame: pd.DataFrame, keys: list[str], columns: dict[str, str], scale: dict | None = None,
                 unit: str = "") -> pd.DataFrame:
    """``mean ± std`` over seeds per ``keys``, one column per (quantity, monitor): the monitors side by side.

    ``columns`` maps a frame column to its label; ``scale`` multiplies some columns (100 for %).
    """
    scale = scale or {}
    out = None
    for monitor, sub in frame.groupby("monitor", sort=True):
        g = sub.groupby(keys, sort=True)
        part = pd.DataFrame({f"{label} [{monitor}]": [pm(m * scale.get(col, 1), s * scale.get(col, 1), unit)
                                                       for m, s in zip(g[col].mean(), g[col].std())]
                             for col, label in columns.items() if col in sub}, index=g[keys[0]].first().index)
        out = part if out is None else out.join(part, how="outer")
    ordered = [f"{label} [{m}]" for label in columns.values() for m in sorted(frame["monitor"].unique())]
    return out[[c for c in ordered if c in out.columns]].reset_index()


def _claims_beside(doc, run: ReportRun, frame_names: tuple[str, ...]) -> None:
    """The paper's claims that read these frames, with our verdict under each monitor."""
    claims = tuple(c for c in CLAIMS if c.needs and set(c.needs) <= set(frame_names))
    checked = check_claims(run.frames, run.width, claims)
    doc.p("The paper's claims (our reading of Appendix B) beside our numbers:")
    doc.ul([f"{r['source']}: {r['claim']} — {r['verdict']}: {r['numbers']}" for _, r in checked.iterrows()])


def _monitors(setting: dict) -> list[str]:
    return list(setting.get("monitors") or ["test"])


class BatchSize(OptionalSection):
    """Appendix B's batch-size study (xor(32) and random(32)), under each monitor of its setting."""

    setting = "batch_size_experiment"

    def run(self, run):
        from ..experiments import batch_size_experiment

        b, W = run.settings["batch_size_experiment"], run.width
        frames = []
        with run.timed("batch_size_s"):
            for monitor in _monitors(b):
                run.log(f"batch size experiment ({monitor_label(monitor)})")
                with run.timed(f"batch_size:{monitor}_s"):
                    frames.append(batch_size_experiment(b["functions"], b["batch_sizes"], W, run.settings["seeds"],
                                                        analyzer=run.analyzer, **{**run.common, "monitor": monitor},
                                                        store=run.store / f"batch_size-{monitor}"))
            bs = pd.concat(frames, ignore_index=True)
            run.write_csv(bs, "batch_size.csv")
            run.frames["batch_size"] = bs
            specs = panels(run, "train_r2", "consistent", "example_dependent", "overlap", "negative_bias", "pr")
            for f, fr in bs.groupby("function", sort=False):
                panel_figure(run, fr.assign(stopping=fr["monitor"].map(monitor_label)), "batch_size", specs,
                             f"batch_size_{f}.png", f"Appendix B, {f}({W}): observables against the mini-batch size "
                             "(mean ± sem over seeds), one line per loss monitored by early stopping.",
                             hue="stopping", xscale="log", xlabel="mini-batch size B (examples)")

    def markdown(self, doc, run):
        from ..experiments import ConsistentRowMeasure

        k, q = run.k_max, run.rates[-1]
        bs = run.frames["batch_size"]
        doc.h(1, "Appendix B: batch size, consistently zero vs example-dependent rows")
        doc.p(f"xor({run.width}) and random({run.width}) at each mini-batch size, mean ± std over seeds; [test]: "
              "early stopping monitors the independent test set, [train]: the training loss. Zero rows at k = "
              f"{k}, q1 = {100 * q:g}%, in % of (x, row) pairs.")
        cols = {"train_r2": "train R²", observable_key("zero_rows", k, q): "zero rows %",
                observable_key("consistent_zero_rows", k, q): "consistent %",
                observable_key("example_dependent_zero_rows", k, q): "example-dependent %"}
        doc.table(side_by_side(bs, ["function", "batch_size"], cols, {c: 100 for c in list(cols)[1:]}))
        dead = {ConsistentRowMeasure.column("consistent_neurons", q): "consistent neurons",
                ConsistentRowMeasure.column("consistent_small_weight_overlap", q): "among smallest |A|",
                ConsistentRowMeasure.column("consistent_negative_bias", q): "with a < 0"}
        doc.p(f"Consistently zero neurons (k = 1, q1 = {100 * q:g}%) and whether they are dead neurons: the fraction "
              "among the neurons with the smallest mean |A| (chance: their number / m) and with a negative bias.")
        doc.table(side_by_side(bs, ["function", "batch_size"], dead))
        _claims_beside(doc, run, ("batch_size",))


class Bootstrap(OptionalSection):
    """Appendix B's bootstrapped model on random(32) with its three controls, under each monitor."""

    setting = "bootstrap"

    def run(self, run):
        import matplotlib.pyplot as plt

        from ..experiments import bootstrap_experiment
        from ..plotting import ObservableDisplay

        b = run.settings["bootstrap"]
        frames = []
        with run.timed("bootstrap_s"):
            for monitor in _monitors(b):
                run.log(f"bootstrapped model on {b['function']} ({monitor_label(monitor)})")
                with run.timed(f"bootstrap:{monitor}_s"):
                    frames.append(bootstrap_experiment(b["function"], b["batch_sizes"], run.width,
                                                       run.settings["seeds"], wide_units=b["wide_units"],
                                                       store=run.store / f"bootstrap-{monitor}",
                                                       **{**run.common, "monitor": monitor}))
            boot = pd.concat(frames, ignore_index=True)
            run.write_csv(boot, "bootstrap.csv")
            run.frames["bootstrap"] = boot
            monitors = list(dict.fromkeys(boot["monitor"]))
            fig, axes = plt.subplots(1, len(monitors), figsize=(6 * len(monitors), 4.2), squeeze=False, sharey=True)
            for ax, monitor in zip(axes.ravel(), monitors):
                ObservableDisplay.from_frame(boot[boot["monitor"] == monitor], "batch_size", "train_r2", hue="model",
                                             xscale="log", xlabel="mini-batch size B (examples)",
                                             ylabel="training R² (dimensionless)", ax=ax)
                ax.set_title(monitor_label(monitor))
            fig.tight_layout()
            run.save_figure(fig, "bootstrap.png", f"Appendix B: training R² of the bootstrapped model and its controls "
                                                  f"on {b['function']}({run.width}) per batch size, one panel per "
                                                  "monitored loss (mean ± sem over seeds).")

    def markdown(self, doc, run):
        b = run.settings["bootstrap"]
        boot = run.frames["bootstrap"]
        doc.h(1, f"Appendix B: the bootstrapped model on {b['function']}({run.width})")
        doc.p("Training R² (mean ± std over seeds) of the base model, the bootstrapped model (a second MLP on the "
              "frozen trained inner map), the same on the untrained inner map, and the controls deep(32, 32) and "
              f"wide({b['wide_units']}); [test]: early stopping monitors the test set, [train]: the training loss "
              "(for every model, the second stage and the controls included).")
        doc.table(side_by_side(boot, ["model", "batch_size"], {"train_r2": "train R²", "test_r2": "test R²"}))
        _claims_beside(doc, run, ("bootstrap",))
