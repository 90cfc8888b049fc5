"""What the shallow MLP regressor and classifier share: parameters, fitting, the inner map.

The model, its initialisation and its training protocol are those of Freedman and Mulligan,
"Spontaneous Kolmogorov-Arnold Geometry in Shallow MLPs" (arXiv:2509.12326, 2025); see the user
guide, :ref:`training`.
"""

from __future__ import annotations

import copy
import inspect
import warnings
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from .._utils import (
    PAPER_PROTOCOL,
    Callables,
    InstanceOf,
    Integers,
    InvalidParameterError,
    Options,
    Reals,
    check_device,
    check_random_state,
    check_real,
    check_sequence,
    draw_seeds,
    resolve_device,
    resolve_dtype,
    validate_params,
)
from ..engine import (
    ACTIVATIONS,
    Activation,
    ActivationSchedule,
    LossTerm,
    blend_activation,
    check_adam_step,
    check_training_memory,
    get_activation,
    unpack_parameters,
)
from ._stacking import FitPlan

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["BaseShallowMLP"]


def _prefix(owner):
    return f"{owner}: " if owner else ""


def _check_betas(name, value, owner=None):
    """Adam's betas: a pair of floats in [0, 1)."""
    if not (isinstance(value, (tuple, list)) and len(value) == 2):
        raise InvalidParameterError(f"{_prefix(owner)}{name} must be a pair of floats in [0, 1); got {value!r}.")
    return tuple(check_real(f"{name}[{i}]", b, 0, 1, high_open=True, owner=owner) for i, b in enumerate(value))


def _check_dtype(name, value, owner=None):
    """The training precision: ``torch.float32`` or ``torch.float64``."""
    try:
        return resolve_dtype(value, name=name)
    except InvalidParameterError:
        raise InvalidParameterError(f"{_prefix(owner)}{name} must be 'float32' or 'float64' (or the numpy or "
                                    f"torch dtype of either); got {value!r} (of type {type(value).__name__})."
                                    ) from None


def _check_device(name, value, owner=None):
    """A device this machine has: ``"cpu"``, ``"cuda"`` or ``"cuda:N"`` (checked before any work)."""
    return resolve_device(check_device(value, owner=owner, name=name), name=name)


def _check_random_state(name, value, owner=None):
    """None, an int in [0, 2**32 - 1] or a RandomState (the value itself is kept)."""
    try:
        check_random_state(value, name=name)
    except InvalidParameterError as exc:
        raise InvalidParameterError(f"{_prefix(owner)}{exc}") from None
    return value


def _first_non_number(values):
    """The first entry of ``values`` that is not a number (for messages), or None."""
    for v in np.asarray(values, dtype=object).ravel()[:10_000]:
        try:
            float(v)
        except (TypeError, ValueError):
            return v
    return None


def _numeric_error(owner, name, values, hint):
    bad = _first_non_number(values)
    example = f" such as {bad!r}" if bad is not None else ""
    return ValueError(f"{owner}: {name} must be numeric (floats or integers); got values{example} that are not "
                      f"numbers. {hint}")


#: What to do with non-numeric inputs and regression targets.
_X_HINT = "Encode categorical features as numbers first (e.g. with sklearn.preprocessing.OneHotEncoder)."
_Y_HINT = "For class labels use ShallowMLPClassifier."


def _check_representable(values, name, dtype, owner):
    """Refuse finite values that the training precision turns into infinities (float32 overflow)."""
    if dtype.itemsize >= 8 or values.size == 0:
        return
    largest = float(np.max(np.abs(values)))
    limit = float(np.finfo(np.float32).max)
    if largest > limit:
        raise ValueError(
            f"{owner}: {name} holds values up to {largest:.3g} in magnitude, beyond the range of float32 "
            f"({limit:.3g}), the training precision (dtype='float32'): they would be infinite in training. "
            f"Scale the data to order 1 (e.g. with sklearn.preprocessing.StandardScaler) or train with "
            f"dtype='float64'.")


