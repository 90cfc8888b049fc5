"""The KA-geometry loss term: ``beta`` times a normalised KA statistic of the first layer, per batch."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from .._utils import check_memory
from ..engine import LossTerm
from ..observables import induced_false_positive_rate, zero_row_threshold
from ._kernels import (
    column_entropy_mean,
    participation_ratio_mean,
    row_means,
    row_scales,
    weight_minors,
    zero_row_fraction,
)

__all__ = ["KA_TERMS", "KAPenalty"]

#: The statistics a :class:`KAPenalty` can push on; each is normalised so that it is 1 at initialisation
#: and smaller means more KA-like geometry.
KA_TERMS = ("participation_ratio", "column_entropy", "zero_rows")

#: Examples of the training set per block when the initial statistics are computed.
_INITIAL_BLOCK = 256


@dataclass(frozen=True, kw_only=True)
class KAPenalty(LossTerm):
    """A differentiable KA-geometry term in the training loss: ``loss = MSE + beta * KA(theta)``.

    ``KA(theta)`` is the mean over the minor sizes ``orders`` of one statistic of the minors of the
    Jacobian of ``x -> sigma(x A + a)`` on the current mini-batch, each normalised by the same
    statistic of the model at its initialisation on its whole training set, so that it is 1 there
    and smaller means more KA-like (more concentrated) geometry:

    * ``"participation_ratio"``: ``PR(k) / PR_0(k)``, the batch mean of ``||J^(k)||_1 / ||J^(k)||_2``;
    * ``"column_entropy"``: ``S(k) / S_0(k)``, the mean softmax column entropy;
    * ``"zero_rows"``: ``Z_0(k) / Z(k)``, ``Z`` a smooth share of zero rows: the mean over rows
      and examples of ``sigmoid((log Q - log rho) / temperature)``, ``rho`` the row means and ``Q``
      the zero-row threshold of the initial model (its ``q(k)``-quantile of row means, ``q(k)``
      induced by ``q1``).

    The minors are exact (factored: the weights' minors scaled by products of ``sigma'``), and the
    gradient is exact (autograd through them). ``beta > 0`` pushes toward KA geometry, ``beta < 0``
    away from it (a control). The study names this "gradient of KA-ness" as a tool to induce KA
    geometry and fears its cost [1]_; see the user guide, :ref:`interventions`.

    Parameters
    ----------
    beta : float, default=0.0
        Weight of the term; 0 trains exactly as without it.
    term : {"participation_ratio", "column_entropy", "zero_rows"}, default="participation_ratio"
    orders : int or tuple of int, default=(1, 2, 3)
        Minor sizes ``k`` averaged (each ``1 <= k <= min(m, n)``; sizes above ``min(m, n)`` are
        refused when training starts).
    q1 : float, default=0.01
        The size-1 false-positive rate of the zero-row threshold (``"zero_rows"`` only).
    temperature : float, default=0.25
        Width, in natural-log units of the row mean, of the smooth zero-row step.
    start_epoch, start_r2, ramp_epochs
        When the term switches on and how fast its weight ramps (see
        :class:`sklearn_ka.engine.Schedule`).

    References
    ----------
    .. [1] M. Freedman and M. Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in
       Shallow MLPs", arXiv:2509.12326, 2025. https://arxiv.org/abs/2509.12326

    Examples
    --------
    >>> from sklearn_ka.interventions import KAPenalty
    >>> KAPenalty(beta=0.1, term="zero_rows", orders=3).describe()
    'zero_rows(k=3), beta=0.1, from the start'
    """

    term: str = "participation_ratio"
    orders: int | tuple = (1, 2, 3)
    q1: float = 0.01
    temperature: float = 0.25

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.term not in KA_TERMS:
            raise ValueError(f"KAPenalty: unknown term {self.term!r}; accepted: {list(KA_TERMS)}.")
        orders = (self.orders,) if isinstance(self.orders, (int, np.integer)) else self.orders
        try:
            ok = len(orders) > 0 and all(isinstance(k, (int, np.integer)) and not isinstance(k, bool) and k >= 1
                                         for k in orders)
        except TypeError:
            ok = False
        if not ok or len(set(orders)) != len(orders):
            raise ValueError(f"KAPenalty: orders must be a minor size k >= 1 or a tuple of distinct ones, got "
                             f"{self.orders!r}.")
        object.__setattr__(self, "orders", tuple(int(k) for k in orders))
        if not (isinstance(self.q1, (int, float)) and 0 < self.q1 < 1):
            raise ValueError(f"KAPenalty: q1 must lie in (0, 1), got {self.q1!r}.")
        if not (isinstance(self.temperature, (int, float)) and math.isfinite(self.temperature)
                and self.temperature > 0):
            raise ValueError(f"KAPenalty: temperature must be a positive float, got {self.temperature!r}.")

    def describe(self) -> str:
        """A short human-readable description."""
        ks = ",".join(map(str, self.orders))
        return f"{self.term}(k={ks}), beta={self.beta:g}, {super().describe()}"

    def check(self, width: int, n_features: int) -> None:
        top = max(self.orders)
        if top > min(width, n_features):
            raise ValueError(f"KAPenalty: minor size k={top} exceeds min(m, n) = {min(width, n_features)} for a "
                             f"model of width m={width} on n={n_features} inputs; pass orders <= "
                             f"{min(width, n_features)}.")
        if self.term == "column_entropy" and any(math.comb(width, k) < 2 for k in self.orders):
            raise ValueError(f"KAPenalty: the column entropy needs C(m, k) > 1 rows; width m={width} has one row at "
                             f"k={width}. Drop that order.")
        for k in self.orders:
            check_memory(16 * 4 * _INITIAL_BLOCK * math.comb(width, k) * math.comb(n_features, k),
                         f"the KA penalty's size-{k} minors of a width-{width} model", owner="KAPenalty",
                         alternatives="smaller orders or a smaller batch")

    # ------------------------------------------------------------------ the statistic
    def _statistics(self, A, a, X, mask, deriv, thresholds=None):
        """Per order, the raw statistic of ``G`` models on their batches, and the row means (zero rows)."""
        D = deriv(torch.baddbmm(a[:, None, :], X, A))  # sigma'(z): (G, B, m)
        W = A.transpose(1, 2)
        out = []
        for i, k in enumerate(self.orders):
            c, L = row_scales(D, k), weight_minors(W, k)
            if self.term == "participation_ratio":
                out.append(participation_ratio_mean(c, L, mask))
            elif self.term == "column_entropy":
                out.append(column_entropy_mean(c, L, mask))
            elif thresholds is None:
                out.append(row_means(c, L))
            else:
                out.append(zero_row_fraction(row_means(c, L), thresholds[:, i], mask, self.temperature))
        return out

    def initial_state(self, A: torch.Tensor, a: torch.Tensor, X: torch.Tensor,
                      deriv: Callable[[torch.Tensor], torch.Tensor]) -> dict:
        G, N, _ = X.shape
        m = A.shape[2]
        blocks = [(s, min(N, s + _INITIAL_BLOCK)) for s in range(0, N, _INITIAL_BLOCK)]
        if self.term == "zero_rows":
            rates = [induced_false_positive_rate(self.q1, m, k) for k in self.orders]
            per_block = [self._statistics(A, a, X[:, s:e], None, deriv) for s, e in blocks]
            thresholds = torch.tensor(
                [[zero_row_threshold([blk[i][g].T for blk in per_block], rates[i]) for i in range(len(self.orders))]
                 for g in range(G)], dtype=A.dtype, device=A.device)
            full = torch.ones((G, N), dtype=torch.bool, device=A.device)
            value = torch.stack(self._statistics(A, a, X, full, deriv, thresholds), 1)
            return {"initial": value, "threshold": thresholds}
        sums = torch.zeros((G, len(self.orders)), dtype=A.dtype, device=A.device)
        for s, e in blocks:
            ones = torch.ones((G, e - s), dtype=torch.bool, device=A.device)
            sums += torch.stack(self._statistics(A, a, X[:, s:e], ones, deriv), 1) * (e - s)
        return {"initial": sums / N}

    def value(self, A: torch.Tensor, a: torch.Tensor, X: torch.Tensor, mask: torch.Tensor,
              deriv: Callable[[torch.Tensor], torch.Tensor], state: dict) -> torch.Tensor:
        stats = torch.stack(self._statistics(A, a, X, mask, deriv, state.get("threshold")), 1)
        ratio = state["initial"] / stats if self.term == "zero_rows" else stats / state["initial"]
        return ratio.mean(1)
