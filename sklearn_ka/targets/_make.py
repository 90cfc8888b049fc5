"""``make_ka_regression``: draw a sample ``x ~ U[-1, 1]^n`` and evaluate a target on it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .._utils import check_int, check_memory
from ._base import CallableTarget, TargetFunction, check_sample_random_state
from ._registry import make_target

__all__ = ["make_ka_regression"]

#: Float64 arrays of shape (n_samples, n_features + 1) alive while a sample is drawn and evaluated:
#: the inputs and targets returned, and the target's working copies (e.g. ``sin(pi X)`` or ``X @ O.T``).
_SAMPLE_COPIES = 2


def make_ka_regression(
    function: str | TargetFunction | Callable[[np.ndarray], ArrayLike],
    n_samples: int,
    n_features: int | None = None,
    *,
    random_state: int | np.random.RandomState | np.random.Generator | None = None,
    function_seed: int | None = None,
    **function_params: Any,
) -> tuple[np.ndarray, np.ndarray]:
    """Draw a regression data set ``(X, y)`` for a target function of the KA-geometry study.

    The inputs are uniform on ``[-1, 1]^n`` and the target families are those of the study
    [1]_; see the user guide, :ref:`targets`, for their definitions.

    The *function* and the *sample* are separate: ``function_seed`` (with the family
    parameters) fixes the function, ``random_state`` fixes the sample.  A train and a test set of
    the same function therefore share ``function_seed`` and differ in ``random_state``::

        X, y = make_ka_regression("linear", 1000, random_state=0)    # function_seed=0
        Xt, yt = make_ka_regression("linear", 1000, random_state=1)  # same c, c0; new x

    Parameters
    ----------
    function : str, TargetFunction or callable
        A registered name (``"xor"``, ``"linear"``, ``"random"``, ``"lambda_xor"``,
        ``"so_xor"``, ``"gaussian"`` or a user registration, see
        :func:`~sklearn_ka.targets.list_targets`), a :class:`TargetFunction` (e.g. from
        :func:`~sklearn_ka.targets.make_target`), or a plain callable ``X -> y`` (wrapped in a
        :class:`CallableTarget`).
    n_samples : int
        Number of examples (>= 2).
    n_features : int, default=None
        Input dimension ``n`` (>= 1).  ``None`` means 3 for a name or a plain callable, and the
        function's own ``n_features`` for a :class:`TargetFunction` (passing a different value
        is an error).
    random_state : None, int, numpy.random.RandomState or numpy.random.Generator, default=None
        The sample stream.  ``X = rng.uniform(-1, 1, (n_samples, n_features))`` with ``rng``
        from :func:`~sklearn_ka.targets.check_sample_random_state` (an int seeds
        ``numpy.random.RandomState``, as in scikit-learn; a ``Generator`` is used as is).  The
        ``random`` target then draws its values from the same stream, right after ``X``.
    function_seed : int, default=None
        Seed (>= 0) of the function's random ingredients (``linear``'s coefficients); ``None``
        means 0.  Only with a name: a :class:`TargetFunction` is already fixed.
    **function_params
        Family parameters, e.g. ``lam=0.8`` (``lambda_xor``, ``gaussian``) or ``alpha=3``
        (``so_xor``).  Only with a name.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features), float64
        Inputs, uniform on ``[-1, 1]^n``.
    y : ndarray of shape (n_samples,), float64
        Targets ``f(X)``.

    Raises
    ------
    ValueError
        Unknown name, ``n_samples < 2``, ``n_features < 1``, bad parameter values, or
        ``n_features`` that contradicts a given :class:`TargetFunction`.
    sklearn_ka._utils.MemoryBudgetError
        Before anything is drawn, when the sample (about ``2 * n_samples * (n_features + 1) * 8``
        bytes with its working copies) exceeds the memory budget (``SKLEARN_KA_MEMORY_BUDGET``,
        default 4 GiB); a ``ValueError``.
    TypeError
        Unknown or missing family parameters, wrong types, or parameters given together with a
        :class:`TargetFunction`.

    References
    ----------
    .. [1] M. Freedman and M. Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in
       Shallow MLPs", arXiv:2509.12326, 2025. https://arxiv.org/abs/2509.12326

    Examples
    --------
    >>> from sklearn_ka.targets import make_ka_regression
    >>> X, y = make_ka_regression("lambda_xor", n_samples=100, lam=0.8, random_state=0)
    >>> X.shape, y.shape
    ((100, 3), (100,))
    """
    n_samples = check_int("n_samples", n_samples, 2, owner="make_ka_regression")
    target = _as_target(function, n_features, function_seed, function_params)
    check_memory(_SAMPLE_COPIES * n_samples * (target.n_features + 1) * 8,
                 f"drawing {n_samples} samples of {target.n_features} features (float64)",
                 alternatives="fewer samples (n_samples) or features, or a larger memory budget.",
                 owner="make_ka_regression")
    rng = check_sample_random_state(random_state)
    X = rng.uniform(-1.0, 1.0, (n_samples, target.n_features))
    y = target(X, random_state=rng)
    return X, y


def _as_target(function, n_features, function_seed, function_params):
    """The :class:`TargetFunction` that ``function`` (a name, a target or a callable) designates."""
    if isinstance(function, TargetFunction):
        if function_params or function_seed is not None:
            raise TypeError(
                f"{function!r} is already a fixed function; function_seed and family "
                f"parameters ({sorted(function_params)}) are accepted only with a target name.")
        if n_features is not None and n_features != function.n_features:
            raise ValueError(f"n_features={n_features!r} contradicts {function!r}, which has "
                             f"n_features={function.n_features}; omit n_features.")
        return function
    if isinstance(function, str):
        return make_target(function, 3 if n_features is None else n_features,
                           function_seed=0 if function_seed is None else function_seed,
                           **function_params)
    if callable(function) and not isinstance(function, type):
        if function_params:
            raise TypeError("Family parameters are accepted only with a target name; got "
                            f"{sorted(function_params)} with a callable.")
        return CallableTarget(function, 3 if n_features is None else n_features,
                              function_seed=0 if function_seed is None else function_seed)
    raise TypeError("function must be a registered target name (str), a TargetFunction or "
                    f"a callable X -> y; got {type(function).__name__}.")
