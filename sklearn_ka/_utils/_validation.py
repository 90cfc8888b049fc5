"""Declarative parameter validation: one style for estimators and public functions.

A parameter is checked against a list of *constraints*; the first constraint that accepts the
value also converts it (``numpy.int64(3)`` becomes ``3``). When none accepts it, an
:class:`InvalidParameterError` names the parameter, its owner, every accepted form and the value
received. The shape follows scikit-learn's constraint machinery (intervals, options, types), in a
small module of our own because scikit-learn keeps its machinery private.

Examples
--------
>>> from sklearn_ka._utils import Integers, Options, check_param
>>> check_param("hidden_units", 32, [Integers(1)])
32
>>> check_param("method", "haar", [Options("haar", "sampled")])
'haar'
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

__all__ = [
    "Constraint",
    "InvalidParameterError",
    "Integers",
    "Reals",
    "Options",
    "InstanceOf",
    "Callables",
    "check_param",
    "check_int",
    "check_real",
    "check_sequence",
    "validate_params",
]


class InvalidParameterError(ValueError, TypeError):
    """A parameter of the wrong type or value.

    Both a :class:`ValueError` and a :class:`TypeError`, as scikit-learn's own parameter errors are,
    so callers may catch either.
    """


class Constraint:
    """One accepted form of a parameter: ``accepts(value)``, ``convert(value)`` and a description."""

    description = "a valid value"

    def accepts(self, value: Any) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError

    def convert(self, value: Any) -> Any:
        return value

    def __str__(self) -> str:
        return self.description


def _is_int(value: Any) -> bool:
    return isinstance(value, (numbers.Integral, np.integer)) and not isinstance(value, (bool, np.bool_))


def _is_real(value: Any) -> bool:
    return isinstance(value, (numbers.Real, np.floating, np.integer)) and not isinstance(value, (bool, np.bool_))


def _bounds(low, high, low_open, high_open) -> str:
    lo = "-inf" if low is None else f"{low:g}" if isinstance(low, float) else str(low)
    hi = "inf" if high is None else f"{high:g}" if isinstance(high, float) else str(high)
    return f"{'(' if low_open or low is None else '['}{lo}, {hi}{')' if high_open or high is None else ']'}"


class Integers(Constraint):
    """Integers in ``[low, high]`` (``None``: unbounded); booleans are refused. Converts to ``int``."""

    def __init__(self, low: int | None = None, high: int | None = None):
        self.low, self.high = low, high
        if low is None and high is None:
            self.description = "an integer"
        elif high is None:
            self.description = f"an integer >= {low}"
        else:
            self.description = f"an integer in {_bounds(low, high, False, False)}"

    def accepts(self, value):
        if not _is_int(value):
            return False
        return (self.low is None or value >= self.low) and (self.high is None or value <= self.high)

    def convert(self, value):
        return int(value)


class Reals(Constraint):
    """Finite real numbers in an interval, each end closed unless ``*_open``. Converts to ``float``."""

    def __init__(self, low: float | None = None, high: float | None = None, *, low_open: bool = False,
                 high_open: bool = False):
        self.low, self.high, self.low_open, self.high_open = low, high, low_open, high_open
        self.description = "a finite number" + (
            "" if low is None and high is None else f" in {_bounds(low, high, low_open, high_open)}")

    def accepts(self, value):
        if not _is_real(value):
            return False
        v = float(value)
        if not math.isfinite(v):
            return False
        if self.low is not None and (v <= self.low if self.low_open else v < self.low):
            return False
        return not (self.high is not None and (v >= self.high if self.high_open else v > self.high))

    def convert(self, value):
        return float(value)


class Options(Constraint):
    """One of a fixed set of values (compared with ``==``; strings are case-sensitive)."""

    def __init__(self, *values: Any):
        self.values = values
        self.description = "one of " + ", ".join(repr(v) for v in values)

    def accepts(self, value):
        for v in self.values:
            try:
                if isinstance(v, str):
                    if isinstance(value, str) and value == v:
                        return True
                elif not isinstance(value, (bool, np.bool_)) and not isinstance(value, str) and bool(value == v):
                    return True
            except Exception:  # noqa: BLE001, S112 - arrays and exotic __eq__ are simply not an option
                continue
        return False


class InstanceOf(Constraint):
    """An instance of the given type(s)."""

    def __init__(self, types: type | tuple[type, ...], description: str | None = None):
        self.types = types
        names = types if isinstance(types, tuple) else (types,)
        self.description = description or "an instance of " + " or ".join(t.__name__ for t in names)

    def accepts(self, value):
        return isinstance(value, self.types) and not (
            isinstance(value, (bool, np.bool_)) and bool not in (self.types if isinstance(self.types, tuple)
                                                                  else (self.types,)))


class Callables(Constraint):
    """Any callable."""

    description = "a callable"

    def accepts(self, value):
        return callable(value)


class _IsNone(Constraint):
    description = "None"

    def accepts(self, value):
        return value is None


def _as_constraint(c: Any) -> Constraint:
    if isinstance(c, Constraint):
        return c
    if c is None:
        return _IsNone()
    if isinstance(c, type) or (isinstance(c, tuple) and all(isinstance(t, type) for t in c)):
        return InstanceOf(c)
    raise TypeError(f"not a parameter constraint: {c!r}")  # a bug in the caller, not the user's input


def _show(value: Any) -> str:
    text = repr(value)
    if len(text) > 80:
        text = text[:77] + "..."
    return f"{text} (of type {type(value).__name__})"


def check_param(name: str, value: Any, constraints: Iterable[Any] | Any, *, owner: str | None = None) -> Any:
    """Return ``value`` (converted by the first constraint that accepts it) or raise.

    Parameters
    ----------
    name : str
        The parameter's name, as the user wrote it.
    value : object
        The value received.
    constraints : constraint or list of constraints
        :class:`Integers`, :class:`Reals`, :class:`Options`, :class:`InstanceOf`,
        :class:`Callables`, a type (or tuple of types), or ``None`` (the value ``None``).
    owner : str, optional
        The estimator or function the parameter belongs to; it prefixes the message.

    Raises
    ------
    InvalidParameterError
        Saying what was wrong and every accepted form.
    """
    if not isinstance(constraints, (list, tuple)) or (
            isinstance(constraints, tuple) and all(isinstance(t, type) for t in constraints)):
        constraints = [constraints]
    checks = [_as_constraint(c) for c in constraints]
    for c in checks:
        if c.accepts(value):
            return c.convert(value)
    accepted = " or ".join(str(c) for c in checks)
    prefix = f"{owner}: " if owner else ""
    raise InvalidParameterError(f"{prefix}{name} must be {accepted}; got {_show(value)}.")


def check_int(name: str, value: Any, low: int | None = None, high: int | None = None, *,
              owner: str | None = None) -> int:
    """An integer in ``[low, high]`` (booleans refused), or :class:`InvalidParameterError`."""
    return check_param(name, value, [Integers(low, high)], owner=owner)


def check_real(name: str, value: Any, low: float | None = None, high: float | None = None, *,
               low_open: bool = False, high_open: bool = False, owner: str | None = None) -> float:
    """A finite real number in the given interval, or :class:`InvalidParameterError`."""
    return check_param(name, value, [Reals(low, high, low_open=low_open, high_open=high_open)], owner=owner)


def check_sequence(name: str, values: Any, item: Any, *, unique: bool = False, allow_empty: bool = False,
                   owner: str | None = None) -> list:
    """A list of values each accepted by ``item`` (a constraint or list of them).

    A string is not a sequence here (``"0.01"`` is refused rather than read character by character).
    """
    prefix = f"{owner}: " if owner else ""
    if isinstance(values, (str, bytes, Mapping)) or not np.iterable(values):
        inner = " or ".join(str(_as_constraint(c)) for c in (item if isinstance(item, list) else [item]))
        raise InvalidParameterError(f"{prefix}{name} must be a sequence of values, each {inner}; "
                                    f"got {_show(values)}.")
    out = [check_param(f"{name}[{i}]", v, item, owner=owner) for i, v in enumerate(values)]
    if not out and not allow_empty:
        raise InvalidParameterError(f"{prefix}{name} is empty; give at least one value.")
    if unique and len(set(out)) != len(out):
        raise InvalidParameterError(f"{prefix}{name} contains duplicates: {out}.")
    return out


def validate_params(params: Mapping[str, Any], constraints: Mapping[str, Any], *,
                    owner: str | None = None) -> dict:
    """Check every parameter named in ``constraints``; return the converted values.

    ``constraints`` maps a parameter name to a constraint, a list of constraints, or a callable
    ``f(name, value) -> value`` for checks that depend on more than the value's type and range
    (that callable raises :class:`InvalidParameterError` itself). Parameters without an entry are
    returned untouched.
    """
    out = dict(params)
    for name, spec in constraints.items():
        if name not in params:
            continue
        if callable(spec) and not isinstance(spec, (Constraint, type)):
            out[name] = spec(name, params[name])
        else:
            out[name] = check_param(name, params[name], spec, owner=owner)
    return out

