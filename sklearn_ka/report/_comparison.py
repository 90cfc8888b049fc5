"""Our numbers against the published ones: deviations per cell, the paper's qualitative claims, causes.

References
----------
.. [1] M. Freedman and M. Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in
   Shallow MLPs", arXiv:2509.12326, 2025. https://arxiv.org/abs/2509.12326
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._utils import observable_key

__all__ = ["deviations", "compare_with_paper", "pm", "tables_markdown", "qualitative", "causes"]

_CELL = ["table", "row", "quantity", "column"]


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


def compare_with_paper(tables: pd.DataFrame, paper: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Our tidy tables beside the paper's, with each cell's deviation: ``(merged, deviations)``."""
    merged = tables.merge(paper, on=_CELL, how="left")
    dev = deviations(merged)
    merged = merged.merge(dev[[*_CELL, "difference", "in_paper_std", "status"]], on=_CELL, how="left")
    return merged, dev


def pm(mean, std, unit=""):
    """``mean ± std`` with the digits of the published tables ("–" when there is no mean)."""
    if mean is None or not np.isfinite(mean):
        return "–"
    digits = 3 if unit == "%" else (4 if abs(mean) < 5 else 2)
    if std is None or not np.isfinite(std):
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} ± {std:.{digits}f}"


def tables_markdown(merged: pd.DataFrame, table: str) -> pd.DataFrame:
    """One of Tables I-III as printed in the report: ours and the paper's ``mean ± std`` per cell."""
    sub = merged[merged["table"] == table]
    out = pd.DataFrame({
        "row": sub["row"], "quantity": sub["quantity"], "column": sub["column"],
        "ours (mean ± std)": [pm(m, s, u) for m, s, u in zip(sub["mean"], sub["std"], sub["unit"])],
        "paper (mean ± std)": [pm(m, s, u) for m, s, u in zip(sub["paper_mean"], sub["paper_std"], sub["unit"])],
    })
    if table != "II":
        out = out.drop(columns="quantity")
    return out


def qualitative(merged: pd.DataFrame, W: int) -> list[str]:
    """The paper's qualitative claims, checked on our numbers (strings)."""
    out = []
    get = merged.set_index(_CELL)["mean"]
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
        pr = {f: get[("III", f"{f}({W})", observable_key("pr", 3), "k = 3")] for f in ("xor", "linear", "random")}
        init = get[("III", f"initial({W})", observable_key("pr_initial", 3), "k = 3")]
        lowest = pr["xor"] < min(pr["linear"], pr["random"])
        out.append(f"PR(k=3) is lowest (most concentrated) for xor: {'yes' if lowest else 'no'} "
                   f"(xor {pr['xor']:.2f}, linear {pr['linear']:.2f}, random {pr['random']:.2f}, initial {init:.2f}).")
    except KeyError:
        pass
    return out


def causes(n_seeds: int, monitor: str = "test") -> list[str]:
    """Plausible causes of deviations from the published cells (report prose); ``monitor`` is the run's."""
    # relative standard error of a sample standard deviation from n values: about 1 / sqrt(2 (n - 1))
    sd_error = 100 / np.sqrt(2 * (n_seeds - 1))
    return [
        f"Sampling: every number is a mean over {n_seeds} seeds{'' if n_seeds == 4 else ' (the paper used 4)'}, "
        f"and a standard deviation from "
        f"{n_seeds} values is itself uncertain by about ±{sd_error:.0f} %; with dozens of cells, some land outside "
        "mean ± 2 std even under an identical protocol.",
        "Early stopping: the paper does not say which loss it monitors; this run monitors "
        f"{'an independent test set of 1000 examples' if monitor == 'test' else 'the training loss'} (patience, best "
        "weights kept). When and where training stops moves R² and, through the weights, every geometric observable; "
        "for random targets it decides Table I's row (see the protocol sensitivity of --full).",
    ] + _CAUSES


_CAUSES = [
    "Random draws: our initialisations, data sets and mini-batch orders come from our seed protocol "
    "(numpy generators), not from the paper's code, so individual models differ.",
    "Precision: training runs in float32 (PyTorch's default), the analysis in float64.",
    "Definitions: the thresholds are quantiles of the initial model's row means pooled over examples and rows, "
    "and dependent zero rows are read as in the user guide (Observables: 'Zero rows' and 'Dependent zero rows'); "
    "where the paper's code made a different choice (pooling, quantile interpolation, the k=2 vs k=3 reading of "
    "'dependent'), zero-row percentages move first.",
    "Zero standard deviations: a published std of 0.0000 (linear R²) makes any difference beyond the printed "
    "precision count as 'outside'; such cells are marked as agreeing to the printed precision instead.",
]
