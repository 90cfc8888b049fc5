"""The sections of the reproduction report, one per experiment: run -> frames -> files -> figures -> prose.

Each section's :meth:`~Section.run` computes its frames (into ``run.frames``), writes its CSV
files and its figures; its :meth:`~Section.markdown` adds its part of the report. The
experiments are described in the user guide (:ref:`experiments`). Appendix B, the protocol
sensitivity and the claims checklist have modules of their own; :mod:`._order` lists the
sections in the order they run and appear.
"""

from __future__ import annotations

import json

import pandas as pd

from .._utils import observable_key
from ._comparison import compare_with_paper, pm, qualitative, tables_markdown
from ._context import ReportRun
from ._figures import PARAMETER_LABELS, SYMBOLS, TARGET_LABELS, panel_figure, panels
from ._paper import paper_tables
from ._render import Document

__all__ = ["Section", "OptionalSection", "StaticTables", "Significance", "StaticFigures", "Evolution", "Tails",
           "Interpolation"]


class Section:
    """One part of the report; runs when :meth:`enabled` (always, unless a subclass says otherwise)."""

    def enabled(self, run: ReportRun) -> bool:
        return True

    def run(self, run: ReportRun) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def markdown(self, doc: Document, run: ReportRun) -> None:
        """Add this section's text to the report (nothing by default: its figures are listed at the end)."""


class OptionalSection(Section):
    """A section that runs when its setting (a dict of the experiment's parameters) is set."""

    setting = ""

    def enabled(self, run):
        return bool(run.settings.get(self.setting))


# ---------------------------------------------------------------------- Tables I-III
class StaticTables(Section):
    """The static grid, Tables I-III beside the paper's, and their deviations."""

    def run(self, run):
        from ..experiments import static_comparison, static_tables

        s = run.settings
        run.log(f"static grid: {len(s['functions'])} functions x {len(s['widths'])} widths x "
                f"{len(s['seeds'])} seeds")
        with run.timed("static_s"):
            static = static_comparison(s["functions"], s["widths"], s["seeds"], batch_size=s["batch_size"],
                                       analyzer=run.analyzer, store=run.store / "static", **run.common)
        run.write_csv(static, "static.csv")
        tables = static_tables(static, width=run.width, false_positive_rates=run.rates)
        merged, dev = compare_with_paper(tables, paper_tables())
        run.write_csv(merged, "tables.csv")
        run.frames.update(static=static, tables=merged, deviations=dev)
        run.log(f"static grid done ({run.timings['static_s']:.0f} s)")

    def markdown(self, doc, run):
        W, merged = run.width, run.frames["tables"]
        titles = {"I": "Table I: training R² (mean ± std over seeds)",
                  "II": f"Table II: size-3 zero rows and dependent zero rows, m = {W}, in %",
                  "III": f"Table III: participation ratios, m = {W}"}
        for tab in ("I", "II", "III"):
            doc.h(1, titles[tab])
            doc.table(tables_markdown(merged, tab))
        doc.p("Dependent(2) counts zero rows of J^(2) whose two units are not zero rows of J^(1); dependent(3) zero "
              "rows of J^(3) none of whose pairs is a zero row of J^(2), each as a percentage of all (x, row) pairs of "
              "that k (user guide, Observables: 'Dependent zero rows').")
        self._deviations(doc, run)

    @staticmethod
    def _deviations(doc, run):
        from ._comparison import causes

        dev = run.frames["deviations"]
        doc.h(1, "Deviations from the paper")
        outside = dev[dev["status"] == "outside"]
        n_cmp = int((dev["status"] != "missing").sum())
        doc.p(f"{len(outside)} of {n_cmp} published cells lie outside the paper's mean ± 2 std (cells with a "
              "published std of 0 or none are compared at the printed precision). Differences are ours − paper; "
              "'in paper std' divides by the published std.")
        if len(outside):
            tab = outside.assign(ours=[pm(m, sd, u) for m, sd, u in zip(outside["mean"], outside["std"],
                                                                         outside["unit"])],
                                 paper=[pm(m, sd, u) for m, sd, u in zip(outside["paper_mean"], outside["paper_std"],
                                                                          outside["unit"])])
            doc.table(tab[["table", "row", "quantity", "column", "ours", "paper", "difference", "in_paper_std",
                           "relative"]], precision=3)
            doc.ul([_outside_summary(tab_id, grp) for tab_id, grp in outside.groupby("table")])
        else:
            doc.p("Every compared cell agrees with the paper within mean ± 2 std.")
        checks = qualitative(run.frames["tables"], run.width)  # does the qualitative finding hold?
        if checks:
            doc.p("Qualitative checks (the paper's claims, tested on our numbers):")
            doc.ul(checks)
        doc.p("Plausible causes (we did not tune anything toward the paper):")
        doc.ul(causes(len(run.settings["seeds"]), run.settings["monitor"]))


