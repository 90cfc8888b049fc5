"""The memory budget: every allocation that scales with a user parameter is estimated first.

A request whose estimate exceeds the budget is refused at once, before anything is allocated, with
a :class:`MemoryBudgetError` that says what needed how much, the budget, and the cheaper
alternatives. Estimates are integer arithmetic on shapes, so refusing costs microseconds.
"""

from __future__ import annotations

import os

from ._validation import InvalidParameterError, Reals, _show, check_param

__all__ = ["DEFAULT_MEMORY_BUDGET", "MemoryBudgetError", "check_memory", "memory_budget", "format_bytes"]

#: The default budget of one allocation-heavy step: 4 GiB, or the environment variable
#: ``SKLEARN_KA_MEMORY_BUDGET`` (bytes) when set.
DEFAULT_MEMORY_BUDGET = 4 << 30


class MemoryBudgetError(ValueError):
    """A computation would need more memory than its budget (raised before allocating)."""


def format_bytes(nbytes: float) -> str:
    """``nbytes`` in the largest binary unit that keeps it >= 1 (``"1.5 GiB"``)."""
    for unit, size in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if nbytes >= size:
            return f"{nbytes / size:.3g} {unit}"
    return f"{int(nbytes)} bytes"


def memory_budget(budget: int | float | None = None, *, name: str = "max_memory_bytes",
                  owner: str | None = None) -> int:
    """The budget in bytes: ``budget`` if given (a positive number), else the default.

    Raises
    ------
    InvalidParameterError
        For anything but None or a positive finite number of bytes (a string such as ``"1GB"``
        is refused with the accepted forms).
    """
    if budget is None:
        env = os.environ.get("SKLEARN_KA_MEMORY_BUDGET")
        if env is None:
            return DEFAULT_MEMORY_BUDGET
        try:
            value = float(env)
        except ValueError:
            raise InvalidParameterError(
                f"the environment variable SKLEARN_KA_MEMORY_BUDGET must be a number of bytes; got {env!r}."
            ) from None
        budget, name = value, "SKLEARN_KA_MEMORY_BUDGET"
    prefix = f"{owner}: " if owner else ""
    try:
        value = check_param(name, budget, [Reals(0, low_open=True)], owner=owner)
    except InvalidParameterError:
        raise InvalidParameterError(
            f"{prefix}{name} must be a positive number of bytes (e.g. 2**30 for 1 GiB) or None for the "
            f"default; got {_show(budget)}.") from None
    return int(value)


def check_memory(nbytes: float, what: str, *, budget: int | float | None = None, alternatives: str = "",
                 owner: str | None = None) -> int:
    """Refuse ``what`` when its estimated ``nbytes`` exceed the budget; return the estimate.

    Parameters
    ----------
    nbytes : int or float
        The estimated peak memory of the step, in bytes.
    what : str
        The step, as the user would name it (``"training 1 model of 1000000 hidden units"``).
    budget : int or float, optional
        The budget in bytes; default :data:`DEFAULT_MEMORY_BUDGET`.
    alternatives : str, optional
        What the user can do instead, appended to the message.
    owner : str, optional
        The estimator or function, prefixing the message.

    Raises
    ------
    MemoryBudgetError
        Before anything is allocated.
    """
    limit = memory_budget(budget, owner=owner)
    if nbytes > limit:
        prefix = f"{owner}: " if owner else ""
        more = f" Alternatives: {alternatives}" if alternatives else ""
        raise MemoryBudgetError(
            f"{prefix}{what} needs about {format_bytes(nbytes)}, over the memory budget of "
            f"{format_bytes(limit)}.{more} (The budget is the memory parameter of the call where it has "
            f"one, else the environment variable SKLEARN_KA_MEMORY_BUDGET, default 4 GiB.)")
    return int(nbytes)
