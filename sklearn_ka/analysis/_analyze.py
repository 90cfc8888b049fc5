"""``analyze``: the KA-geometry analysis of any model in one call.

Short named steps: the models (one, or a list of seeds) -> the analyzer (exact or sampled, with
the layer) -> their baselines -> fit on each baseline and compute on its model -> one
:class:`~sklearn_ka.analysis.KAGeometryResult`.
"""

from __future__ import annotations

from typing import Any

from sklearn.base import clone

from .._utils import InvalidParameterError
from ._analyzer import KAGeometryAnalyzer
from ._baseline import resolve_baseline
from ._result import KAGeometryResult
from ._sampled_analyzer import SampledKAGeometryAnalyzer

__all__ = ["analyze"]

#: The analyzers ``analyze`` builds by name.
_ANALYZERS = {"exact": KAGeometryAnalyzer, "sampled": SampledKAGeometryAnalyzer}


def _models(model: Any) -> list:
    """A list of models: a list given is one model per seed (a tuple is the factors ``(D, W)``)."""
    if isinstance(model, list):
        if not model:
            raise InvalidParameterError("analyze: model is an empty list; give a model, or a list of models (one "
                                        "per seed).")
        return list(model)
    return [model]


def _baselines(models: list, baseline: Any, random_state: Any) -> list:
    """One baseline per model: by name (resolved for each model), or given (one, or a list of one per model)."""
    if isinstance(baseline, list):
        if len(baseline) != len(models):
            raise InvalidParameterError(f"analyze: baseline is a list of {len(baseline)}, but {len(models)} models "
                                        "are analysed; give one baseline per model, or a name ('initial', "
                                        "'reinitialized').")
        return [resolve_baseline(m, b, random_state=random_state) for m, b in zip(models, baseline)]
    if len(models) > 1 and not isinstance(baseline, str):
        raise InvalidParameterError("analyze: several models need one baseline each: a list of baselines, or a name "
                                    "('initial', 'reinitialized').")
    return [resolve_baseline(m, baseline, random_state=random_state) for m in models]


def _analyzer(analyzer: Any, layer: Any, params: dict) -> Any:
    """The analyzer template: built by name with ``params``, or a given analyzer cloned with them."""
    if isinstance(analyzer, str):
        if analyzer not in _ANALYZERS:
            raise InvalidParameterError(f"analyze: analyzer must be 'exact' (KAGeometryAnalyzer), 'sampled' "
                                        f"(SampledKAGeometryAnalyzer) or an analyzer instance; got {analyzer!r}.")
        cls = _ANALYZERS[analyzer]
        known = cls().get_params(deep=False)
        unknown = sorted(set(params) - set(known))
        if unknown:
            raise InvalidParameterError(f"analyze: unknown {cls.__name__} parameter(s) {unknown}; its parameters are "
                                        f"{', '.join(sorted(known))}.")
        return cls(**params, layer=layer)
    if not isinstance(analyzer, tuple(_ANALYZERS.values())):
        raise InvalidParameterError(f"analyze: analyzer must be 'exact', 'sampled' or a KAGeometryAnalyzer / "
                                    f"SampledKAGeometryAnalyzer instance; got {type(analyzer).__name__}.")
    template = clone(analyzer).set_params(**params)
    return template if layer is None else template.set_params(layer=layer)


def _combine(results: list[KAGeometryResult], info: dict) -> KAGeometryResult:
    """One result holding every model's analysis (the sizes and rates of the first)."""
    first = results[0]
    runs = [run for result in results for run in result.runs]
    return KAGeometryResult(runs, analyzer=first.analyzer, minor_sizes=first.minor_sizes,
                            false_positive_rates=first.false_positive_rates, info={**first.info, **info})


