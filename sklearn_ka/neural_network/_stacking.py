"""Fit plans and stacked runs: what the engine needs per estimator, and training a stack of them.

An estimator's :meth:`_prepare_fit` resolves its parameters, data and initialisation into a
:class:`FitPlan`; plans whose settings agree (:attr:`FitPlan.group_key`) train together in one
call of :func:`~sklearn_ka.engine.train_stacked` (:func:`train_plans`), and each estimator then
reads its own result back.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..engine import train_stacked, training_nbytes

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
        )


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


def _stacked_data(plans):
    """``(X, y, X_val, y_val)`` with a leading axis: 1 when all plans share their data, else K."""
    if all(p.data_key == ("shared",) for p in plans):
        p0 = plans[0]
        return (p0.X[None], p0.y[None], None if p0.X_val is None else p0.X_val[None],
                None if p0.y_val is None else p0.y_val[None])

    def stack(name):
        return None if getattr(plans[0], name) is None else np.stack([getattr(p, name) for p in plans])

    return stack("X"), stack("y"), stack("X_val"), stack("y_val")


def stack_nbytes(plans: list[FitPlan], batch_size: int | None = None) -> int:
    """The estimated peak memory of training ``plans`` in one stacked run (see ``training_nbytes``)."""
    p0 = plans[0]
    return training_nbytes(
        n_models=len(plans), n_samples=p0.X.shape[0], n_features=p0.X.shape[1], width=max(p.width for p in plans),
        batch_size=p0.batch_size if batch_size is None else batch_size, n_outputs=p0.n_outputs,
        n_val_samples=0 if p0.X_val is None else p0.X_val.shape[0],
        shared_data=all(p.data_key == ("shared",) for p in plans), itemsize=p0.engine_kwargs["dtype"].itemsize)


def train_plans(plans: list[FitPlan], n_threads="auto", **overrides):
    """Train the plans in one stacked run; ``overrides`` replace engine keyword arguments.

    Models of different widths are zero-padded to the widest (the padded units stay zero).
    Returns one :class:`~sklearn_ka.engine.TrainingResult` per plan, in order.
    """
    width = max(p.width for p in plans)
    A = _pad([p.params0[0] for p in plans], width)
    a = _pad([p.params0[1] for p in plans], width)
    B = _pad([p.params0[2] for p in plans], width, axis=0)  # (m,) or (m, n_classes)
    b = np.stack([p.params0[3] for p in plans])
    mask = _pad([np.ones(p.width) for p in plans], width)
    kw = dict(plans[0].engine_kwargs, verbose=max(p.engine_kwargs["verbose"] for p in plans),
              batch_size=plans[0].batch_size)
    kw.update(overrides)
    return train_stacked(A, a, B, b, *_stacked_data(plans), hidden_mask=mask,
                         shuffle_seeds=[p.shuffle_seed for p in plans], n_threads=n_threads, **kw)
