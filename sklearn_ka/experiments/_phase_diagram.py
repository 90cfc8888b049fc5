"""The KA phase diagram: emergence of KA geometry over target complexity, width, batch size (or any axes).

:func:`phase_diagram` is a short list of steps: check the arguments and split the axes into
target and estimator parameters, run one :func:`~sklearn_ka.sweeps.sweep` over every cell and
seed (parallel with ``n_jobs``, on a Dask cluster through joblib, resumable with ``store``), and
compute the per-cell statistics and emergence call (:mod:`._phase_statistics`).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from sklearn.utils import Bunch

from .._utils import (
    PAPER_PROTOCOL,
    InstanceOf,
    InvalidParameterError,
    check_param,
    parse_observable_key,
    validate_params,
)
from ..neural_network import ShallowMLPRegressor
from ..sweeps import sweep
from ._common import PROTOCOL_CONSTRAINTS, analyzer_params, device_of, protocol_grid
from ._interpolation import FAMILIES
from ._phase_statistics import EMERGENCE_RULE, STATISTICS_CONSTRAINTS, check_rule, phase_statistics

__all__ = ["PHASE_WIDTHS", "PHASE_BATCH_SIZES", "PHASE_SEEDS", "PAPER_GOLDILOCKS", "default_axes", "phase_diagram"]

#: The default widths ``m`` of the phase diagram: the paper's four and 64.
PHASE_WIDTHS: tuple[int, ...] = (4, 8, 16, 32, 64)
#: The default mini-batch sizes: from 32 to the full batch, with the paper's 250.
PHASE_BATCH_SIZES: tuple[int, ...] = (32, 64, 128, 250, 512, 1000)
#: Eight seeds per cell: the exact sign-flip test then reaches a one-sided p of 1/256 (two-sided 2/256 < 0.01).
PHASE_SEEDS: int = 8
#: The "Goldilocks" ranges of the target parameter reported by the study (lambda-xor and
#: G(lambda) at m = 32, batch 250, 4 seeds, read from its figures; see :ref:`phase-findings`).
PAPER_GOLDILOCKS: dict[str, tuple[float, float]] = {"lambda_xor": (0.7, 1.2), "gaussian": (0.15, 0.8)}

#: Names an axis or a fixed parameter may not take: set by the seeds, or columns of the sweep.
_RESERVED = ("random_state", "seed", "function", "function_seed", "monitor")
_CONSTRAINTS = {
    **{k: v for k, v in PROTOCOL_CONSTRAINTS.items() if k != "hidden_units"},
    "family": [InstanceOf(str, "a registered target name such as 'lambda_xor'")],
    "device": device_of("phase_diagram"),
}


def default_axes(family: str = "lambda_xor") -> dict[str, tuple]:
    """The default axes of :func:`phase_diagram` for a target family.

    The family's parameter with its default values (:data:`FAMILIES`; none for a family not
    listed there), the widths :data:`PHASE_WIDTHS` and the batch sizes :data:`PHASE_BATCH_SIZES`.

    Examples
    --------
    >>> from sklearn_ka.experiments import default_axes
    >>> {k: len(v) for k, v in default_axes("gaussian").items()}
    {'lam': 10, 'hidden_units': 5, 'batch_size': 6}
    """
    axes: dict[str, tuple] = {}
    if family in FAMILIES:
        param, values = FAMILIES[family]
        axes[param] = tuple(values)
    axes["hidden_units"] = PHASE_WIDTHS
    axes["batch_size"] = PHASE_BATCH_SIZES
    return axes


def _check_plane(plane: Any, where: str) -> dict[str, list]:
    """One product of axes: ``{name: list of distinct values}``, every name and list checked."""
    owner = "phase_diagram"
    plane = check_param(where, plane, [InstanceOf(Mapping, "a dict {parameter name: list of values}")], owner=owner)
    if not plane:
        raise InvalidParameterError(f"{owner}: {where} is empty; give at least one parameter and its values, e.g. "
                                    "{'lam': [0.5, 1.0, 1.5]}.")
    out = {}
    for name, values in plane.items():
        if not isinstance(name, str) or name in _RESERVED:
            raise InvalidParameterError(f"{owner}: axis names must be estimator or target parameter names other "
                                        f"than {list(_RESERVED)}; got {name!r} in {where}.")
        if isinstance(values, (str, bytes, Mapping)) or not np.iterable(values):
            raise InvalidParameterError(f"{owner}: {where}[{name!r}] must be a list of values; got {values!r} (write "
                                        f"[{values!r}] for a single value, or put it in fixed).")
        values = [v.item() if isinstance(v, np.generic) else v for v in values]
        if not values:
            raise InvalidParameterError(f"{owner}: {where}[{name!r}] is empty; give at least one value.")
        if len(set(map(repr, values))) != len(values):
            raise InvalidParameterError(f"{owner}: {where}[{name!r}] contains duplicates: {values}.")
        out[name] = values
    return out


def _check_axes(axes: Any, family: str, fixed: Any) -> tuple[list[dict[str, list]], list[str], dict[str, Any]]:
    """The planes (products of axes), the axis names (their union, in order) and the fixed parameters."""
    owner = "phase_diagram"
    axes = default_axes(family) if axes is None else axes
    if isinstance(axes, Mapping):
        planes = [_check_plane(axes, "axes")]
    elif isinstance(axes, (list, tuple)) and axes:
        planes = [_check_plane(a, f"axes[{i}]") for i, a in enumerate(axes)]
    else:
        raise InvalidParameterError(f"{owner}: axes must be a dict {{parameter: values}} or a non-empty list of such "
                                    f"dicts (a union of products); got {axes!r}.")
    fixed = check_param("fixed", fixed, [InstanceOf(Mapping, "a dict {parameter name: value}"), None],
                        owner=owner) or {}
    names = list(dict.fromkeys(n for plane in planes for n in plane))
    clash = sorted((set(fixed) & set(names)) | (set(fixed) & set(_RESERVED)))
    if clash:
        raise InvalidParameterError(f"{owner}: fixed names {clash}, which are axes or set by the seeds; a parameter "
                                    "is either an axis or fixed.")
    return planes, names, dict(fixed)


def _sweep_arguments(family, planes, fixed, p):
    """The sweep's ``param_grid`` (one single-point grid per distinct estimator point of the planes) and its
    ``function_params`` (the target axes, which every plane must share)."""
    est = _default_estimator_values()
    targets = [{k: v for k, v in plane.items() if k not in est} for plane in planes]
    if any(t != targets[0] for t in targets[1:]):
        raise InvalidParameterError(f"phase_diagram: every plane of axes must give the same target-parameter values "
                                    f"(they are swept with every estimator point); got {targets}.")
    constant = {"batch_size": PAPER_PROTOCOL.batch_size, "hidden_units": max(PAPER_PROTOCOL.hidden_units),
                **{k: v for k, v in fixed.items() if k in est}}
    base = protocol_grid(batch_size=constant.pop("batch_size"), max_epochs=p["max_epochs"], patience=p["patience"],
                         device=p["device"], hidden_units=[constant.pop("hidden_units")])
    base.update({k: [v] for k, v in constant.items()})
    swept = list(dict.fromkeys(k for plane in planes for k in plane if k in est))
    defaults = _default_estimator_values()
    points, seen = [], set()
    for plane in planes:
        names = [k for k in swept if k in plane]
        for combo in itertools.product(*(plane[k] for k in names)):
            point = {**{k: base[k][0] if k in base else defaults[k] for k in swept}, **dict(zip(names, combo))}
            if repr(point) not in seen:
                seen.add(repr(point))
                points.append({**base, **{k: [v] for k, v in point.items()}})
    target = {k: [v] for k, v in fixed.items() if k not in est}
    target.update({k: list(v) for k, v in targets[0].items()})
    return points, ({family: target} if target else None)


def _default_estimator_values() -> dict[str, Any]:
    """The estimator's parameters and their default values."""
    return ShallowMLPRegressor().get_params()


