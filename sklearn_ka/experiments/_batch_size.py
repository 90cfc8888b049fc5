"""Experiment 4: KA geometry against the mini-batch size; consistently zero rows vs dead neurons."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._utils import (
    PAPER_PROTOCOL,
    Integers,
    InvalidParameterError,
    observable_key,
    validate_params,
)
from ..sweeps import sweep
from ._common import (
    PROTOCOL_CONSTRAINTS,
    device_of,
    function_list,
    make_analyzer,
    observable_of,
    protocol_grid,
    sequence_of,
)

__all__ = ["batch_size_experiment", "ConsistentRowMeasure"]

#: The mini-batch sizes of the batch-size experiment (see :ref:`exp-batch-size`).
BATCH_SIZES: tuple[int, ...] = (32, 64, 128, 256, 512, 1000)

_CONSTRAINTS = {
    **PROTOCOL_CONSTRAINTS,
    "batch_sizes": sequence_of(Integers(1), owner="batch_size_experiment"),
    "device": device_of("batch_size_experiment"),
}


def check_batch_sizes(batch_sizes: list[int], n_samples: int, *, owner: str) -> None:
    """Every mini-batch must fit in the ``n_samples`` training examples."""
    too_big = [b for b in batch_sizes if b > n_samples]
    if too_big:
        raise InvalidParameterError(f"{owner}: batch sizes {too_big} exceed n_samples={n_samples}.")


class ConsistentRowMeasure:
    """``measure`` of :func:`~sklearn_ka.sweeps.sweep`: which neurons are consistently zero, and why.

    For each false-positive rate ``q1`` the size-1 zero-row threshold ``Q^(1)`` is taken from the
    initial model (:ref:`obs-zero-rows`); a neuron (row of ``J``) is consistently zero when its row mean is
    below ``Q^(1)`` at at least ``consistent_fraction`` of the training examples. Columns (``{q}``
    is ``q1`` formatted with ``:g``):

    * ``consistent_neurons_q{q}``: their number;
    * ``consistent_small_weight_overlap_q{q}``: the fraction of them that are among the same number
      of neurons with the smallest mean ``|A_ij|`` over inputs ``i`` (NaN when there are none);
      ``n / m`` is the chance level;
    * ``consistent_negative_bias_q{q}``: the fraction of them with a negative bias ``a_j`` (NaN
      when there are none);
    * ``negative_bias_fraction``: the fraction of all neurons with ``a_j < 0`` (the chance level of
      the previous column).

    This checks whether the consistently zero rows are the neurons with the smallest weights or
    negative biases (dead neurons), as in the batch-size experiment of the study. See the user
    guide: :ref:`exp-batch-size` and :ref:`obs-consistent-zero-rows`.

    Parameters
    ----------
    false_positive_rates : sequence of float, default=(1e-4, 1e-3, 1e-2)
        The rates ``q1``.
    consistent_fraction : float, default=0.99
        Fraction of the examples at which a consistently zero neuron is zero.
    """

    #: The quantities measured per rate ``q1`` (their columns: :meth:`column`).
    QUANTITIES: tuple[str, ...] = ("consistent_neurons", "consistent_small_weight_overlap",
                                   "consistent_negative_bias")

    def __init__(self, false_positive_rates: Sequence[float] = PAPER_PROTOCOL.false_positive_rates,
                 consistent_fraction: float = PAPER_PROTOCOL.consistent_fraction) -> None:
        self.false_positive_rates = tuple(false_positive_rates)
        self.consistent_fraction = consistent_fraction

    @classmethod
    def column(cls, quantity: str, q: float) -> str:
        """The column name of ``quantity`` (one of :attr:`QUANTITIES`) at the rate ``q``.

        ``q`` is written as in the observable keys (``:g``), e.g.
        ``ConsistentRowMeasure.column("consistent_neurons", 0.01) == "consistent_neurons_q0.01"``.
        """
        if quantity not in cls.QUANTITIES:
            raise ValueError(f"quantity must be one of {cls.QUANTITIES}; got {quantity!r}.")
        return f"{quantity}_q{float(q):g}"

    def __call__(self, model: Any, X: np.ndarray, y: np.ndarray) -> dict[str, float]:
        from ..analysis import KAGeometryAnalyzer

        an = KAGeometryAnalyzer(minor_sizes=(1,), false_positive_rates=self.false_positive_rates, n_rotations=1,
                                random_state=0, n_jobs=1).fit(model.initial_model(), X)
        row_means = np.abs(model.jacobian(X)).mean(axis=2)  # (B, m): k = 1 row means
        A, a = model.coefs_[0], model.intercepts_[0]
        weight = np.abs(A).mean(axis=0)
        order = np.argsort(weight, kind="stable")
        out = {"negative_bias_fraction": float(np.mean(a < 0))}
        for q in self.false_positive_rates:
            frac = (row_means < an.thresholds_[(1, q)]).mean(axis=0)
            consistent = np.flatnonzero(frac >= self.consistent_fraction)
            n_c = consistent.size
            overlap = float(np.isin(consistent, order[:n_c]).mean()) if n_c else float("nan")
            negative = float(np.mean(a[consistent] < 0)) if n_c else float("nan")
            for quantity, value in zip(self.QUANTITIES, (int(n_c), overlap, negative)):
                out[self.column(quantity, q)] = value
        return out


def batch_size_experiment(
    functions: Sequence[str] = ("random", "xor"),
    batch_sizes: Sequence[int] = BATCH_SIZES,
    hidden_units: int = max(PAPER_PROTOCOL.hidden_units),
    seeds: Iterable[int] = range(PAPER_PROTOCOL.n_seeds),
    *,
    n_samples: int = PAPER_PROTOCOL.n_samples,
    max_epochs: int = PAPER_PROTOCOL.max_epochs,
    patience: int = PAPER_PROTOCOL.patience,
    monitor: str = "test",
    analyzer: Any = None,
    n_jobs: int | None = None,
    store: str | os.PathLike | None = None,
    verbose: int = 0,
    device: str = "cpu",
) -> pd.DataFrame:
    """Train each function at each mini-batch size; split zero rows into consistent and example-dependent.

    The batch-size experiment of the study [1]_: random(32) and xor(32) for batch sizes from
    32 to the full batch, with the zero rows split into consistently zero rows and
    example-dependent ones. See the user guide: :ref:`exp-batch-size`.

    Parameters
    ----------
    functions : sequence of str, default=("random", "xor")
    batch_sizes : sequence of int, default=(32, 64, 128, 256, 512, 1000)
        Each at most ``n_samples``.
    hidden_units : int, default=32
    seeds : sequence of int, default=range(4)
    n_samples, max_epochs, patience :
        Training protocol (see :func:`static_comparison`).
    monitor : {"test", "train"}, default="test"
        The loss early stopping monitors (:ref:`early-stopping-monitor`). For random(32) it
        decides the result: the test loss stops training on its first plateau, the training loss
        lets the model memorise, most at full batch.
    analyzer, n_jobs, store, verbose :
        As in :func:`~sklearn_ka.sweeps.sweep`.
    device : str, default="cpu"
        Torch device that trains the models (see :func:`static_comparison`).

    Returns
    -------
    pandas.DataFrame
        One row per (function, batch size, seed): the sweep columns, every analyzer key,
        ``example_dependent_zero_rows_k{k}_q{q}`` (= zero rows - consistently zero rows, as
        fractions of all (x, row) pairs) and the :class:`ConsistentRowMeasure` columns.

    References
    ----------
    .. [1] M. Freedman and M. Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in
       Shallow MLPs", arXiv:2509.12326, 2025. https://arxiv.org/abs/2509.12326

    Examples
    --------
    >>> from sklearn_ka.experiments import batch_size_experiment
    >>> df = batch_size_experiment(["xor"], [10, 40], hidden_units=4, seeds=[0], n_samples=40,
    ...                            max_epochs=3, analyzer={"minor_sizes": (1,), "n_rotations": 8})
    >>> df["batch_size"].tolist()
    [10, 40]
    """
    p = validate_params(dict(batch_sizes=batch_sizes, n_samples=n_samples, hidden_units=hidden_units,
                             max_epochs=max_epochs, patience=patience, monitor=monitor, device=device),
                        _CONSTRAINTS, owner="batch_size_experiment")
    check_batch_sizes(p["batch_sizes"], p["n_samples"], owner="batch_size_experiment")
    an = make_analyzer(analyzer)
    qs = PAPER_PROTOCOL.false_positive_rates if an is False else tuple(an.get_params()["false_positive_rates"])
    cf = PAPER_PROTOCOL.consistent_fraction if an is False else an.get_params()["consistent_fraction"]
    grid = protocol_grid(batch_size=p["batch_sizes"][0], max_epochs=p["max_epochs"], patience=p["patience"],
                         device=p["device"], hidden_units=[p["hidden_units"]])
    grid["batch_size"] = p["batch_sizes"]
    df = sweep(grid, functions=function_list(functions), seeds=seeds, analyzer=an,
               measure=ConsistentRowMeasure(qs, cf), n_samples=p["n_samples"], n_jobs=n_jobs, store=store,
               verbose=verbose, monitor=p["monitor"])
    for c in list(df.columns):
        key = observable_of(c)
        if key is not None and key.name == "zero_rows" and observable_key("consistent_zero_rows", key.k, key.q) in df:
            df[observable_key("example_dependent_zero_rows", key.k, key.q)] = (
                df[c] - df[observable_key("consistent_zero_rows", key.k, key.q)])
    return df