def _outside_summary(tab_id, grp):
    hi = int((grp["difference"] > 0).sum())
    worst = grp.loc[grp["difference"].abs().idxmax()]
    return (f"Table {tab_id}: {len(grp)} cell(s) outside, {hi} above and {len(grp) - hi} below the "
            f"paper; largest |difference| {grp['difference'].abs().max():.4g} "
            f"({worst['row']}, {worst['quantity']}, {worst['column']}).")


# ------------------------------------------------------------------------ significance
class Significance(Section):
    """Trained vs initial: bootstrap intervals and permutation p-values over the static grid's seeds."""

    def run(self, run):
        from ..experiments import significance

        with run.timed("significance_s"):
            sig = significance(run.frames["static"], **run.settings["significance"])
            run.write_csv(sig, "significance.csv")
        run.frames["significance"] = sig

    def markdown(self, doc, run):
        W, k_max, q = run.width, run.k_max, run.rates[-1]
        sig = run.frames["significance"]
        doc.h(1, "Significance: trained vs initial")
        n_seeds = len(run.settings["seeds"])
        min_p = 2 / 2 ** n_seeds
        if min_p >= 0.05:
            reach = (f"so {n_seeds} seeds cannot reach p < 0.05 whatever the effect: use more seeds (--seeds 8 gives "
                     f"{2 / 2 ** 8:.4f}) to claim emergence with a p-value.")
        else:
            reach = f"so p < 0.05 is attainable with {n_seeds} seeds."
        doc.p("Per (function, m), the mean over seeds of trained − initial, a 95 % percentile-bootstrap interval of "
              "that mean, and a two-sided paired permutation test (sign flips of the per-seed differences; exact). "
              f"With n seeds the smallest attainable p-value is 2/2ⁿ ({min_p:.4g} for {n_seeds} seeds), {reach} "
              "References: PR, rotation ratio and entropy against the initial model's own value; zero rows against "
              "q(k); KL against 0. See the user guide, Experiments: 'Significance'.")
        keep = [observable_key("zero_rows", k_max, q), observable_key("dependent_zero_rows", k_max, q),
                *(observable_key(name, k_max) for name in ("pr", "rotation_ratio", "column_entropy", "column_kl"))]
        st = sig[sig["observable"].isin(keep) & (sig["hidden_units"] == W)] if "hidden_units" in sig else sig
        doc.table(st[["function", "hidden_units", "observable", "mean_trained", "mean_initial", "mean_difference",
                      "ci_low", "ci_high", "p_value", "min_p_value"]], precision=4)
        doc.p("All observables, widths and functions: significance.csv.")


# ---------------------------------------------------------------- figures of the static grid
class StaticFigures(Section):
    """Figures of the static grid and of one retrained model per function (m = table width, the figure seed)."""

    def run(self, run):
        from ..plotting import ObservableDisplay

        with run.timed("figures_s"):
            static = run.frames["static"]
            d = ObservableDisplay.from_frame(static, "hidden_units", "train_r2", xscale="log",
                                             ylabel="training R² (dimensionless)")
            run.save_figure(d.figure_, "r2_vs_width.png", "Training R² against width m (mean ± sem over seeds); "
                                                          "Table I.")
            specs = [p for p in panels(run, "zero", "consistent", "dependent", "pr", "rotation", "kl")
                     if p[0] in static.columns]
            panel_figure(run, static, "hidden_units", specs, "observables_vs_width.png",
                         "KA observables against width m (mean ± sem over seeds).", xscale="log")
            run.log(f"figure models (m={run.width}, seed {run.settings['figure_seed']})")
            models = _figure_models(run.settings)
            _model_figures(run, models)
            if not run.settings.get("tails"):  # the quick run's tails: the MEFs of the figure models
                run.frames["tails"] = _figure_model_tails(run, models)