def _check_rule_is_measured(rule, analyzer, widths):
    """Every criterion of the rule is computed by the analyzer (its minor sizes and rates), at every width."""
    if not hasattr(analyzer, "get_params"):
        return
    params = analyzer.get_params()
    ks = params.get("minor_sizes")
    ks = {int(ks)} if isinstance(ks, (int, np.integer)) else set(ks) if ks is not None else None
    rates = params.get("false_positive_rates")
    rates = {float(rates)} if isinstance(rates, (int, float)) else set(map(float, rates)) if rates is not None else None
    for key, _ in rule:
        k = parse_observable_key(key)
        if ks is not None and k.k not in ks:
            raise InvalidParameterError(f"phase_diagram: the rule needs {key!r} but the analyzer computes minor sizes "
                                        f"{sorted(ks)}; add k={k.k} to its minor_sizes or change the rule.")
        if k.q is not None and rates is not None and not any(np.isclose(k.q, r) for r in rates):
            raise InvalidParameterError(f"phase_diagram: the rule needs {key!r} but the analyzer's "
                                        f"false_positive_rates are {sorted(rates)}.")
        small = [m for m in widths if m < k.k]
        if small:
            raise InvalidParameterError(f"phase_diagram: the rule needs size-{k.k} minors ({key!r}), which widths "
                                        f"{small} do not have; use widths >= {k.k} or another rule.")


