"""The values published in Tables I-III of the study [1]_ (mean, std over 4 seeds), keyed like
:func:`sklearn_ka.experiments.static_tables` rows.

References
----------
.. [1] M. Freedman and M. Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in
   Shallow MLPs", arXiv:2509.12326, 2025. https://arxiv.org/abs/2509.12326
"""

from __future__ import annotations

import pandas as pd

from .._utils import observable_key

__all__ = ["PAPER", "PAPER_URL", "paper_tables"]

#: The study reproduced, as cited in the report.
PAPER = ('M. Freedman and M. Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in Shallow MLPs", '
         "arXiv:2509.12326 (2025)")
PAPER_URL = "https://arxiv.org/abs/2509.12326"

_T1 = {
    "xor": [(0.3819, 0.1286), (0.6864, 0.0163), (0.9412, 0.0269), (0.9850, 0.0081)],
    "linear": [(1.0, 0.0)] * 4,
    "random": [(0.0042, 0.0009), (0.0067, 0.0031), (0.0102, 0.0054), (0.0210, 0.0029)],
}
_T2 = {
    ("xor(32)", "zero"): [(2.068, 0.651), (4.822, 1.390), (12.339, 3.012)],
    ("xor(32)", "dependent(2)"): [(0.311, 0.079), (0.771, 0.172), (2.360, 0.425)],
    ("xor(32)", "dependent(3)"): [(0.143, 0.046), (0.445, 0.120), (1.116, 0.192)],
    ("linear(32)", "zero"): [(0.029, 0.003), (0.361, 0.035), (3.671, 0.256)],
    ("linear(32)", "dependent(2)"): [(0.013, 0.002), (0.117, 0.012), (1.046, 0.089)],
    ("linear(32)", "dependent(3)"): [(0.014, 0.003), (0.149, 0.022), (1.127, 0.073)],
    ("random(32)", "zero"): [(0.045, 0.004), (0.473, 0.019), (4.947, 0.152)],
    ("random(32)", "dependent(2)"): [(0.013, 0.001), (0.147, 0.015), (1.526, 0.108)],
    ("random(32)", "dependent(3)"): [(0.024, 0.004), (0.208, 0.013), (1.581, 0.077)],
}
_T3 = {  # (row, observable): values at k = 1, 2, 3
    ("xor(32)", "pr"): [(6.08, 0.21), (13.26, 0.81), (16.24, 1.47)],
    ("linear(32)", "pr"): [(6.31, 0.04), (18.64, 0.21), (26.62, 0.64)],
    ("random(32)", "pr"): [(5.67, 0.18), (15.42, 0.63), (20.97, 1.00)],
    ("initial(32)", "pr_initial"): [(6.29, 0.09), (18.64, 0.53), (27.25, 0.89)],
    ("PR_max(32)", "pr_max"): [(9.80, None), (38.57, None), (70.43, None)],
}


def paper_tables() -> pd.DataFrame:
    """Tables I-III of the paper [1]_ in the tidy layout of :func:`sklearn_ka.experiments.static_tables`.

    Table I: training R^2 per function and width m; Table II: size-3 zero rows and dependent zero
    rows of the m = 32 models in % (:ref:`obs-zero-rows`, :ref:`obs-dependent-zero-rows`);
    Table III: participation ratios of the m = 32 models (:ref:`obs-participation-ratio`). See
    :ref:`exp-static`.

    Returns
    -------
    pandas.DataFrame
        Columns ``table``, ``row``, ``quantity``, ``column``, ``paper_mean``, ``paper_std``
        (NaN where the paper prints no std: the PR_max row).

    References
    ----------
    .. [1] M. Freedman and M. Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in
       Shallow MLPs", arXiv:2509.12326, 2025. https://arxiv.org/abs/2509.12326

    Examples
    --------
    >>> from sklearn_ka.report import paper_tables
    >>> t = paper_tables()
    >>> t[(t["table"] == "I") & (t["row"] == "xor")]["paper_mean"].tolist()
    [0.3819, 0.6864, 0.9412, 0.985]
    """
    rows = []
    for f, vals in _T1.items():
        for m, (mu, sd) in zip((4, 8, 16, 32), vals):
            rows.append(("I", f, "train_r2", f"m = {m}", mu, sd))
    for (r, qty), vals in _T2.items():
        for q, (mu, sd) in zip(("0.01", "0.1", "1"), vals):
            rows.append(("II", r, qty, f"q1 = {q}%", mu, sd))
    for (r, name), vals in _T3.items():
        for k, (mu, sd) in zip((1, 2, 3), vals):
            rows.append(("III", r, observable_key(name, k), f"k = {k}", mu, sd))
    return pd.DataFrame(rows, columns=["table", "row", "quantity", "column", "paper_mean", "paper_std"])
