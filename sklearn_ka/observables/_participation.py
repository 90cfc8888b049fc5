"""Participation ratio of minor matrices (see the user guide, :ref:`obs-participation-ratio`)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import torch
from numpy.typing import ArrayLike

from .._utils import Options, as_float64_tensor, check_int, like_input, validate_params
from ._rank import example_mask

__all__ = ["participation_ratio", "participation_ratio_max"]

_CONSTRAINTS = {"convention": [Options("l1/l2", "l2/l1")]}


def participation_ratio(
    Jk: ArrayLike | torch.Tensor,
    convention: str = "l1/l2",
    *,
    rank_deficient: ArrayLike | torch.Tensor | None = None,
) -> np.ndarray | torch.Tensor:
    """Per-example participation ratio.

    ``PR^(k)(x) = ||J^(k)(x)||_1 / ||J^(k)(x)||_2`` with the norms of the flattened
    matrix (the default ``convention="l1/l2"``, that of the study [1]_), so
    ``1 <= PR <= PR_max``; smaller means more concentrated.  ``convention="l2/l1"`` returns
    the inverse (reported by another toolkit), in ``[1 / PR_max, 1]``.  Average over examples
    for the study's ``PR(k)``; the normalised PR is trained / initial.  See the user guide:
    :ref:`obs-participation-ratio`.

    Parameters
    ----------
    Jk : array-like or torch.Tensor, shape (n_samples, C(m, k), C(n, k))
        Absolute minor matrices.
    convention : {"l1/l2", "l2/l1"}
    rank_deficient : bool array-like or torch.Tensor of shape (n_samples,), optional
        The examples whose Jacobian is numerically rank-deficient at this size
        (:func:`numerical_rank_deficient`): their minors are round-off and their ratio is
        undefined, so they give NaN, silently (the caller reports them). Without it only
        all-zero minor matrices are recognised (the minors alone do not carry the Jacobian's
        scale).

    Returns
    -------
    ndarray or torch.Tensor, float64, shape (n_samples,)
        NaN at the ``rank_deficient`` examples; other all-zero examples give NaN (0/0) and a
        :class:`RuntimeWarning`; never an error.

    References
    ----------
    .. [1] M. Freedman and M. Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in
       Shallow MLPs", arXiv:2509.12326, 2025. https://arxiv.org/abs/2509.12326
    """
    validate_params({"convention": convention}, _CONSTRAINTS, owner="participation_ratio")
    t, was_numpy = as_float64_tensor(Jk, "Jk", 3)
    flat = t.reshape(t.shape[0], -1)
    l1 = torch.linalg.vector_norm(flat, ord=1, dim=1)
    l2 = torch.linalg.vector_norm(flat, dim=1)
    zero = l2 == 0
    undefined = example_mask(rank_deficient, t.shape[0], t.device)
    if undefined is not None:
        zero = zero & ~undefined
    if bool(zero.any()):
        warnings.warn(
            f"{int(zero.sum())} example(s) have all-zero minor matrices; their participation "
            "ratio is NaN",
            RuntimeWarning,
            stacklevel=2,
        )
    pr = l1 / l2 if convention == "l1/l2" else l2 / l1
    if undefined is not None:
        zero = zero | undefined
    pr = torch.where(zero, torch.full_like(pr, float("nan")), pr)
    return like_input(pr, was_numpy)


def participation_ratio_max(m: int, n: int, k: int) -> float:
    """Largest possible participation ratio, ``sqrt(C(m, k) * C(n, k))``.

    Attained by a minor matrix whose entries are all equal; the ``PR_max`` row of the
    study's participation-ratio table [1]_.  See the user guide: :ref:`obs-participation-ratio`.

    Parameters
    ----------
    m, n : int
        Jacobian shape.
    k : int
        ``1 <= k <= min(m, n)``.

    Returns
    -------
    float

    References
    ----------
    .. [1] M. Freedman and M. Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in
       Shallow MLPs", arXiv:2509.12326, 2025. https://arxiv.org/abs/2509.12326
    """
    m, n, k = (check_int(name, v, 1, owner="participation_ratio_max") for name, v in (("m", m), ("n", n), ("k", k)))
    if k < 1 or k > min(m, n):
        raise ValueError(f"k must satisfy 1 <= k <= min(m, n) = {min(m, n)}, got {k}")
    return math.sqrt(math.comb(m, k) * math.comb(n, k))
