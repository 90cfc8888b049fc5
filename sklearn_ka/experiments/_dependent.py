"""Dependent zero rows of size 2 under alternative readings of the definition and of the thresholds.

The study [1]_ defines a zero row ``(i, j)`` of ``J^(2)(x)`` as *dependent* when neither unit
``i`` nor unit ``j`` is a zero row of ``J^(1)(x)``, with thresholds taken from the initial
model's row means. Several details admit other readings (which units must be non-zero, what the
percentage is of, how the initial row means are pooled into a threshold, which rate sets the
size-2 threshold); :func:`dependent_readings` computes each of them on the same trained models, so
a published value can be set beside every reading. The readings are described in the user guide:
:ref:`exp-dependent-readings`.

References
----------
.. [1] M. Freedman and M. Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in
   Shallow MLPs", arXiv:2509.12326, 2025. https://arxiv.org/abs/2509.12326
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._utils import PAPER_PROTOCOL, InstanceOf, Reals, validate_params
from ..exterior import combination_indices, minor_matrices
from ..observables import induced_false_positive_rate, row_means, zero_row_mask, zero_row_threshold
from ..sweeps import make_sweep_data, sweep
from ._common import PROTOCOL_CONSTRAINTS, device_of, measure_store, protocol_grid, sequence_of

__all__ = ["READINGS", "DependentReadingsMeasure", "dependent_readings"]

#: The readings of "dependent zero rows of size 2", in the order of the report: name -> description.
READINGS: dict[str, str] = {
    "as defined": "zero pair (i, j), neither i nor j a zero row of J^(1); % of all (x, pair); thresholds: "
                  "initial row means pooled over examples and rows, rates q1 and the induced q(2)",
    "one unit non-zero": "zero pair with at least one of i, j not a zero row of J^(1) (i.e. not both zero)",
    "% of eligible pairs": "as defined, but a % of the (x, pair) with neither unit zero (not of all pairs)",
    "% of zero pairs": "as defined, but a % of the zero pairs of J^(2) (the dependent share of the zero rows)",
    "q1 for k = 2": "as defined, but the size-2 threshold at the rate q1 itself instead of the induced q(2)",
    "per-example thresholds": "thresholds: quantiles of the initial row means at each example (over rows)",
    "per-row thresholds": "thresholds: quantiles of the initial row means of each row (over examples)",
    "row maximum": "a row is zero when its largest entry (not its mean) is below the same quantile of the "
                   "initial model's row maxima",
    "on the test set": "as defined, on the independent test sample instead of the training data",
}


def _row_quantile(values: np.ndarray, q: float, axis: int) -> np.ndarray:
    """``q``-quantiles along ``axis`` (numpy's default linear interpolation), kept as a broadcastable axis."""
    return np.quantile(values, q, axis=axis, keepdims=True)


def _row_statistics(model, X):
    """Row means and row maxima of the size-1 and size-2 minors, trained and initial: four dicts k -> array."""
    rho, rho0, mx, mx0 = {}, {}, {}, {}
    J, J0 = model.jacobian(X), model.initial_model().jacobian(X)
    for k in (1, 2):
        Jk, Jk0 = minor_matrices(J, k), minor_matrices(J0, k)
        rho[k], rho0[k] = row_means(Jk), row_means(Jk0)
        mx[k], mx0[k] = Jk.max(axis=2), Jk0.max(axis=2)
    return rho, rho0, mx, mx0


def _readings_at(q1: float, m: int, rho, rho0, mx, mx0) -> dict[str, float]:
    """Every reading at one rate ``q1``, in percent; ``rho``/``rho0`` map k -> row means (trained/initial)."""
    q2 = induced_false_positive_rate(q1, m, 2)
    pairs = combination_indices(m, 2)
    z1 = zero_row_mask(rho[1], zero_row_threshold(rho0[1], q1))
    z2 = zero_row_mask(rho[2], zero_row_threshold(rho0[2], q2))

    def dependent(z1, z2, rule="neither"):
        zi, zj = z1[:, pairs[:, 0]], z1[:, pairs[:, 1]]
        return z2 & (~(zi | zj) if rule == "neither" else ~(zi & zj))

    dep = dependent(z1, z2)
    eligible = ~(z1[:, pairs[:, 0]] | z1[:, pairs[:, 1]])
    out = {
        "as defined": dep.mean(),
        "one unit non-zero": dependent(z1, z2, "either").mean(),
        "% of eligible pairs": dep.sum() / max(int(eligible.sum()), 1),
        "% of zero pairs": dep.sum() / max(int(z2.sum()), 1),
        "q1 for k = 2": dependent(z1, zero_row_mask(rho[2], zero_row_threshold(rho0[2], q1))).mean(),
        "per-example thresholds": dependent(rho[1] < _row_quantile(rho0[1], q1, 1),
                                            rho[2] < _row_quantile(rho0[2], q2, 1)).mean(),
        "per-row thresholds": dependent(rho[1] < _row_quantile(rho0[1], q1, 0),
                                        rho[2] < _row_quantile(rho0[2], q2, 0)).mean(),
        "row maximum": dependent(mx[1] < np.quantile(mx0[1], q1), mx[2] < np.quantile(mx0[2], q2)).mean(),
    }
    return {name: 100.0 * float(value) for name, value in out.items()}


class DependentReadingsMeasure:
    """``measure`` of :func:`~sklearn_ka.sweeps.sweep`: size-2 dependent zero rows under every reading.

    Computes the minor matrices of sizes 1 and 2 of the trained model and of its initialisation
    on the training data, then each reading of :data:`READINGS` at each rate ``q1``; the reading
    "on the test set" redraws the sweep's test sample (seed protocol of the sweep) and is NaN
    when ``function`` is None. Columns ``dependent2 | {reading} | q{q1:g}``, in percent. See the
    user guide: :ref:`exp-dependent-readings`.

    Parameters
    ----------
    false_positive_rates : sequence of float, default=(1e-4, 1e-3, 1e-2)
        The rates ``q1``.
    function : str or None, default=None
        The sweep's target function name (to redraw the test sample).
    n_samples : int, default=1000
        The sweep's training-set size (the test sample has the same size).
    """

    def __init__(self, false_positive_rates: Sequence[float] = PAPER_PROTOCOL.false_positive_rates,
                 function: str | None = None, n_samples: int = PAPER_PROTOCOL.n_samples) -> None:
        self.false_positive_rates = tuple(false_positive_rates)
        self.function = function
        self.n_samples = n_samples

    @staticmethod
    def column(reading: str, q1: float) -> str:
        """The column of ``reading`` at the rate ``q1``, e.g. ``"dependent2 | as defined | q0.01"``."""
        if reading not in READINGS:
            raise ValueError(f"reading must be one of {list(READINGS)}; got {reading!r}.")
        return f"dependent2 | {reading} | q{float(q1):g}"

    def __call__(self, model: Any, X: np.ndarray, y: np.ndarray) -> dict[str, float]:
        m = int(model.coefs_[0].shape[1])
        stats = _row_statistics(model, X)
        test = None
        if self.function is not None:
            X2, y2, Xt, _ = make_sweep_data(self.function, int(model.random_state), n_samples=self.n_samples)
            if not (np.array_equal(X, X2) and np.array_equal(y, y2)):
                raise RuntimeError("DependentReadingsMeasure could not redraw the sweep's data; check function and "
                                   "n_samples.")
            test = _row_statistics(model, Xt)
        out = {}
        for q1 in self.false_positive_rates:
            values = _readings_at(q1, m, *stats)
            values["on the test set"] = _readings_at(q1, m, *test)["as defined"] if test else float("nan")
            for name in READINGS:
                out[self.column(name, q1)] = values[name]
        return out


_CONSTRAINTS = {
    **PROTOCOL_CONSTRAINTS,
    "function": [InstanceOf(str, "a registered target name")],
    "false_positive_rates": sequence_of(Reals(0, 1, low_open=True, high_open=True), owner="dependent_readings"),
    "device": device_of("dependent_readings"),
}


def dependent_readings(
    function: str = "xor",
    hidden_units: int = max(PAPER_PROTOCOL.hidden_units),
    seeds: Iterable[int] = range(PAPER_PROTOCOL.n_seeds),
    *,
    false_positive_rates: Sequence[float] = PAPER_PROTOCOL.false_positive_rates,
    n_samples: int = PAPER_PROTOCOL.n_samples,
    batch_size: int = PAPER_PROTOCOL.batch_size,
    max_epochs: int = PAPER_PROTOCOL.max_epochs,
    patience: int = PAPER_PROTOCOL.patience,
    monitor: str = "test",
    n_jobs: int | None = None,
    store: str | os.PathLike | None = None,
    verbose: int = 0,
    device: str = "cpu",
) -> pd.DataFrame:
    """Dependent zero rows of size 2 under alternative readings, one row per (seed, reading, q1).

    Trains the models of the static comparison's cell ``function(hidden_units)`` exactly as
    :func:`static_comparison` does (the same seeds give the same models) and computes the size-2
    dependent zero rows of the study [1]_ under each reading of :data:`READINGS`: the
    definition as the analyzer applies it, a looser condition on the units, two other
    denominators, the uninduced rate, thresholds pooled per example or per row instead of over
    both, row maxima instead of row means, and the test sample instead of the training data. See
    the user guide: :ref:`exp-dependent-readings`.

    Parameters
    ----------
    function : str, default="xor"
    hidden_units : int, default=32
    seeds : sequence of int, default=range(4)
    false_positive_rates : sequence of float, default=(1e-4, 1e-3, 1e-2)
    n_samples, batch_size, max_epochs, patience, monitor :
        Training protocol (see :func:`static_comparison`).
    n_jobs, store, verbose :
        As in :func:`~sklearn_ka.sweeps.sweep`.
    device : str, default="cpu"
        Torch device that trains the models (see :func:`static_comparison`).

    Returns
    -------
    pandas.DataFrame
        Columns ``function``, ``hidden_units``, ``seed``, ``monitor``, ``train_r2``, ``reading``,
        ``q1`` and ``value`` (percent of the reading's denominator).

    References
    ----------
    .. [1] M. Freedman and M. Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in
       Shallow MLPs", arXiv:2509.12326, 2025. https://arxiv.org/abs/2509.12326

    Examples
    --------
    >>> from sklearn_ka.experiments import dependent_readings
    >>> df = dependent_readings(hidden_units=4, seeds=[0], n_samples=40, batch_size=20, max_epochs=3)
    >>> df["reading"].iloc[0]
    'as defined'
    """
    p = validate_params(dict(function=function, hidden_units=hidden_units, false_positive_rates=false_positive_rates,
                             n_samples=n_samples, max_epochs=max_epochs, patience=patience, monitor=monitor,
                             device=device), _CONSTRAINTS, owner="dependent_readings")
    if p["hidden_units"] < 2:
        raise ValueError(f"dependent_readings: size-2 minors need hidden_units >= 2; got {p['hidden_units']}.")
    measure = DependentReadingsMeasure(p["false_positive_rates"], function, p["n_samples"])
    grid = protocol_grid(batch_size=batch_size, max_epochs=p["max_epochs"], patience=p["patience"],
                         device=p["device"], hidden_units=[p["hidden_units"]])
    df = sweep(grid, functions=[function], seeds=seeds, analyzer=False, measure=measure, n_samples=p["n_samples"],
               n_jobs=n_jobs, store=measure_store(store, "dependent", list(measure.false_positive_rates)),
               verbose=verbose, monitor=p["monitor"])
    rows = []
    for _, r in df.iterrows():
        base = dict(function=r["function"], hidden_units=int(r["hidden_units"]), seed=int(r["seed"]),
                    monitor=r["monitor"], train_r2=float(r["train_r2"]))
        for name in READINGS:
            for q1 in measure.false_positive_rates:
                rows.append({**base, "reading": name, "q1": float(q1),
                             "value": float(r[DependentReadingsMeasure.column(name, q1)])})
    return pd.DataFrame(rows)
