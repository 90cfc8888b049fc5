"""fit_many: train a list of estimators at once on the stacked engine."""

from __future__ import annotations

import warnings
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
from joblib import effective_n_jobs
from numpy.typing import ArrayLike
from sklearn.exceptions import ConvergenceWarning

from .._utils import (
    Callables,
    Integers,
    Options,
    check_n_jobs,
    memory_budget,
    validate_params,
)
from ..engine import CPU_MAX_UNITS, EpochInfo, requested_stops
from ._stacking import stack_nbytes, train_plans

if TYPE_CHECKING:
    from ._shallow_mlp import ShallowMLPClassifier, ShallowMLPRegressor

    _Estimator = ShallowMLPRegressor | ShallowMLPClassifier

__all__ = ["fit_many"]

def _check_n_jobs(name, value):
    return check_n_jobs(value, name=name, owner="fit_many")


_CONSTRAINTS = {
    "n_jobs": _check_n_jobs,
    "n_threads": [Integers(1), Options("auto"), None],
    "max_units": [Integers(1), Options("auto"), None],
    "callback": [Callables(), None],
}


def fit_many(
    estimators: Iterable[_Estimator],
    X: ArrayLike | Sequence[ArrayLike],
    y: ArrayLike | Sequence[ArrayLike],
    eval_set: tuple[ArrayLike, ArrayLike] | Sequence[tuple[ArrayLike, ArrayLike]] | None = None,
    *,
    sample_weight: ArrayLike | Sequence[ArrayLike] | None = None,
    n_jobs: int | None = None,
    n_threads: int | str | None = "auto",
    max_units: int | str | None = "auto",
    callback: Callable[[EpochInfo], object] | None = None,
) -> list[_Estimator]:
    """Fit many :class:`ShallowMLPRegressor` at once; each ends as its own ``fit`` would.

    The estimators may also be :class:`ShallowMLPClassifier`; see the user guide,
    :ref:`training`, for the model and its training protocol.

    Estimators whose settings allow it (same data shapes, batch size, activation, optimiser
    settings, epochs, patience, precision and device; the same activation switched to by an
    ``activation_schedule`` and the same kind of ``ka_penalty``, whatever their timing and
    ``beta``) train together in one run of
    :func:`sklearn_ka.engine.train_models`: the hidden units of every model, whatever its width,
    sit side by side in one stack without padding, each model with its own initialisation,
    shuffling stream, Adam state, early stopping and best weights. When the models hold more
    hidden units than ``max_units``, the others queue and join the stack as models stop
    (continuous batching). Estimator ``i`` ends as ``estimators[i].fit(X, y, eval_set)`` alone
    would, up to float rounding.

    Parameters
    ----------
    estimators : iterable of ShallowMLPRegressor or ShallowMLPClassifier
        Fitted in place.
    X : array-like of shape (n_samples, n_features), or a list of such, one per estimator
    y : array-like of shape (n_samples,), or a list of such, one per estimator
    eval_set : tuple (X_val, y_val), a list of such tuples (one per estimator), or None
        Monitored held-out data. With per-estimator ``X``, pass per-estimator ``eval_set``.
    sample_weight : array-like of shape (n_samples,), a list of such (one per estimator), or None
        Weights of the training samples: each mini-batch loss, the recorded training loss and
        R^2 are weighted means.
    n_jobs : int or None, default=None
        Stacks trained concurrently in threads (torch releases the GIL), each with one torch
        thread, taking models from one shared queue. ``None`` means 1. The results do not depend
        on it beyond float rounding.
    n_threads : int, "auto" or None, default="auto"
        Torch threads of the stack when ``n_jobs`` is 1 (see
        :func:`sklearn_ka.engine.train_models`).
    max_units : int, "auto" or None, default="auto"
        Most hidden units in one stack. ``"auto"`` is
        :data:`sklearn_ka.engine.CPU_MAX_UNITS` on the CPU, where larger stacks leave the
        caches, and no limit on a GPU; ``None`` is no limit. It changes nothing but float rounding.
    callback : callable or None, default=None
        Called after every epoch with a :class:`sklearn_ka.engine.EpochInfo` describing every
        model of the stack (``EpochInfo.models`` are positions in ``estimators``); it may return
        the models to stop (a boolean mask over ``EpochInfo.models``, or their positions). A
        stopped model keeps its best weights, with ``stop_reason_ == "callback"``. Estimators'
        own ``callback`` parameters are called too, each with its own model's row.

    Returns
    -------
    estimators : list
        The same estimator objects, fitted.

    Raises
    ------
    sklearn_ka._utils.MemoryBudgetError
        Before any training, when one stack would need more memory than the budget
        (``SKLEARN_KA_MEMORY_BUDGET``, default 4 GiB). ``max_units`` is lowered until a stack
        fits, and concurrent stacks (``n_jobs``) are limited to as many as fit in it together,
        so neither changes the results.
    FloatingPointError
        When the training of an estimator with ``error_on_divergence=True`` diverged (after every
        estimator has been fitted).

    Warns
    -----
    sklearn.exceptions.ConvergenceWarning
        One per estimator whose training diverged (its loss became NaN or infinite), and one per
        estimator stopped by ``max_epochs`` before early stopping, naming it by its index.
    """
    estimators = _check_estimators(estimators)
    checked = validate_params({"n_jobs": n_jobs, "n_threads": n_threads, "max_units": max_units,
                               "callback": callback}, _CONSTRAINTS, owner="fit_many")
    plans = _prepare_plans(estimators, X, y, eval_set, sample_weight)
    budget = memory_budget()
    for group in _groups(plans):
        results = _train_group(group, checked, budget)
        for plan, result in zip(group, results):
            plan.estimator._finish_fit(plan, result)
    _report_divergence(plans)
    _report_max_epochs(plans)
    return estimators


