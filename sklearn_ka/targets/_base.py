"""Target-function base class, the wrapper of plain callables, and the sample random stream.

A *target function* is a fixed, deterministic map ``f: [-1, 1]^n -> R`` (see the user guide,
:ref:`targets`), kept separate from the sample it is evaluated on: the function is fixed by ``n_features``, a
``function_seed`` (for families with random ingredients, e.g. the coefficients of ``linear``) and
its parameters; the sample ``X`` is drawn separately (see :func:`make_ka_regression`).  The only
exception is the ``random`` family, whose values are i.i.d. per example and are therefore drawn
from the *sample* random stream passed at call time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from sklearn.utils.validation import check_array

from .._utils import InvalidParameterError, check_int, check_random_state

__all__ = [
    "TargetFunction",
    "CallableTarget",
    "check_sample_random_state",
]


def check_sample_random_state(
    random_state: int | np.random.RandomState | np.random.Generator | None,
) -> np.random.RandomState | np.random.Generator:
    """Turn ``random_state`` into a NumPy random generator for drawing a sample.

    Parameters
    ----------
    random_state : None, int, numpy.random.RandomState or numpy.random.Generator
        ``None``, an int or a ``RandomState`` follow scikit-learn's
        :func:`~sklearn.utils.check_random_state` (an int seeds a fresh ``RandomState``, so
        ``random_state=0`` gives the same sample as scikit-learn's dataset generators would
        draw from ``RandomState(0)``); a ``Generator`` is used as is (and advanced).

    Returns
    -------
    rng : numpy.random.RandomState or numpy.random.Generator
        Both offer ``uniform(low, high, size)``, the only method used here.

    Raises
    ------
    TypeError
        For anything else (booleans and integers outside ``[0, 2**32 - 1]`` included).
    """
    if isinstance(random_state, np.random.Generator):
        return random_state
    try:
        return check_random_state(random_state)
    except InvalidParameterError:
        raise InvalidParameterError(
            "random_state must be None, an integer in [0, 2**32 - 1], a numpy RandomState or a numpy "
            f"Generator; got {random_state!r} (of type {type(random_state).__name__}).") from None

class TargetFunction:
    """A fixed target function ``f: R^n_features -> R`` evaluated row-wise.

    Subclasses implement :meth:`_evaluate` and set the class attributes below.  Instances are
    immutable in spirit: everything that defines the function is fixed at construction.
    See the user guide, :ref:`targets`, for the built-in families.

    Parameters
    ----------
    n_features : int
        Input dimension ``n`` (>= 1).
    function_seed : int, default=0
        Seed (>= 0) of the function's own random ingredients (e.g. the coefficients of
        ``linear``).  Families without random ingredients ignore it.
    **params
        Family parameters, recorded in :attr:`params`.

    Attributes
    ----------
    name : str
        Registry name of the family.
    n_features : int
        Input dimension.
    function_seed : int
        Seed of the function's random ingredients.
    params : dict
        Family parameters (e.g. ``{"lam": 0.8}``); a copy is returned.
    uses_function_seed : bool
        Whether ``function_seed`` changes the function.
    stochastic : bool
        ``True`` when the values are drawn at call time from the sample random stream
        (the ``random`` family), so that two calls on the same ``X`` differ.
    """

    name: str = "target"
    uses_function_seed: bool = False
    stochastic: bool = False

    def __init__(self, n_features: int, function_seed: int = 0, **params: Any) -> None:
        self.n_features = check_int("n_features", n_features, 1)
        self.function_seed = check_int("function_seed", function_seed, 0)
        self._params = dict(params)

    # -- introspection ------------------------------------------------------------------
    @property
    def params(self) -> dict:
        """Family parameters (a copy)."""
        return dict(self._params)

    def get_params(self, deep: bool = True) -> dict[str, Any]:  # noqa: ARG002 - scikit-learn-like
        """Everything that defines the function, as a flat dict for sweep records.

        Parameters
        ----------
        deep : bool, default=True
            Ignored; accepted for a scikit-learn-like signature.

        Returns
        -------
        params : dict
            ``{"name", "n_features", "function_seed", **params}``.
        """
        return {"name": self.name, "n_features": self.n_features,
                "function_seed": self.function_seed, **self._params}

    def __repr__(self) -> str:
        parts = [repr(self.name), f"n_features={self.n_features}"]
        if self.uses_function_seed:
            parts.append(f"function_seed={self.function_seed}")
        parts += [f"{k}={v!r}" for k, v in self._params.items()]
        return f"make_target({', '.join(parts)})"

    # -- evaluation -------------------------------------------------------------------------
    def __call__(
        self,
        X: ArrayLike,
        *,
        random_state: int | np.random.RandomState | np.random.Generator | None = None,
    ) -> np.ndarray:
        """Evaluate the function on the rows of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Finite inputs (the studied domain is ``[-1, 1]^n``; other values are evaluated too).
        random_state : None, int, RandomState or Generator, default=None
            Only used by stochastic targets (``random``), whose values are drawn from it;
            deterministic targets ignore it.

        Returns
        -------
        y : ndarray of shape (n_samples,), float64
        """
        X = check_array(X, dtype=np.float64, input_name="X")
        if X.shape[1] != self.n_features:
            raise ValueError(f"X has {X.shape[1]} features, but {self!r} expects "
                             f"{self.n_features}.")
        rng = check_sample_random_state(random_state) if self.stochastic else None
        y = np.asarray(self._evaluate(X, rng), dtype=np.float64)
        if y.shape == (X.shape[0], 1):
            y = y[:, 0]
        if y.shape != (X.shape[0],):
            raise ValueError(f"Target {self.name!r} returned values of shape {y.shape}; "
                             f"expected ({X.shape[0]},).")
        return y

    def _evaluate(self, X, rng):  # pragma: no cover - abstract
        """Return ``f(X)`` for validated float64 ``X``; ``rng`` is None unless stochastic."""
        raise NotImplementedError


class CallableTarget(TargetFunction):
    """A user function ``X -> y`` wrapped as a :class:`TargetFunction`.

    Parameters
    ----------
    function : callable
        Maps a float64 array of shape (n_samples, n_features) to n_samples values.
    n_features : int
        Input dimension.
    name : str, default=None
        Display name; defaults to the function's ``__name__``.
    function_seed : int, default=0
        Recorded only (the wrapped function owns its randomness).
    **params
        Recorded in :attr:`params` (not passed to ``function``).
    """

    def __init__(
        self,
        function: Callable[[np.ndarray], ArrayLike],
        n_features: int,
        *,
        name: str | None = None,
        function_seed: int = 0,
        **params: Any,
    ) -> None:
        if not callable(function):
            raise TypeError(f"function must be callable X -> y; got {type(function).__name__}.")
        super().__init__(n_features, function_seed, **params)
        self.function = function
        self.name = name if name is not None else getattr(function, "__name__", "callable")

    def _evaluate(self, X, rng):
        return self.function(X)
