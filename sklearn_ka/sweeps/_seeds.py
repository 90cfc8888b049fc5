"""The seed protocol of sweeps: what one sweep seed fixes, and the data it draws.

Seed protocol (version 1)
-------------------------
A sweep seed ``s`` (an integer >= 0) fixes everything random about one model:

* the estimator: ``ShallowMLPRegressor(random_state=s)`` (initialisation and shuffling; two
  models with the same seed and width start identical whatever their target function);
* the function: ``function_seed=s`` for a target given by name (e.g. ``linear``'s ``c, c0``);
  a :class:`~sklearn_ka.targets.TargetFunction` instance keeps its own ``function_seed``;
* the training sample: ``random_state=numpy.random.default_rng([s, 0])``;
* the test sample (same size, independent): ``random_state=numpy.random.default_rng([s, 1])``;
  with ``monitor="test"`` (the default) it is the ``eval_set`` monitored for early stopping;
  with ``monitor="train"`` the training loss is monitored and the test set is only scored;
* the analyzer (when it has a ``random_state``): ``random_state=s``.

:func:`make_sweep_data` draws exactly the data of one row, to reproduce it by hand.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._utils import PAPER_PROTOCOL, Integers, check_int, check_sequence
from ..targets import TargetFunction, make_ka_regression, make_target

__all__ = ["MONITORS", "SEED_PROTOCOL", "check_seeds", "draw_data", "make_sweep_data"]

#: Version of the seed protocol (see :func:`~sklearn_ka.sweeps.sweep`), recorded in every store's
#: definition.
SEED_PROTOCOL: int = 1

#: The losses early stopping can monitor in a sweep: the independent test set (the ``eval_set``)
#: or the training loss.
MONITORS: tuple[str, ...] = ("test", "train")


def check_seeds(seeds: Any, *, owner: str = "sweep") -> list[int]:
    """A non-empty list of distinct sweep seeds (integers >= 0)."""
    return check_sequence("seeds", seeds, Integers(0), unique=True, owner=owner)


def make_sweep_data(
    function: str | TargetFunction,
    seed: int,
    *,
    n_samples: int = PAPER_PROTOCOL.n_samples,
    n_features: int = PAPER_PROTOCOL.n_features,
    **function_params: Any,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The training and test data of one sweep row (seed protocol of :func:`~sklearn_ka.sweeps.sweep`).

    Parameters
    ----------
    function : str or TargetFunction
        A registered name (then ``function_seed=seed``) or a fixed target function (see the
        user guide: :ref:`targets`).
    seed : int
        The sweep seed (>= 0).
    n_samples : int, default=1000
        Size of the training set and of the (independent) test set.
    n_features : int, default=3
        Input dimension (ignored for a TargetFunction, which has its own).
    **function_params
        Family parameters, e.g. ``lam=0.8``; only with a name.

    Returns
    -------
    X, y, X_test, y_test : ndarray
        ``X``/``X_test`` of shape (n_samples, n_features), ``y``/``y_test`` of shape (n_samples,).

    Examples
    --------
    >>> from sklearn_ka.sweeps import make_sweep_data
    >>> X, y, Xt, yt = make_sweep_data("xor", seed=0, n_samples=100)
    >>> X.shape, Xt.shape
    ((100, 3), (100, 3))
    """
    seed = check_int("seed", seed, 0, owner="make_sweep_data")
    if isinstance(function, TargetFunction):
        if function_params:
            raise TypeError("make_sweep_data: function_params are accepted only with a target name.")
        target = function
    else:
        target = make_target(function, n_features, function_seed=seed, **function_params)
    return draw_data(target, seed, n_samples)


def draw_data(target: TargetFunction, seed: int, n_samples: int):
    """``X, y, X_test, y_test`` of ``target`` for sweep seed ``seed`` (the seed protocol)."""
    X, y = make_ka_regression(target, n_samples, random_state=np.random.default_rng([seed, 0]))
    Xt, yt = make_ka_regression(target, n_samples, random_state=np.random.default_rng([seed, 1]))
    return X, y, Xt, yt
