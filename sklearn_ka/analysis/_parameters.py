"""The parameter constraints the two analyzers share, in the declarative style of ``_utils``.

Each analyzer states its parameters' constraints in a class-level ``_parameter_constraints``
dict and checks them at the top of ``fit`` with :func:`~sklearn_ka._utils.validate_params`; the
checks that depend on the data (minor sizes above ``min(m, n)``, input columns out of range)
follow once the Jacobians' shape is known.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from .._utils import Constraint, Integers, InvalidParameterError, Options, Reals, closest_keys

__all__ = ["OneOrMany", "ByteBudget", "OBSERVABLE_GROUPS", "SHARED_CONSTRAINTS", "observables_constraint",
           "LayerSpec"]

#: The names the ``observables`` parameter accepts, each with the score keys' observable names it
#: gives (the rank-deficiency counts ``n_rank_deficient*`` are always reported). The user guide
#: defines each (:ref:`observables`).
OBSERVABLE_GROUPS: dict[str, tuple[str, ...]] = {
    "zero_rows": ("zero_rows", "zero_rows_initial"),
    "consistent_zero_rows": ("consistent_zero_rows",),
    "dependent_zero_rows": ("dependent_zero_rows",),
    "participation_ratio": ("pr", "pr_initial", "pr_max", "pr_normalized"),
    "rotation_ratio": ("rotation_ratio", "rotation_ratio_initial", "rotation_ratio_normalized",
                       "subset_rotation_ratio", "subset_rotation_ratio_initial",
                       "subset_rotation_ratio_normalized", "max_minor_lower_bound",
                       "max_minor_lower_bound_initial"),
    "column_entropy": ("column_entropy", "column_entropy_initial", "column_kl"),
}

#: a key's observable name -> the group that computes it (so ``observables=("pr",)`` also works)
_GROUP_OF = {name: group for group, names in OBSERVABLE_GROUPS.items() for name in names}


def _observable_groups(value: Any, name: str, owner: str) -> tuple | None:
    """``None`` (every group) or the tuple of groups named by ``value``, in the canonical order."""
    if value is None:
        return None
    items = [value] if isinstance(value, str) else value
    accepted = ", ".join(repr(g) for g in OBSERVABLE_GROUPS)
    if isinstance(items, (bytes, Mapping)) or not np.iterable(items) or not list(items):
        raise InvalidParameterError(f"{owner}: {name} must be None (every observable) or a non-empty sequence of "
                                    f"observable names, each one of {accepted}; got {value!r}.")
    groups = set()
    for item in items:
        if not isinstance(item, str) or (item not in OBSERVABLE_GROUPS and item not in _GROUP_OF):
            hint = closest_keys(str(item), list(OBSERVABLE_GROUPS) + list(_GROUP_OF))
            more = f" Did you mean {', '.join(repr(h) for h in hint)}?" if hint else ""
            raise InvalidParameterError(f"{owner}: {name} holds {item!r}, which is not an observable; the "
                                        f"observables are {accepted} (the user guide defines each).{more}")
        groups.add(item if item in OBSERVABLE_GROUPS else _GROUP_OF[item])
    return tuple(g for g in OBSERVABLE_GROUPS if g in groups)


def observables_constraint(owner: str) -> Callable[[str, Any], tuple | None]:
    """The check of the ``observables`` parameter of ``owner``: a callable for ``validate_params``."""
    return lambda name, value: _observable_groups(value, name, owner)


class LayerSpec(Constraint):
    """``None``, a layer index (an integer >= 1) or a dotted submodule name (a string)."""

    description = "None, an integer >= 1 (a layer index) or a string (the dotted name of a torch submodule)"

    def accepts(self, value: Any) -> bool:
        return value is None or isinstance(value, str) or Integers(1).accepts(value)

    def convert(self, value: Any) -> Any:
        return value if value is None or isinstance(value, str) else int(value)


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
