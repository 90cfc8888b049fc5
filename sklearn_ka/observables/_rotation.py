r"""Random rotation ratio, by sampling or by the exact Haar expectation.

Definition (see the user guide, :ref:`obs-rotation-ratio`).  ``M^(k)(x)`` is the largest
entry of ``J^(k)(x)``; for Haar rotations ``R_1..R_N`` of SO(m), ``m_p^(k)(x)`` is the largest
size-k minor of ``R_p J(x)`` and ``r^(k)(x) = M^(k)(x) / ((1/N) sum_p m_p^(k)(x))``: the
denominator is an N-sample estimate of ``E_R max |k-minor of R J(x)|``.

Two methods compute the denominator:

``"sampled"`` (the definition taken literally).  N Haar rotations of SO(m)
(:func:`haar_rotations`), the same for all examples.  Per column subset ``K`` write
``J[:, K] = Z_K T_K`` (thin QR, ``Z_K`` m x k orthonormal); then ``det (R J)[I, K] = det T_K * det (R Z_K)[I]`` exactly,
so ``m_p = max_K |det T_K| * max_I |det (R_p Z_K)[I]|``.  The inner maximum over the
``C(m, k)`` row subsets of the well-conditioned ``R_p Z_K`` is found by pruning with
Hadamard's inequality; the result is the exact maximum (not an approximation).

``"haar"`` (exact expectation where it factorises).  Write ``J = U P`` (thin QR, ``U`` m x r
orthonormal, ``r = min(m, n)``).  For Haar ``R``, ``R U`` is Haar-distributed on the Stiefel
manifold whatever ``U`` is, so the rotated statistics depend on ``J`` only through ``P``: the
minors of ``R J`` are those of ``V P`` with ``V`` a Haar-Stiefel ``m x r`` frame.

* ``k = r`` (``= n`` when ``m >= n``): by Cauchy-Binet the maximum factorises,
  ``max_{I,K} |det (V P)[I, K]| = max_I |det V[I]| * max_K |det P[:, K]|``, so
  ``E[...] = c(m, r) * max_K |det P[:, K]|`` with ``c(m, r) = E max_I |det V[I]|``
  (:func:`haar_max_minor_constant`: exact for ``r = 1, m - 1, m``, else a shipped or cached
  Monte Carlo value with a standard error <= 0.1 %).  For ``k = n`` this is
  ``c(m, n) sqrt(det J^T J)``: no per-example Monte Carlo error at all.
* ``k < r``: no closed form; the expectation is estimated with N frames per example,
  ``V_p(x) = O(x) Q_p``: ``Q_1..Q_N`` Haar-Stiefel samples drawn once per analysis and ``O(x)``
  a Haar rotation of O(m) drawn for the example alone (seeded by the reference's
  ``example_seed`` and the example's index, so it does not depend on chunking, workers or
  device).  Each ``V_p(x)`` is exactly Haar-distributed, as in the sampled method; because
  ``O(x)`` is independent across examples, the frames' Monte Carlo errors are independent across
  examples given the ``Q_p`` and average out in the mean over examples, where one frame set
  shared by all examples (the method before per-example rotations) let them add up. The
  trained and the initial model see the same ``O(x)`` at the same example, so their errors
  partly cancel in the normalised ratio. The largest minor of each ``V_p(x) P`` is exact
  (:mod:`._frame_minors`: pruned with Hadamard bounds on the columns and rows; the work grows
  like ``m C(n, k)`` per frame for the few column subsets the bounds leave, not like
  ``C(m, k) C(min(m, n), k) C(n, k)``).

Both methods estimate the same quantity; ``"haar"`` is exact for ``k = r``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import torch
from numpy.typing import ArrayLike

from .._utils import (
    PAPER_PROTOCOL,
    SEED_HIGH,
    Integers,
    InvalidParameterError,
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
from ..exterior import combination_indices, compound_chain_qp
from ._frame_minors import ColumnFrames, max_frame_minors, normalized_columns
from ._haar import _haar_orthonormal, example_rotations, haar_max_minor_constant, haar_rotations
from ._max_minor import _CHUNK_BYTES, _max_abs_minor
from ._rank import _deficient, example_mask, jacobian_scale, rank_tolerance

__all__ = ["RotationReference", "rotation_ratio"]

_CONSTRAINTS = {"method": [Options("haar", "sampled")], "n_rotations": [Integers(1)]}
# working memory of one step of the haar denominator for k < min(m, n): the frames of a group of
# examples (their O(x) Q_p, and V P in normalised coordinates). With at most 4 column subsets the
# search is a handful of passes over all frames at once and per-call costs dominate: larger steps
# (measured: 64 MB, one call per analyzer block, 1.5-2x faster than 8 MB); with many subsets the
# pruning's arrays are the larger part and smaller steps are faster.
_FRAME_STEP_BYTES = 8 << 20
_FEW_SUBSETS_STEP_BYTES = 64 << 20
# the frames of the last examples asked for are kept up to this size (RotationReference._frames)
_FRAMES_CACHE_BYTES = 32 << 20


@dataclass(frozen=True, eq=False)
class RotationReference:
    """Everything the rotation ratio needs that does not depend on the examples.

    Build once per analysis with :meth:`build`; then :func:`rotation_ratio` is a pure
    function of a chunk of Jacobians, the examples' indices and this object, so results do not
    depend on how examples are chunked.  The rotations (``"sampled"``) are drawn once per
    analysis and shared by all examples, as in the study [1]_; for ``k < min(m, n)`` the
    ``"haar"`` frames of example ``x`` are ``O(x) Q_p``, the ``Q_p`` drawn once and a rotation
    ``O(x)`` of its own per example (see :func:`rotation_ratio` and the user guide:
    :ref:`obs-rotation-ratio`).

    Attributes
    ----------
    m, n : int
        Jacobian shape.
    ks : tuple of int
        Minor sizes prepared.
    method : {"haar", "sampled"}
    n_rotations : int
        N: rotations (``"sampled"``), or frames per example (``"haar"``, k < min(m, n)).
    rotations : torch.Tensor or None
        (N, m, m) rotations of SO(m) for ``"sampled"``.
    stiefel : torch.Tensor or None
        (N, m, r) Haar-Stiefel samples ``Q_p`` for ``"haar"`` (r = min(m, n)).
    constants : dict
        ``k -> (c(m, r), standard error)`` for ``k = r`` (``"haar"``).
    example_seed : int or None
        Seed of the per-example rotations ``O(x)`` of ``"haar"`` (drawn from ``random_state``
        after the ``Q_p``): example ``i`` uses ``numpy.random.default_rng([example_seed, i])``.

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
    constants: dict = field(default_factory=dict)
    example_seed: int | None = None

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
            floats); ``"haar"`` holds ``N`` Stiefel samples (``N m r``, with the draw and its QR
            factors) and, for ``k < r``, works on groups of examples of at most 8 MB (64 MB with
            at most four column subsets; one example's ``N`` frames, about ``N m (r + 2 n)``
            floats, if that is more) plus the column
            factors of a group (``C(n, k) (k^2 + 2)`` floats per example), the pruning's
            arrays (a few times ``2^18`` floats) and the frames kept for the next call (32 MB).
        """
        N, r = int(n_rotations), min(m, n)
        if method == "sampled":
            return 8 * N * max(4 * m * m, m * (n + max(ks) + 3))
        frames = [_frame_step(m, n, k, N)[1] + _FRAMES_CACHE_BYTES for k in ks if k < r]
        return 8 * 3 * N * m * r + max(frames, default=0)

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
        Q = _haar_orthonormal(n_rotations, m, r, rng)
        example_seed = int(rng.integers(0, SEED_HIGH) if isinstance(rng, np.random.Generator)
                           else rng.randint(0, SEED_HIGH))
        constants = {}
        if r in ks:
            c, se, _ = haar_max_minor_constant(m, r)
            constants[r] = (c, se)
        return cls(m, n, ks, method, n_rotations, stiefel=Q.to(device), constants=constants,
                   example_seed=example_seed)

    def _frames(self, index: np.ndarray, device: torch.device) -> torch.Tensor:
        """The frames ``O(x) Q_p`` of the examples ``index`` (``"haar"``), (E, r, N m) on ``device``.

        ``(r N, m) @ (m, m)`` per example. The latest results are kept (up to 32 MB in all): the
        analyzers ask for the same examples at every minor size and for both models.
        """
        key = (str(device), index.tobytes())
        cache = self.__dict__.setdefault("_frames_cache", {})
        if key in cache:
            return cache[key]
        r, N, m = self.r, self.n_rotations, self.m
        O = example_rotations(self.example_seed, index, m).to(device)
        Qt = self.stiefel.to(device).permute(2, 0, 1).reshape(r * N, m)
        frames = torch.matmul(Qt, O.transpose(1, 2)).view(len(index), r, N * m)
        size = frames.numel() * 8
        while cache and size + sum(f.numel() * 8 for f in cache.values()) > _FRAMES_CACHE_BYTES:
            cache.pop(next(iter(cache)))  # the oldest
        if size <= _FRAMES_CACHE_BYTES:
            cache[key] = frames
        return frames

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state.pop("_frames_cache", None)  # a cache: not worth sending to workers
        return state

    def to(self, device: str | torch.device) -> RotationReference:
        """A copy with all tensors on ``device``."""
        mv = lambda t: None if t is None else t.to(device)  # noqa: E731
        return RotationReference(self.m, self.n, self.ks, self.method, self.n_rotations, mv(self.rotations),
                                 mv(self.stiefel), dict(self.constants), self.example_seed)


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


def _frame_step(m, n, k, N):
    """(examples per step of the frames' search, bytes of one step) for ``k < min(m, n)``."""
    r, nK = min(m, n), math.comb(n, k)
    # the frames O(x) Q_p, V P and its squares (or, with few subsets, their columns of every subset)
    per_example = 8 * N * m * (r + 2 * n + k * min(nK, 4))
    factors = 8 * nK * (k * k + 2)  # the column factors (ColumnFrames) of one example
    step = max(1, (_FEW_SUBSETS_STEP_BYTES if nK <= 4 else _FRAME_STEP_BYTES) // (per_example + factors))
    # and the pruning: a step of (frame, subset) bounds with their indices, and one of Hadamard bounds
    return step, step * (per_example + factors) + 8 * 10 * (1 << 18) + 8 * 6 * (1 << 13) * m


def _canonical_r(J):
    """The R factor of J with a positive diagonal: the Cholesky factor of J^T J, (B, min(m, n), n)."""
    _, P = torch.linalg.qr(J)
    sg = torch.sign(torch.diagonal(P, dim1=-2, dim2=-1))
    return P * torch.where(sg == 0, torch.ones_like(sg), sg)[..., None]


def _haar_denominator(J, k, ref, index):
    B, m, n = J.shape
    r = ref.r
    # the denominator depends on J only through J^T J (e.g. invariant to permuting units)
    P = _canonical_r(J)  # (B, r, n)
    if k == r:
        c = ref.constants[k][0]
        if r == n:  # P is square upper triangular: its one r-minor is its diagonal product
            return c * torch.diagonal(P, dim1=-2, dim2=-1).prod(dim=-1).abs()
        Pk = compound_chain_qp(P, r)[-1]  # (B, C(n,r), 1)
        return c * Pk.abs().amax(dim=(1, 2))
    N = ref.n_rotations
    Pn, norm = normalized_columns(P)
    step = _frame_step(m, n, k, N)[0]
    out = torch.empty(B, dtype=J.dtype, device=J.device)
    for s in range(0, B, step):
        e = min(s + step, B)
        Vt = ref._frames(index[s:e], J.device)  # (E, r, N m)
        if k == 1:  # the largest entry of V P (unnormalised columns)
            x = torch.matmul(P[s:e].transpose(1, 2), Vt)  # (E, n, N m)
            out[s:e] = x.abs_().view(e - s, n, N, m).amax(dim=(1, 3)).mean(dim=1)
            continue
        x = torch.matmul(Pn[s:e].transpose(1, 2), Vt).view(e - s, n, N, m)
        out[s:e] = max_frame_minors(x, ColumnFrames.of(Pn[s:e], norm[s:e], k)).mean(dim=1)
    return out


def _example_index(example_index, B):
    """The global indices of the B examples (see :func:`rotation_ratio`), an int64 array."""
    if example_index is None:
        return np.arange(B)
    if isinstance(example_index, (int, np.integer)) and not isinstance(example_index, bool):
        start = check_int("example_index", example_index, 0, owner="rotation_ratio")
        return np.arange(start, start + B)
    idx = np.asarray(example_index)
    if idx.shape != (B,) or (idx.size and (idx.dtype.kind not in "iu" or idx.min() < 0)):
        shown = f"an array of shape {idx.shape} and dtype {idx.dtype}" if idx.ndim else repr(example_index)
        raise InvalidParameterError(
            f"rotation_ratio: example_index must be None, a non-negative int (the index of the first example) or "
            f"{B} non-negative integers (one per example); got {shown}.")
    return idx.astype(np.int64)


def rotation_ratio(
    J: ArrayLike | torch.Tensor,
    k: int,
    reference: RotationReference,
    *,
    Jk: ArrayLike | torch.Tensor | None = None,
    rank_deficient: ArrayLike | torch.Tensor | None = None,
    example_index: int | ArrayLike | None = None,
) -> np.ndarray | torch.Tensor:
    """Per-example random rotation ratio ``r^(k)(x)``.

    ``r^(k)(x) = M^(k)(x) / ((1/N) sum_p m_p^(k)(x))`` with ``M^(k)`` the largest
    size-k minor of ``J(x)`` and the denominator computed by ``reference.method``:
    ``"sampled"`` rotates ``J(x)`` by the N rotations shared by all examples; ``"haar"`` is exact
    for ``k = min(m, n)`` (``c(m, r) max_K |det P[:, K]|``, :func:`haar_max_minor_constant`) and,
    for ``k < min(m, n)``, averages the exact largest minor of ``V P`` over N Haar frames
    ``V = O(x) Q_p`` of the example's own (``J = U P``, thin QR), so that the Monte Carlo errors of
    different examples are independent.  Scale-free
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
    example_index : int or array-like of int, optional
        The examples' indices in the whole data set: an int (the index of the first example, the
        others following it) or one non-negative integer per example; default ``0..n_samples-1``.
        ``"haar"`` with ``k < min(m, n)`` draws one rotation per example from
        ``reference.example_seed`` and this index, so that each example's Monte Carlo error is
        its own; pass the index when calling chunk by chunk, so that the values do not depend on
        the chunks. Ignored otherwise.

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
    index = _example_index(example_index, B)
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
        den = _haar_denominator(Jt, k, reference, index)
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
