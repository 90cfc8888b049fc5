"""The one random-state policy of sklearn-ka.

* Public ``random_state`` parameters accept ``None``, an integer in ``[0, 2**32 - 1]`` or a
  :class:`numpy.random.RandomState`, as in scikit-learn (:func:`check_random_state`); numerical
  kernels that draw directly also accept a :class:`numpy.random.Generator`
  (:func:`as_generator`).
* Independent streams (initialisation, shuffling, splits, per-``k`` samples) are derived as
  integer seeds in ``[0, 2**31 - 1)`` drawn from that state (:func:`draw_seeds`); each stream is
  then a fresh ``numpy.random.default_rng(seed)``. Seeds are drawn in a fixed order, so the same
  ``random_state`` gives the same numbers whatever ``n_jobs``, chunking or device.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.utils import check_random_state as _sklearn_check_random_state

from ._validation import InvalidParameterError, _is_int, _show

__all__ = ["SEED_HIGH", "check_random_state", "as_generator", "draw_seeds"]

#: Derived seeds lie in ``[0, SEED_HIGH)``: non-negative int32, valid for numpy and torch alike.
SEED_HIGH = 2**31 - 1

_ACCEPTED = "None, an integer in [0, 2**32 - 1] or a numpy RandomState"


def check_random_state(random_state: Any, *, name: str = "random_state") -> np.random.RandomState:
    """A :class:`numpy.random.RandomState` from ``None``, an int or a RandomState (scikit-learn's rule).

    Raises
    ------
    InvalidParameterError
        For anything else, and for integers outside ``[0, 2**32 - 1]``.
    """
    if random_state is None or isinstance(random_state, np.random.RandomState):
        return _sklearn_check_random_state(random_state)
    if _is_int(random_state) and 0 <= int(random_state) < 2**32:
        return _sklearn_check_random_state(int(random_state))
    raise InvalidParameterError(f"{name} must be {_ACCEPTED}; got {_show(random_state)}.")


def as_generator(random_state: Any, *, name: str = "random_state") -> np.random.Generator | np.random.RandomState:
    """A numpy random generator for kernels that draw directly.

    ``None`` or a non-negative int seeds a fresh :func:`numpy.random.default_rng`; a Generator or a
    RandomState is used as it is (its state advances).
    """
    if random_state is None:
        return np.random.default_rng(None)
    if _is_int(random_state) and int(random_state) >= 0:
        return np.random.default_rng(int(random_state))
    if isinstance(random_state, (np.random.Generator, np.random.RandomState)):
        return random_state
    raise InvalidParameterError(
        f"{name} must be None, a non-negative integer, a numpy Generator or a RandomState; "
        f"got {_show(random_state)}.")


def draw_seeds(random_state: Any, size: int | None = None, *, name: str = "random_state"):
    """Integer seeds in ``[0, SEED_HIGH)`` drawn from ``random_state`` (an int when ``size`` is None)."""
    rng = check_random_state(random_state, name=name)
    if size is None:
        return int(rng.randint(0, SEED_HIGH))
    return rng.randint(0, SEED_HIGH, size=size)