def _groups(plans):
    """Plans whose settings let them train in one run, in order of first appearance."""
    groups = defaultdict(list)
    for plan in plans:
        groups[plan.group_key].append(plan)
    return list(groups.values())


def _train_group(group, checked, budget):
    """Train one group: the stack size and the number of workers chosen to fit the memory budget."""
    device = group[0].engine_kwargs["device"]
    jobs = effective_n_jobs(checked["n_jobs"]) if checked["n_jobs"] is not None else 1
    units = checked["max_units"]
    if units == "auto":
        units = CPU_MAX_UNITS if device.type == "cpu" else None
    total, widest = sum(p.width for p in group), max(p.width for p in group)
    if jobs > 1:  # spread the models over the workers, which take them from one queue
        units = max(widest, min(units or total, -(-total // jobs)))
    units = _budget_units(group, total if units is None else min(units, total), budget)
    together = max(1, budget // stack_nbytes(group, max_units=units))
    n_workers = max(1, min(jobs, together, len(group), -(-total // units)))
    callback = _callbacks(group, checked["callback"])
    return train_plans(group, checked["n_threads"], n_jobs=n_workers, max_units=units, callback=callback)


def _budget_units(group, units, budget):
    """The largest stack size up to ``units`` whose stack fits the memory budget (at least the widest model)."""
    lo, hi = max(p.width for p in group), units
    if hi <= lo or stack_nbytes(group, max_units=hi) <= budget:
        return max(lo, hi)
    while lo < hi:  # the estimate grows with the units in the stack
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if stack_nbytes(group, max_units=mid) <= budget else (lo, mid - 1)
    return lo


def _callbacks(group, callback):
    """One engine callback: ``fit_many``'s (positions in its list) and each estimator's own."""
    own = [(i, p.estimator.callback) for i, p in enumerate(group) if getattr(p.estimator, "callback", None)]
    if callback is None and not own:
        return None
    positions = np.array([p.position for p in group])

    def call(info):
        stop = np.zeros(len(info.models), dtype=bool)
        if callback is not None:
            mask = requested_stops(callback, replace(info, models=positions[info.models]))
            stop |= False if mask is None else mask
        for i, est_callback in own:
            row = np.flatnonzero(info.models == i)
            if row.size:
                mask = requested_stops(est_callback, _rows(info, row, positions))
                stop[row] |= False if mask is None else mask
        return stop

    return call


def _rows(info, row, positions):
    """The part of ``info`` about the models at ``row``."""
    return replace(info, models=positions[info.models[row]], epochs=info.epochs[row],
                   train_loss=info.train_loss[row], monitored_loss=info.monitored_loss[row],
                   train_score=info.train_score[row], monitored_score=info.monitored_score[row],
                   best_monitored_loss=info.best_monitored_loss[row])


def _report_max_epochs(plans):
    """Warn for each model that ``max_epochs`` stopped before early stopping did."""
    for i, plan in enumerate(plans):
        est = plan.estimator
        if est.stop_reason_ != "max_epochs":
            continue
        label = type(est).__name__ if len(plans) == 1 else f"fit_many: estimators[{i}] ({type(est).__name__})"
        warnings.warn(f"{label}: training stopped at max_epochs={est.n_epochs_} before early stopping (the "
                      f"monitored loss improved within the last patience={plan.engine_kwargs['patience']} "
                      f"epochs); the model may not have converged. Raise max_epochs, or pass it knowingly.",
                      ConvergenceWarning, stacklevel=3)


def _report_divergence(plans):
    """Warn for each model whose training diverged; raise for those with ``error_on_divergence=True``."""
    errors = []
    for i, plan in enumerate(plans):
        est = plan.estimator
        label = type(est).__name__ if len(plans) == 1 else f"fit_many: estimators[{i}] ({type(est).__name__})"
        message = est._report_divergence(plan, label)
        if message is not None:
            errors.append(message)
    if errors:
        raise FloatingPointError(" ".join(errors) + " (error_on_divergence=True; the estimator keeps the fitted "
                                 "attributes of the run, e.g. history_, for inspection.)")


def _check_estimators(estimators):
    if hasattr(estimators, "_prepare_fit") or not np.iterable(estimators) or isinstance(estimators, str):
        hint = " (pass a list: [estimator])" if hasattr(estimators, "_prepare_fit") else ""
        raise TypeError(f"fit_many: estimators must be a list (or another iterable) of ShallowMLPRegressor or "
                        f"ShallowMLPClassifier; got {type(estimators).__name__}{hint}.")
    estimators = list(estimators)
    if not estimators:
        raise ValueError("fit_many needs at least one estimator, got an empty sequence.")
    for est in estimators:
        if not hasattr(est, "_prepare_fit"):
            raise TypeError(
                f"fit_many trains ShallowMLPRegressor-like estimators; got {type(est).__name__}."
            )
    if len({id(e) for e in estimators}) != len(estimators):
        raise ValueError("fit_many got the same estimator object twice; pass distinct (cloned) estimators.")
    return estimators


def _per_estimator(data, n_estimators, name):
    """True when ``data`` holds one array per estimator (a list/tuple of 2-D arrays or frames)."""
    if isinstance(data, (list, tuple)) and len(data) > 0 and all(hasattr(d, "shape") for d in data):
        if all(len(np.shape(d)) == 2 for d in data) or name != "X":
            if len(data) != n_estimators:
                raise ValueError(
                    f"{name} holds {len(data)} per-estimator arrays but {n_estimators} estimators were given; "
                    f"pass one array shared by all, or exactly one per estimator."
                )
            return True
    return False


def _prepare_plans(estimators, X, y, eval_set, sample_weight=None):
    """Each estimator's fit plan, on the shared data or on its own."""
    K = len(estimators)
    per_x = _per_estimator(X, K, "X")
    per_y = per_x and _per_estimator(y, K, "y")
    if per_x != per_y:
        raise ValueError("X and y must both be shared or both be per-estimator lists.")
    per_eval = per_x and eval_set is not None
    if per_eval and not (
        isinstance(eval_set, (list, tuple)) and len(eval_set) == K
        and all(isinstance(e, (tuple, list)) and len(e) == 2 for e in eval_set)
    ):
        raise ValueError(
            "With per-estimator X, eval_set must be None or a list with one (X_val, y_val) pair per estimator."
        )
    per_weight = per_x and sample_weight is not None
    if per_weight and not (isinstance(sample_weight, (list, tuple)) and len(sample_weight) == K):
        raise ValueError("With per-estimator X, sample_weight must be None or a list with one array per estimator.")
    plans = [
        est._prepare_fit(
            X[i] if per_x else X,
            y[i] if per_y else y,
            eval_set[i] if per_eval else eval_set,
            data_key=None if per_x or per_eval else ("shared",),
            sample_weight=sample_weight[i] if per_weight else sample_weight,
        )
        for i, est in enumerate(estimators)
    ]
    for i, plan in enumerate(plans):
        plan.position = i
    return plans
