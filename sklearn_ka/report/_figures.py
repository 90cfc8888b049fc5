"""The report's figure panels: which column each panel draws, with what scale, label and reference."""

from __future__ import annotations

from typing import Any

import pandas as pd

from .._utils import observable_key
from ._context import ReportRun

__all__ = ["PARAMETER_LABELS", "SYMBOLS", "TARGET_LABELS", "panels", "panel_figure"]

#: x-axis labels of the interpolation figures, per target family.
PARAMETER_LABELS = {
    "lambda_xor": "λ (frequency of λ-xor; λ = 1 is xor)",
    "gaussian": "λ (width of the Gaussian G(λ))",
    "so_xor": "α (seed of the rotation of SO(α)-xor)",
}

#: Names of the target families as the paper writes them (legends, tables).
TARGET_LABELS = {"lambda_xor": "λ-xor", "gaussian": "G(λ)", "so_xor": "SO(α)-xor"}
#: The symbols of the family parameters (their column names are ``lam`` and ``alpha``).
SYMBOLS = {"lam": "λ", "alpha": "α"}

_PAIRS = "(% of (x, row) pairs)"
_RATIO = "(ratio; 1 = as initialised)"
_FRACTION = "(fraction of consistent rows)"


def panels(run: ReportRun, *names: str) -> list[tuple[str, float, str, float | None]]:
    """``(column, scale, y label with unit, reference line)`` of each named panel.

    The observables are drawn at the run's largest minor size ``k`` and largest rate ``q1``.
    """
    from ..experiments import ConsistentRowMeasure

    k, q = run.k_max, run.rates[-1]
    spec = {
        "train_r2": ("train_r2", 1, "training R² (dimensionless)", None),
        "test_r2": ("test_r2", 1, "test R² (dimensionless)", None),
        "zero": (observable_key("zero_rows", k, q), 100, f"zero rows k={k}, q1={100 * q:g}%\n{_PAIRS}", None),
        "consistent": (observable_key("consistent_zero_rows", k, q), 100, f"consistently zero rows k={k}\n{_PAIRS}",
                       None),
        "dependent": (observable_key("dependent_zero_rows", k, q), 100, f"dependent zero rows k={k}\n{_PAIRS}", None),
        "example_dependent": (observable_key("example_dependent_zero_rows", k, q), 100,
                              f"example-dependent zero rows k={k}\n{_PAIRS}", None),
        "pr": (observable_key("pr_normalized", k), 1, f"PR(k={k}), trained / initial\n{_RATIO}", 1.0),
        "rotation": (observable_key("rotation_ratio_normalized", k), 1,
                     f"rotation ratio k={k}, trained / initial\n{_RATIO}", 1.0),
        "kl": (observable_key("column_kl", k), 1, f"column KL to initial, k={k}\n(log base C(m, k))", None),
        "overlap": (ConsistentRowMeasure.column("consistent_small_weight_overlap", q), 1,
                    f"consistent rows among smallest |A|\n{_FRACTION}", None),
        "negative_bias": (ConsistentRowMeasure.column("consistent_negative_bias", q), 1,
                          f"consistent rows with a < 0\n{_FRACTION}", None),
    }
    return [spec[n] for n in names]


def panel_figure(run: ReportRun, frame: pd.DataFrame, x: str, specs: list, name: str, caption: str, *,
                 shape: tuple[int, int] = (2, 3), figsize: tuple[float, float] = (14, 8), **display_kw: Any) -> None:
    """One :class:`~sklearn_ka.plotting.ObservableDisplay` per panel against ``x``, saved as ``name``.

    Axes beyond the panels are hidden.
    """
    import matplotlib.pyplot as plt

    from ..plotting import ObservableDisplay

    fig, axes = plt.subplots(*shape, figsize=figsize, squeeze=False)
    for ax, (col, scale, label, ref) in zip(axes.ravel(), specs):
        ObservableDisplay.from_frame(frame, x, col, scale=scale, reference=ref, ylabel=label, ax=ax, **display_kw)
    for ax in axes.ravel()[len(specs):]:
        ax.set_visible(False)
    fig.tight_layout()
    run.save_figure(fig, name, caption)