def _figure_models(s):
    """The table-width, figure-seed models of each function, retrained exactly as in the sweep."""
    from ..neural_network import ShallowMLPRegressor, fit_many
    from ..sweeps import make_sweep_data

    data = [make_sweep_data(f, s["figure_seed"], n_samples=s["n_samples"]) for f in s["functions"]]
    models = [ShallowMLPRegressor(s["table_width"], batch_size=s["batch_size"], max_epochs=s["max_epochs"],
                                  patience=s["patience"], random_state=s["figure_seed"], device=s["device"])
              for _ in data]
    held_out = [(d[2], d[3]) for d in data] if s["monitor"] == "test" else None
    fit_many(models, [d[0] for d in data], [d[1] for d in data], eval_set=held_out)
    return {f: (m, d) for f, m, d in zip(s["functions"], models, data)}


def _minor_sizes(run):
    return [k for k in (1, 2, 3) if k <= min(run.width, 3)]


def _model_figures(run, models):
    """Weights, Jacobian, rank-value and minor-histogram figures of the figure models."""
    import matplotlib.pyplot as plt

    from ..plotting import JacobianHeatmapDisplay, MinorHistogramDisplay, RankValueDisplay, WeightHeatmapDisplay

    W, ks = run.width, _minor_sizes(run)
    xor_like = "xor" if "xor" in models else next(iter(models))
    model, (X, *_) = models[xor_like]
    d = WeightHeatmapDisplay.from_model(model, name=f"{xor_like}({W})")
    run.save_figure(d.figure_, "weights_heatmap.png", f"First-layer weights [Aᵀ | a] of {xor_like}({W}), initial vs "
                                                      "trained.")
    d = JacobianHeatmapDisplay.from_model(model, X, n_examples=8, name=f"{xor_like}({W})")
    run.save_figure(d.figure_, "jacobian_heatmap.png", f"|J(x)| of {xor_like}({W}) at 8 training examples, initial "
                                                       "vs trained.")
    for cls, name, caption, kw in (
        (RankValueDisplay, "rank_value.png", "Rank-value (Zipf) plots of size-k row means, trained vs initial, "
                                             "with the initial quantile thresholds Q^(k) for each q1.",
         {"false_positive_rates": run.rates}),
        (MinorHistogramDisplay, "minor_histograms.png", "Histograms of size-k minors (log x), trained vs initial.",
         {}),
    ):
        fig, axes = plt.subplots(len(models), len(ks), figsize=(4.5 * len(ks), 3.6 * len(models)), squeeze=False)
        for i, (f, (mdl, (Xf, *_))) in enumerate(models.items()):
            for j, k in enumerate(ks):
                cls.from_model(mdl, Xf, k=k, name=f"{f}({W})", ax=axes[i, j], **kw)
        fig.tight_layout()
        run.save_figure(fig, name, caption)


def _figure_model_tails(run, models):
    """The rows of :func:`~sklearn_ka.experiments.tails` for the figure models (one seed)."""
    from ..experiments import TailMeasure

    rows = []
    measure = TailMeasure(_minor_sizes(run))
    for f, (mdl, (Xf, yf, *_)) in models.items():
        for p in json.loads(measure(mdl, Xf, yf)["tails_json"]):
            rows.append(dict(function=f, hidden_units=run.width, seed=run.settings["figure_seed"], **p))
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------- evolution
class Evolution(OptionalSection):
    """Every observable along training, against training R^2."""

    setting = "evolution"

    def run(self, run):
        from ..experiments import evolution

        e, W = dict(run.settings["evolution"]), run.width
        with run.timed("evolution_s"):
            run.log(f"evolution: {e['function']}({W}), seeds {e['seeds']}")
            evo = evolution(e["function"], W, e["seeds"], r2_step=e["r2_step"], batch_size=run.settings["batch_size"],
                            analyzer=run.analyzer, store=run.store / "evolution", **run.common)
            run.write_csv(evo, "evolution.csv")
            run.frames["evolution"] = evo
            specs = [p for p in panels(run, "zero", "pr", "rotation", "kl") if p[0] in evo.columns]
            points = evo[evo["stage"] != "final"].assign(run=lambda d: "seed " + d["seed"].astype(str))
            panel_figure(run, points, "train_r2", specs, "evolution.png",
                         f"Observables during training of {e['function']}({W}) against training R² (one line per "
                         f"seed; snapshots every {e['r2_step']} of R²).",
                         shape=(1, len(specs)), figsize=(4.5 * len(specs), 3.8), hue="run", aggregate=False,
                         error=None, xlabel="training R² (dimensionless)")

    def markdown(self, doc, run):
        evo = run.frames["evolution"]
        doc.h(1, "Evolution during training")
        last = evo[evo["stage"] == "final"]
        doc.p(f"{len(evo)} analysed points ({len(last)} run(s)); see evolution.csv and the figure below.")


