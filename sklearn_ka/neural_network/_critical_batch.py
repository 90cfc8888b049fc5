"""Critical batch size: empirical E_min/S_min, and the gradient noise scale.

See the user guide, :ref:`critical-batch-size`. The definitions are those of McCandlish, Kaplan,
Amodei et al. (2018), "An empirical model of large-batch training" (arXiv:1812.06162):
``B_crit = E_min / S_min``, and the cheaper estimate ``B_simple = tr(Sigma) / |G|^2``; the KA-geometry
study (Freedman and Mulligan 2025, arXiv:2509.12326) trains at the critical batch size.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import clone

from .._utils import (
    Integers,
    InvalidParameterError,
    Options,
    Reals,
    check_memory,
    check_random_state,
    draw_seeds,
    validate_params,
)
from ..engine import check_training_memory, get_activation, unpack_parameters
from ._stacking import train_plans

if TYPE_CHECKING:
    from ._shallow_mlp import ShallowMLPRegressor

__all__ = ["CriticalBatchSize", "estimate_critical_batch_size"]

#: Most pilot models: each is a full training run (the published estimate uses a handful), and
#: preparing each costs Python-level work before any training starts.
MAX_PILOTS = 1000


def _check_random_state(name, value):
    try:
        check_random_state(value, name=name)
    except InvalidParameterError as exc:
        raise InvalidParameterError(f"estimate_critical_batch_size: {exc}") from None
    return value


_CONSTRAINTS = {
    "method": [Options("empirical", "noise_scale")],
    "small_batch": [Integers(1)],
    "criterion": [Reals(0, 1, low_open=True)],
    "target_r2": [None, Reals(high=1)],
    "n_pilots": [Integers(1, MAX_PILOTS)],
    "max_epochs": [None, Integers(1)],
    "random_state": _check_random_state,
}

#: Float64 arrays of shape (n_samples, n_parameters) alive while the noise scale of one pilot is computed:
#: the per-example gradients, their deviations from the mean, and the pieces they are built from.
_NOISE_SCALE_COPIES = 4

#: Training-R^2 levels at which the full-batch pilots keep their parameters (noise-scale method).
_SNAPSHOT_GRID = np.linspace(-1.0, 1.0, 401)


@dataclass
class CriticalBatchSize:
    """Result of :func:`estimate_critical_batch_size`.

    See the user guide, :ref:`critical-batch-size`.

    Attributes
    ----------
    batch_size : int
        The estimate, rounded and clipped to ``[1, n_samples]``; what ``batch_size="critical"`` uses.
    value : float
        The unrounded estimate.
    method : str
        ``"empirical"`` or ``"noise_scale"``.
    target_r2 : float
        The training-R^2 criterion the pilots were measured against.
    e_min : float
        (empirical) Mean over pilots of the training examples processed with the small batch
        until the criterion was first met.
    s_min : float
        (empirical) Mean over pilots of the full-batch optimiser steps until the criterion was met.
    b_simple : float
        (noise_scale) ``tr(Sigma) / |G|^2`` with Sigma the per-example gradient covariance over the
        whole training set (the population) and G the full-batch gradient.
    b_simple_corrected : float
        (noise_scale) the batch size at which the variance of a batch gradient drawn without
        replacement equals ``|G|^2``: ``N * b_simple / (N - 1 + b_simple)``.
    details : dict
        Per-pilot figures (steps, best R^2, whether the criterion was reached).
    """

    batch_size: int
    value: float
    method: str
    target_r2: float
    e_min: float = float("nan")
    s_min: float = float("nan")
    b_simple: float = float("nan")
    b_simple_corrected: float = float("nan")
    details: dict[str, Any] = field(default_factory=dict)


def estimate_critical_batch_size(
    estimator: ShallowMLPRegressor,
    X: ArrayLike,
    y: ArrayLike,
    *,
    method: Literal["empirical", "noise_scale"] = "empirical",
    small_batch: int = 64,
    criterion: float = 0.9,
    target_r2: float | None = None,
    n_pilots: int = 4,
    max_epochs: int | None = None,
    eval_set: tuple[ArrayLike, ArrayLike] | None = None,
    random_state: int | np.random.RandomState | None = None,
) -> CriticalBatchSize:
    """Estimate the critical batch size of ``estimator`` on ``(X, y)``.

    The KA-geometry study [1]_ trains at the critical batch size of McCandlish et al. [2]_
    (250 for its xor runs); see the user guide, :ref:`critical-batch-size`.

    ``method="empirical"`` is ``B_c = E_min / S_min`` [2]_: ``n_pilots``
    pilot models (stacked in one engine run) train with a small batch (``small_batch``, 64 in
    the published runs), and the same pilots train with the full batch. ``E_min`` is the
    number of training examples the small-batch pilots processed until their training R^2
    first reached the criterion; ``S_min`` the number of full-batch steps until the same
    criterion; both are averaged over pilots. Resolution: the training R^2 is measured at the
    end of each epoch, so ``E_min`` is counted in whole epochs (``N`` examples each) and
    ``S_min`` exactly (one step per full-batch epoch).

    The criterion is a training R^2 of ``target_r2`` when given, else ``criterion`` times the
    smallest best training R^2 reached by any pilot (so that every pilot reaches it, whatever
    the function's difficulty; 0.9 by default).

    ``method="noise_scale"`` is the gradient noise scale ``B_simple = tr(Sigma)/|G|^2`` from exact
    per-example gradients on the whole training set, evaluated at the parameters of the
    full-batch pilots when their training R^2 first reaches the criterion (the same point of
    training as the empirical method), averaged over pilots. The training set is the whole
    population, so ``G`` is the exact full gradient and ``Sigma`` the population covariance.
    Batches are drawn without replacement, so the variance of a batch gradient is
    ``tr(Sigma) (N - B) / (B (N - 1))``; it equals ``|G|^2`` at
    ``B = N B_simple / (N - 1 + B_simple)``, the corrected estimate that is returned.

    Parameters
    ----------
    estimator : ShallowMLPRegressor
        Its settings (width, activation, optimiser, patience, precision, device) are used; its
        ``batch_size`` is ignored.
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
    method : {"empirical", "noise_scale"}, default="empirical"
    small_batch : int, default=64
        Batch size of the small-batch pilots (empirical method).
    criterion : float in (0, 1], default=0.9
        Fraction of the pilots' smallest best training R^2 used as the criterion.
    target_r2 : float or None, default=None
        An absolute training-R^2 criterion instead.
    n_pilots : int, default=4
        Pilot models (different initialisations and shuffles), trained at once; at most 1000.
    max_epochs : int or None, default=None
        Epoch limit of the pilots (default: the estimator's ``max_epochs``).
    eval_set : tuple or None
        Monitored data for the pilots' early stopping (default: the training loss).
    random_state : int, RandomState instance or None
        Seeds of the pilots (default: the estimator's ``random_state``).

    Returns
    -------
    CriticalBatchSize
        The estimate (``batch_size``) and the figures it was computed from.

    Raises
    ------
    sklearn_ka._utils.MemoryBudgetError
        Before any training, when the stacked pilots (trained with the full batch) or the
        per-example gradients of the noise scale would need more memory than the budget
        (``SKLEARN_KA_MEMORY_BUDGET``, default 4 GiB).
    FloatingPointError
        When the training of a pilot diverged (its loss became NaN or infinite): no estimate
        can be made; the message says how to fix it.
    RuntimeError
        When a pilot did not reach the criterion within ``max_epochs``.

    References
    ----------
    .. [1] M. Freedman and M. Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in
       Shallow MLPs", arXiv:2509.12326, 2025. https://arxiv.org/abs/2509.12326
    .. [2] S. McCandlish, J. Kaplan, D. Amodei and the OpenAI Dota Team, "An Empirical Model
       of Large-Batch Training", arXiv:1812.06162, 2018. https://arxiv.org/abs/1812.06162
    """
    from ._shallow_mlp import ShallowMLPRegressor

    if not isinstance(estimator, ShallowMLPRegressor):
        raise TypeError("estimate_critical_batch_size: estimator must be a ShallowMLPRegressor (the estimate is "
                        f"measured through the training R^2); got {type(estimator).__name__}.")
    p = validate_params(
        dict(method=method, small_batch=small_batch, criterion=criterion, target_r2=target_r2, n_pilots=n_pilots,
             max_epochs=max_epochs, random_state=random_state),
        _CONSTRAINTS, owner="estimate_critical_batch_size")
    random_state = estimator.random_state if p["random_state"] is None else p["random_state"]
    seeds = draw_seeds(random_state, p["n_pilots"])
    plans = [_pilot_plan(estimator, X, y, seeds[0], eval_set)]  # the settings and data, validated once
    _check_pilot_memory(plans[0], p["n_pilots"], p["method"])
    plans += [_pilot_plan(estimator, X, y, s, eval_set) for s in seeds[1:]]
    N = plans[0].X.shape[0]
    if p["small_batch"] > N:
        raise InvalidParameterError(f"small_batch={p['small_batch']} exceeds the {N} training samples.")
    max_epochs = plans[0].engine_kwargs["max_epochs"] if p["max_epochs"] is None else p["max_epochs"]
    full = train_plans(plans, batch_size=N, max_epochs=max_epochs, verbose=0,
                       snapshot_r2=_SNAPSHOT_GRID if p["method"] == "noise_scale" else None)
    small = (train_plans(plans, batch_size=p["small_batch"], max_epochs=max_epochs, verbose=0, snapshot_r2=None)
             if p["method"] == "empirical" else [])
    _check_pilots_converged(full, small, plans[0], p["small_batch"])
    best = [float(np.nanmax(r.history["train_r2"])) for r in full + small]
    target = p["target_r2"] if p["target_r2"] is not None else p["criterion"] * min(best)
    details = {"pilot_best_train_r2": best, "n_samples": N}
    if p["method"] == "empirical":
        return _empirical(full, small, target, p["small_batch"], N, max_epochs, details)
    return _noise_scale(full, plans[0], target, details)


def _pilot_plan(estimator, X, y, seed, eval_set):
    """One pilot: a clone of ``estimator`` with its own seed, trained on the shared data."""
    pilot = clone(estimator).set_params(batch_size=None, random_state=int(seed), snapshot_r2=None)
    return pilot._prepare_fit(X, y, eval_set, data_key=("shared",))


def _check_pilot_memory(plan, n_pilots, method):
    """Refuse at once pilots that cannot fit the memory budget: the full-batch stack, the noise scale."""
    owner = "estimate_critical_batch_size"
    N, n = plan.X.shape
    check_training_memory(
        n_models=n_pilots, n_samples=N, n_features=n, width=plan.width, batch_size=N,
        n_val_samples=0 if plan.X_val is None else plan.X_val.shape[0], itemsize=plan.engine_kwargs["dtype"].itemsize,
        owner=owner, alternatives="fewer n_pilots, fewer hidden_units or fewer samples, or a larger memory budget.")
    if method == "noise_scale":
        n_params = n * plan.width + 2 * plan.width + 1
        check_memory(_NOISE_SCALE_COPIES * N * n_params * 8,
                     f"the per-example gradients of the noise scale ({N} samples x {n_params} parameters, float64)",
                     alternatives="method='empirical', fewer hidden_units or fewer samples, or a larger memory budget.",
                     owner=owner)


def _check_pilots_converged(full, small, plan, small_batch):
    """No estimate from pilots whose training diverged (a NaN or infinite loss)."""
    for results, kind in ((full, "full-batch"), (small, f"small-batch (batch_size={small_batch})")):
        for i, r in enumerate(results):
            if r.stop_reason == "non_finite":
                loss = float(r.history["train_loss"][-1])
                raise FloatingPointError(
                    f"estimate_critical_batch_size: the training of {kind} pilot {i} diverged (its training loss "
                    f"became {loss} at epoch {r.n_epochs}), so no critical batch size can be estimated. Scale the "
                    f"data to order 1 (e.g. with sklearn.preprocessing.StandardScaler; here max |X| = "
                    f"{float(np.max(np.abs(plan.X))):.3g}, max |y| = {float(np.max(np.abs(plan.y))):.3g}) or lower "
                    f"the estimator's learning_rate (now {plan.engine_kwargs['learning_rate']:g}).")


def _first_crossing(r2_curve, target):
    hit = np.flatnonzero(r2_curve >= target)
    return int(hit[0]) + 1 if hit.size else None  # epochs


def _empirical(full, small, target, small_batch, N, max_epochs, details):
    """``E_min / S_min`` from the epochs at which the pilots first reached the criterion."""
    steps_per_epoch = -(-N // small_batch)
    s_full = [_first_crossing(r.history["train_r2"], target) for r in full]
    e_small = [_first_crossing(r.history["train_r2"], target) for r in small]
    details.update(full_batch_steps=s_full, small_batch_epochs=e_small, small_batch=small_batch,
                   small_batch_steps_per_epoch=steps_per_epoch)
    if any(v is None for v in s_full + e_small):
        best = details["pilot_best_train_r2"]
        raise RuntimeError(
            f"Not every pilot reached the criterion train R^2 >= {target:.4g} within {max_epochs} epochs "
            f"(best pilot R^2: {np.round(best, 4).tolist()}); lower target_r2/criterion or raise max_epochs."
        )
    e_min = float(np.mean(e_small)) * N
    s_min = float(np.mean(s_full))
    value = e_min / s_min
    return CriticalBatchSize(int(np.clip(round(value), 1, N)), value, "empirical", target, e_min=e_min,
                             s_min=s_min, details=details)


def _per_example_gradients(activation, params, n, width, X, y):
    """Per-example gradients of the squared error, shape (N, P) (manual back-propagation)."""
    A, a, B, b = (np.asarray(t)[0] for t in unpack_parameters(params[None], n, width))
    act = get_activation(activation)
    Z = X @ A + a
    H, dH = act.numpy_fn(Z), act.numpy_deriv(Z)
    g = 2.0 * (H @ B + b - y)  # d(residual^2)/d(prediction)
    gZ = g[:, None] * B[None, :] * dH
    gA = X[:, :, None] * gZ[:, None, :]
    return np.concatenate([gA.reshape(len(X), -1), gZ, g[:, None] * H, g[:, None]], axis=1)


def _noise_scale(full, plan, target, details):
    """``B_simple`` at the full-batch pilots' first crossing of the criterion, corrected for sampling."""
    N, n = plan.X.shape
    b_simple = []
    X64, y64 = plan.X.astype(np.float64), plan.y.astype(np.float64)
    for r in full:
        snaps = [s for s in r.snapshots if s["level"] >= target]
        params = snaps[0]["params"] if snaps else r.params
        g = _per_example_gradients(plan.engine_kwargs["activation"], params, n, plan.width, X64, y64)
        G = g.mean(0)
        tr_sigma = float(((g - G) ** 2).sum(1).mean())
        b_simple.append(tr_sigma / float(G @ G))
    bs = float(np.mean(b_simple))
    corrected = N * bs / (N - 1 + bs)
    details.update(b_simple_per_pilot=b_simple)
    return CriticalBatchSize(int(np.clip(round(corrected), 1, N)), corrected, "noise_scale", target, b_simple=bs,
                             b_simple_corrected=corrected, details=details)
