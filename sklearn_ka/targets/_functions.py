"""The six target-function families of the KA-geometry study, on x in [-1, 1]^n.

The families are those of Freedman and Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in
Shallow MLPs" (arXiv:2509.12326, 2025), defined in the user guide, :ref:`targets`.

==============  ===============================  ===============================================
name            definition                       parameters
==============  ===============================  ===============================================
``xor``         prod_i sin(pi x_i)               none
``linear``      x . c + c0, c_i, c0 ~ U(-1, 1)   ``function_seed`` fixes c, c0
``random``      y ~ U(-1, 1) i.i.d. per example  drawn from the *sample* random stream
``lambda_xor``  prod_i sin(lam pi x_i)           ``lam`` (studied: [0.5, 1.5]); lam=1 is xor
``so_xor``      prod_i sin(pi z_i), z = O x      ``alpha``: seed of the Haar rotation O in SO(n)
``gaussian``    prod_i exp(-x_i^2 / (2 lam^2))   ``lam`` (studied: [0.10, 1.0])
==============  ===============================  ===============================================

Parameters outside the studied ranges are accepted (any finite ``lam > 0``); the ranges are the
ones of the published experiments, not a validity domain.
"""

from __future__ import annotations

import numbers

import numpy as np

from .._utils import Reals, check_int, check_memory, check_param
from ._base import TargetFunction
from ._registry import register_target

__all__ = [
    "XorTarget",
    "LinearTarget",
    "RandomTarget",
    "LambdaXorTarget",
    "SOXorTarget",
    "GaussianTarget",
    "haar_special_orthogonal",
]

#: ``lam`` of ``lambda_xor`` and ``gaussian``: any finite positive number.
_POSITIVE_WIDTH = Reals(0, low_open=True)


def _sin_product(X, scale):
    # ``scale * X`` with scale == np.pi for xor and (lam * np.pi) for lambda-xor: with lam == 1.0
    # both are the same float, so lambda_xor(lam=1) reproduces xor bit for bit.
    return np.prod(np.sin(scale * X), axis=1)


def haar_special_orthogonal(n: int, seed: int) -> np.ndarray:
    """A Haar-random rotation in SO(n), deterministic in ``seed``.

    The rotation of the ``so_xor`` target (see :ref:`target-so-xor`).

    QR decomposition of an n x n standard Gaussian matrix drawn from
    ``numpy.random.default_rng(seed)``, with the sign fix ``Q <- Q diag(sign(diag R))`` (which
    makes Q Haar on O(n)), then the first column negated when ``det Q < 0`` (a measure-preserving
    bijection between the two cosets, so the result is Haar on SO(n)).

    Parameters
    ----------
    n : int
        Dimension (>= 1).
    seed : int
        Seed (>= 0).

    Returns
    -------
    O : ndarray of shape (n, n), float64
        ``O @ O.T == I`` and ``det O == +1``.

    Raises
    ------
    sklearn_ka._utils.MemoryBudgetError
        Before anything is drawn, when the four n x n float64 arrays of the construction exceed
        the memory budget (``SKLEARN_KA_MEMORY_BUDGET``, default 4 GiB).
    """
    n = check_int("n", n, 1, owner="haar_special_orthogonal")
    seed = check_int("seed", seed, 0, owner="haar_special_orthogonal")
    # the Gaussian matrix, Q, R and the QR workspace: about four n x n float64 arrays
    check_memory(4 * n * n * 8, f"a {n} x {n} rotation (float64)", alternatives="a smaller dimension n (n_features).",
                 owner="haar_special_orthogonal")
    G = np.random.default_rng(seed).standard_normal((n, n))
    Q, R = np.linalg.qr(G)
    Q = Q * np.where(np.diag(R) < 0, -1.0, 1.0)
    if np.linalg.det(Q) < 0:
        Q[:, 0] = -Q[:, 0]
    return Q


class XorTarget(TargetFunction):
    """``f(x) = prod_i sin(pi x_i)``: the "hard but learnable" case.

    The ``xor`` target of the KA-geometry study [1]_; see the user guide, :ref:`target-xor`.

    Parameters
    ----------
    n_features : int
        Input dimension.
    function_seed : int, default=0
        Ignored (recorded only).

    References
    ----------
    .. [1] M. Freedman and M. Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in
       Shallow MLPs", arXiv:2509.12326, 2025. https://arxiv.org/abs/2509.12326
    """

    name = "xor"

    def __init__(self, n_features: int, function_seed: int = 0) -> None:
        super().__init__(n_features, function_seed)

    def _evaluate(self, X, rng):
        return _sin_product(X, np.pi)


class LinearTarget(TargetFunction):
    """``f(x) = x @ c + c0`` with ``c_i, c0 ~ U(-1, 1)`` fixed by ``function_seed``: "easy".

    The ``linear`` target of the KA-geometry study [1]_; see the user guide,
    :ref:`target-linear`.  The coefficients are ``rng.uniform(-1, 1, n_features)`` then
    ``rng.uniform(-1, 1)`` with ``rng = numpy.random.default_rng(function_seed)``.

    Parameters
    ----------
    n_features : int
        Input dimension.
    function_seed : int, default=0
        Seed (>= 0) of the coefficients ``c`` and ``c0``.

    Attributes
    ----------
    coef : ndarray of shape (n_features,)
        ``c``.
    intercept : float
        ``c0``.

    References
    ----------
    .. [1] M. Freedman and M. Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in
       Shallow MLPs", arXiv:2509.12326, 2025. https://arxiv.org/abs/2509.12326
    """

    name = "linear"
    uses_function_seed = True

    def __init__(self, n_features: int, function_seed: int = 0) -> None:
        super().__init__(n_features, function_seed)
        check_memory(self.n_features * 8, f"storing the {self.n_features} coefficients of a linear target (float64)",
                     alternatives="fewer n_features.", owner="linear")
        rng = np.random.default_rng(self.function_seed)
        self.coef = rng.uniform(-1.0, 1.0, self.n_features)
        self.intercept = float(rng.uniform(-1.0, 1.0))

    def _evaluate(self, X, rng):
        return X @ self.coef + self.intercept