# ----------------------------------------------------------------------------- tails
class Tails(Section):
    """Mean excess functions of the minors: the full experiment, or the quick run's figure models."""

    def run(self, run):
        import matplotlib.pyplot as plt

        from ..plotting import MeanExcessDisplay

        ks = _minor_sizes(run)
        if run.settings.get("tails"):
            with run.timed("tails_s"):
                from ..experiments import tails

                run.log("tails")
                run.frames["tails"] = tails(run.settings["tails"]["functions"], run.width, run.settings["seeds"],
                                            minor_sizes=ks, batch_size=run.settings["batch_size"],
                                            store=run.store / "tails", **run.common)
        tails_df = run.frames["tails"]
        run.write_csv(tails_df, "tails.csv")
        fig, axes = plt.subplots(1, len(ks), figsize=(5 * len(ks), 4), squeeze=False)
        for ax, k in zip(axes.ravel(), ks):
            MeanExcessDisplay.from_frame(tails_df, k=k, yscale="log", ax=ax)
        fig.tight_layout()
        run.save_figure(fig, "mef.png", "Mean excess functions of size-k minors against the quantile rank, trained "
                                        "vs initial, with least-squares lines (dashed).")


# --------------------------------------------------------------------- interpolation
class Interpolation(OptionalSection):
    """Observables against the parameter of each target family."""

    setting = "interpolation"

    def run(self, run):
        from ..experiments import interpolation

        s, W = run.settings, run.width
        with run.timed("interpolation_s"):
            frames = []
            for fam in s["interpolation"]["families"]:
                run.log(f"interpolation: {fam}")
                frames.append(interpolation(fam, s["interpolation"].get("values"), W, s["seeds"],
                                            batch_size=s["batch_size"], analyzer=run.analyzer,
                                            store=run.store / f"interpolation-{fam}", **run.common))
            inter = pd.concat(frames, ignore_index=True)
            run.write_csv(inter, "interpolation.csv")
            run.frames["interpolation"] = inter
            specs = panels(run, "train_r2", "test_r2", "zero", "pr", "rotation", "kl")
            for fam, fr in inter.groupby("function", sort=False):
                name, symbol = TARGET_LABELS.get(fam, fam), SYMBOLS.get(fr["parameter"].iloc[0], "")
                panel_figure(run, fr.assign(target=name), "value", specs, f"interpolation_{fam}.png",
                             f"Observables of {name}({W}) against its parameter {symbol} (mean ± sem over seeds).",
                             hue="target",
                             xlabel=PARAMETER_LABELS.get(fam, str(fr["parameter"].iloc[0])))

    def markdown(self, doc, run):
        doc.h(1, "Interpolation")
        it = run.frames["interpolation"]
        k, q = run.k_max, run.rates[-1]
        cols = {"train_r2": "train R²", "test_r2": "test R²", observable_key("zero_rows", k, q): f"zero rows k={k} %",
                observable_key("pr_normalized", k): f"PR k={k} (trained/initial)",
                observable_key("rotation_ratio_normalized", k): f"rotation ratio k={k} (trained/initial)"}
        named = it.assign(target=it["function"].map(TARGET_LABELS).fillna(it["function"]),
                          parameter=it["parameter"].map(SYMBOLS).fillna(it["parameter"]))
        tab = named.groupby(["target", "parameter", "value"], sort=False)[[c for c in cols if c in it]].mean()
        if observable_key("zero_rows", k, q) in tab:
            tab[observable_key("zero_rows", k, q)] *= 100
        doc.p(f"Mean over seeds at m = {run.width}; λ for λ-xor and G(λ), α (the rotation's seed) for SO(α)-xor. "
              f"Zero rows in % of (x, row) pairs at q1 = {100 * q:g}%.")
        doc.table(tab.rename(columns=cols).reset_index())
