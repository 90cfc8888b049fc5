"""ka_scorer: a KA observable as a scikit-learn scorer (GridSearchCV, cross_validate)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sklearn.base import clone
from sklearn.pipeline import Pipeline

from ._analyzer import KAGeometryAnalyzer

__all__ = ["ka_scorer"]


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
        One of the keys of :meth:`KAGeometryAnalyzer.score`, e.g. ``"pr_normalized_k3"``.
    **analyzer_params
        Parameters of :class:`KAGeometryAnalyzer`.

    Returns
    -------
    callable
        ``scorer(estimator, X, y=None) -> float``.

    References
    ----------
    .. [1] M. Freedman and M. Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in
       Shallow MLPs", arXiv:2509.12326, 2025. https://arxiv.org/abs/2509.12326
    """
    if not isinstance(key, str):
        raise TypeError(f"key must be a string naming an observable, got {key!r}.")
    clone(KAGeometryAnalyzer(**analyzer_params))  # reject unknown parameters now, not inside a search
    return _KAScorer(key, dict(analyzer_params))
