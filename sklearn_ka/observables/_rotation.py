r"""Random rotation ratio, by sampling or by the exact Haar expectation.

Definition (see the user guide, :ref:`obs-rotation-ratio`).  ``M^(k)(x)`` is the largest
entry of ``J^(k)(x)``; for rotations ``R_1..R_N`` of SO(m) drawn once per analysis,
``m_p^(k)(x)`` is the largest size-k minor of ``R_p J(x)`` and
``r^(k)(x) = M^(k)(x) / ((1/N) sum_p m_p^(k)(x))``.

Two methods compute the denominator:

``"sampled"`` (the definition taken literally).  N Haar rotations of SO(m)
(:func:`haar_rotations`), the same for all examples.  Per column subset ``K`` write
``J[:, K] = Z_K T_K`` (thin QR, ``Z_K`` m x k orthonormal); then ``det (R J)[I, K] = det T_K * det (R Z_K)[I]`` exactly,
so ``m_p = max_K |det T_K| * max_I |det (R_p Z_K)[I]|``.  The inner maximum over the
``C(m, k)`` row subsets of the well-conditioned ``R_p Z_K`` is found by pruning with
Hadamard's inequality; the result is the exact maximum (not an approximation).

``"haar"`` (exact expectation).  Write ``J = U P`` (thin QR, ``U`` m x r orthonormal,
``r = min(m, n)``).  For Haar ``R``, ``R U`` is Haar-distributed on the Stiefel manifold
whatever ``U`` is, so the rotated statistics depend on ``J`` only through ``P``, and by
Cauchy-Binet ``C_k(R J) = C_k(R U) C_k(P)``.

* ``k = r`` (``= n`` when ``m >= n``): ``C_r(R U)`` has a single column, so
  ``max_{I,K} |det (R J)[I, K]| = max_I |det (R U)[I]| * max_K |det P[:, K]|`` and
  ``E_R[...] = c(m, r) * max_K |det P[:, K]|`` with ``c(m, r) = E max_I |det V[I]|`` over
  Haar-Stiefel ``V`` (m x r).  For ``k = n`` this is ``c(m, n) sqrt(det J^T J)``.
  ``c`` is estimated once per ``(m, r)`` by Monte Carlo with a fixed internal seed to a
  relative standard error <= 0.1 % (:func:`haar_max_minor_constant`, cached).
* ``k < r``: no closed form; the expectation is estimated with one fixed set of N Stiefel
  samples ``Q_p`` (m x r), the same for all examples:
  ``m_p = max |C_k(Q_p) C_k(P)|``.  ``C_k(Q_p)`` is computed once; when it has at most 3
  columns its rows are reduced to the vertices of the convex hull of ``{+-rows}``
  (the maximum of ``|x . c|`` over the rows is attained at a hull vertex), which is exact.

Both methods estimate the same quantity; ``"haar"`` is exact for ``k = r`` and cheaper.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import torch
from numpy.typing import ArrayLike

from .._utils import (
    PAPER_PROTOCOL,
    Integers,
    Options,
    as_float64_tensor,
    as_generator,
    check_device,
    check_int,
    check_memory,
    check_sequence,
    like_input,
    validate_params,
)
from ..exterior import combination_indices, compound_chain, compound_chain_qp
from ._haar import _haar_orthonormal, haar_max_minor_constant, haar_rotations
from ._max_minor import _CHUNK_BYTES, _max_abs_minor
from ._rank import _deficient, example_mask, jacobian_scale, rank_tolerance

__all__ = ["RotationReference", "rotation_ratio"]

_CONSTRAINTS = {"method": [Options("haar", "sampled")], "n_rotations": [Integers(1)]}
# a few MB per step of the haar denominator keeps the product in cache (larger steps are slower)
_HAAR_STEP_BYTES = 2 << 20


def _group_by_size(sizes, max_groups=4):
    """Split samples into at most ``max_groups`` groups of similar ``sizes``.

    Returns lists of sample indices (ascending size), minimising the padded total
    ``sum_g len(g) * max size in g`` over cuts between distinct sizes.
    """
    sizes = np.asarray(sizes)
    order = np.argsort(sizes, kind="stable")
    s = sizes[order]
    ends = np.flatnonzero(np.diff(s)) + 1  # possible cuts (where the size changes)
    best, best_cuts = None, ()
    for g in range(min(max_groups, ends.size + 1)):
        for cuts in itertools.combinations(ends.tolist(), g):
            bounds = (0, *cuts, s.size)
            cost = sum((b - a) * s[b - 1] for a, b in zip(bounds[:-1], bounds[1:]))
            if best is None or cost < best:
                best, best_cuts = cost, cuts
    bounds = (0, *best_cuts, s.size)
    return [order[a:b].tolist() for a, b in zip(bounds[:-1], bounds[1:])]


def _hull_rows(X):
    """Indices of rows of X (P, d) that can attain max_I |x_I . c| for some c (exact)."""
    P, d = X.shape
    if d == 1:
        return np.array([int(np.argmax(np.abs(X[:, 0])))])
    if d > 3 or P <= d + 1:
        return np.arange(P)
    try:
        from scipy.spatial import ConvexHull

        hull = ConvexHull(np.vstack([X, -X]))
        return np.unique(hull.vertices % P)
    except Exception:  # degenerate point sets (e.g. flat): keep everything
        return np.arange(P)


@dataclass(frozen=True, eq=False)
class RotationReference:
    """Everything the rotation ratio needs that does not depend on the examples.

    Build once per analysis with :meth:`build`; then :func:`rotation_ratio` is a pure
    function of a chunk of Jacobians and this object, so results do not depend on how
    examples are chunked.  The rotations are drawn once per analysis and shared by all
    examples, as in the study [1]_; see the user guide: :ref:`obs-rotation-ratio`.

    Attributes
    ----------
    m, n : int
        Jacobian shape.
    ks : tuple of int
        Minor sizes prepared.
    method : {"haar", "sampled"}
    n_rotations : int
        N rotations (sampled) or Stiefel samples (haar, used for k < min(m, n)).
    rotations : torch.Tensor or None
        (N, m, m) rotations of SO(m) for ``"sampled"``.
    stiefel : torch.Tensor or None
        (N, m, r) Haar-Stiefel samples for ``"haar"`` (r = min(m, n)).
    support : dict
        ``k ->`` a tuple of groups of samples, each ``(N_g, V_g, C(r, k))``: the rows of
        ``C_k(Q_p)`` kept after the exact convex-hull reduction (``"haar"``, k < r). Samples
        are grouped by their number of hull vertices (padded to ``V_g`` by repeating a
        vertex), so little work is spent on padding; the groups hold the N samples in all.
    constants : dict
        ``k -> (c(m, r), standard error)`` for ``k = r`` (``"haar"``).

    References
    ----------
    .. [1] M. Freedman and M. Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in
       Shallow MLPs", arXiv:2509.12326, 2025. https://arxiv.org/abs/2509.12326
    """

    m: int
    n: int
    ks: tuple
    method: str
    n_rotations: int
    rotations: torch.Tensor | None = None
    stiefel: torch.Tensor | None = None
    support: dict = field(default_factory=dict)
    constants: dict = field(default_factory=dict)

    @property
    def r(self) -> int:
        """``min(m, n)``, the largest minor size."""
        return min(self.m, self.n)

    @staticmethod
    def nbytes(m: int, n: int, ks: Iterable[int], method: str, n_rotations: int) -> int:
        """Estimated peak memory of :meth:`build` and of one example of :func:`rotation_ratio`.

        Integer arithmetic on the shapes, so an impossible request is refused in microseconds.

        Parameters
        ----------
        m, n : int
            Jacobian shape.
        ks : iterable of int
            Minor sizes, each in ``1..min(m, n)``.
        method : {"haar", "sampled"}
        n_rotations : int

        Returns
        -------
        int
            Bytes: ``"sampled"`` holds the ``N`` rotations (``N m^2`` floats, with the Gaussian
            draw and its QR factors) and rotates one example at a time (``N m (n + k + 3)``
            floats); ``"haar"`` holds ``N`` Stiefel samples (``N m r``) and, for each ``k < r``,
            the compound matrices ``C_k`` of the samples and their copies (``2 N C(m, k) C(r, k)``)
            and, where ``C(r, k) > 3`` (no convex-hull reduction of their rows), one example's
            products with them (``N C(m, k) C(n, k)``).
        """
        N, r = int(n_rotations), min(m, n)
        if method == "sampled":
            return 8 * N * max(4 * m * m, m * (n + max(ks) + 3))
        compounds = [2 * math.comb(m, k) * math.comb(r, k)
                     + (math.comb(m, k) * math.comb(n, k) if math.comb(r, k) > 3 else 0) for k in ks if k < r]
        return 8 * N * (3 * m * r + max(compounds, default=0))

    @classmethod
    def check_budget(cls, m: int, n: int, ks: Iterable[int], method: str, n_rotations: int, *,
                     owner: str | None = None) -> int:
        """Refuse, before drawing anything, a reference beyond the package's memory budget.

        The budget is :func:`~sklearn_ka._utils.memory_budget` (the environment variable
        ``SKLEARN_KA_MEMORY_BUDGET``, default 4 GiB); the estimate is :meth:`nbytes`.

        Returns
        -------
        int
            The estimate, in bytes.

        Raises
        ------
        MemoryBudgetError
            With the estimate, the budget and the alternatives.
        """
        return check_memory(
            cls.nbytes(m, n, ks, method, n_rotations),
            f"the rotation ratio's reference of n_rotations={n_rotations} {method!r} rotations for {m}x{n} "
            f"Jacobians", owner=owner,
            alternatives="fewer rotations (n_rotations; the published protocol uses 400), " + (
                "rotation_method='haar' (no rotations stored), " if method == "sampled" else
                "only the minor size k = min(m, n) (computed exactly, nothing stored), ") + "or a larger budget.")

    @classmethod
    def build(
        cls,
        m: int,
        n: int,
        ks: Iterable[int] | None = None,
        method: str = "haar",
        n_rotations: int = PAPER_PROTOCOL.n_rotations,
        random_state: int | np.random.Generator | np.random.RandomState | None = None,
        device: str | torch.device = "cpu",
    ) -> RotationReference:
        """Draw the rotations / Stiefel samples and precompute what does not depend on x.

        Parameters
        ----------
        m, n : int
            Jacobian shape (hidden units, inputs).
        ks : iterable of int, optional
            Minor sizes, each in ``1..min(m, n)``; default all of them.
        method : {"haar", "sampled"}, default "haar"
        n_rotations : int, default 400
            N (>= 1).
        random_state : None, int, numpy Generator or RandomState
        device : str or torch.device, default "cpu"

        Returns
        -------
        RotationReference

        Raises
        ------
        MemoryBudgetError
            Before drawing anything, when the reference would exceed the package's memory
            budget (:meth:`check_budget`).
        """
        owner = "RotationReference.build"
        m = check_int("m", m, 1, owner=owner)
        n = check_int("n", n, 1, owner=owner)
        r = min(m, n)
        if ks is None:
            ks = tuple(range(1, r + 1))
        ks = tuple(sorted(set(check_sequence("ks", ks, Integers(1), allow_empty=True, owner=owner))))
        if not ks or ks[-1] > r:
            raise ValueError(f"minor sizes must lie in 1..min(m, n) = {r}, got {ks}")
        params = validate_params({"method": method, "n_rotations": n_rotations}, _CONSTRAINTS, owner=owner)
        n_rotations = params["n_rotations"]
        device = check_device(device, owner=owner)
        cls.check_budget(m, n, ks, method, n_rotations, owner=owner)
        rng = as_generator(random_state)
        if method == "sampled":
            R = torch.from_numpy(haar_rotations(m, n_rotations, rng)).to(device)
            return cls(m, n, ks, method, n_rotations, rotations=R)
        support, constants = {}, {}
        Q = _haar_orthonormal(n_rotations, m, r, rng)
        for k in ks:
            if k == r:
                c, se, _ = haar_max_minor_constant(m, r)
                constants[k] = (c, se)
                continue
            Ck = compound_chain(Q, k)[-1]  # (N, C(m,k), C(r,k))
            rows = [_hull_rows(Ck[p].numpy()) for p in range(n_rotations)]
            groups = []
            for members in _group_by_size([len(x) for x in rows]):
                V = max(len(rows[p]) for p in members)
                idx = np.stack([np.concatenate([rows[p], np.full(V - len(rows[p]), rows[p][0])]) for p in members])
                groups.append(torch.gather(
                    Ck[members], 1, torch.from_numpy(idx)[:, :, None].expand(-1, -1, Ck.shape[2])
                ).to(device))
            support[k] = tuple(groups)
        return cls(m, n, ks, method, n_rotations, stiefel=Q.to(device), support=support, constants=constants)

    def to(self, device: str | torch.device) -> RotationReference:
        """A copy with all tensors on ``device``."""
        mv = lambda t: None if t is None else t.to(device)  # noqa: E731
        return RotationReference(
            self.m, self.n, self.ks, self.method, self.n_rotations, mv(self.rotations),
            mv(self.stiefel), {k: tuple(g.to(device) for g in v) for k, v in self.support.items()},
            dict(self.constants),
        )


def _sampled_denominator(J, k, R):
    B, m, n = J.shape
    N = R.shape[0]
    RfT = R.reshape(N * m, m).T  # (m, N*m)
    per_example = N * m * max(n, k) * 8 * 3
    step = max(1, _CHUNK_BYTES // per_example)
    out = torch.empty(B, dtype=J.dtype, device=J.device)
    cols = combination_indices(n, k)
    for s in range(0, B, step):
        Jc = J[s : s + step]
        Bc = Jc.shape[0]
        if k == 1:
            # (R_p J)_{ij} for all p: rows (b, j), columns (p, i)
            M = (Jc.transpose(1, 2).reshape(Bc * n, m) @ RfT).reshape(Bc, n, N, m)
            out[s : s + Bc] = M.abs_().amax(dim=-1).amax(dim=1).mean(dim=-1)
            continue
        best = None
        for K in cols:
            Z, T = torch.linalg.qr(Jc[:, :, list(K)])
            dT = torch.diagonal(T, dim1=-2, dim2=-1).prod(dim=-1).abs()  # (Bc,)
            # W[c, (b, p), i] = (R_p Z_b)_{i c}
            W = (Z.transpose(1, 2).reshape(Bc * k, m) @ RfT).reshape(Bc, k, N * m)
            W = W.reshape(Bc, k, N, m).permute(1, 0, 2, 3).reshape(k, Bc * N, m)
            val = _max_abs_minor(W).reshape(Bc, N) * dT[:, None]
            best = val if best is None else torch.maximum(best, val)
        out[s : s + Bc] = best.mean(dim=1)
    return out


def _haar_denominator(J, k, ref):
    B, m, n = J.shape
    r = ref.r
    _, P = torch.linalg.qr(J)  # (B, r, n)
    # canonical sign (positive diagonal): P is then the Cholesky factor of J^T J, so the
    # denominator depends on J only through J^T J (e.g. invariant to permuting units)
    sg = torch.sign(torch.diagonal(P, dim1=-2, dim2=-1))
    P = P * torch.where(sg == 0, torch.ones_like(sg), sg)[..., None]
    if k == r:
        c = ref.constants[k][0]
        if r == n:  # P is square upper triangular: its one r-minor is its diagonal product
            return c * torch.diagonal(P, dim1=-2, dim2=-1).prod(dim=-1).abs()
        Pk = compound_chain_qp(P, r)[-1]  # (B, C(n,r), 1)
        return c * Pk.abs().amax(dim=(1, 2))
    groups = [X.to(J.device) for X in ref.support[k]]  # (N_g, V_g, d): hull vertices of rows of C_k(Q_p)
    N = sum(X.shape[0] for X in groups)
    d = groups[0].shape[2]
    Qn = math.comb(n, k)
    # rows ordered (vertex, sample): the maximum over vertices is then a reduction over the
    # leading axis of a contiguous (V, N_g * Bc * Qn) block, which vectorises across outputs
    Xvs = [(X.shape[1], X.transpose(0, 1).reshape(-1, d).contiguous()) for X in groups]
    step = max(1, _HAAR_STEP_BYTES // (8 * max(Xv.shape[0] for _, Xv in Xvs) * Qn))
    out = torch.empty(B, dtype=J.dtype, device=J.device)
    Pk_all = compound_chain(P, k)[-1]  # (B, d, Qn)
    for s in range(0, B, step):
        Pk = Pk_all[s : s + step]
        Bc = Pk.shape[0]
        U = Pk.permute(1, 0, 2).reshape(d, Bc * Qn)
        total = None
        for V, Xv in Xvs:
            Y = (Xv @ U).reshape(V, -1, Bc, Qn)
            mx = Y.abs_().amax(dim=0).amax(dim=-1).sum(dim=0)  # (Bc,): sum over samples of the maxima
            total = mx if total is None else total.add_(mx)
        out[s : s + Bc] = total / N
    return out


def rotation_ratio(
    J: ArrayLike | torch.Tensor,
    k: int,
    reference: RotationReference,
    *,
    Jk: ArrayLike | torch.Tensor | None = None,
    rank_deficient: ArrayLike | torch.Tensor | None = None,
) -> np.ndarray | torch.Tensor:
    """Per-example random rotation ratio ``r^(k)(x)``.

    ``r^(k)(x) = M^(k)(x) / ((1/N) sum_p m_p^(k)(x))`` with ``M^(k)`` the largest
    size-k minor of ``J(x)`` and the denominator computed by ``reference.method`` (see
    the module docstring for the derivation of both methods).  Scale-free
    (``J -> cJ`` leaves it unchanged); about 1 for i.i.d. Gaussian Jacobians; above 1,
    growing with k, for axis-aligned ones.  Average over examples for ``r_bar^(k)``;
    the normalised ratio is trained / initial.  The definition is that of the study [1]_;
    see the user guide: :ref:`obs-rotation-ratio`.

    Parameters
    ----------
    J : array-like or torch.Tensor, shape (n_samples, m, n)
        Jacobians, finite.
    k : int
        Minor size; must be one of ``reference.ks``.
    reference : RotationReference
        Built once per analysis (:meth:`RotationReference.build`).
    Jk : array-like or torch.Tensor, shape (n_samples, C(m, k), C(n, k)), optional
        Precomputed absolute minors of ``J`` (saves recomputing ``M^(k)``).
    rank_deficient : bool array-like or torch.Tensor of shape (n_samples,), optional
        The examples already known to be numerically rank-deficient at size ``k``
        (:func:`numerical_rank_deficient`); they give NaN silently (the caller reports them).
        By default the rule is applied here, with one RuntimeWarning.

    Returns
    -------
    ndarray or torch.Tensor, float64, shape (n_samples,)
        NaN for the examples whose Jacobian is numerically rank-deficient at size ``k`` (every
        size-k minor at round-off level, :func:`numerical_rank_deficient`: the ratio of two
        round-off quantities is undefined), with a RuntimeWarning that counts them unless
        ``rank_deficient`` is given; never an error.

    References
    ----------
    .. [1] M. Freedman and M. Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in
       Shallow MLPs", arXiv:2509.12326, 2025. https://arxiv.org/abs/2509.12326
    """
    if not isinstance(reference, RotationReference):
        raise TypeError(
            f"reference must be a RotationReference (see RotationReference.build), got "
            f"{type(reference).__name__}"
        )
    Jt, was_numpy = as_float64_tensor(J, "J", 3)
    B, m, n = Jt.shape
    if (m, n) != (reference.m, reference.n):
        raise ValueError(
            f"J has shape (m, n) = ({m}, {n}) but the reference was built for "
            f"({reference.m}, {reference.n})"
        )
    k = check_int("k", k, owner="rotation_ratio")
    if k not in reference.ks:
        raise ValueError(f"k={k} was not prepared in the reference (ks={reference.ks})")
    if Jk is not None:
        Jkt, _ = as_float64_tensor(Jk, "Jk", 3, device=Jt.device)
        if Jkt.shape != (B, math.comb(m, k), math.comb(n, k)):
            raise ValueError(
                f"Jk must have shape {(B, math.comb(m, k), math.comb(n, k))}, got {tuple(Jkt.shape)}"
            )
        # max |.| by two reductions: no temporary the size of Jk
        M = torch.maximum(Jkt.amax(dim=(1, 2)), Jkt.amin(dim=(1, 2)).neg_())
    else:
        M = torch.empty(B, dtype=torch.float64, device=Jt.device)
        per = max(1, 4 * 8 * math.comb(m, k) * math.comb(n, k))
        check_memory(per, f"the size-{k} minors of one {m}x{n} Jacobian", owner="rotation_ratio",
                     alternatives="a smaller minor size k.")
        step = max(1, (256 << 20) // per)
        for s in range(0, B, step):
            M[s : s + step] = compound_chain_qp(Jt[s : s + step], k)[-1].abs().amax(dim=(1, 2))
    undefined = example_mask(rank_deficient, B, Jt.device)
    if undefined is None:
        undefined = _deficient(M, jacobian_scale(Jt), k)
        if bool(undefined.any()):
            warnings.warn(
                f"{int(undefined.sum())} of {B} example(s) have a Jacobian of numerical rank < {k} (every size-{k} "
                f"minor at round-off level, below {rank_tolerance(k):.2g} * ||J(x)||_F^{k}); their rotation ratio "
                "is undefined and NaN",
                RuntimeWarning,
                stacklevel=2,
            )
    if reference.method == "sampled":
        den = _sampled_denominator(Jt, k, reference.rotations.to(Jt.device))
    else:
        den = _haar_denominator(Jt, k, reference)
    zero = (den == 0) & ~undefined
    if bool(zero.any()):  # pragma: no cover - an exactly zero denominator implies round-off minors
        warnings.warn(
            f"{int(zero.sum())} example(s) have no non-zero size-{k} minor (rank < {k}); "
            "their rotation ratio is NaN",
            RuntimeWarning,
            stacklevel=2,
        )
    nan = zero | undefined
    ratio = torch.where(nan, torch.full_like(M, float("nan")), M / torch.where(den == 0, torch.ones_like(den), den))
    return like_input(ratio, was_numpy)
