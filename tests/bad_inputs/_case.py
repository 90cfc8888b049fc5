"""One row of the bad-input table: a call that must fail cleanly, with its expected error."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class BadInput:
    """``call()`` must raise ``error`` (a type or tuple of types) whose message matches ``match``.

    ``match`` is a regular expression searched in ``str(exception)``; it should name the
    parameter and what is accepted, so the row documents the message a user sees.
    """

    id: str
    call: Callable[[], object]
    error: type | tuple
    match: str
