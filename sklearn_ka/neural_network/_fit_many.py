"""fit_many: train a list of estimators at once on the stacked engine."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import numpy as np
from joblib import Parallel, delayed, effective_n_jobs
from numpy.typing import ArrayLike

from ..engine._training import torch_threads, train_stacked

if TYPE_CHECKING:
    from ._shallow_mlp import ShallowMLPClassifier, ShallowMLPRegressor

    _Estimator = ShallowMLPRegressor | ShallowMLPClassifier

__all__ = ["fit_many"]


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


def _pad(arrays, width, axis=-1):
    """Stack arrays, zero-padding their hidden-unit ``axis`` to ``width``."""
    shape = list(arrays[0].shape)
    shape[axis] = width
    out = np.zeros([len(arrays)] + shape)
    for i, v in enumerate(arrays):
        index = [slice(None)] * v.ndim
        index[axis] = slice(0, v.shape[axis])
        out[(i, *index)] = v
    return out


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
        Most models in one stacked run. ``"auto"`` is 16 on the CPU (measured on a 2-core
        machine: the per-model cost of width-32 models is lowest from about 12 to 24 models
        and doubles at 48, when the stacked tensors leave the caches) and no limit on a GPU;
        ``None`` is no limit. Grouping changes nothing but float rounding.

    Returns
    -------
    estimators : list
        The same estimator objects, fitted.
    """
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

    plans = []
    for i, est in enumerate(estimators):
        plans.append(
            est._prepare_fit(
                X[i] if per_x else X,
                y[i] if per_y else y,
                eval_set[i] if per_eval else eval_set,
                data_key=None if per_x or per_eval else ("shared",),
            )
        )

    groups = defaultdict(list)
    for plan in plans:
        cpu = plan.engine_kwargs["device"].type == "cpu"
        # on the CPU padding costs compute, so widths train apart; on a GPU one stack is best
        groups[plan.group_key + ((plan.params0[0].shape[1],) if cpu else ())].append(plan)
    stacks = []
    for group in groups.values():
        cap = _stack_cap(max_stack, group[0].engine_kwargs["device"]) or len(group)
        stacks += [group[start : start + cap] for start in range(0, len(group), cap)]
    # widest first: the costliest stacks start early when they run concurrently
    stacks.sort(key=lambda st: -max(p.params0[0].shape[1] for p in st))
    n_workers = min(effective_n_jobs(n_jobs), len(stacks))
    if n_workers > 1:
        with torch_threads(1):
            results = Parallel(n_jobs=n_workers, prefer="threads")(
                delayed(_train_group)(stack, None) for stack in stacks)
    else:
        results = [_train_group(stack, n_threads) for stack in stacks]
    for stack, stack_results in zip(stacks, results):
        for plan, result in zip(stack, stack_results):
            plan.estimator._finish_fit(plan, result)
    return estimators


def _stack_cap(max_stack, device):
    if max_stack == "auto":
        return 16 if device.type == "cpu" else None
    if max_stack is None:
        return None
    if isinstance(max_stack, bool) or not isinstance(max_stack, int) or max_stack < 1:
        raise ValueError(f"max_stack must be a positive int, 'auto' or None, got {max_stack!r}.")
    return max_stack


def _train_group(plans, n_threads):
    width = max(p.params0[0].shape[1] for p in plans)
    A = _pad([p.params0[0] for p in plans], width)
    a = _pad([p.params0[1] for p in plans], width)
    B = _pad([p.params0[2] for p in plans], width, axis=0)  # (m,) or (m, n_classes)
    b = np.stack([p.params0[3] for p in plans])
    mask = _pad([np.ones(p.params0[0].shape[1]) for p in plans], width)

    shared = all(p.data_key == ("shared",) for p in plans)
    if shared:
        X, y = plans[0].X[None], plans[0].y[None]
        X_val = None if plans[0].X_val is None else plans[0].X_val[None]
        y_val = None if plans[0].y_val is None else plans[0].y_val[None]
    else:
        X = np.stack([p.X for p in plans])
        y = np.stack([p.y for p in plans])
        X_val = None if plans[0].X_val is None else np.stack([p.X_val for p in plans])
        y_val = None if plans[0].y_val is None else np.stack([p.y_val for p in plans])
    kw = dict(plans[0].engine_kwargs)
    kw["verbose"] = max(p.engine_kwargs["verbose"] for p in plans)
    return train_stacked(
        A, a, B, b, X, y, X_val, y_val, hidden_mask=mask, batch_size=plans[0].batch_size,
        shuffle_seeds=[p.shuffle_seed for p in plans], n_threads=n_threads, **kw,
    )
