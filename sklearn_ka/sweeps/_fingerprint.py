"""Fingerprints of what a sweep computes: target functions by their values, measures by code and parameters.

A store must never hand back the results of another function. Names are not enough (every
lambda is called ``<lambda>``, and ``register_target(..., overwrite=True)`` gives a name a new
factory), so the sweep definition that identifies a store records:

* for every **target function** (a registered name at each of its parameter points and seeds, a
  :class:`~sklearn_ka.TargetFunction` instance, or a callable): its name and a *value
  fingerprint*, the SHA-256 of its values at :data:`PROBE_SIZE` fixed points of
  ``[-1, 1]^n_features`` (drawn from ``numpy.random.default_rng(PROBE_SEED)``), each written
  with :data:`PROBE_DIGITS` significant digits; stochastic targets (``random``) are evaluated
  with ``random_state=numpy.random.default_rng(PROBE_SEED)``;
* for the **measure**: a function (or lambda) by its qualified name and a hash of its code
  object (bytecode, constants, the names it uses, nested code), with its default arguments and
  the values of the variables it closes over; a ``functools.partial`` by its function and
  arguments; an object by its class, its parameters (``get_params(deep=False)`` when it has it,
  else its public attributes), its ``version`` attribute when it has one, and the code of its
  ``__call__``.

Values that are not plain data (numbers, strings, lists, dicts, arrays) are described by their
class and public attributes (estimators by ``get_params``), never by a ``repr`` holding a memory
address, so that the same definition hashes the same in every process. Bytecode differs between
Python versions: a measure function may hash differently under another Python version, and the
store then refuses to mix (rerun into a new store).
"""

from __future__ import annotations

import functools
import hashlib
import re
import types
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["PROBE_DIGITS", "PROBE_SEED", "PROBE_SIZE", "describe_callable", "describe_value",
           "function_fingerprint", "probe_points"]

#: Number of probe points at which target functions are evaluated for their fingerprint.
PROBE_SIZE = 64
#: Seed of the probe points (``numpy.random.default_rng(PROBE_SEED)``, uniform on ``[-1, 1]^n``).
PROBE_SEED = 20250915
#: Significant digits of each value in the fingerprint (round-off below this does not count).
PROBE_DIGITS = 10
#: How deep :func:`describe_value` follows nested objects.
_MAX_DEPTH = 6
#: Arrays up to this many elements are recorded as lists, larger ones by a hash of their bytes.
_MAX_LISTED = 10_000

_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def probe_points(n_features: int) -> np.ndarray:
    """The fixed probe points of the value fingerprint: ``(PROBE_SIZE, n_features)`` in ``[-1, 1]``."""
    return np.random.default_rng(PROBE_SEED).uniform(-1.0, 1.0, size=(PROBE_SIZE, n_features))


def _values_text(y: np.ndarray) -> str:
    return ",".join(f"{v:.{PROBE_DIGITS - 1}e}" for v in np.asarray(y, dtype=np.float64).ravel())


def function_fingerprint(targets: Sequence[Any], n_features: int) -> str:
    """SHA-256 (hex) of the values of ``targets`` (TargetFunction instances) at the probe points, in order.

    Raises
    ------
    ValueError
        A target cannot be evaluated at the probe points (the message names it).
    """
    X = probe_points(n_features)
    digest = hashlib.sha256()
    for target in targets:
        try:
            if target.stochastic:
                y = target(X, random_state=np.random.default_rng(PROBE_SEED))
            else:
                y = target(X)
        except Exception as exc:  # noqa: BLE001 - any failure: say which function and why
            raise ValueError(f"sweep: the target function {target!r} could not be evaluated at {PROBE_SIZE} points "
                             f"of [-1, 1]^{n_features} (needed to identify it in the sweep definition): "
                             f"{type(exc).__name__}: {exc}") from exc
        digest.update(_values_text(y).encode())
        digest.update(b";")
    return digest.hexdigest()


def _qualname(obj: Any) -> str:
    return f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', type(obj).__qualname__)}"


def _const_text(value: Any) -> str:
    """A deterministic text of a code constant (frozensets sorted: their order follows string hashing)."""
    if isinstance(value, types.CodeType):
        return _code_hash(value)
    if isinstance(value, (frozenset, set)):
        return "{" + ",".join(sorted(_const_text(v) for v in value)) + "}"
    if isinstance(value, tuple):
        return "(" + ",".join(_const_text(v) for v in value) + ")"
    return repr(value)


