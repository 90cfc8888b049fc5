"""The registry of target-function families: register, list, resolve and build them by name.

Factories are registered by name; :func:`make_target` builds a :class:`TargetFunction` from a
name, :func:`register_target` adds a user-defined family, :func:`canonical_target_name` resolves
aliases, case and ``-``/``_`` to the registered name, and :func:`list_targets` lists them.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .._utils import check_int
from ._base import CallableTarget, TargetFunction

__all__ = ["register_target", "make_target", "list_targets", "canonical_target_name"]

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


def canonical_target_name(name: str) -> str:
    """The registered name of the target family ``name``.

    Lookup ignores case, treats ``-`` and spaces like ``_`` and follows aliases, as
    :func:`make_target` does; the result is the name the family was registered under (one of
    :func:`list_targets`), so two spellings of one family give the same name.

    Parameters
    ----------
    name : str
        A registered name or alias, e.g. ``"Lambda-XOR"`` or ``"g"``.

    Returns
    -------
    str
        The registered name, e.g. ``"lambda_xor"`` or ``"gaussian"``.

    Raises
    ------
    ValueError
        If no family is registered under ``name`` (the message lists the registered ones).
    TypeError
        If ``name`` is not a string.

    Examples
    --------
    >>> from sklearn_ka.targets import canonical_target_name
    >>> canonical_target_name("Lambda-XOR"), canonical_target_name("rotated_xor")
    ('lambda_xor', 'so_xor')
    """
    return _REGISTRY[_lookup(name)][0]


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
    n_features = check_int("n_features", n_features, 1)
    function_seed = check_int("function_seed", function_seed, 0)
    return _call_factory(display, factory, n_features, function_seed, params)
