"""Haar-distributed rotations and Stiefel samples, and the constant ``c(m, r)``.

The random rotations of the rotation ratio (user guide: :ref:`obs-rotation-ratio`) and the
constant of its exact ``"haar"`` denominator.
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np
import torch

from .._utils import as_generator, check_int, check_memory, check_real
from ._max_minor import _max_abs_minor

__all__ = ["haar_rotations", "haar_max_minor_constant"]

# Monte Carlo samples per batch of the constant c(m, r), and the float64 arrays of that size that
# exist at once (the draw, its QR factors, the sign fix, the pruning's row norms and their order)
_BATCH = 8192
_BATCH_TEMPORARIES = 6


def _haar_orthonormal(shape_n, m, r, rng):
    """(N, m, r) Haar-distributed orthonormal columns: QR of a Gaussian with sign fix."""
    G = torch.from_numpy(np.asarray(rng.standard_normal((shape_n, m, r)), dtype=np.float64))
    Q, R = torch.linalg.qr(G)
    d = torch.sign(torch.diagonal(R, dim1=-2, dim2=-1))
    d = torch.where(d == 0, torch.ones_like(d), d)
    return Q * d[:, None, :]


def haar_rotations(
    m: int,
    n_rotations: int,
    random_state: int | np.random.Generator | np.random.RandomState | None = None,
) -> np.ndarray:
    """Haar-distributed rotations of SO(m).

    The random rotations of the rotation ratio of the study [1]_ (see the user guide:
    :ref:`obs-rotation-ratio`).  QR of an ``m x m`` standard Gaussian matrix with the sign
    fix ``Q diag(sign diag R)`` (Haar on O(m)); where ``det Q = -1`` the first column is
    negated (Haar on SO(m)).

    Parameters
    ----------
    m : int
        Dimension (>= 1).
    n_rotations : int
        Number N of rotations (>= 1).
    random_state : None, int, numpy Generator or RandomState

    Returns
    -------
    ndarray, float64, shape (n_rotations, m, m)

    References
    ----------
    .. [1] M. Freedman and M. Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in
       Shallow MLPs", arXiv:2509.12326, 2025. https://arxiv.org/abs/2509.12326
    """
    m = check_int("m", m, 1, owner="haar_rotations")
    n_rotations = check_int("n_rotations", n_rotations, 1, owner="haar_rotations")
    # the Gaussian draw, its QR factors and the result: four (N, m, m) float64 arrays
    check_memory(4 * 8 * n_rotations * m * m, f"{n_rotations} rotations of SO({m})", owner="haar_rotations",
                 alternatives="fewer rotations (n_rotations), or a larger budget.")
    rng = as_generator(random_state)
    Q = _haar_orthonormal(n_rotations, m, m, rng)
    neg = torch.linalg.det(Q) < 0
    Q[neg, :, 0] *= -1
    return Q.numpy()


@cache
def _haar_constant(m, r, rel_se, seed):
    if r == m:
        return 1.0, 0.0, 0
    rng = np.random.default_rng(seed)
    vals = []
    n = 0
    batch = _BATCH
    while True:
        V = _haar_orthonormal(batch, m, r, rng)
        vals.append(_max_abs_minor(V.permute(2, 0, 1)).numpy())
        n += batch
        x = np.concatenate(vals)
        mean, se = x.mean(), x.std(ddof=1) / math.sqrt(x.size)
        if (n >= 16384 and se <= rel_se * mean) or n >= 4_000_000:
            return float(mean), float(se), n


def haar_max_minor_constant(m: int, r: int, rel_se: float = 1e-3) -> tuple[float, float, int]:
    """``c(m, r) = E max_I |det V[I, :]|`` over Haar-Stiefel ``V`` (m x r), ``I`` r-subsets.

    The constant of the exact (``"haar"``) rotation-ratio denominator for ``k = min(m, n)``
    (see :func:`rotation_ratio` and the user guide: :ref:`obs-rotation-ratio`).
    Monte Carlo with a fixed internal seed (reproducible, independent of any
    ``random_state``), adding batches of 8192 samples until the standard error is at
    most ``rel_se`` times the mean (default 0.1 %); cached per ``(m, r, rel_se)``.
    ``c(m, m) = 1`` exactly.

    Parameters
    ----------
    m : int
        Number of rows (hidden units), ``>= 1``.
    r : int
        Number of orthonormal columns, ``1 <= r <= m``.
    rel_se : float, default=1e-3
        Target relative standard error of the Monte Carlo estimate.

    Returns
    -------
    c : float
    se : float
        Standard error of ``c``.
    n_samples : int
    """
    m = check_int("m", m, 1, owner="haar_max_minor_constant")
    r = check_int("r", r, 1, owner="haar_max_minor_constant")
    if r > m:
        raise ValueError(f"need r <= m, got m={m}, r={r}")
    rel_se = check_real("rel_se", rel_se, 0, low_open=True, owner="haar_max_minor_constant")
    if r < m:  # one batch: the Gaussian draw, its QR factors, the row norms and their order
        check_memory(_BATCH_TEMPORARIES * 8 * _BATCH * m * r, f"the Monte Carlo estimate of c({m}, {r}) "
                     f"({_BATCH} Stiefel samples of shape {m}x{r} at a time)", owner="haar_max_minor_constant",
                     alternatives="fewer hidden units m, or a larger budget.")
    return _haar_constant(m, r, rel_se, 20_240_611 + 1000 * m + r)