def analyze(model: Any, X: Any = None, *, baseline: Any = "initial", layer: int | str | None = None,
            analyzer: Any = "exact", **analyzer_params: Any) -> KAGeometryResult:
    """The Kolmogorov-Arnold geometry of a model's inner map, against its baseline, in one call.

    Chooses the baseline, builds the analyzer, fits it on the baseline and computes every
    observable of the model on the same examples, as :class:`~sklearn_ka.KAGeometryAnalyzer`'s
    ``fit``/``score`` do (the numbers are identical), and returns them as a
    :class:`~sklearn_ka.analysis.KAGeometryResult` (a tidy frame, a summary, a figure). The
    observables are those of the study [1]_; see the user guide: :ref:`own-network`.

    Parameters
    ----------
    model : model, array, tuple (D, W), or list of models
        A fitted :class:`~sklearn_ka.ShallowMLPRegressor` (or classifier), a scikit-learn
        ``MLPRegressor``/``MLPClassifier``, a Pipeline ending in one, a torch module or callable,
        a precomputed Jacobian array of shape (n_samples, m, n) (then ``X`` may be None and the
        baseline must be an array), or a list of such models (one per seed: each is compared
        with its own baseline, and the summary's intervals are over the models).
    X : array-like of shape (n_samples, n_features) or None
        The examples (the same for every model).
    baseline : {"initial", "reinitialized"}, model, array, or list, default="initial"
        What the model is compared with. ``"initial"``: the model's own initialisation (our
        estimators remember it; scikit-learn MLPs fitted with an integer ``random_state`` have it
        redrawn exactly by their own initialiser; other models are refused with the
        alternatives). ``"reinitialized"``: a fresh draw of the model's initialiser, seeded by
        ``random_state`` (scikit-learn MLPs through their own initialiser, torch modules through
        their submodules' ``reset_parameters`` under ``torch.manual_seed``): a control of the
        same architecture. Otherwise the baseline itself (a model, or the initial Jacobians),
        or a list of one per model.
    layer : None, int or str, default=None
        The hidden layer that ends the inner map of a larger network (see
        :func:`~sklearn_ka.jacobians.inner_jacobian`): ``None`` the first hidden layer's
        activation, an index, or the dotted name of a torch submodule. Applied to the model and
        to its baseline.
    analyzer : {"exact", "sampled"} or analyzer instance, default="exact"
        :class:`~sklearn_ka.KAGeometryAnalyzer` (every minor) or
        :class:`~sklearn_ka.SampledKAGeometryAnalyzer` (sampled minors, with confidence
        intervals, for wide layers or inputs); an instance is cloned and given
        ``analyzer_params``.
    **analyzer_params
        Parameters of the analyzer (``minor_sizes``, ``observables``, ``random_state``,
        ``n_jobs``, ``device``, ``verbose``, ...). The analyzer's ``random_state`` also seeds
        ``baseline="reinitialized"``.

    Returns
    -------
    KAGeometryResult

    Raises
    ------
    InvalidParameterError
        An unknown baseline, analyzer or analyzer parameter, a bad layer, or a baseline the
        model cannot give (the message lists the alternatives).

    See Also
    --------
    KAGeometryAnalyzer.result, SampledKAGeometryAnalyzer.result

    References
    ----------
    .. [1] M. Freedman and M. Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in
       Shallow MLPs", arXiv:2509.12326, 2025. https://arxiv.org/abs/2509.12326

    Examples
    --------
    >>> import warnings
    >>> from sklearn_ka import ShallowMLPRegressor, analyze, make_ka_regression
    >>> X, y = make_ka_regression("xor", 100, random_state=0)
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     mlp = ShallowMLPRegressor(8, max_epochs=20, random_state=0).fit(X, y)
    >>> result = analyze(mlp, X, n_rotations=20, random_state=0)
    >>> frame = result.to_frame()
    >>> sorted(set(frame["observable"]))[:3]
    ['column_entropy', 'column_kl', 'consistent_zero_rows']
    """
    models = _models(model)
    template = _analyzer(analyzer, layer, analyzer_params)
    baselines = _baselines(models, baseline, template.get_params()["random_state"])
    results = [clone(template).fit(b, X).result(m, X) for m, b in zip(models, baselines)]
    described = baseline if isinstance(baseline, str) else "given"
    return _combine(results, {"baseline": described, **({"layer": layer} if layer is not None else {})})