def _code_hash(code: types.CodeType) -> str:
    """SHA-256 (first 16 hex digits) of a code object: bytecode, constants, names used, nested code."""
    digest = hashlib.sha256()
    digest.update(code.co_code)
    digest.update(_const_text(code.co_consts).encode())
    digest.update(repr(code.co_names).encode())
    digest.update(repr(code.co_freevars).encode())
    return digest.hexdigest()[:16]


def _function_description(func: types.FunctionType, depth: int) -> dict:
    out: dict[str, Any] = {"function": _qualname(func), "code": _code_hash(func.__code__)}
    if func.__defaults__:
        out["defaults"] = describe_value(list(func.__defaults__), depth + 1)
    if func.__kwdefaults__:
        out["kwdefaults"] = describe_value(dict(func.__kwdefaults__), depth + 1)
    if func.__closure__:
        cells = {}
        for name, cell in zip(func.__code__.co_freevars, func.__closure__):
            try:
                cells[name] = describe_value(cell.cell_contents, depth + 1)
            except ValueError:  # an empty cell
                cells[name] = None
        out["closure"] = cells
    return out


def _public_attributes(obj: Any) -> dict:
    return {k: v for k, v in sorted(vars(obj).items()) if not k.startswith("_")}


def describe_callable(func: Any, depth: int = 0) -> Any:
    """A JSON-able description of a callable (see the module docstring for the rule)."""
    if isinstance(func, types.FunctionType):
        return _function_description(func, depth)
    if isinstance(func, types.MethodType):
        return {"method": _qualname(func.__func__), "code": _code_hash(func.__func__.__code__),
                "self": describe_value(func.__self__, depth + 1)}
    if isinstance(func, functools.partial):
        return {"partial": describe_callable(func.func, depth + 1), "args": describe_value(list(func.args), depth + 1),
                "keywords": describe_value(dict(func.keywords), depth + 1)}
    if isinstance(func, (types.BuiltinFunctionType, type)):
        return {"callable": _qualname(func)}
    return _object_description(func, depth)


def _object_description(obj: Any, depth: int) -> dict:
    cls = type(obj)
    out: dict[str, Any] = {"class": f"{cls.__module__}.{cls.__qualname__}"}
    get_params = getattr(obj, "get_params", None)
    if callable(get_params) and not isinstance(obj, type):
        try:
            out["params"] = describe_value(get_params(deep=False), depth + 1)
        except TypeError:
            out["params"] = describe_value(get_params(), depth + 1)
    elif hasattr(obj, "__dict__"):
        out["attributes"] = describe_value(_public_attributes(obj), depth + 1)
    else:
        out["repr"] = _ADDRESS.sub("", repr(obj))
    version = getattr(obj, "version", None)
    if version is not None and not callable(version):
        out["version"] = describe_value(version, depth + 1)
    call = next((vars(c)["__call__"] for c in cls.__mro__ if "__call__" in vars(c)), None)
    if isinstance(call, types.FunctionType):
        out["call_code"] = _code_hash(call.__code__)
    return out


def describe_value(value: Any, depth: int = 0) -> Any:
    """A JSON-able description of ``value`` that is the same in every process for the same value.

    Plain data is kept (numbers, strings, None, lists, dicts with string keys); numpy scalars
    become numbers and small arrays lists (large ones a hash of their bytes); callables follow
    :func:`describe_callable`; other objects are described by their class and parameters (or
    public attributes), never by an address.
    """
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if depth > _MAX_DEPTH:
        return {"class": _qualname(type(value))}
    if isinstance(value, np.ndarray):
        if value.size <= _MAX_LISTED and value.dtype != object:
            return value.tolist()
        return {"array": str(value.dtype), "shape": list(value.shape),
                "sha256": hashlib.sha256(np.ascontiguousarray(value).tobytes()).hexdigest()
                if value.dtype != object else describe_value(value.tolist(), depth + 1)}
    if isinstance(value, (list, tuple)):
        return [describe_value(v, depth + 1) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((describe_value(v, depth + 1) for v in value), key=repr)
    if isinstance(value, Mapping):
        return {str(k): describe_value(v, depth + 1) for k, v in value.items()}
    if isinstance(value, bytes):
        return {"bytes": hashlib.sha256(value).hexdigest()}
    if callable(value) and not hasattr(value, "get_params"):
        return describe_callable(value, depth)
    return _object_description(value, depth)