def _squeeze_outputs(params):
    """``(A, a, B, b)`` with ``B (m, 1)`` and ``b (1,)`` of one output squeezed to ``(m,)`` and ``()``."""
    A, a, B, b = (np.asarray(p, dtype=np.float64) for p in params)
    if B.ndim == 2 and B.shape[1] == 1:
        B, b = B[:, 0], b.reshape(())
    return A, a, B, b


def _check_snapshot_epochs(name, value, owner=None):
    """Epochs at which to keep the parameters: None or a non-empty sequence of integers >= 1, sorted."""
    if value is None:
        return None
    epochs = check_sequence(name, value, Integers(1), owner=owner)
    return tuple(sorted(set(int(e) for e in epochs)))


def _draw_initial_parameters(n, m, n_outputs, seed, dtype):
    """The initialisation of the study: ``A ~ N(0, 1/n)``, ``B ~ N(0, 1/m)``, zero biases.

    Drawn in float64 from ``numpy.random.default_rng(seed)`` and rounded to the training
    precision (so that the initial model is exactly the one that trains).
    """
    rng = np.random.default_rng(seed)
    A = rng.normal(0.0, 1.0 / np.sqrt(n), size=(n, m))
    B = rng.normal(0.0, 1.0 / np.sqrt(m), size=m if n_outputs == 1 else (m, n_outputs))
    np_dtype = np.float32 if dtype.itemsize == 4 else np.float64
    return tuple(p.astype(np_dtype).astype(np.float64) for p in (A, np.zeros(m), B, np.zeros(B.shape[1:])))


def _hidden_activation(activation, schedule, blend) -> Activation:
    """The hidden activation of weights trained with ``blend`` of an ``activation_schedule`` (or none)."""
    base = get_activation(activation)
    return base if schedule is None else blend_activation(base, get_activation(schedule.activation), blend)


def _blend_at(history, epoch):
    """The activation-schedule factor of ``epoch`` (1-based) in ``history`` (None without a schedule)."""
    blend = history.get("activation_blend")
    return None if blend is None or epoch < 1 else float(blend[epoch - 1])


