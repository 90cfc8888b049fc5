"""Fit plans and stacked runs: what the engine needs per estimator, and training a stack of them.

An estimator's :meth:`_prepare_fit` resolves its parameters, data and initialisation into a
:class:`FitPlan`; plans whose settings agree (:attr:`FitPlan.group_key`) train together in one
call of :func:`~sklearn_ka.engine.train_models` (:func:`train_plans`), and each estimator then
reads its own result back.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..engine import largest_stack, train_models, training_nbytes

__all__ = ["FitPlan", "stack_nbytes", "train_plans"]


@dataclass
class FitPlan:
    """Everything the engine needs to train one estimator, resolved and validated."""

    estimator: object
    X: np.ndarray
    y: np.ndarray
    X_val: np.ndarray | None
    y_val: np.ndarray | None
    params0: tuple  # A (n, m), a (m,), B (m,), b () in float64, rounded to the training dtype
    shuffle_seed: int
    batch_size: int
    engine_kwargs: dict
    data_key: tuple  # identifies shared data objects across plans
    sample_weight: np.ndarray | None = None
    position: int = 0  # index in the caller's list of estimators
    initial: tuple | None = None  # the initialisation remembered as the baseline (params0 unless warm-started)

    def __post_init__(self):
        if self.initial is None:
            self.initial = self.params0

    @property
    def width(self) -> int:
        """The hidden width ``m``."""
        return self.params0[0].shape[1]

    @property
    def n_outputs(self) -> int:
        """Outputs of the model: 1, or one per class."""
        return 1 if self.params0[2].ndim == 1 else self.params0[2].shape[1]

    @property
    def group_key(self):
        """Plans with equal keys can train in one stacked run."""
        kw = self.engine_kwargs
        snap = kw["snapshot_r2"]
        return (
            self.X.shape, None if self.X_val is None else self.X_val.shape, self.batch_size,
            kw["activation"], kw["learning_rate"], kw["betas"], kw["epsilon"], kw["max_epochs"],
            kw["patience"], kw["tol"], str(kw["dtype"]), str(kw["device"]),
            None if snap is None else tuple(snap), kw["loss"], self.params0[2].shape[1:],
            None if kw.get("snapshot_epochs") is None else tuple(kw["snapshot_epochs"]),
            self.sample_weight is None,
            None if kw.get("activation_schedule") is None else kw["activation_schedule"].activation,
            None if kw.get("ka_penalty") is None else kw["ka_penalty"].group_key(),
        )


def _stacked_data(plans):
    """``(X, y, X_val, y_val, sample_weight, data_index)``: the distinct data sets and each plan's one."""
    keys = {}
    for p in plans:
        keys.setdefault(p.data_key, p)
    first = list(keys.values())
    index = [list(keys).index(p.data_key) for p in plans]

    def stack(name):
        return None if getattr(first[0], name) is None else np.stack([getattr(p, name) for p in first])

    return stack("X"), stack("y"), stack("X_val"), stack("y_val"), stack("sample_weight"), index


def stack_nbytes(plans: list[FitPlan], batch_size: int | None = None, max_units: int | None = None) -> int:
    """The estimated peak memory of training ``plans`` in stacks of ``max_units`` units (see ``training_nbytes``)."""
    p0 = plans[0]
    n_units, n_models = largest_stack([p.width for p in plans], max_units)
    return training_nbytes(
        n_models=n_models, n_samples=p0.X.shape[0], n_features=p0.X.shape[1], width=max(p.width for p in plans),
        batch_size=p0.batch_size if batch_size is None else batch_size, n_outputs=p0.n_outputs,
        n_val_samples=0 if p0.X_val is None else p0.X_val.shape[0],
        shared_data=len({p.data_key for p in plans}) == 1, itemsize=p0.engine_kwargs["dtype"].itemsize,
        n_units=n_units)


def train_plans(plans: list[FitPlan], n_threads="auto", n_jobs=1, max_units="auto", callback=None, **overrides):
    """Train the plans in one run of :func:`~sklearn_ka.engine.train_models`; ``overrides`` replace its settings.

    All widths share a ragged stack (no padding); plans beyond ``max_units`` hidden units queue
    and join as others stop. Returns one :class:`~sklearn_ka.engine.TrainingResult` per plan, in
    order.
    """
    X, y, X_val, y_val, weights, index = _stacked_data(plans)
    kw = dict(plans[0].engine_kwargs, verbose=max(p.engine_kwargs["verbose"] for p in plans),
              batch_size=plans[0].batch_size)
    kw.update(overrides)
    for per_model in ("activation_schedule", "ka_penalty"):  # passed below as one entry per plan
        kw.pop(per_model, None)
    return train_models([p.params0 for p in plans], X, y, X_val, y_val, data_index=index, sample_weight=weights,
                        shuffle_seeds=[p.shuffle_seed for p in plans], n_threads=n_threads, n_jobs=n_jobs,
                        max_units=max_units, callback=callback,
                        activation_schedules=[p.engine_kwargs.get("activation_schedule") for p in plans],
                        loss_terms=[p.engine_kwargs.get("ka_penalty") for p in plans], **kw)
