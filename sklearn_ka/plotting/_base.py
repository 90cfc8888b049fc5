"""Shared helpers of the Displays."""

from __future__ import annotations

import numpy as np

__all__ = ["check_matplotlib", "get_axes", "initial_of", "pooled_minors"]


def check_matplotlib(caller):
    """Import pyplot or raise a clear ImportError."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - matplotlib is installed in the test environment
        raise ImportError(f"{caller} requires matplotlib; install it with `pip install matplotlib`.") from exc
    return plt


def get_axes(ax, n, caller, figsize=None):
    """``n`` axes: new ones in one row when ``ax`` is None, else the given axes (one or a sequence)."""
    plt = check_matplotlib(caller)
    if ax is None:
        fig, axes = plt.subplots(1, n, figsize=figsize or (4.5 * n, 4), squeeze=False)
        return fig, np.asarray(axes).ravel()
    axes = np.asarray(ax, dtype=object).ravel()
    if axes.size != n:
        raise ValueError(f"{caller}.plot needs {n} axes; got {axes.size}.")
    return axes[0].figure, axes


def initial_of(model, initial):
    """The initial model: ``initial`` itself, or ``model.initial_model()`` for ``"auto"`` (None if unavailable)."""
    if isinstance(initial, str):
        if initial != "auto":
            raise ValueError(f"initial must be 'auto', a model or None; got {initial!r}.")
        return model.initial_model() if hasattr(model, "initial_model") else None
    return initial


def inner_jacobians(model, X):
    """Jacobians ``(B, m, n)`` of a model's inner map (float64 numpy)."""
    from ..jacobians import inner_jacobian

    return np.asarray(inner_jacobian(model, X), dtype=np.float64)


def pooled_minors(model, X, k):
    """Size-k minor matrices ``(B, C(m,k), C(n,k))`` of the inner map, float64 numpy."""
    from ..exterior import minor_matrices

    J = inner_jacobians(model, X)
    m, n = J.shape[1:]
    if not (isinstance(k, (int, np.integer)) and 1 <= k <= min(m, n)):
        raise ValueError(f"k must be an integer in [1, min(m, n) = {min(m, n)}]; got {k!r}.")
    return np.asarray(minor_matrices(J, int(k)), dtype=np.float64)
