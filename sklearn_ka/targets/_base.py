"""Target-function base class, input validation and the name registry.

A *target function* is a fixed, deterministic map ``f: [-1, 1]^n -> R`` (see the user guide,
:ref:`targets`), kept separate from the sample it is evaluated on: the function is fixed by ``n_features``, a
``function_seed`` (for families with random ingredients, e.g. the coefficients of ``linear``) and
its parameters; the sample ``X`` is drawn separately (see :func:`make_ka_regression`).  The only
exception is the ``random`` family, whose values are i.i.d. per example and are therefore drawn
from the *sample* random stream passed at call time.

Factories are registered by name; :func:`make_target` builds a :class:`TargetFunction` from a
name, :func:`register_target` adds a user-defined family.
"""

from __future__ import annotations

import inspect
import numbers
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_array

__all__ = [
    "TargetFunction",
    "CallableTarget",
    "register_target",
    "make_target",
    "list_targets",
    "check_sample_random_state",
]


# --------------------------------------------------------------------------------------------
# small validators shared by the package
# --------------------------------------------------------------------------------------------
def _check_int(value, name, *, minimum):
    """Return ``value`` as a Python int >= ``minimum`` or raise a clear error."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer >= {minimum}; got {value!r} of type "
                        f"{type(value).__name__}.")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value!r}.")
    return int(value)


def _check_positive_float(value, name):
    """Return ``value`` as a finite float > 0 or raise a clear error."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a finite positive real number; got {value!r} of type "
                        f"{type(value).__name__}.")
    value = float(value)
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite positive real number; got {value!r}.")
    return value


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
    """
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, (bool, np.bool_)):
        raise TypeError("random_state must be None, an int, a numpy RandomState or a numpy "
                        f"Generator; got {random_state!r}.")
    try:
        return check_random_state(random_state)
    except ValueError:
        raise TypeError("random_state must be None, an int, a numpy RandomState or a numpy "
                        f"Generator; got {random_state!r} of type "
                        f"{type(random_state).__name__}.") from None


# --------------------------------------------------------------------------------------------
# base class
# --------------------------------------------------------------------------------------------
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
        self.n_features = _check_int(n_features, "n_features", minimum=1)
        self.function_seed = _check_int(function_seed, "function_seed", minimum=0)
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


# --------------------------------------------------------------------------------------------
# registry
# --------------------------------------------------------------------------------------------
_REGISTRY: dict[str, tuple[str, Callable[..., Any]]] = {}  # key -> (display name, factory)
_ALIASES: dict[str, str] = {}  # normalised alias -> registry key


def _normalise(name):
    return name.strip().lower().replace("-", "_").replace(" ", "_")


def _lookup(name):
    if not isinstance(name, str):
        raise TypeError(f"A target name must be a string; got {type(name).__name__}. "
                        f"Registered targets: {list_targets()}.")
    key = _normalise(name)
    key = _ALIASES.get(key, key)
    if key not in _REGISTRY:
        raise ValueError(f"Unknown target function {name!r}; registered targets: "
                         f"{list_targets()} (aliases: {sorted(_ALIASES)}). "
                         "Use register_target to add your own.")
    return key


def list_targets() -> list[str]:
    """Sorted canonical names of the registered target functions.

    Returns
    -------
    names : list of str
        The six families of the study (see :ref:`targets`) and every user registration.
    """
    return sorted(display for display, _ in _REGISTRY.values())


def register_target(
    name: str,
    factory: Callable[..., TargetFunction | Callable[[np.ndarray], ArrayLike]],
    *,
    overwrite: bool = False,
    aliases: Iterable[str] = (),
) -> None:
    """Register a target-function family under ``name``.

    Parameters
    ----------
    name : str
        Registry name (lookup ignores case and treats ``-`` like ``_``).
    factory : callable
        Called as ``factory(n_features, function_seed, **params)``.  It returns either a
        :class:`TargetFunction` or a plain callable ``X -> y`` (an array of shape
        (n_samples, n_features) to n_samples values), which is wrapped in a
        :class:`CallableTarget` named ``name``.  A :class:`TargetFunction` subclass whose
        constructor has that signature is a valid factory.
    overwrite : bool, default=False
        Replace an existing registration of the same name; otherwise re-registering is an error.
    aliases : iterable of str, default=()
        Extra names for the same family.

    Raises
    ------
    ValueError
        If ``name`` (or an alias) is already registered and ``overwrite`` is False.
    TypeError
        If ``name`` is not a non-empty string or ``factory`` is not callable.
    """
    if not isinstance(name, str) or not name.strip():
        raise TypeError(f"name must be a non-empty string; got {name!r}.")
    if not callable(factory):
        raise TypeError("factory must be callable as factory(n_features, function_seed, "
                        f"**params); got {type(factory).__name__}.")
    key = _normalise(name)
    alias_keys = [_normalise(a) for a in aliases]
    if not overwrite:
        for k, shown in [(key, name)] + list(zip(alias_keys, aliases)):
            if k in _REGISTRY or k in _ALIASES:
                raise ValueError(f"A target named {shown!r} is already registered; pass "
                                 "overwrite=True to replace it.")
    _ALIASES.pop(key, None)
    _REGISTRY[key] = (name, factory)
    for a in alias_keys:
        if a != key:
            _REGISTRY.pop(a, None)  # only reachable with overwrite=True
            _ALIASES[a] = key


def _call_factory(display, factory, n_features, function_seed, params):
    """Call ``factory`` after checking that ``params`` fit its signature."""
    try:
        sig = inspect.signature(factory)
    except (TypeError, ValueError):  # builtins without a signature: just call
        sig = None
    if sig is not None:
        try:
            sig.bind(n_features, function_seed, **params)
        except TypeError as exc:
            accepted = [p.name for p in list(sig.parameters.values())[2:]
                        if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)]
            required = [p.name for p in list(sig.parameters.values())[2:]
                        if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)
                        and p.default is p.empty]
            given = sorted(params) or "none"
            raise TypeError(f"Bad parameters for target {display!r}: {exc} (given: {given}). "
                            f"Accepted parameters: {accepted or 'none'}"
                            f"{f'; required: {required}' if required else ''}.") from None
    target = factory(n_features, function_seed, **params)
    if isinstance(target, TargetFunction):
        return target
    if callable(target):
        return CallableTarget(target, n_features, name=display, function_seed=function_seed,
                              **params)
    raise TypeError(f"The factory of target {display!r} returned {type(target).__name__}; "
                    "expected a TargetFunction or a callable X -> y.")


def make_target(
    name: str, n_features: int = 3, *, function_seed: int = 0, **params: Any
) -> TargetFunction:
    """Build the registered target function ``name``.

    The built-in families are those of the KA-geometry study [1]_; see the user guide,
    :ref:`targets`, for their definitions.

    Parameters
    ----------
    name : str
        A registered name, see :func:`list_targets` (``"xor"``, ``"linear"``, ``"random"``,
        ``"lambda_xor"``, ``"so_xor"``, ``"gaussian"`` and user registrations).
    n_features : int, default=3
        Input dimension (>= 1).
    function_seed : int, default=0
        Seed (>= 0) of the function's own random ingredients: the same seed gives the same
        function (e.g. the same linear coefficients), whatever sample it is evaluated on.
    **params
        Family parameters, e.g. ``lam`` for ``lambda_xor`` and ``gaussian``, ``alpha`` for
        ``so_xor``.

    Returns
    -------
    target : TargetFunction

    Raises
    ------
    ValueError
        Unknown name (the message lists the registered ones) or a bad parameter value.
    TypeError
        Unknown or missing parameter (the message lists the accepted ones) or a wrong type.

    References
    ----------
    .. [1] M. Freedman and M. Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in
       Shallow MLPs", arXiv:2509.12326, 2025. https://arxiv.org/abs/2509.12326

    Examples
    --------
    >>> from sklearn_ka.targets import make_target
    >>> f = make_target("linear", n_features=3, function_seed=0)
    >>> f([[0.0, 0.0, 0.0]]).shape
    (1,)
    """
    key = _lookup(name)
    display, factory = _REGISTRY[key]
    n_features = _check_int(n_features, "n_features", minimum=1)
    function_seed = _check_int(function_seed, "function_seed", minimum=0)
    return _call_factory(display, factory, n_features, function_seed, params)
