"""Observable key names: one builder and one parser.

A key is ``"<observable>_k<k>"``, or ``"<observable>_k<k>_q<q>"`` for the observables that depend
on a false-positive rate ``q`` (written with ``:g``, e.g. ``zero_rows_k3_q0.01``).
:func:`observable_key` builds a key, :func:`parse_observable_key` reads one back; no other module
assembles these strings.
"""

from __future__ import annotations

import difflib
import re
from typing import NamedTuple

__all__ = ["OBSERVABLES", "ObservableKey", "observable_key", "parse_observable_key", "closest_keys"]

#: Every observable name, mapped to whether its key carries a false-positive rate ``q``.
OBSERVABLES: dict[str, bool] = {
    "zero_rows": True,
    "zero_rows_initial": True,
    "consistent_zero_rows": True,
    "example_dependent_zero_rows": True,
    "dependent_zero_rows": True,
    "pr": False,
    "pr_initial": False,
    "pr_max": False,
    "pr_normalized": False,
    "rotation_ratio": False,
    "rotation_ratio_initial": False,
    "rotation_ratio_normalized": False,
    "subset_rotation_ratio": False,
    "subset_rotation_ratio_initial": False,
    "subset_rotation_ratio_normalized": False,
    "column_entropy": False,
    "column_entropy_initial": False,
    "column_kl": False,
    "max_minor_lower_bound": False,
    "max_minor_lower_bound_initial": False,
    "n_rank_deficient": False,
    "n_rank_deficient_initial": False,
}

_KEY = re.compile(r"^(?P<name>[a-z_]+?)_k(?P<k>[1-9][0-9]*)(?:_q(?P<q>[0-9.eE+-]+))?$")


class ObservableKey(NamedTuple):
    """A parsed observable key.

    Attributes
    ----------
    name : str
        The observable's name, one of :data:`OBSERVABLES` (e.g. ``"zero_rows"``).
    k : int
        The minor size.
    q : float or None
        The size-1 false-positive rate of the zero-row observables; None for the others.

    See Also
    --------
    observable_key, parse_observable_key

    Examples
    --------
    >>> key = ObservableKey("pr_normalized", 3)
    >>> str(key)
    'pr_normalized_k3'
    """

    name: str
    k: int
    q: float | None = None

    def __str__(self) -> str:
        return observable_key(self.name, self.k, self.q)


def observable_key(name: str, k: int, q: float | None = None) -> str:
    """The key of observable ``name`` at minor size ``k`` (and false-positive rate ``q``).

    Parameters
    ----------
    name : str
        An observable name, one of :data:`OBSERVABLES`.
    k : int
        The minor size, >= 1.
    q : float, optional
        The size-1 false-positive rate; required exactly for the zero-row observables.

    Returns
    -------
    str
        E.g. ``"zero_rows_k3_q0.01"``; ``q`` is written with ``:g``.

    Raises
    ------
    ValueError
        For an unknown name, ``k < 1``, or a ``q`` given to an observable without one (or missing
        from one that needs it).

    See Also
    --------
    parse_observable_key : the inverse.

    Examples
    --------
    >>> observable_key("zero_rows", 3, 0.01)
    'zero_rows_k3_q0.01'
    >>> observable_key("pr_normalized", 2)
    'pr_normalized_k2'
    """
    if name not in OBSERVABLES:
        raise ValueError(f"unknown observable {name!r}; known: {', '.join(OBSERVABLES)}.")
    if isinstance(k, bool) or not isinstance(k, int) and not hasattr(k, "__index__") or int(k) < 1:
        raise ValueError(f"k must be an integer >= 1; got {k!r}.")
    if OBSERVABLES[name] != (q is not None):
        need = "needs a false-positive rate q" if OBSERVABLES[name] else "takes no false-positive rate q"
        raise ValueError(f"observable {name!r} {need}; got q={q!r}.")
    return f"{name}_k{int(k)}" + ("" if q is None else f"_q{float(q):g}")


def parse_observable_key(key: str) -> ObservableKey:
    """Read a key back into ``(name, k, q)``.

    Parameters
    ----------
    key : str
        A key of :meth:`KAGeometryAnalyzer.score <sklearn_ka.KAGeometryAnalyzer.score>`, e.g.
        ``"zero_rows_k3_q0.01"`` or ``"pr_normalized_k3"``.

    Returns
    -------
    ObservableKey
        ``(name, k, q)``; ``q`` is None for observables without a false-positive rate.

    Raises
    ------
    ValueError
        When ``key`` is not an observable key; the message suggests the closest keys.

    See Also
    --------
    observable_key : the inverse.

    Examples
    --------
    >>> parse_observable_key("zero_rows_k3_q0.01")
    ObservableKey(name='zero_rows', k=3, q=0.01)
    """
    match = _KEY.match(key) if isinstance(key, str) else None
    if match is None or match["name"] not in OBSERVABLES or OBSERVABLES[match["name"]] != (match["q"] is not None):
        hint = closest_keys(key, _example_keys()) if isinstance(key, str) else []
        more = f" Did you mean {', '.join(repr(h) for h in hint)}?" if hint else ""
        raise ValueError(f"{key!r} is not an observable key (e.g. 'zero_rows_k3_q0.01', 'pr_normalized_k3').{more}")
    q = None if match["q"] is None else float(match["q"])
    return ObservableKey(match["name"], int(match["k"]), q)


def closest_keys(key: str, candidates, n: int = 3) -> list[str]:
    """The candidates closest to a misspelled ``key`` (for error messages)."""
    return difflib.get_close_matches(key, list(candidates), n=n, cutoff=0.6)


def _example_keys() -> list[str]:
    out = []
    for name, has_q in OBSERVABLES.items():
        for k in (1, 2, 3):
            out += [observable_key(name, k, q) for q in (1e-4, 1e-3, 1e-2)] if has_q else [observable_key(name, k)]
    return out
