"""ka_scorer: a KA observable as a scikit-learn scorer (GridSearchCV, cross_validate)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from sklearn.base import clone

from .._utils import (
    OBSERVABLES,
    InstanceOf,
    InvalidParameterError,
    check_param,
    closest_keys,
    observable_key,
    parse_observable_key,
)
from ._analyzer import KAGeometryAnalyzer
from ._baseline import resolve_baseline
from ._parameters import OBSERVABLE_GROUPS
from ._result import KA_DIRECTION

__all__ = ["ka_scorer"]

#: The observables :meth:`KAGeometryAnalyzer.score` reports (the others are the sampled analyzer's).
_SCORED = ("zero_rows", "consistent_zero_rows", "dependent_zero_rows", "pr", "pr_initial", "pr_max", "pr_normalized",
           "rotation_ratio", "rotation_ratio_initial", "rotation_ratio_normalized", "column_entropy",
           "column_entropy_initial", "column_kl")

#: Why an observable has no KA-like direction (so ``greater_is_better`` must be given).
_NO_DIRECTION = {
    "consistent_zero_rows": "consistently zero rows are dead units, not KA texture",
    "pr_initial": "it describes the initial model only",
    "pr_max": "it is a bound fixed by the shapes",
    "rotation_ratio_initial": "it describes the initial model only",
    "column_entropy_initial": "it describes the initial model only",
    "column_kl": "the divergence measures any change since initialisation, KA-like or not",
}


def _initial(estimator):
    """The same fitted estimator (or Pipeline ending in one) at its initialisation."""
    try:
        return resolve_baseline(estimator, "initial", owner="ka_scorer")
    except InvalidParameterError as exc:
        raise TypeError(f"ka_scorer compares a model with its own initialisation and needs an estimator that "
                        f"remembers it (initial_model(): ShallowMLPRegressor, or a Pipeline ending in one; or a "
                        f"scikit-learn MLP fitted with an integer random_state). {exc}") from None


class _KAScorer:
    """Callable ``scorer(estimator, X, y=None) -> float``; picklable for joblib workers."""

    def __init__(self, key, analyzer_params, greater_is_better=True):
        self.key = key
        self.analyzer_params = analyzer_params
        self.greater_is_better = greater_is_better
        self._sign = 1 if greater_is_better else -1

    def __call__(self, estimator, X, y=None):
        analyzer = KAGeometryAnalyzer(**self.analyzer_params).fit(_initial(estimator), X)
        scores = analyzer.score(estimator, X)
        if self.key not in scores:
            raise KeyError(f"Unknown observable {self.key!r}; available: {sorted(scores)}.")
        return self._sign * scores[self.key]

    def __repr__(self):
        params = "".join(f", {k}={v!r}" for k, v in self.analyzer_params.items())
        return f"ka_scorer({self.key!r}, greater_is_better={self.greater_is_better!r}{params})"


def _possible_keys(analyzer):
    """Every key the analyzer's score can report with these parameters (before the data are known)."""
    params = analyzer._check_params()
    groups = params["observables"]
    names = [name for group in groups for name in OBSERVABLE_GROUPS[group] if name in _SCORED]
    keys = []
    for k in params["minor_sizes"]:
        for name in names:
            if OBSERVABLES[name]:
                if name != "dependent_zero_rows" or k >= 2:
                    keys += [observable_key(name, k, q) for q in params["false_positive_rates"]]
            else:
                keys.append(observable_key(name, k))
    return keys


def _check_key(key, analyzer):
    """The key in the analyzer's spelling, or a ValueError saying why it cannot be scored (closest keys named)."""
    try:
        parsed = parse_observable_key(key)
    except ValueError as exc:
        hint = closest_keys(key, _possible_keys(analyzer))
        more = f" The closest keys this analyzer reports: {', '.join(repr(h) for h in hint)}." if hint else ""
        raise ValueError(f"ka_scorer: {exc}{more}") from None
    possible = _possible_keys(analyzer)
    if str(parsed) in possible:
        return str(parsed)
    if parsed.name not in _SCORED:
        why = f"{key!r} is not reported by KAGeometryAnalyzer.score; its observables are {', '.join(_SCORED)}."
    elif parsed.name == "dependent_zero_rows" and parsed.k < 2:
        why = f"{key!r}: dependent zero rows exist for minor sizes k >= 2 only."
    elif parsed.k not in analyzer._check_params()["minor_sizes"]:
        why = f"{key!r}: the analyzer's minor_sizes are {analyzer.minor_sizes!r}; pass minor_sizes with {parsed.k}."
    elif parsed.q is not None:
        rates = analyzer._check_params()["false_positive_rates"]
        keys = {observable_key(parsed.name, parsed.k, q) for q in rates}
        why = (f"{key!r}: the analyzer's false_positive_rates are {rates}; use one of {', '.join(sorted(keys))} or "
               "pass false_positive_rates.")
    else:
        why = f"{key!r}: the analyzer's observables={analyzer.observables!r} do not include it."
    hint = closest_keys(key, possible)
    more = f" The closest keys this analyzer reports: {', '.join(repr(h) for h in hint)}." if hint else ""
    raise ValueError(f"ka_scorer: {why}{more}")


