"""Shared helpers of the Displays."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .._utils import Integers, check_param

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["MAX_DATA_TICKS", "check_matplotlib", "get_axes", "initial_of", "label_log_axis", "pooled_minors"]

#: A log axis gets one tick per distinct data value up to this many values, else ticks at powers of 2.
MAX_DATA_TICKS = 12


def check_matplotlib(caller: str) -> Any:
    """Import pyplot or raise a clear ImportError."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - matplotlib is installed in the test environment
        raise ImportError(f"{caller} requires matplotlib; install it with `pip install matplotlib`.") from exc
    return plt


def get_axes(ax: Any, n: int, caller: str, figsize: tuple[float, float] | None = None) -> tuple[Figure, np.ndarray]:
    """``n`` axes: new ones in one row when ``ax`` is None, else the given axes (one or a sequence)."""
    plt = check_matplotlib(caller)
    if ax is None:
        fig, axes = plt.subplots(1, n, figsize=figsize or (4.5 * n, 4), squeeze=False)
        return fig, np.asarray(axes).ravel()
    axes = np.asarray(ax, dtype=object).ravel()
    if axes.size != n:
        raise ValueError(f"{caller}.plot needs {n} axes; got {axes.size}.")
    return axes[0].figure, axes


def _plain_number(value: float, _pos: Any = None) -> str:
    return f"{value:g}"


def label_log_axis(ax: Axes, values: np.ndarray, *, axis: str = "x", max_ticks: int = MAX_DATA_TICKS) -> None:
    """A base-2 log scale with plain tick labels and no minor ticks.

    The major ticks sit at the distinct positive ``values`` when there are at most ``max_ticks``
    of them (e.g. the widths 4, 8, 16, 32, labelled so), else at the powers of 2; the labels are
    plain numbers (``32``, not ``2^5`` or ``3x10^1``) and minor ticks are off, so no labels overlap.
    """
    from matplotlib.ticker import FixedLocator, FuncFormatter, LogLocator, NullFormatter, NullLocator

    (ax.set_xscale if axis == "x" else ax.set_yscale)("log", base=2)
    target = ax.xaxis if axis == "x" else ax.yaxis
    v = np.asarray(values, dtype=float)
    ticks = np.unique(v[np.isfinite(v) & (v > 0)])
    if 0 < ticks.size <= max_ticks:
        target.set_major_locator(FixedLocator(ticks))
    else:
        target.set_major_locator(LogLocator(base=2))
    target.set_major_formatter(FuncFormatter(_plain_number))
    target.set_minor_locator(NullLocator())
    target.set_minor_formatter(NullFormatter())


def initial_of(model: Any, initial: Any) -> Any:
    """The initial model: ``initial`` itself, or ``model.initial_model()`` for ``"auto"`` (None if unavailable)."""
    if isinstance(initial, str):
        if initial != "auto":
            raise ValueError(f"initial must be 'auto', a model or None; got {initial!r}.")
        return model.initial_model() if hasattr(model, "initial_model") else None
    return initial


def inner_jacobians(model: Any, X: Any) -> np.ndarray:
    """Jacobians ``(B, m, n)`` of a model's inner map (float64 numpy)."""
    from ..jacobians import inner_jacobian

    return np.asarray(inner_jacobian(model, X), dtype=np.float64)


def pooled_minors(model: Any, X: Any, k: int) -> np.ndarray:
    """Size-k minor matrices ``(B, C(m,k), C(n,k))`` of the inner map, float64 numpy."""
    from ..exterior import minor_matrices

    J = inner_jacobians(model, X)
    m, n = J.shape[1:]
    sizes = Integers(1, min(m, n))
    sizes.description = f"an integer in [1, min(m, n) = {min(m, n)}]"
    k = check_param("k", k, [sizes])
    return np.asarray(minor_matrices(J, k), dtype=np.float64)