class RandomTarget(TargetFunction):
    """``y ~ U(-1, 1)`` i.i.d. per example: unlearnable.

    The ``random`` target of the KA-geometry study [1]_; see the user guide,
    :ref:`target-random`.  The values do not depend on ``X``; they are drawn at call time from
    the ``random_state`` passed to the call (in :func:`make_ka_regression`: the sample stream,
    right after ``X``), so a train and a test set drawn with different ``random_state`` have
    independent values.

    Parameters
    ----------
    n_features : int
        Input dimension.
    function_seed : int, default=0
        Ignored (recorded only): the values come from the sample random stream.

    References
    ----------
    .. [1] M. Freedman and M. Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in
       Shallow MLPs", arXiv:2509.12326, 2025. https://arxiv.org/abs/2509.12326
    """

    name = "random"
    stochastic = True

    def __init__(self, n_features: int, function_seed: int = 0) -> None:
        super().__init__(n_features, function_seed)

    def _evaluate(self, X, rng):
        return rng.uniform(-1.0, 1.0, X.shape[0])


class LambdaXorTarget(TargetFunction):
    """``f(x) = prod_i sin(lam pi x_i)``: interpolates complexity; ``lam = 1`` is xor exactly.

    The lambda-xor target of the KA-geometry study [1]_; see the user guide,
    :ref:`target-lambda-xor`.

    Parameters
    ----------
    n_features : int
        Input dimension.
    function_seed : int, default=0
        Ignored (recorded only).
    lam : float
        Any finite ``lam > 0``; the published experiments use ``lam`` in [0.5, 1.5].

    References
    ----------
    .. [1] M. Freedman and M. Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in
       Shallow MLPs", arXiv:2509.12326, 2025. https://arxiv.org/abs/2509.12326
    """

    name = "lambda_xor"

    def __init__(self, n_features: int, function_seed: int = 0, *, lam: float) -> None:
        lam = check_param("lam", lam, _POSITIVE_WIDTH, owner=self.name)
        super().__init__(n_features, function_seed, lam=lam)
        self.lam = lam

    def _evaluate(self, X, rng):
        return _sin_product(X, self.lam * np.pi)


class SOXorTarget(TargetFunction):
    """``f(x) = prod_i sin(pi z_i)``, ``z = O x``: xor in a rotated basis.

    The SO(n)-xor target of the KA-geometry study [1]_; see the user guide,
    :ref:`target-so-xor`.  ``O`` is the Haar-random rotation of SO(n) drawn from seed ``alpha`` by
    :func:`haar_special_orthogonal`.  With row-vector inputs this is ``Z = X @ O.T``.  The
    rotation depends on ``alpha`` only (``function_seed`` is ignored), so the same ``alpha`` gives
    the same function for any sample.

    Parameters
    ----------
    n_features : int
        Input dimension.
    function_seed : int, default=0
        Ignored (recorded only): ``alpha`` is the rotation's seed.
    alpha : int
        Seed (>= 0) of the rotation.

    Attributes
    ----------
    rotation : ndarray of shape (n_features, n_features)
        ``O``.

    References
    ----------
    .. [1] M. Freedman and M. Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in
       Shallow MLPs", arXiv:2509.12326, 2025. https://arxiv.org/abs/2509.12326
    """

    name = "so_xor"

    def __init__(self, n_features: int, function_seed: int = 0, *, alpha: int) -> None:
        if isinstance(alpha, numbers.Real) and not isinstance(alpha, numbers.Integral):
            raise TypeError(f"alpha is the integer seed (>= 0) of the rotation; got {alpha!r}.")
        alpha = check_int("alpha", alpha, 0, owner=self.name)
        super().__init__(n_features, function_seed, alpha=alpha)
        self.alpha = alpha
        self.rotation = haar_special_orthogonal(self.n_features, alpha)

    def _evaluate(self, X, rng):
        return _sin_product(X @ self.rotation.T, np.pi)


class GaussianTarget(TargetFunction):
    """``f(x) = prod_i exp(-x_i^2 / (2 lam^2))``: peaked at the origin for small ``lam``.

    The Gaussian target G(lam) of the KA-geometry study [1]_; see the user guide,
    :ref:`target-gaussian`.

    Parameters
    ----------
    n_features : int
        Input dimension.
    function_seed : int, default=0
        Ignored (recorded only).
    lam : float
        Width; any finite ``lam > 0``; the published experiments use ``lam`` in [0.10, 1.0].

    References
    ----------
    .. [1] M. Freedman and M. Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in
       Shallow MLPs", arXiv:2509.12326, 2025. https://arxiv.org/abs/2509.12326
    """

    name = "gaussian"

    def __init__(self, n_features: int, function_seed: int = 0, *, lam: float) -> None:
        lam = check_param("lam", lam, _POSITIVE_WIDTH, owner=self.name)
        super().__init__(n_features, function_seed, lam=lam)
        self.lam = lam

    def _evaluate(self, X, rng):
        return np.exp(-np.sum(X * X, axis=1) / (2.0 * self.lam * self.lam))


register_target("xor", XorTarget)
register_target("linear", LinearTarget)
register_target("random", RandomTarget)
register_target("lambda_xor", LambdaXorTarget, aliases=("λ_xor", "lam_xor"))
register_target("so_xor", SOXorTarget, aliases=("rotated_xor",))
register_target("gaussian", GaussianTarget, aliases=("g",))
