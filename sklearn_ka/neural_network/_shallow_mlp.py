"""The shallow MLP estimators of the KA-geometry study: a regressor and a classifier, on the stacked engine.

The model, its initialisation and its training protocol are those of Freedman and Mulligan,
"Spontaneous Kolmogorov-Arnold Geometry in Shallow MLPs" (arXiv:2509.12326, 2025); see the user
guide, :ref:`training`. What both estimators share lives in ``_base``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from numpy.typing import ArrayLike
from scipy.special import softmax
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.utils.multiclass import check_classification_targets

from .._utils import PAPER_PROTOCOL, InstanceOf, InvalidParameterError
from ..engine import ActivationSchedule, EpochInfo, LossTerm
from ._base import BaseShallowMLP

__all__ = ["ShallowMLPClassifier", "ShallowMLPRegressor"]


def _check_snapshot_levels(name, value, owner=None):
    """Training-R^2 levels: a non-empty sequence of finite numbers <= 1, returned sorted."""
    if value is None:
        return None
    levels = None
    if not isinstance(value, (str, bytes)):  # a string is not a level, even "0.5"
        try:
            levels = np.sort(np.asarray(value, dtype=float).ravel())
        except (TypeError, ValueError):
            pass
    if levels is None or levels.size == 0 or not np.all(np.isfinite(levels)) or levels.max() > 1:
        prefix = f"{owner}: " if owner else ""
        raise InvalidParameterError(f"{prefix}{name} must be None or a non-empty sequence of finite R^2 levels <= 1; "
                                    f"got {value!r}.")
    return levels


class ShallowMLPRegressor(RegressorMixin, BaseShallowMLP):
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
        A progress bar (tqdm) while training when positive: models still training and the best
        monitored loss.
    error_on_divergence : bool, default=False
        What happens when the training loss becomes NaN or infinite (training diverged, e.g. on
        data of a huge scale or with a too large ``learning_rate``): training stops and the model
        keeps its best weights before that epoch, with ``stop_reason_="non_finite"``; by default a
        :class:`~sklearn.exceptions.ConvergenceWarning` says so, naming the epoch and the fixes
        (scale the data, lower the learning rate); with True, :meth:`fit` raises a
        :class:`FloatingPointError` with the same message instead. Data whose values the
        training precision cannot represent (beyond about 3.4e38 in float32) are refused before
        training with a :class:`ValueError`, whatever this setting.
    snapshot_epochs : array-like of int or None, default=None
        Epochs at whose end the parameters are kept in ``epoch_snapshots_`` (beside the
        ``snapshot_r2`` levels).
    warm_start : bool, default=False
        When True and the estimator is fitted, :meth:`fit` continues from the fitted weights
        (with a fresh Adam state and the shuffling stream of ``random_state``, as a new fit
        would have); ``initial_coefs_`` keep the first fit's initialisation, so the baseline of
        the KA analysis stays the untrained network.
    callback : callable or None, default=None
        Called after every epoch with a :class:`sklearn_ka.engine.EpochInfo` holding this
        model's epoch, losses and scores (one row); returning ``True`` (or ``[True]``) stops
        training, keeping the best weights, with ``stop_reason_ == "callback"``.

    activation_schedule : ActivationSchedule or None, default=None
        Switch (or blend) the hidden activation during training, at an epoch or when the
        training score first reaches a level (:class:`sklearn_ka.engine.ActivationSchedule`);
        the fitted model predicts with the blend of its kept weights (``hidden_activation_``).
        See the user guide, :ref:`interventions`.
    ka_penalty : LossTerm or None, default=None
        A scheduled term ``beta * KA(theta)`` added to the loss, e.g.
        :class:`sklearn_ka.interventions.KAPenalty`; ``beta = 0`` trains exactly as None.

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
    epoch_snapshots_ : list of dict
        Only with ``snapshot_epochs``: ``epoch``, ``train_r2``, ``coefs``, ``intercepts`` for each
        epoch reached.
    stop_reason_ : str
        ``"patience"``, ``"max_epochs"`` (with a :class:`~sklearn.exceptions.ConvergenceWarning`),
        ``"non_finite"`` (the training loss became NaN or infinite; see ``error_on_divergence``)
        or ``"callback"``.
    fit_time_ : float
        Wall time of training in seconds (of the stacked run, when trained by :func:`fit_many`).
    epoch_times_ : ndarray of shape ``(n_epochs_,)``
        Wall time in seconds from the start of training to the end of each epoch (shared with
        the models trained beside it by :func:`fit_many`).
    activation_blend_ : float
        The ``activation_schedule`` factor of the epoch whose weights are kept (0: none).
    hidden_activation_ : Activation
        The hidden activation of the fitted weights (the blend; ``activation`` without schedule).
    intervention_epochs_ : dict
        ``{"activation": T, "ka_penalty": T}``: the epoch after which each schedule switched on
        (None: never, or none given). ``history_`` then also holds ``activation_blend`` and
        ``penalty_weight`` / ``penalty_value`` per epoch.

    See Also
    --------
    fit_many : Train many estimators at once.
    sklearn_ka.KAGeometryAnalyzer : Measure the KA geometry of the inner map.

    References
    ----------
    .. [1] M. Freedman and M. Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in
       Shallow MLPs", arXiv:2509.12326, 2025. https://arxiv.org/abs/2509.12326
    """

    _parameter_constraints: dict = {
        **BaseShallowMLP._parameter_constraints,
        "snapshot_r2": _check_snapshot_levels,
        "critical_batch_params": [None, InstanceOf(dict)],
    }

    def __init__(
        self,
        hidden_units: int = 32,
        *,
        activation: str = "gelu",
        batch_size: int | str | None = "auto",
        learning_rate: float = PAPER_PROTOCOL.learning_rate,
        betas: tuple[float, float] = (0.9, 0.999),
        epsilon: float = 1e-8,
        max_epochs: int = PAPER_PROTOCOL.max_epochs,
        patience: int = PAPER_PROTOCOL.patience,
        tol: float = 0.0,
        validation_fraction: float | None = None,
        snapshot_r2: ArrayLike | None = None,
        critical_batch_params: dict[str, Any] | None = None,
        dtype: str = "float32",
        device: str | torch.device = "cpu",
        random_state: int | np.random.RandomState | None = None,
        verbose: int = 0,
        error_on_divergence: bool = False,
        snapshot_epochs: ArrayLike | None = None,
        warm_start: bool = False,
        callback: Callable[[EpochInfo], object] | None = None,
        activation_schedule: ActivationSchedule | None = None,
        ka_penalty: LossTerm | None = None,
    ) -> None:
        super().__init__(
            hidden_units, activation=activation, batch_size=batch_size, learning_rate=learning_rate, betas=betas,
            epsilon=epsilon, max_epochs=max_epochs, patience=patience, tol=tol,
            validation_fraction=validation_fraction, dtype=dtype, device=device, random_state=random_state,
            verbose=verbose, error_on_divergence=error_on_divergence, snapshot_epochs=snapshot_epochs,
            warm_start=warm_start, callback=callback, activation_schedule=activation_schedule,
            ka_penalty=ka_penalty,
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


class ShallowMLPClassifier(ClassifierMixin, BaseShallowMLP):
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
    error_on_divergence : bool, default=False
    snapshot_epochs : array-like of int or None, default=None
        Epochs at whose end the parameters are kept in ``epoch_snapshots_`` (with
        ``train_accuracy``).
    warm_start : bool, default=False
    callback : callable or None, default=None
    activation_schedule : ActivationSchedule or None, default=None
        Level-triggered schedules read the training accuracy.
    ka_penalty : LossTerm or None, default=None
        See :class:`ShallowMLPRegressor` for each.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    coefs_ : list of ndarray
        ``[A (n_features, m), B (m, n_classes)]``.
    intercepts_ : list of ndarray
        ``[a (m,), b (n_classes,)]``.
    initial_coefs_, initial_intercepts_, n_features_in_, feature_names_in_, n_epochs_, n_iter_,
    best_epoch_, best_loss_, history_, loss_curve_, batch_size_, stop_reason_, fit_time_, epoch_times_,
    activation_blend_, hidden_activation_, intervention_epochs_
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
        learning_rate: float = PAPER_PROTOCOL.learning_rate,
        betas: tuple[float, float] = (0.9, 0.999),
        epsilon: float = 1e-8,
        max_epochs: int = PAPER_PROTOCOL.max_epochs,
        patience: int = PAPER_PROTOCOL.patience,
        tol: float = 0.0,
        validation_fraction: float | None = None,
        dtype: str = "float32",
        device: str | torch.device = "cpu",
        random_state: int | np.random.RandomState | None = None,
        verbose: int = 0,
        error_on_divergence: bool = False,
        snapshot_epochs: ArrayLike | None = None,
        warm_start: bool = False,
        callback: Callable[[EpochInfo], object] | None = None,
        activation_schedule: ActivationSchedule | None = None,
        ka_penalty: LossTerm | None = None,
    ) -> None:
        super().__init__(
            hidden_units, activation=activation, batch_size=batch_size, learning_rate=learning_rate, betas=betas,
            epsilon=epsilon, max_epochs=max_epochs, patience=patience, tol=tol,
            validation_fraction=validation_fraction, dtype=dtype, device=device, random_state=random_state,
            verbose=verbose, error_on_divergence=error_on_divergence, snapshot_epochs=snapshot_epochs,
            warm_start=warm_start, callback=callback, activation_schedule=activation_schedule,
            ka_penalty=ka_penalty,
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
