"""R², one definition: scikit-learn's :func:`~sklearn.metrics.r2_score`.

:func:`r2_from_sums` gives the same values from sums of squares, for the training engine, which
evaluates many models at once: a constant target scores 1.0 when predicted exactly and 0.0
otherwise (scikit-learn's ``force_finite=True``).
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import r2_score

__all__ = ["r2_score", "r2_from_sums"]


def r2_from_sums(sse, sst):
    """R² per model from the residual and total sums of squares (arrays of the same shape)."""
    sse = np.asarray(sse, dtype=np.float64)
    sst = np.asarray(sst, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        r2 = 1.0 - sse / sst
    return np.where(sst > 0, r2, np.where(sse == 0, 1.0, 0.0))
