"""ShallowMLPRegressor: the one-hidden-layer model of the KA-geometry study, on the stacked engine.

The model, its initialisation and its training protocol are those of Freedman and Mulligan,
"Spontaneous Kolmogorov-Arnold Geometry in Shallow MLPs" (arXiv:2509.12326, 2025); see the user
guide, :ref:`training`.
"""

from __future__ import annotations

import copy
import numbers
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from numpy.typing import ArrayLike
from scipy.special import softmax
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    ClassNamePrefixFeaturesOutMixin,
    RegressorMixin,
    TransformerMixin,
)
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from ..engine import get_activation
from ..engine._training import unpack_parameters
from ._validation import check_int, check_real, resolve_device, resolve_dtype

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["ShallowMLPClassifier", "ShallowMLPRegressor"]

_AUTO_BATCH = 250  # the critical batch size of the published xor runs of the KA-geometry paper


@dataclass
class _FitPlan:
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


class _BaseShallowMLP(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """What the regressor and the classifier share: validation, fitting through the engine, the inner map."""

    _loss = "squared_error"
    _n_outputs = 1

    def __init__(self, hidden_units, *, activation, batch_size, learning_rate, betas, epsilon, max_epochs, patience,
                 tol, validation_fraction, dtype, device, random_state, verbose):
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

    def _encode_targets(self, y, fitting):
        return y

    def _output(self, X):
        """Raw outputs ``sigma(X A + a) B + b`` of shape (n_samples, C)."""
        X = self._check_input(X)
        H = get_activation(self.activation).numpy_fn(self._hidden_preactivation(X))
        return H @ self.coefs_[1] + self.intercepts_[1]

    # ------------------------------------------------------------------ fitting
    def fit(self, X: ArrayLike, y: ArrayLike, eval_set: tuple[ArrayLike, ArrayLike] | None = None) -> Self:
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

        Returns
        -------
        self : object
            The fitted estimator.
        """
        from ._fit_many import fit_many

        fit_many([self], X, y, eval_set=eval_set)
        return self

    def _validate_params(self):
        """Check every constructor parameter; return the engine keyword arguments."""
        check_int("hidden_units", self.hidden_units, low=1)
        get_activation(self.activation)
        lr = check_real("learning_rate", self.learning_rate, low=0, low_open=True)
        if not (isinstance(self.betas, (tuple, list)) and len(self.betas) == 2):
            raise ValueError(f"betas must be a pair of floats in [0, 1), got {self.betas!r}.")
        betas = tuple(check_real("betas", b, low=0, high=1, high_open=True) for b in self.betas)
        eps = check_real("epsilon", self.epsilon, low=0, low_open=True)
        max_epochs = check_int("max_epochs", self.max_epochs, low=1)
        patience = check_int("patience", self.patience, low=1)
        tol = check_real("tol", self.tol, low=0)
        if self.validation_fraction is not None:
            check_real("validation_fraction", self.validation_fraction, low=0, high=1, low_open=True, high_open=True)
        snap = None
        if getattr(self, "snapshot_r2", None) is not None:
            snap = np.sort(np.asarray(self.snapshot_r2, dtype=float).ravel())
            if snap.size == 0 or not np.all(np.isfinite(snap)) or snap.max() > 1:
                raise ValueError(
                    f"snapshot_r2 must be a non-empty sequence of finite R^2 levels <= 1, got {self.snapshot_r2!r}."
                )
        critical = getattr(self, "critical_batch_params", None)
        if critical is not None and not isinstance(critical, dict):
            raise TypeError(f"critical_batch_params must be a dict or None, got {type(critical).__name__}.")
        check_int("verbose", self.verbose, low=0)
        return dict(
            activation=self.activation, learning_rate=lr, betas=betas, epsilon=eps, max_epochs=max_epochs,
            patience=patience, tol=tol, snapshot_r2=snap, dtype=resolve_dtype(self.dtype),
            device=resolve_device(self.device), verbose=self.verbose, loss=self._loss,
        )

    def _resolve_batch_size(self, n_train):
        bs = self.batch_size
        if bs is None:
            return n_train
        if isinstance(bs, str):
            if bs == "auto":
                return min(_AUTO_BATCH, n_train)
            if bs == "critical":
                return "critical"
            raise ValueError(f"batch_size must be a positive int, None, 'auto' or 'critical', got {bs!r}.")
        if isinstance(bs, bool) or not isinstance(bs, numbers.Integral):
            raise TypeError(f"batch_size must be a positive int, None, 'auto' or 'critical', got {bs!r}.")
        if bs < 1 or bs > n_train:
            raise ValueError(
                f"batch_size must be in [1, n_train_samples={n_train}] (or None for full batch), got {bs}."
            )
        return int(bs)

    def _prepare_fit(self, X, y, eval_set=None, data_key=None):
        """Validate parameters and data, draw the initialisation: return a :class:`_FitPlan`."""
        engine_kwargs = self._validate_params()
        X, y = validate_data(self, X, y, dtype=[np.float64, np.float32], y_numeric=self._loss == "squared_error",
                             multi_output=False)
        y = self._encode_targets(column_or_1d(y, warn=True), fitting=True)
        if X.shape[0] < 2:
            raise ValueError(f"n_samples={X.shape[0]}: at least 2 samples are required, got 1 sample.")
        X = X.astype(np.float64, copy=False)
        rng = check_random_state(self.random_state)
        init_seed, shuffle_seed, split_seed = (int(s) for s in rng.randint(np.iinfo(np.int32).max, size=3))

        X_val = y_val = None
        if eval_set is not None:
            if not (isinstance(eval_set, (tuple, list)) and len(eval_set) == 2):
                raise ValueError("eval_set must be a pair (X_val, y_val).")
            X_val = validate_data(self, eval_set[0], reset=False, dtype=np.float64)
            y_val = column_or_1d(eval_set[1])
            if X_val.shape[0] != y_val.shape[0] or X_val.shape[0] < 1:
                raise ValueError(
                    f"eval_set X_val and y_val must have the same, non-zero number of samples, "
                    f"got {X_val.shape[0]} and {y_val.shape[0]}."
                )
            y_val = self._encode_targets(y_val, fitting=False)
        elif self.validation_fraction is not None:
            n_val = int(round(self.validation_fraction * X.shape[0]))
            if n_val < 1 or X.shape[0] - n_val < 1:
                raise ValueError(
                    f"validation_fraction={self.validation_fraction} leaves no validation or no training "
                    f"sample out of {X.shape[0]}."
                )
            perm = np.random.default_rng(split_seed).permutation(X.shape[0])
            X_val, y_val = X[perm[:n_val]], y[perm[:n_val]]
            X, y = X[perm[n_val:]], y[perm[n_val:]]
            data_key = None

        n, m = X.shape[1], self.hidden_units
        init_rng = np.random.default_rng(init_seed)
        A = init_rng.normal(0.0, 1.0 / np.sqrt(n), size=(n, m))
        C = self._n_outputs
        B = init_rng.normal(0.0, 1.0 / np.sqrt(m), size=m if C == 1 else (m, C))
        np_dtype = np.float32 if engine_kwargs["dtype"].itemsize == 4 else np.float64
        params0 = tuple(p.astype(np_dtype).astype(np.float64) for p in (A, np.zeros(m), B, np.zeros(B.shape[1:])))

        batch_size = self._resolve_batch_size(X.shape[0])
        if batch_size == "critical":
            if self._loss != "squared_error":
                raise ValueError("batch_size='critical' is estimated through training R^2 and is available for "
                                 "ShallowMLPRegressor only; pass an int, None or 'auto'.")
            from ._critical_batch import estimate_critical_batch_size

            estimate = estimate_critical_batch_size(
                self, X, y, eval_set=None if X_val is None else (X_val, y_val),
                **(self.critical_batch_params or {}),
            )
            self.critical_batch_estimate_ = estimate
            self.critical_batch_size_ = int(estimate.batch_size)
            batch_size = min(self.critical_batch_size_, X.shape[0])
        elif hasattr(self, "critical_batch_size_"):
            del self.critical_batch_size_, self.critical_batch_estimate_
        return _FitPlan(self, X, y, X_val, y_val, params0, shuffle_seed, batch_size, engine_kwargs,
                        data_key if data_key is not None else (id(X),))

    def _finish_fit(self, plan, result):
        """Store the engine's result as fitted attributes."""
        n, m = plan.X.shape[1], self.hidden_units
        C = self._n_outputs
        width = (result.params.size - C) // (n + 1 + C)

        def layers(flat):
            A, a, B, b = (np.asarray(t)[0] for t in unpack_parameters(flat[None], n, width, C))
            return [A[:, :m].copy(), B[:m].reshape(m, C).copy()], [a[:m].copy(), np.asarray(b, float).reshape(C).copy()]

        self.coefs_, self.intercepts_ = layers(result.params)
        A0, a0, B0, b0 = plan.params0
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
        self._n_features_out = m
        if plan.engine_kwargs["snapshot_r2"] is not None:
            self.snapshots_ = []
            for snap in result.snapshots:
                coefs, intercepts = layers(snap["params"])
                self.snapshots_.append({"level": snap["level"], "epoch": snap["epoch"], "train_r2": snap["train_r2"],
                                        "coefs": coefs, "intercepts": intercepts})
        elif hasattr(self, "snapshots_"):
            del self.snapshots_
        return self

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
        return get_activation(self.activation).numpy_fn(self._hidden_preactivation(X))

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
        d = get_activation(self.activation).numpy_deriv(self._hidden_preactivation(X))
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
        return model

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = False
        return tags


class ShallowMLPRegressor(RegressorMixin, _BaseShallowMLP):
    """One-hidden-layer MLP regressor ``f(x) = sigma(x A + a) B + b``, trained reproducibly.

    The model, initialisation and training protocol are those of the KA-geometry study [1]_:
    exact GeLU, ``A ~ N(0, 1/n)``, ``B ~ N(0, 1/m)``, zero biases, Adam on the mean squared
    error with shuffled mini-batches, early stopping on a monitored loss with the best weights
    restored; see the user guide, :ref:`training-model` and :ref:`training-protocol`.  Training
    runs on the stacked engine of :mod:`sklearn_ka.engine`, so :func:`fit_many` can train many
    of these at once and get the same models.

    As a transformer, :meth:`transform` is the inner map ``sigma(X A + a)``: a fitted model is
    a feature extractor in a :class:`~sklearn.pipeline.Pipeline`.

    Parameters
    ----------
    hidden_units : int, default=32
        Width ``m`` of the hidden layer.
    activation : {"gelu", "relu", "tanh", "silu", "oscillatory", "logistic", "identity"}, default="gelu"
        Hidden activation ``sigma``; ``"gelu"`` is the exact ``z * Phi(z)`` and
        ``"oscillatory"`` is ``z + 0.1 sin(10 z)``.
    batch_size : int, None, "auto" or "critical", default="auto"
        Mini-batch size. ``None`` is full batch; ``"auto"`` is ``min(250, n_samples)`` (250 is the
        critical batch size of the published runs); ``"critical"`` estimates it on the training
        data with :func:`estimate_critical_batch_size` before training and records the estimate
        in ``critical_batch_size_`` (see :ref:`critical-batch-size`).
    learning_rate : float, default=0.01
        Adam's step size.
    betas : tuple of two floats, default=(0.9, 0.999)
        Adam's moment decay rates.
    epsilon : float, default=1e-8
        Adam's denominator offset.
    max_epochs : int, default=10000
        Maximum number of epochs.
    patience : int, default=50
        Stop after this many epochs without an improvement of the monitored loss by more than
        ``tol``. The monitored loss is the ``eval_set`` loss when one is passed to :meth:`fit`,
        else the held-out ``validation_fraction`` split, else the training loss.
    tol : float, default=0.0
        Minimum decrease of the monitored loss that counts as an improvement.
    validation_fraction : float or None, default=None
        Fraction of the training data held out for early stopping when no ``eval_set`` is given.
    snapshot_r2 : array-like of float or None, default=None
        Training-R^2 levels; the parameters at the end of the first epoch whose training R^2
        reaches each level are kept in ``snapshots_`` (the evolution experiment,
        :ref:`exp-evolution`).
    critical_batch_params : dict or None, default=None
        Keyword arguments for :func:`estimate_critical_batch_size` when
        ``batch_size="critical"``.
    dtype : {"float32", "float64"}, default="float32"
        Precision of training (PyTorch's default precision). Predictions, the inner map and
        Jacobians are always computed in float64 from the trained weights.
    device : str or torch.device, default="cpu"
        ``"cpu"`` or ``"cuda"``/``"cuda:N"`` (a clear error when no GPU is available).
    random_state : int, RandomState instance or None, default=None
        Fixes the initialisation, the shuffling stream and the validation split.
    verbose : int, default=0
        Progress messages while training when positive.

    Attributes
    ----------
    coefs_ : list of ndarray
        ``[A (n_features, m), B (m, 1)]`` (scikit-learn's MLP layout).
    intercepts_ : list of ndarray
        ``[a (m,), b (1,)]``.
    initial_coefs_, initial_intercepts_ : list of ndarray
        The same at initialisation.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Defined when X has string feature names.
    n_epochs_ : int
        Epochs run. ``n_iter_`` is the same number (scikit-learn's name).
    best_epoch_ : int
        Epoch whose weights are kept (0: the initial weights).
    best_loss_ : float
        Monitored loss of the kept weights.
    history_ : dict of ndarray
        Per epoch: ``epoch``, ``train_loss``, ``monitored_loss``, ``train_r2``, ``monitored_r2``
        (``pandas.DataFrame(history_)`` makes a table).
    loss_curve_ : list of float
        Training loss per epoch.
    batch_size_ : int
        The mini-batch size used.
    critical_batch_size_ : int
        Only with ``batch_size="critical"``; the estimate object is ``critical_batch_estimate_``.
    snapshots_ : list of dict
        Only with ``snapshot_r2``: ``level``, ``epoch``, ``train_r2``, ``coefs``, ``intercepts``.
    stop_reason_ : str
        ``"patience"``, ``"max_epochs"`` or ``"non_finite"``.
    fit_time_ : float
        Wall time of training in seconds (of the stacked run, when trained by :func:`fit_many`).

    See Also
    --------
    fit_many : Train many estimators at once.
    sklearn_ka.KAGeometryAnalyzer : Measure the KA geometry of the inner map.

    References
    ----------
    .. [1] M. Freedman and M. Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in
       Shallow MLPs", arXiv:2509.12326, 2025. https://arxiv.org/abs/2509.12326
    """

    def __init__(
        self,
        hidden_units: int = 32,
        *,
        activation: str = "gelu",
        batch_size: int | str | None = "auto",
        learning_rate: float = 0.01,
        betas: tuple[float, float] = (0.9, 0.999),
        epsilon: float = 1e-8,
        max_epochs: int = 10000,
        patience: int = 50,
        tol: float = 0.0,
        validation_fraction: float | None = None,
        snapshot_r2: ArrayLike | None = None,
        critical_batch_params: dict[str, Any] | None = None,
        dtype: str = "float32",
        device: str | torch.device = "cpu",
        random_state: int | np.random.RandomState | None = None,
        verbose: int = 0,
    ) -> None:
        super().__init__(
            hidden_units, activation=activation, batch_size=batch_size, learning_rate=learning_rate, betas=betas,
            epsilon=epsilon, max_epochs=max_epochs, patience=patience, tol=tol,
            validation_fraction=validation_fraction, dtype=dtype, device=device, random_state=random_state,
            verbose=verbose,
        )
        self.snapshot_r2 = snapshot_r2
        self.critical_batch_params = critical_batch_params


    def _encode_targets(self, y, fitting):
        y = np.asarray(y, dtype=np.float64)
        if not np.all(np.isfinite(y)):
            raise ValueError("Input y_val contains NaN or infinity.")
        return y

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Predict ``sigma(X A + a) B + b``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs.

        Returns
        -------
        y : ndarray of shape (n_samples,)
            Predictions, float64.
        """
        return self._output(X).ravel()


class ShallowMLPClassifier(ClassifierMixin, _BaseShallowMLP):
    """One-hidden-layer MLP classifier ``softmax(sigma(x A + a) B + b)`` on the same engine.

    The inner map, its initialisation (``A ~ N(0, 1/n)``, zero biases), the optimiser and early
    stopping are those of :class:`ShallowMLPRegressor`; the read-out has one output per class
    (``B ~ N(0, 1/m)``, shape ``(m, n_classes)``) and the loss is the softmax cross-entropy. The
    KA-geometry analysis of the study [1]_ applies unchanged: it only looks at the inner map.
    ``history_`` records the training and monitored cross-entropy and accuracy. See the user
    guide, :ref:`training-model`.

    Parameters
    ----------
    hidden_units : int, default=32
    activation : str, default="gelu"
    batch_size : int, None or "auto", default="auto"
        ``"auto"`` is ``min(250, n_samples)``; ``None`` is full batch.
    learning_rate : float, default=0.01
    betas : tuple of two floats, default=(0.9, 0.999)
    epsilon : float, default=1e-8
    max_epochs : int, default=10000
    patience : int, default=50
    tol : float, default=0.0
    validation_fraction : float or None, default=None
    dtype : {"float32", "float64"}, default="float32"
    device : str or torch.device, default="cpu"
    random_state : int, RandomState instance or None, default=None
    verbose : int, default=0
        See :class:`ShallowMLPRegressor` for each.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    coefs_ : list of ndarray
        ``[A (n_features, m), B (m, n_classes)]``.
    intercepts_ : list of ndarray
        ``[a (m,), b (n_classes,)]``.
    initial_coefs_, initial_intercepts_, n_features_in_, feature_names_in_, n_epochs_, n_iter_,
    best_epoch_, best_loss_, history_, loss_curve_, batch_size_, stop_reason_, fit_time_
        As in :class:`ShallowMLPRegressor` (``history_`` has ``train_accuracy`` and
        ``monitored_accuracy`` instead of R^2).

    See Also
    --------
    ShallowMLPRegressor : The regressor of the study, on the same engine.

    References
    ----------
    .. [1] M. Freedman and M. Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in
       Shallow MLPs", arXiv:2509.12326, 2025. https://arxiv.org/abs/2509.12326
    """

    _loss = "cross_entropy"

    def __init__(
        self,
        hidden_units: int = 32,
        *,
        activation: str = "gelu",
        batch_size: int | str | None = "auto",
        learning_rate: float = 0.01,
        betas: tuple[float, float] = (0.9, 0.999),
        epsilon: float = 1e-8,
        max_epochs: int = 10000,
        patience: int = 50,
        tol: float = 0.0,
        validation_fraction: float | None = None,
        dtype: str = "float32",
        device: str | torch.device = "cpu",
        random_state: int | np.random.RandomState | None = None,
        verbose: int = 0,
    ) -> None:
        super().__init__(
            hidden_units, activation=activation, batch_size=batch_size, learning_rate=learning_rate, betas=betas,
            epsilon=epsilon, max_epochs=max_epochs, patience=patience, tol=tol,
            validation_fraction=validation_fraction, dtype=dtype, device=device, random_state=random_state,
            verbose=verbose,
        )

    @property
    def _n_outputs(self):
        return len(self.classes_)

    def _encode_targets(self, y, fitting):
        if fitting:
            check_classification_targets(y)
            self.classes_ = np.unique(y)
            if len(self.classes_) < 2:
                raise ValueError(
                    f"ShallowMLPClassifier needs at least 2 classes in y; got 1 class ({self.classes_[0]!r})."
                )
        unknown = ~np.isin(y, self.classes_)
        if unknown.any():
            raise ValueError(
                f"eval_set y contains labels not seen in y: {np.unique(np.asarray(y)[unknown]).tolist()}; "
                f"known classes: {self.classes_.tolist()}."
            )
        return np.searchsorted(self.classes_, y).astype(np.int64)

    def predict_proba(self, X: ArrayLike) -> np.ndarray:
        """Class probabilities ``softmax(sigma(X A + a) B + b)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities of the classes in the order of ``classes_``.
        """
        return softmax(self._output(X), axis=1)

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Most probable class.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs.

        Returns
        -------
        y : ndarray of shape (n_samples,)
            Predicted labels, taken from ``classes_``.
        """
        scores = self._output(X)  # checks that the model is fitted first
        return self.classes_[np.argmax(scores, axis=1)]
