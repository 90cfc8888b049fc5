"""The parameter constraints the two analyzers share, in the declarative style of ``_utils``.

Each analyzer states its parameters' constraints in a class-level ``_parameter_constraints``
dict and checks them at the top of ``fit`` with :func:`~sklearn_ka._utils.validate_params`; the
checks that depend on the data (minor sizes above ``min(m, n)``, input columns out of range)
follow once the Jacobians' shape is known.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .._utils import Constraint, Integers, Options, Reals

__all__ = ["OneOrMany", "ByteBudget", "SHARED_CONSTRAINTS"]


class OneOrMany(Constraint):
    """One value accepted by ``item``, or a non-empty sequence of them; converts to a tuple.

    A string is not a sequence here (``"0.01"`` is refused, not read character by character).
    """

    def __init__(self, item: Constraint):
        self.item = item
        self.description = f"{item} or a non-empty sequence of them"

    def _items(self, value):
        if self.item.accepts(value):
            return [value]
        if isinstance(value, (str, bytes, Mapping)) or not np.iterable(value):
            return None
        items = list(value)
        return items if items and all(self.item.accepts(v) for v in items) else None

    def accepts(self, value: Any) -> bool:
        return self._items(value) is not None

    def convert(self, value: Any) -> tuple:
        return tuple(self.item.convert(v) for v in self._items(value))


class ByteBudget(Reals):
    """A positive number of bytes, kept as given (an integer budget stays an integer)."""

    def __init__(self):
        super().__init__(0, low_open=True)
        self.description = "a positive number of bytes (e.g. 2**30 for 1 GiB)"

    def convert(self, value: Any) -> Any:
        return value


#: The parameters both analyzers have, with the same meaning.
SHARED_CONSTRAINTS = {
    "minor_sizes": [OneOrMany(Integers(1))],
    "false_positive_rates": [OneOrMany(Reals(0, 1, low_open=True, high_open=True))],
    "column_probability": [Options("softmax", "sum")],
    "pr_convention": [Options("l1/l2", "l2/l1")],
    "consistent_fraction": [Reals(0, 1, low_open=True)],
}