def phase_diagram(
    family: str = "lambda_xor",
    axes: Mapping[str, Sequence[Any]] | None = None,
    seeds: Iterable[int] = range(PHASE_SEEDS),
    *,
    fixed: Mapping[str, Any] | None = None,
    n_samples: int = PAPER_PROTOCOL.n_samples,
    max_epochs: int = PAPER_PROTOCOL.max_epochs,
    patience: int = PAPER_PROTOCOL.patience,
    monitor: str = "test",
    analyzer: Any = None,
    rule: Sequence[tuple[str, str]] = EMERGENCE_RULE,
    alpha: float = 0.05,
    confidence_level: float = 0.95,
    n_resamples: int = 9999,
    random_state: int | np.random.Generator | None = 0,
    n_jobs: int | None = None,
    store: str | os.PathLike | None = None,
    verbose: int = 0,
    device: str = "cpu",
) -> Bunch:
    """Map where KA geometry emerges: every observable and an emergence call over a grid of cells.

    The study [1]_ closes on mapping "the KA phase diagram"; its own data are one-dimensional
    slices (lambda-xor and G(lambda) at m = 32, widths in Table I, batch sizes in Appendix B), 4
    seeds each. This trains every cell of the product of ``axes`` (any target or estimator
    parameters; by default the family's complexity parameter, the width and the batch size)
    with ``seeds`` each, measures every observable against each model's initialisation, tests
    each cell's trained - initial differences and calls emergence per cell with a documented
    rule and false-discovery control across cells. See the user guide: :ref:`phase-diagram`.

    Parameters
    ----------
    family : str, default="lambda_xor"
        The target function (a registered name): ``"lambda_xor"``, ``"gaussian"``, or any other.
    axes : dict, list of dict, or None, default=None
        ``{parameter: values}``: estimator parameters of
        :class:`~sklearn_ka.ShallowMLPRegressor` (``hidden_units``, ``batch_size``,
        ``learning_rate``, ...) or parameters of the target (``lam``, ``alpha``, ...). The cells
        are the product of the axes. A list of such dicts (*planes*) gives the union of their
        products, each cell once (as :class:`sklearn.model_selection.ParameterGrid` does, without
        repeats), e.g. a (lambda x width) plane at batch 250 and a (lambda x batch size) plane at
        width 32 that share their (lambda, 32, 250) cells; the planes must give the same target
        values, and an estimator parameter a plane does not name takes its ``fixed`` (or
        default) value. ``None``: :func:`default_axes` (for lambda-xor 11 values of lambda x 5
        widths x 6 batch sizes = 330 cells).
    seeds : sequence of int, default=range(8)
        The seeds of every cell (the sweep's seed protocol). Eight let the exact sign-flip test
        reach a one-sided p-value of 1/256; with fewer than 5 no cell can be called emerged at
        ``alpha=0.05`` (a warning says so).
    fixed : dict or None, default=None
        Parameters held fixed (one value each), e.g. ``{"batch_size": 250}`` for a (lambda x
        width) map. Unless an axis or ``fixed`` sets them, ``hidden_units`` is 32 and
        ``batch_size`` 250.
    n_samples, max_epochs, patience :
        Training protocol (see :func:`static_comparison`).
    monitor : {"test", "train"}, default="test"
        The loss early stopping monitors (:ref:`early-stopping-monitor`).
    analyzer : KAGeometryAnalyzer, dict or None, default=None
        As in :func:`~sklearn_ka.sweeps.sweep` (an analyzer is needed); it must compute the
        rule's observables (checked before any training).
    rule : sequence of (str, {"above", "below"}), default=EMERGENCE_RULE
        The emergence criteria (:func:`phase_statistics`, :ref:`phase-emergence`).
    alpha : float, default=0.05
        False discovery rate across cells.
    confidence_level, n_resamples, random_state :
        Of the bootstrap intervals and permutation tests (:func:`significance`).
    n_jobs, store, verbose :
        As in :func:`~sklearn_ka.sweeps.sweep`: joblib workers (an active
        ``joblib.parallel_config(backend="dask")`` runs the cells on a cluster), a store
        directory (a rerun resumes; one store per diagram definition), a progress bar.
    device : str, default="cpu"
        Torch device that trains the models (see :func:`static_comparison`).

    Returns
    -------
    sklearn.utils.Bunch
        ``models`` (one row per model: the sweep frame), ``cells`` and ``tests`` (see
        :func:`phase_statistics`; a cell is a distinct combination of every axis name), ``axes``
        (as checked: a dict, or the list of planes), ``fixed``, ``family``, ``rule``, ``alpha``.

    References
    ----------
    .. [1] M. Freedman and M. Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in
       Shallow MLPs", arXiv:2509.12326, 2025. https://arxiv.org/abs/2509.12326

    Examples
    --------
    >>> import warnings
    >>> from sklearn_ka.experiments import phase_diagram
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")  # two seeds cannot reach significance, and it says so
    ...     res = phase_diagram("lambda_xor", {"lam": [0.5, 1.0], "hidden_units": [4, 8]}, seeds=[0, 1],
    ...                         fixed={"batch_size": 20}, n_samples=40, max_epochs=3,
    ...                         analyzer={"n_rotations": 8}, n_resamples=99)
    >>> res.cells[["lam", "hidden_units", "n_seeds"]].to_dict("list")
    {'lam': [0.5, 0.5, 1.0, 1.0], 'hidden_units': [4, 8, 4, 8], 'n_seeds': [2, 2, 2, 2]}
    """
    p = validate_params(dict(family=family, n_samples=n_samples, max_epochs=max_epochs, patience=patience,
                             monitor=monitor, device=device), _CONSTRAINTS, owner="phase_diagram")
    planes, names, fixed = _check_axes(axes, p["family"], fixed)
    rule = check_rule(rule, owner="phase_diagram")
    validate_params(dict(alpha=alpha, confidence_level=confidence_level, n_resamples=n_resamples),
                    STATISTICS_CONSTRAINTS, owner="phase_diagram")  # before any training
    an = analyzer_params(analyzer)
    grid, function_params = _sweep_arguments(p["family"], planes, fixed, p)
    _check_rule_is_measured(rule, an, sorted({g["hidden_units"][0] for g in grid}))
    models = sweep(grid, functions=[p["family"]], function_params=function_params, seeds=seeds, analyzer=an,
                   n_samples=p["n_samples"], n_jobs=n_jobs, store=store, verbose=verbose, monitor=p["monitor"])
    stats = phase_statistics(models, names, rule=rule, alpha=alpha, confidence_level=confidence_level,
                             n_resamples=n_resamples, random_state=random_state)
    return Bunch(models=models, cells=stats.cells, tests=stats.tests, axes=planes[0] if len(planes) == 1 else planes,
                 fixed=fixed, family=p["family"],
                 rule=rule, alpha=stats.alpha)