def ka_scorer(key: str, *, greater_is_better: bool | None = None, **analyzer_params: Any) -> Callable[..., float]:
    """A scikit-learn scorer returning one KA observable of a fitted model on the scoring data.

    The scorer fits a :class:`KAGeometryAnalyzer` (with ``analyzer_params``) on the estimator's
    own initial model and the scoring ``X``, and returns ``analyzer.score(estimator, X)[key]``,
    negated when ``greater_is_better`` is False (as :func:`sklearn.metrics.make_scorer` does), so
    that a larger score is always better in ``GridSearchCV``. It is a plain callable
    ``(estimator, X, y)``, so it works in ``GridSearchCV``, ``cross_validate`` and
    ``permutation_test_score``, with ``n_jobs > 1``. See the user guide: :ref:`observables` and
    :ref:`own-network`.

    By default the better direction is the one in which the observable grows more KA-like, as
    in the study [1]_ (from the definitions of the user guide):

    ==============================================  ===================  ==========================
    observable                                      more KA-like         ``greater_is_better``
    ==============================================  ===================  ==========================
    ``zero_rows``, ``dependent_zero_rows``          more zero rows       True
    ``pr``, ``pr_normalized``                       smaller (concentr.)  False (score = -value)
    ``rotation_ratio``, ``_normalized``             larger               True
    ``column_entropy``                              lower (a few rows    False (score = -value)
                                                    dominate a column)
    ``consistent_zero_rows``, ``column_kl``,        no direction         must be given
    ``*_initial``, ``pr_max``
    ==============================================  ===================  ==========================

    Consistently zero rows are dead units, not KA texture; the column divergence measures any
    change since initialisation; the ``*_initial`` values and ``pr_max`` do not describe the
    trained model. For these the scorer refuses to guess.

    Parameters
    ----------
    key : str
        One of the keys of :meth:`KAGeometryAnalyzer.score`, e.g. ``"pr_normalized_k3"`` (see
        :func:`~sklearn_ka.observables.observable_key`).
    greater_is_better : bool or None, default=None
        Whether a larger value is better. ``None``: the KA-like direction of the table above
        (an error for the observables without one).
    **analyzer_params
        Parameters of :class:`KAGeometryAnalyzer`.

    Returns
    -------
    callable
        ``scorer(estimator, X, y=None) -> float``, with attributes ``key`` and
        ``greater_is_better``.

    Raises
    ------
    ValueError
        When ``key`` is not an observable key, names an observable the analyzer does not report
        (another minor size, rate, or observables not computed), each message naming the closest
        keys it does report (checked here, not inside a search); when ``greater_is_better`` is
        None for an observable without a KA-like direction.
    TypeError
        An unknown analyzer parameter, a key that is not a string.
    InvalidParameterError
        An invalid analyzer parameter or ``greater_is_better`` (checked here, not inside a search).

    References
    ----------
    .. [1] M. Freedman and M. Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in
       Shallow MLPs", arXiv:2509.12326, 2025. https://arxiv.org/abs/2509.12326
    """
    if not isinstance(key, str):
        raise TypeError(f"key must be a string naming an observable, got {key!r}.")
    # reject unknown parameters, invalid values and keys now, not inside a search
    known = KAGeometryAnalyzer().get_params(deep=False)
    unknown = sorted(set(analyzer_params) - set(known))
    if unknown:
        raise TypeError(f"ka_scorer: unknown KAGeometryAnalyzer parameter(s) {unknown}; its parameters are "
                        f"{', '.join(sorted(known))}.")
    greater_is_better = check_param("greater_is_better", greater_is_better,
                                    [None, InstanceOf((bool, np.bool_), "a bool")], owner="ka_scorer")
    analyzer = clone(KAGeometryAnalyzer(**analyzer_params))
    analyzer._check_params()
    key = _check_key(key, analyzer)
    name = parse_observable_key(key).name
    if greater_is_better is None:
        if name not in KA_DIRECTION:
            raise ValueError(f"ka_scorer: {key!r} has no KA-like direction ({_NO_DIRECTION.get(name, 'see the table')})"
                             "; pass greater_is_better=True or False.")
        greater_is_better = KA_DIRECTION[name] > 0
    return _KAScorer(key, dict(analyzer_params), bool(greater_is_better))
