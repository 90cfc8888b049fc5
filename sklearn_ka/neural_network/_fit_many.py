"""fit_many: train a list of estimators at once on the stacked engine."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import numpy as np
from joblib import Parallel, delayed, effective_n_jobs
from numpy.typing import ArrayLike

from .._utils import (
    Integers,
    Options,
    check_n_jobs,
    memory_budget,
    torch_threads,
    validate_params,
)
from ._stacking import stack_nbytes, train_plans

if TYPE_CHECKING:
    from ._shallow_mlp import ShallowMLPClassifier, ShallowMLPRegressor

    _Estimator = ShallowMLPRegressor | ShallowMLPClassifier

__all__ = ["fit_many"]

# "auto" stack size on the CPU: the per-model cost of width-32 models is lowest from about 12 to
# 24 models in one stack and doubles at 48, when the stacked tensors leave the caches (measured
# on a 2-core machine). On a GPU one stack holds every model.
_CPU_STACK = 16

def _check_n_jobs(name, value):
    return check_n_jobs(value, name=name, owner="fit_many")


_CONSTRAINTS = {
    "n_jobs": _check_n_jobs,
    "n_threads": [Integers(1), Options("auto"), None],
    "max_stack": [Integers(1), Options("auto"), None],
}


def fit_many(
    estimators: Iterable[_Estimator],
    X: ArrayLike | Sequence[ArrayLike],
    y: ArrayLike | Sequence[ArrayLike],
    eval_set: tuple[ArrayLike, ArrayLike] | Sequence[tuple[ArrayLike, ArrayLike]] | None = None,
    *,
    n_jobs: int | None = None,
    n_threads: int | str | None = "auto",
    max_stack: int | str | None = "auto",
) -> list[_Estimator]:
    """Fit many :class:`ShallowMLPRegressor` at once; each ends as its own ``fit`` would.

    The estimators may also be :class:`ShallowMLPClassifier`; see the user guide,
    :ref:`training`, for the model and its training protocol.

    Estimators whose settings allow it (same data shapes, batch size, activation, optimiser
    settings, epochs, patience, precision and device) train together in stacked runs of
    :func:`sklearn_ka.engine.train_stacked`: one loop over a leading model axis, each model with
    its own initialisation, shuffling stream, Adam state, early stopping and best weights.
    Estimator ``i`` ends as ``estimators[i].fit(X, y, eval_set)`` alone would, up to float
    rounding. On the CPU, models of one width train together, in stacks of at most
    ``max_stack``; on a GPU all widths share one stack, zero-padded to the widest (padded units
    stay exactly zero).

    Parameters
    ----------
    estimators : iterable of ShallowMLPRegressor or ShallowMLPClassifier
        Fitted in place.
    X : array-like of shape (n_samples, n_features), or a list of such, one per estimator
    y : array-like of shape (n_samples,), or a list of such, one per estimator
    eval_set : tuple (X_val, y_val), a list of such tuples (one per estimator), or None
        Monitored held-out data. With per-estimator ``X``, pass per-estimator ``eval_set``.
    n_jobs : int or None, default=None
        Stacked runs trained concurrently, in joblib threads (torch releases the GIL), each
        with one torch thread. ``None`` means 1. The grouping into stacks does not depend on
        it, so neither do the results.
    n_threads : int, "auto" or None, default="auto"
        Torch threads of each stacked run when ``n_jobs`` is 1 (see
        :func:`sklearn_ka.engine.train_stacked`).
    max_stack : int, "auto" or None, default="auto"
        Most models in one stacked run. ``"auto"`` is 16 on the CPU, where larger stacks leave
        the caches, and no limit on a GPU; ``None`` is no limit. Grouping changes nothing but
        float rounding.

    Returns
    -------
    estimators : list
        The same estimator objects, fitted.

    Raises
    ------
    sklearn_ka._utils.MemoryBudgetError
        Before any training, when one of the models alone would need more memory than the budget
        (``SKLEARN_KA_MEMORY_BUDGET``, default 4 GiB). Stacks are kept under the budget: a stack
        that would exceed it is split into smaller ones, and concurrent stacks (``n_jobs``) are
        limited to as many as fit in it together, so neither changes the results.
    FloatingPointError
        When the training of an estimator with ``error_on_divergence=True`` diverged (after every
        estimator has been fitted).

    Warns
    -----
    sklearn.exceptions.ConvergenceWarning
        One per estimator whose training diverged (its loss became NaN or infinite), naming it
        by its index.
    """
    estimators = _check_estimators(estimators)
    checked = validate_params({"n_jobs": n_jobs, "n_threads": n_threads, "max_stack": max_stack}, _CONSTRAINTS,
                              owner="fit_many")
    n_jobs, n_threads, max_stack = checked["n_jobs"], checked["n_threads"], checked["max_stack"]
    plans = _prepare_plans(estimators, X, y, eval_set)
    budget = memory_budget()
    stacks = _stacks(plans, max_stack, budget)
    # concurrent stacks share the budget: run at most as many at once as fit in it together
    together = max(1, budget // max(stack_nbytes(stack) for stack in stacks))
    n_workers = min(effective_n_jobs(n_jobs), len(stacks), together)
    if n_workers > 1:
        with torch_threads(1):
            results = Parallel(n_jobs=n_workers, prefer="threads")(
                delayed(train_plans)(stack, None) for stack in stacks)
    else:
        results = [train_plans(stack, n_threads) for stack in stacks]
    for stack, stack_results in zip(stacks, results):
        for plan, result in zip(stack, stack_results):
            plan.estimator._finish_fit(plan, result)
    _report_divergence(plans)
    return estimators


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


def _prepare_plans(estimators, X, y, eval_set):
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
    return [
        est._prepare_fit(
            X[i] if per_x else X,
            y[i] if per_y else y,
            eval_set[i] if per_eval else eval_set,
            data_key=None if per_x or per_eval else ("shared",),
        )
        for i, est in enumerate(estimators)
    ]


def _stacks(plans, max_stack, budget):
    """Group the plans into stacked runs, each under the memory ``budget``, widest first."""
    groups = defaultdict(list)
    for plan in plans:
        cpu = plan.engine_kwargs["device"].type == "cpu"
        # on the CPU padding costs compute, so widths train apart; on a GPU one stack is best
        groups[plan.group_key + ((plan.width,) if cpu else ())].append(plan)
    stacks = []
    for group in groups.values():
        cap = _stack_cap(max_stack, group[0].engine_kwargs["device"]) or len(group)
        cap = min(cap, _budget_cap(group, budget))
        stacks += [group[start : start + cap] for start in range(0, len(group), cap)]
    # widest first: the costliest stacks start early when they run concurrently
    stacks.sort(key=lambda st: -max(p.width for p in st))
    return stacks


def _budget_cap(group, budget):
    """The most models of ``group`` (widest first) whose stack fits the memory budget; at least 1."""
    group = sorted(group, key=lambda p: -p.width)
    lo, hi = 1, len(group)
    while lo < hi:  # the estimate grows with the number of models
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if stack_nbytes(group[:mid]) <= budget else (lo, mid - 1)
    return lo


def _stack_cap(max_stack, device):
    if max_stack == "auto":
        return _CPU_STACK if device.type == "cpu" else None
    return max_stack