class BaseShallowMLP(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """What the regressor and the classifier share: validation, fitting through the engine, the inner map."""

    _loss = "squared_error"
    _n_outputs = 1

    #: Each constructor parameter and what it accepts, checked when fitting.
    _parameter_constraints: dict = {
        "hidden_units": [Integers(1)],
        "activation": [Options(*ACTIVATIONS), InstanceOf(Activation)],
        "batch_size": [Integers(1), None, Options("auto", "critical")],
        "learning_rate": [Reals(0, low_open=True)],
        "betas": _check_betas,
        "epsilon": [Reals(0, low_open=True)],
        "max_epochs": [Integers(1)],
        "patience": [Integers(1)],
        "tol": [Reals(0)],
        "validation_fraction": [None, Reals(0, 1, low_open=True, high_open=True)],
        "dtype": _check_dtype,
        "device": _check_device,
        "random_state": _check_random_state,
        "verbose": [Integers(0)],
        "error_on_divergence": [InstanceOf((bool, np.bool_), "a bool")],
        "snapshot_epochs": _check_snapshot_epochs,
        "warm_start": [InstanceOf((bool, np.bool_), "a bool")],
        "callback": [Callables(), None],
        "activation_schedule": [InstanceOf(ActivationSchedule), None],
        "ka_penalty": [InstanceOf(LossTerm, "a loss term such as sklearn_ka.interventions.KAPenalty"), None],
    }

    def __init__(self, hidden_units, *, activation, batch_size, learning_rate, betas, epsilon, max_epochs, patience,
                 tol, validation_fraction, dtype, device, random_state, verbose, error_on_divergence,
                 snapshot_epochs, warm_start, callback, activation_schedule, ka_penalty):
        # the parameters both estimators share; each subclass lists its own in its signature
        self.hidden_units = hidden_units
        self.activation = activation
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.betas = betas
        self.epsilon = epsilon
        self.max_epochs = max_epochs
        self.patience = patience
        self.tol = tol
        self.validation_fraction = validation_fraction
        self.dtype = dtype
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.error_on_divergence = error_on_divergence
        self.snapshot_epochs = snapshot_epochs
        self.warm_start = warm_start
        self.callback = callback
        self.activation_schedule = activation_schedule
        self.ka_penalty = ka_penalty

    def _encode_targets(self, y, fitting):
        return y

    def _output(self, X):
        """Raw outputs ``sigma(X A + a) B + b`` of shape (n_samples, C)."""
        X = self._check_input(X)
        H = self._fitted_activation().numpy_fn(self._hidden_preactivation(X))
        return H @ self.coefs_[1] + self.intercepts_[1]

    def _fitted_activation(self) -> Activation:
        """The hidden activation the fitted weights go with (blended by an activation schedule)."""
        return getattr(self, "hidden_activation_", None) or get_activation(self.activation)

    # ------------------------------------------------------------------ fitting
    def fit(self, X: ArrayLike, y: ArrayLike, eval_set: tuple[ArrayLike, ArrayLike] | None = None,
            sample_weight: ArrayLike | None = None) -> Self:
        """Train the model on ``(X, y)``.

        See the user guide, :ref:`training-protocol` and :ref:`training-early-stopping`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training inputs.
        y : array-like of shape (n_samples,)
            Training targets (class labels for the classifier).
        eval_set : tuple (X_val, y_val) or None
            Held-out data whose loss is monitored for early stopping.
        sample_weight : array-like of shape (n_samples,) or None
            Non-negative weights of the training samples: each mini-batch loss, the recorded
            training loss and score are weighted means (the monitored ``eval_set`` is unweighted;
            a ``validation_fraction`` split keeps the weights of its samples).

        Returns
        -------
        self : object
            The fitted estimator.

        Raises
        ------
        sklearn_ka._utils.MemoryBudgetError
            Before anything is allocated, when training would need more memory than the budget
            (``SKLEARN_KA_MEMORY_BUDGET``, default 4 GiB; the message names the alternatives).
        FloatingPointError
            With ``error_on_divergence=True``, when the training loss becomes NaN or infinite.

        Warns
        -----
        sklearn.exceptions.ConvergenceWarning
            When the training loss becomes NaN or infinite (training diverged): the model keeps
            its best weights before that epoch, and the message says how to fix it.
        """
        from ._fit_many import fit_many

        fit_many([self], X, y, eval_set=eval_set, sample_weight=sample_weight)
        return self

    def _validate_params(self):
        """Every constructor parameter, checked against ``_parameter_constraints`` and converted."""
        owner = type(self).__name__
        # the checks written as functions (``f(name, value, owner=None)``) name the owner in their messages
        constraints = {name: (lambda n, v, f=spec: f(n, v, owner=owner)) if inspect.isfunction(spec) else spec
                       for name, spec in self._parameter_constraints.items()}
        return validate_params(self.get_params(deep=False), constraints, owner=owner)

    def _engine_kwargs(self, params):
        """The keyword arguments of :func:`~sklearn_ka.engine.train_stacked` from validated parameters."""
        names = ("activation", "learning_rate", "betas", "epsilon", "max_epochs", "patience", "tol", "dtype",
                 "device", "verbose")
        return {name: params[name] for name in names} | {"snapshot_r2": params.get("snapshot_r2"),
                                                         "snapshot_epochs": params["snapshot_epochs"],
                                                         "loss": self._loss,
                                                         "activation_schedule": params["activation_schedule"],
                                                         "ka_penalty": params["ka_penalty"]}

    def _check_training_data(self, X, y, dtype, keep_classes=False):
        owner = type(self).__name__
        numeric_y = self._loss == "squared_error"
        try:
            X, y = validate_data(self, X, y, dtype=[np.float64, np.float32], y_numeric=numeric_y,
                                 multi_output=False)
        except ValueError as exc:
            if "convert" not in str(exc):
                raise
            if numeric_y and _first_non_number(y) is not None:
                raise _numeric_error(owner, "y", y, _Y_HINT) from None
            raise _numeric_error(owner, "X", X, _X_HINT) from None
        if numeric_y and np.asarray(y).dtype.kind not in "biuf" and _first_non_number(y) is not None:
            raise _numeric_error(owner, "y", y, _Y_HINT)  # strings pass scikit-learn's y_numeric untouched
        y = self._encode_targets(column_or_1d(y, warn=True), fitting=not keep_classes)
        if X.shape[0] < 2:
            raise ValueError(f"n_samples={X.shape[0]}: at least 2 samples are required, got 1 sample.")
        X = X.astype(np.float64, copy=False)
        _check_representable(X, "X", dtype, owner)
        if numeric_y:
            _check_representable(y, "y", dtype, owner)
        return X, y

    def _check_eval_set(self, eval_set, dtype):
        owner = type(self).__name__
        if not (isinstance(eval_set, (tuple, list)) and len(eval_set) == 2):
            raise ValueError("eval_set must be a pair (X_val, y_val).")
        try:
            X_val = validate_data(self, eval_set[0], reset=False, dtype=np.float64)
        except ValueError as exc:
            if "convert" not in str(exc):
                raise
            raise _numeric_error(owner, "eval_set X_val", eval_set[0], _X_HINT) from None
        y_val = column_or_1d(eval_set[1])
        if X_val.shape[0] != y_val.shape[0] or X_val.shape[0] < 1:
            raise ValueError(
                f"eval_set X_val and y_val must have the same, non-zero number of samples, "
                f"got {X_val.shape[0]} and {y_val.shape[0]}."
            )
        if self._loss == "squared_error" and y_val.dtype.kind not in "biuf" and _first_non_number(y_val) is not None:
            raise _numeric_error(owner, "eval_set y_val", y_val, _Y_HINT)
        y_val = self._encode_targets(y_val, fitting=False)
        _check_representable(X_val, "eval_set X_val", dtype, owner)
        if self._loss == "squared_error":
            _check_representable(y_val, "eval_set y_val", dtype, owner)
        return X_val, y_val

    def _split_validation(self, X, y, fraction, seed, weights=None):
        """Hold out ``fraction`` of the training data, drawn with ``default_rng(seed)`` (and the weights' split)."""
        n_val = int(round(fraction * X.shape[0]))
        if n_val < 1 or X.shape[0] - n_val < 1:
            raise ValueError(
                f"validation_fraction={self.validation_fraction} leaves no validation or no training "
                f"sample out of {X.shape[0]}."
            )
        perm = np.random.default_rng(seed).permutation(X.shape[0])
        train_weights = None if weights is None else weights[perm[n_val:]]
        return X[perm[n_val:]], y[perm[n_val:]], X[perm[:n_val]], y[perm[:n_val]], train_weights

    def _resolve_batch_size(self, batch_size, X, y, X_val, y_val):
        """The mini-batch size for ``n_train`` samples; ``"critical"`` estimates it first."""
        n_train = X.shape[0]
        if batch_size is None:
            return n_train
        if batch_size == "auto":
            return min(PAPER_PROTOCOL.batch_size, n_train)
        if batch_size == "critical":
            return self._critical_batch_size(X, y, X_val, y_val)
        if batch_size > n_train:
            raise InvalidParameterError(
                f"{type(self).__name__}: batch_size must be in [1, n_train_samples={n_train}] (or None for full "
                f"batch), got {batch_size}."
            )
        return batch_size

    def _critical_batch_size(self, X, y, X_val, y_val):
        if self._loss != "squared_error":
            raise ValueError("batch_size='critical' is estimated through training R^2 and is available for "
                             "ShallowMLPRegressor only; pass an int, None or 'auto'.")
        from ._critical_batch import estimate_critical_batch_size

        estimate = estimate_critical_batch_size(
            self, X, y, eval_set=None if X_val is None else (X_val, y_val), **(self.critical_batch_params or {}),
        )
        self.critical_batch_estimate_ = estimate
        self.critical_batch_size_ = int(estimate.batch_size)
        return min(self.critical_batch_size_, X.shape[0])

    def _check_memory(self, params, X, X_val, itemsize):
        """Refuse at once a model whose training would not fit the memory budget (nothing allocated yet)."""
        n_samples = X.shape[0]
        batch = params["batch_size"]
        batch = n_samples if batch in (None, "critical") else min(PAPER_PROTOCOL.batch_size, n_samples) \
            if batch == "auto" else min(batch, n_samples)
        n_outputs = len(self.classes_) if self._loss == "cross_entropy" else 1
        check_training_memory(n_models=1, n_samples=n_samples, n_features=X.shape[1], width=params["hidden_units"],
                              batch_size=batch, n_outputs=n_outputs,
                              n_val_samples=0 if X_val is None else X_val.shape[0], itemsize=itemsize,
                              owner=type(self).__name__)

    def _prepare_fit(self, X, y, eval_set=None, data_key=None, sample_weight=None):
        """Validate parameters and data, draw the initialisation: return a :class:`FitPlan`."""
        params = self._validate_params()
        engine_kwargs = self._engine_kwargs(params)
        dtype = engine_kwargs["dtype"]
        check_adam_step(params["learning_rate"], params["betas"], dtype, owner=type(self).__name__)
        warm = self._warm_start_state(params)
        X, y = self._check_training_data(X, y, dtype, keep_classes=warm is not None)
        weights = None if sample_weight is None else self._check_weights(sample_weight, X)
        init_seed, shuffle_seed, split_seed = (int(s) for s in draw_seeds(params["random_state"], 3))
        X_val = y_val = None
        if eval_set is not None:
            X_val, y_val = self._check_eval_set(eval_set, dtype)
        elif params["validation_fraction"] is not None:
            X, y, X_val, y_val, weights = self._split_validation(X, y, params["validation_fraction"], split_seed,
                                                                 weights)
            data_key = None
        self._check_memory(params, X, X_val, dtype.itemsize)
        params0 = _draw_initial_parameters(X.shape[1], params["hidden_units"], self._n_outputs, init_seed,
                                           engine_kwargs["dtype"])
        initial = params0
        if warm is not None:
            params0, initial = self._warm_start_parameters(warm, X.shape[1], dtype), warm[1]
        batch_size = self._resolve_batch_size(params["batch_size"], X, y, X_val, y_val)
        if params["batch_size"] != "critical" and hasattr(self, "critical_batch_size_"):
            del self.critical_batch_size_, self.critical_batch_estimate_
        return FitPlan(self, X, y, X_val, y_val, params0, shuffle_seed, batch_size, engine_kwargs,
                       data_key if data_key is not None else (id(X),), sample_weight=weights, initial=initial)

    def _warm_start_state(self, params):
        """With ``warm_start`` on a fitted estimator: its (weights, initial weights, classes); else None."""
        if not params["warm_start"] or not hasattr(self, "coefs_"):
            return None
        initial = (self.initial_coefs_[0], self.initial_intercepts_[0], self.initial_coefs_[1],
                   self.initial_intercepts_[1])
        return (self.coefs_, self.intercepts_), _squeeze_outputs(initial), getattr(self, "classes_", None)

    def _warm_start_parameters(self, warm, n_features, dtype):
        """The fitted weights as the starting point, after checking they fit the data and settings."""
        (coefs, intercepts), _, _ = warm
        owner = type(self).__name__
        if coefs[0].shape != (n_features, self.hidden_units) or coefs[1].shape[1] != self._n_outputs:
            raise ValueError(
                f"{owner}: warm_start=True continues from the fitted weights of shape {coefs[0].shape} with "
                f"{coefs[1].shape[1]} output(s), but this fit has {n_features} features, hidden_units="
                f"{self.hidden_units} and {self._n_outputs} output(s). Fit with warm_start=False to start anew.")
        start = _squeeze_outputs((coefs[0], intercepts[0], coefs[1], intercepts[1]))
        np_dtype = np.float32 if dtype.itemsize == 4 else np.float64
        return tuple(np.asarray(p, dtype=np.float64).astype(np_dtype).astype(np.float64) for p in start)

    def _check_weights(self, sample_weight, X):
        owner = type(self).__name__
        accepted = (f"sample_weight must be None or an array of shape (n_samples,) = ({X.shape[0]},) of finite, "
                    f"non-negative numbers, not all zero")
        try:
            weights = np.asarray(sample_weight, dtype=np.float64)
        except (ValueError, TypeError):
            raise ValueError(f"{owner}: {accepted}; got {type(sample_weight).__name__} values that are not "
                             f"numbers.") from None
        problem = (f"got shape {weights.shape}" if weights.shape != (X.shape[0],)
                   else "it holds NaN or infinity" if not np.all(np.isfinite(weights))
                   else "it holds negative values" if np.any(weights < 0)
                   else "every weight is zero" if not np.any(weights > 0) else None)
        if problem:
            raise ValueError(f"{owner}: {accepted}; {problem}.")
        return weights

    def _finish_fit(self, plan, result):
        """Store the engine's result as fitted attributes."""
        n, m = plan.X.shape[1], self.hidden_units
        C = self._n_outputs
        width = (result.params.size - C) // (n + 1 + C)

        def layers(flat):
            A, a, B, b = (np.asarray(t)[0] for t in unpack_parameters(flat[None], n, width, C))
            return [A[:, :m].copy(), B[:m].reshape(m, C).copy()], [a[:m].copy(), np.asarray(b, float).reshape(C).copy()]

        self.coefs_, self.intercepts_ = layers(result.params)
        A0, a0, B0, b0 = plan.initial
        self.initial_coefs_ = [A0.copy(), B0.reshape(m, C).copy()]
        self.initial_intercepts_ = [a0.copy(), np.asarray(b0, float).reshape(C).copy()]
        self.n_epochs_ = self.n_iter_ = result.n_epochs
        self.best_epoch_ = result.best_epoch
        self.history_ = result.history
        self.loss_curve_ = result.history["train_loss"].tolist()
        idx = result.best_epoch - 1
        self.best_loss_ = float(result.history["monitored_loss"][idx]) if idx >= 0 else float("nan")
        self.batch_size_ = plan.batch_size
        self.stop_reason_ = result.stop_reason
        self.fit_time_ = result.train_time
        self.epoch_times_ = np.asarray(result.epoch_times, dtype=float)
        self._n_features_out = m
        self._finish_interventions(plan, result)
        if plan.engine_kwargs["snapshot_r2"] is not None:
            self.snapshots_ = []
            for snap in result.snapshots:
                coefs, intercepts = layers(snap["params"])
                self.snapshots_.append({"level": snap["level"], "epoch": snap["epoch"], "train_r2": snap["train_r2"],
                                        "coefs": coefs, "intercepts": intercepts,
                                        "activation_blend": _blend_at(result.history, snap["epoch"])})
        elif hasattr(self, "snapshots_"):
            del self.snapshots_
        if plan.engine_kwargs.get("snapshot_epochs") is not None:
            score = "train_r2" if self._loss == "squared_error" else "train_accuracy"
            self.epoch_snapshots_ = []
            for snap in result.epoch_snapshots:
                coefs, intercepts = layers(snap["params"])
                self.epoch_snapshots_.append({"epoch": snap["epoch"], score: snap[score], "coefs": coefs,
                                              "intercepts": intercepts,
                                              "activation_blend": _blend_at(result.history, snap["epoch"])})
        elif hasattr(self, "epoch_snapshots_"):
            del self.epoch_snapshots_
        return self

    def _finish_interventions(self, plan, result):
        """``activation_blend_``, ``hidden_activation_`` and ``intervention_epochs_`` from the engine's record."""
        self.activation_blend_ = float(result.activation_blend)
        self.hidden_activation_ = _hidden_activation(plan.engine_kwargs["activation"],
                                                     plan.engine_kwargs["activation_schedule"], self.activation_blend_)
        self.intervention_epochs_ = {"activation": result.interventions.get("activation_start_epoch"),
                                     "ka_penalty": result.interventions.get("penalty_start_epoch")}

    def _divergence_message(self, plan, label):
        """What went wrong when the training loss became NaN or infinite (None when it did not)."""
        if self.stop_reason_ != "non_finite":
            return None
        loss = float(self.loss_curve_[-1])
        kept = ("the initial weights (best_epoch_=0)" if self.best_epoch_ == 0
                else f"the weights of epoch {self.best_epoch_}, its best before diverging")
        scale = f"max |X| = {float(np.max(np.abs(plan.X))):.3g}"
        if self._loss == "squared_error":
            scale += f", max |y| = {float(np.max(np.abs(plan.y))):.3g}"
        return (f"{label}: training diverged: the training loss became {loss} at epoch {self.n_epochs_}, so the "
                f"model keeps {kept}. Scale the data to order 1 (e.g. with sklearn.preprocessing.StandardScaler; "
                f"here {scale}) or lower the learning_rate (now {plan.engine_kwargs['learning_rate']:g}).")

    def _report_divergence(self, plan, label):
        """Warn (ConvergenceWarning) about a diverged run; return the message when it must raise instead."""
        message = self._divergence_message(plan, label)
        if message is None:
            return None
        if self.error_on_divergence:
            return message
        warnings.warn(message + " Pass error_on_divergence=True to raise an error instead.", ConvergenceWarning,
                      stacklevel=4)
        return None

    # --------------------------------------------------------------- inference
    def _check_input(self, X):
        check_is_fitted(self, "coefs_")
        return validate_data(self, X, reset=False, dtype=[np.float64, np.float32]).astype(np.float64, copy=False)

    def _hidden_preactivation(self, X):
        return X @ self.coefs_[0] + self.intercepts_[0]

    def transform(self, X: ArrayLike) -> np.ndarray:
        """The inner map ``sigma(X A + a)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs.

        Returns
        -------
        H : ndarray of shape (n_samples, hidden_units)
            Hidden-layer activations, float64.
        """
        X = self._check_input(X)
        return self._fitted_activation().numpy_fn(self._hidden_preactivation(X))

    def jacobian(self, X: ArrayLike) -> np.ndarray:
        """Analytic Jacobian of the inner map, ``J_ji(x) = sigma'(z_j) A_ij``.

        The Jacobian whose minors the KA-geometry analysis measures [1]_; see the user guide,
        :ref:`jacobian-minors`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs.

        Returns
        -------
        J : ndarray of shape (n_samples, hidden_units, n_features), float64
            Rows are hidden units, columns are inputs.

        References
        ----------
        .. [1] M. Freedman and M. Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in
           Shallow MLPs", arXiv:2509.12326, 2025. https://arxiv.org/abs/2509.12326
        """
        X = self._check_input(X)
        d = self._fitted_activation().numpy_deriv(self._hidden_preactivation(X))
        return d[:, :, None] * self.coefs_[0].T[None, :, :]

    def initial_model(self) -> Self:
        """The same network at its initialisation, as a fitted-looking estimator.

        Returns
        -------
        model : ShallowMLPRegressor
            A copy whose ``coefs_``/``intercepts_`` are the initial ones; it predicts, transforms
            and gives Jacobians. ``is_initial_model_`` is True and no training history is kept.
        """
        check_is_fitted(self, "coefs_")
        init = copy.copy(self)
        for name in ("history_", "loss_curve_", "snapshots_", "best_loss_", "critical_batch_estimate_"):
            init.__dict__.pop(name, None)
        init.coefs_ = [c.copy() for c in self.initial_coefs_]
        init.intercepts_ = [c.copy() for c in self.initial_intercepts_]
        init.n_epochs_ = init.n_iter_ = init.best_epoch_ = 0
        init.is_initial_model_ = True
        return init

    def snapshot_model(self, i: int) -> Self:
        """The model at snapshot ``i`` of ``snapshots_`` as a fitted-looking estimator.

        Parameters
        ----------
        i : int
            Index into ``snapshots_`` (one snapshot per ``snapshot_r2`` level reached).

        Returns
        -------
        model : ShallowMLPRegressor
            A copy whose ``coefs_``/``intercepts_`` are those of the snapshot; it predicts,
            transforms and gives Jacobians (see the user guide, :ref:`exp-evolution`).
        """
        check_is_fitted(self, "snapshots_")
        snap = self.snapshots_[i]
        model = self.initial_model()
        model.is_initial_model_ = False
        model.coefs_ = [c.copy() for c in snap["coefs"]]
        model.intercepts_ = [c.copy() for c in snap["intercepts"]]
        model.n_epochs_ = model.n_iter_ = model.best_epoch_ = snap["epoch"]
        schedule = self.activation_schedule
        if schedule is not None and snap.get("activation_blend") is not None:
            model.activation_blend_ = snap["activation_blend"]
            model.hidden_activation_ = _hidden_activation(self.activation, schedule, model.activation_blend_)
        return model

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = False
        return tags
