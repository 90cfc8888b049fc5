"""The KA observables part of ``sklearn-ka demo`` (definitions: :ref:`observables`)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd

from .._utils import observable_key as key
from ..analysis import KAGeometryAnalyzer

_ROWS = [
    # (label, key, key of the initial value in the same score or None: score the initial model, scale)
    ("zero rows k=3, q1=1% (%)", key("zero_rows", 3, 0.01), None, 100),
    ("dependent zero rows k=3, q1=1% (%)", key("dependent_zero_rows", 3, 0.01), None, 100),
    ("participation ratio k=3", key("pr", 3), key("pr_initial", 3), 1),
    ("participation ratio k=2", key("pr", 2), key("pr_initial", 2), 1),
    ("rotation ratio k=3", key("rotation_ratio", 3), key("rotation_ratio_initial", 3), 1),
    ("column entropy k=3", key("column_entropy", 3), key("column_entropy_initial", 3), 1),
    ("column KL to initial k=3", key("column_kl", 3), None, 1),
]


def print_observables(models: Sequence[Any], train: Sequence[tuple[Any, Any]],
                      functions: Sequence[str] = ("xor", "linear", "random"),
                      print_fn: Callable[[str], object] = print) -> pd.DataFrame:
    """Print the main KA observables of each trained model beside its initial values.

    Parameters
    ----------
    models : sequence of fitted ShallowMLPRegressor
    train : sequence of (X, y)
        Each model's training data (the observables are measured on ``X``).
    functions : sequence of str, default=("xor", "linear", "random")
        Column names, one per model.
    print_fn : callable, default=print
        Receives each block of text.

    Returns
    -------
    pandas.DataFrame
        One row per observable, a "trained" and an "initial" column per function.
    """
    t0 = time.perf_counter()
    cols = {}
    for f, model, (X, _) in zip(functions, models, train):
        initial = model.initial_model()
        ka = KAGeometryAnalyzer(random_state=0).fit(initial, X)
        s, s0 = ka.score(model, X), ka.score(initial, X)
        cols[f"{f} trained"] = [s[key] * scale for _, key, _, scale in _ROWS]
        cols[f"{f} initial"] = [s0[init or key] * scale for _, key, init, scale in _ROWS]
    table = pd.DataFrame(cols, index=[name for name, *_ in _ROWS])
    print_fn("\nKA observables on the training data (trained vs the same network at initialisation):\n")
    print_fn(table.to_string(float_format=lambda v: f"{v:.3f}", na_rep="-"))
    print_fn(f"\n(the initial model's zero rows are its own false-positive rate q(k) ~ k*q1 by construction; "
             f"analysis took {time.perf_counter() - t0:.1f} s)")
    return table
