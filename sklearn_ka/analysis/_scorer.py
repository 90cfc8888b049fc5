"""ka_scorer: a KA observable as a scikit-learn scorer (GridSearchCV, cross_validate)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sklearn.base import clone
from sklearn.pipeline import Pipeline

from .._utils import check_param, observable_key, parse_observable_key
from ._analyzer import KAGeometryAnalyzer
from ._parameters import SHARED_CONSTRAINTS

__all__ = ["ka_scorer"]

#: The observables :meth:`KAGeometryAnalyzer.score` reports (the others are the sampled analyzer's).
_SCORED = ("zero_rows", "consistent_zero_rows", "dependent_zero_rows", "pr", "pr_initial", "pr_max", "pr_normalized",
           "rotation_ratio", "rotation_ratio_initial", "rotation_ratio_normalized", "column_entropy",
           "column_entropy_initial", "column_kl")


def _initial(estimator):
    """The same fitted estimator (or Pipeline ending in one) at its initialisation."""
    if isinstance(estimator, Pipeline):
        name, last = estimator.steps[-1]
        return Pipeline(estimator.steps[:-1] + [(name, _initial(last))])
    if not hasattr(estimator, "initial_model"):
        raise TypeError(
            f"ka_scorer compares a model with its own initialisation and needs an estimator with "
            f"initial_model() (ShallowMLPRegressor, or a Pipeline ending in one); got {type(estimator).__name__}."
        )
    return estimator.initial_model()


class _KAScorer:
    """Callable ``scorer(estimator, X, y=None) -> float``; picklable for joblib workers."""

    def __init__(self, key, analyzer_params):
        self.key = key
        self.analyzer_params = analyzer_params

    def __call__(self, estimator, X, y=None):
        analyzer = KAGeometryAnalyzer(**self.analyzer_params).fit(_initial(estimator), X)
        scores = analyzer.score(estimator, X)
        if self.key not in scores:
            raise KeyError(f"Unknown observable {self.key!r}; available: {sorted(scores)}.")
        return scores[self.key]

    def __repr__(self):
        params = "".join(f", {k}={v!r}" for k, v in self.analyzer_params.items())
        return f"ka_scorer({self.key!r}{params})"


def ka_scorer(key: str, **analyzer_params: Any) -> Callable[..., float]:
    """A scikit-learn scorer returning one KA observable of a fitted model on the scoring data.

    The scorer fits a :class:`KAGeometryAnalyzer` (with ``analyzer_params``) on the estimator's
    own initial model and the scoring ``X``, and returns ``analyzer.score(estimator, X)[key]``.
    It is a plain callable ``(estimator, X, y)``, so it works in ``GridSearchCV``,
    ``cross_validate`` and ``permutation_test_score``, with ``n_jobs > 1``. The value is returned
    as is; for model selection remember that a smaller participation ratio or a larger rotation
    ratio means more KA-like geometry, as in the study [1]_. See the user guide:
    :ref:`observables`.

    Parameters
    ----------
    key : str
        One of the keys of :meth:`KAGeometryAnalyzer.score`, e.g. ``"pr_normalized_k3"`` (see
        :func:`~sklearn_ka.observables.observable_key`).
    **analyzer_params
        Parameters of :class:`KAGeometryAnalyzer`.

    Returns
    -------
    callable
        ``scorer(estimator, X, y=None) -> float``.

    Raises
    ------
    ValueError
        When ``key`` is not an observable key, names an observable the analyzer does not report,
        or a false-positive rate the analyzer is not given (checked here, not inside a search).
    TypeError
        An unknown analyzer parameter.
    InvalidParameterError
        An invalid analyzer parameter (checked here, not inside a search).

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
    analyzer = clone(KAGeometryAnalyzer(**analyzer_params))
    analyzer._check_params()
    parsed = parse_observable_key(key)
    if parsed.name not in _SCORED:
        raise ValueError(f"{key!r} is not reported by KAGeometryAnalyzer.score; its observables are "
                         f"{', '.join(_SCORED)}.")
    if parsed.name == "dependent_zero_rows" and parsed.k < 2:
        raise ValueError(f"{key!r}: dependent zero rows exist for minor sizes k >= 2 only.")
    if parsed.q is not None:
        rates = check_param("false_positive_rates", analyzer.false_positive_rates,
                            SHARED_CONSTRAINTS["false_positive_rates"], owner="KAGeometryAnalyzer")
        keys = {observable_key(parsed.name, parsed.k, q) for q in rates}
        if str(parsed) not in keys:
            raise ValueError(f"{key!r}: the analyzer's false_positive_rates are {rates}; use one of "
                             f"{', '.join(sorted(keys))} or pass false_positive_rates.")
    return _KAScorer(str(parsed), dict(analyzer_params))
