"""Interventions on training: does an oscillatory activation or a KA term in the loss speed learning?

The KA-geometry study [1]_ names two tools that might induce KA geometry, and so perhaps faster
learning: switching the hidden activation to the oscillatory ``z + 0.1 sin(10 z)`` and a gradient
of "KA-ness" in the loss. :func:`intervention` trains every *condition* (a target and a width)
under every *arm* (the control and the interventions) with the same seeds, and measures per
model how many epochs and how much wall time it takes to reach each training R² level (censored
when a run never gets there), the final R² and the KA observables at the end. It is a short list
of steps: check the arguments, check (or write) the store's settings, run one
:func:`~sklearn_ka.sweeps.sweep` per target (each (condition, arm) pair is one sweep task, trained
in its own :func:`~sklearn_ka.fit_many` call, so that its wall time is its own), and tidy the
rows. :func:`~sklearn_ka.experiments.intervention_statistics` compares each arm with the control.
See the user guide, :ref:`interventions`.

References
----------
.. [1] M. Freedman and M. Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in
   Shallow MLPs", arXiv:2509.12326, 2025. https://arxiv.org/abs/2509.12326
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

from .._utils import (
    PAPER_PROTOCOL,
    InstanceOf,
    Integers,
    InvalidParameterError,
    Options,
    Reals,
    check_param,
    check_sequence,
    validate_params,
)
from ..engine import ActivationSchedule
from ..interventions import KA_TERMS, KAPenalty
from ..sweeps import check_analysis_memory, describe_value, sweep
from ._common import PROTOCOL_CONSTRAINTS, device_of, make_analyzer, protocol_grid
from ._intervention_statistics import STATISTICS_CONSTRAINTS, intervention_statistics, level_label

__all__ = ["INTERVENTION_ARMS", "INTERVENTION_CONDITIONS", "INTERVENTION_LEVELS", "TimeToLevelMeasure",
           "intervention"]

#: The training R² levels whose time to reach is measured.
INTERVENTION_LEVELS: tuple[float, ...] = (0.5, 0.9, 0.95)

#: The arms: name -> the estimator parameters they add to the control's. The KA arms' penalty
#: takes ``beta`` (with the arm's sign), ``ka_term`` and ``ka_orders`` from :func:`intervention`.
INTERVENTION_ARMS: dict[str, dict[str, Any]] = {
    "control": {},
    "osc_start": {"activation_schedule": ActivationSchedule()},
    "osc_r2_0.3": {"activation_schedule": ActivationSchedule(start_r2=0.3)},
    "osc_r2_0.5": {"activation_schedule": ActivationSchedule(start_r2=0.5)},
    "ka_plus": {"ka_penalty": KAPenalty(beta=0.01)},
    "ka_minus": {"ka_penalty": KAPenalty(beta=-0.01)},
}
#: The sign of beta in each KA arm: toward KA geometry, or away from it (a control of the term itself).
_KA_SIGNS = {"ka_plus": 1.0, "ka_minus": -1.0}

#: The conditions: name -> the target (``function`` and its parameters) and the hidden width.
#: xor at three widths, lambda-xor at the edge of learnability (lambda = 1.2 and 1.35 at m = 32),
#: and a random target at m = 32 (memorisation).
INTERVENTION_CONDITIONS: dict[str, dict[str, Any]] = {
    "xor_m8": {"function": "xor", "hidden_units": 8},
    "xor_m16": {"function": "xor", "hidden_units": 16},
    "xor_m32": {"function": "xor", "hidden_units": 32},
    "lambda_xor_1.2_m32": {"function": "lambda_xor", "lam": 1.2, "hidden_units": 32},
    "lambda_xor_1.35_m32": {"function": "lambda_xor", "lam": 1.35, "hidden_units": 32},
    "random_m32": {"function": "random", "hidden_units": 32},
}

_OWNER = "intervention"
#: Estimator parameters that are grid columns of the sweep but not columns of the tidy frame.
_DROPPED = ("activation_schedule", "ka_penalty", "function_seed")
#: The per-epoch columns of :class:`TimeToLevelMeasure` (text; :func:`intervention` makes them a frame).
_CURVE_COLUMNS = ("curve_train_r2", "curve_time")
_STORE_FILE = "intervention.json"
_STORE_FORMAT = "sklearn_ka.intervention"

_CONSTRAINTS = {
    **{k: v for k, v in PROTOCOL_CONSTRAINTS.items() if k != "hidden_units"},
    "batch_size": [Integers(1)],
    "beta": [Reals(0, low_open=True)],
    "ka_term": [Options(*KA_TERMS)],
    "device": device_of(_OWNER),
    "verbose": [Integers(0)],
}


class TimeToLevelMeasure:
    """``measure`` of :func:`~sklearn_ka.sweeps.sweep`: when a model's training R² reaches each level.

    Reads the fitted model's ``history_`` (the training R² of every epoch), ``epoch_times_`` (wall
    seconds from the start of its training to the end of each epoch) and
    ``intervention_epochs_``. See the user guide, :ref:`interventions`.

    Parameters
    ----------
    levels : sequence of float, default=(0.5, 0.9, 0.95)
        Training R² levels.

    Notes
    -----
    Columns per level ``L``: ``epochs_to_r2_L`` (the first epoch, 1-based, whose training R² is at
    least ``L``), ``time_to_r2_L`` (the wall time at the end of that epoch) and ``reached_r2_L``;
    both times are NaN when the run never reached ``L`` (it is *censored* at ``n_epochs`` and
    ``wall_time``). Then ``wall_time`` (to the end of the last epoch), ``seconds_per_epoch``,
    ``activation_start_epoch`` and ``penalty_start_epoch`` (the epoch after which each
    intervention switched on; NaN: never, or none), ``activation_blend`` (the activation blend of
    the kept weights) and, as comma-separated text, ``curve_train_r2`` and ``curve_time`` (per
    epoch; :func:`intervention` turns them into its ``curves`` frame).
    """

    def __init__(self, levels: Sequence[float] = INTERVENTION_LEVELS) -> None:
        self.levels = tuple(float(v) for v in levels)

    def __call__(self, model: Any, X: np.ndarray, y: np.ndarray) -> dict[str, Any]:
        r2 = np.asarray(model.history_["train_r2"], dtype=float)
        times = np.asarray(model.epoch_times_, dtype=float)
        out: dict[str, Any] = {}
        for level in self.levels:
            hit = np.flatnonzero(r2 >= level)
            label = level_label(level)
            out[f"epochs_to_{label}"] = float(hit[0] + 1) if hit.size else math.nan
            out[f"time_to_{label}"] = float(times[hit[0]]) if hit.size else math.nan
            out[f"reached_{label}"] = bool(hit.size)
        n = r2.size
        out["wall_time"] = float(times[-1]) if n else math.nan
        out["seconds_per_epoch"] = float(times[-1] / n) if n else math.nan
        started = getattr(model, "intervention_epochs_", {}) or {}
        for key, column in (("activation", "activation_start_epoch"), ("ka_penalty", "penalty_start_epoch")):
            out[column] = math.nan if started.get(key) is None else float(started[key])
        out["activation_blend"] = float(getattr(model, "activation_blend_", 0.0))
        out["curve_train_r2"] = ",".join(format(v, ".9g") for v in r2)
        out["curve_time"] = ",".join(format(v, ".6g") for v in times)
        return out


# ------------------------------------------------------------------------------------------ checks
def _check_seeds(seeds: Any) -> list[int]:
    if Integers(1).accepts(seeds):
        return list(range(int(seeds)))
    return check_sequence("seeds", seeds, Integers(0), unique=True, owner=_OWNER)


def _check_levels(levels: Any) -> tuple[float, ...]:
    out = check_sequence("levels", levels, Reals(0, 1, low_open=True), unique=True, owner=_OWNER)
    return tuple(sorted(out))


def _check_conditions(conditions: Any) -> dict[str, dict[str, Any]]:
    """``{name: {"function", "hidden_units", **target parameters}}``, each entry checked."""
    if conditions is None:
        return {k: dict(v) for k, v in INTERVENTION_CONDITIONS.items()}
    if isinstance(conditions, Mapping):
        items = dict(conditions)
    else:
        names = check_sequence("conditions", conditions, InstanceOf(str, "a condition name"), unique=True,
                               owner=_OWNER)
        unknown = [n for n in names if n not in INTERVENTION_CONDITIONS]
        if unknown:
            raise InvalidParameterError(f"{_OWNER}: unknown condition(s) {unknown}; known: "
                                        f"{list(INTERVENTION_CONDITIONS)} (or pass a dict {{name: {{'function': ..., "
                                        "'hidden_units': ..., target parameters}}}}).")
        items = {n: INTERVENTION_CONDITIONS[n] for n in names}
    if not items:
        raise InvalidParameterError(f"{_OWNER}: conditions is empty; give at least one.")
    out = {}
    for name, spec in items.items():
        where = f"conditions[{name!r}]"
        if not isinstance(name, str) or not isinstance(spec, Mapping) or not isinstance(spec.get("function"), str):
            raise InvalidParameterError(f"{_OWNER}: {where} must be a dict with 'function' (a registered target name), "
                                        f"'hidden_units' and the target's parameters; got {spec!r}.")
        spec = dict(spec)
        spec["hidden_units"] = check_param(f"{where}['hidden_units']", spec.get("hidden_units"), [Integers(1)],
                                           owner=_OWNER)
        out[name] = spec
    return out


def _check_arms(arms: Any, beta: float, ka_term: str, ka_orders: Any) -> dict[str, dict[str, Any]]:
    """``{name: estimator parameters}``; the named KA arms get their penalty from beta, ka_term, ka_orders."""
    if arms is None:
        arms = list(INTERVENTION_ARMS)
    if isinstance(arms, Mapping):
        out = {}
        for name, params in arms.items():
            if not isinstance(name, str) or not isinstance(params, Mapping):
                raise InvalidParameterError(f"{_OWNER}: arms must map arm names to dicts of estimator parameters; got "
                                            f"{name!r}: {params!r}.")
            out[name] = dict(params)
    else:
        names = check_sequence("arms", arms, [Options(*INTERVENTION_ARMS)], unique=True, owner=_OWNER)
        try:
            out = {n: ({"ka_penalty": KAPenalty(beta=_KA_SIGNS[n] * beta, term=ka_term, orders=ka_orders)}
                       if n in _KA_SIGNS else dict(INTERVENTION_ARMS[n])) for n in names}
        except (TypeError, ValueError) as exc:
            raise InvalidParameterError(f"{_OWNER}: the KA arms' penalty cannot be built from ka_orders="
                                        f"{ka_orders!r}: {exc}") from None
    if "control" not in out:
        raise InvalidParameterError(f"{_OWNER}: arms must include 'control' (every arm is compared with it); got "
                                    f"{list(out)}.")
    if out["control"]:
        raise InvalidParameterError(f"{_OWNER}: the 'control' arm adds no parameter; got {out['control']!r}.")
    return out


def _check_penalties(conditions: dict, arms: dict, n_features: int) -> None:
    """Every KA penalty can train at every condition's width (minor sizes, memory), before any training."""
    for arm, params in arms.items():
        penalty = params.get("ka_penalty")
        if penalty is None or not hasattr(penalty, "check"):
            continue
        for name, spec in conditions.items():
            try:
                penalty.check(spec["hidden_units"], n_features)
            except ValueError as exc:
                raise InvalidParameterError(f"{_OWNER}: arm {arm!r} cannot train condition {name!r}: {exc}") from None


# ------------------------------------------------------------------------------------------- store
def _plain(value: Any) -> Any:
    return json.loads(json.dumps(value, sort_keys=True, default=repr))


def _check_store(store: Any, definition: dict) -> Path | None:
    """The store directory, its settings checked against ``definition`` (written when new)."""
    if store is None:
        return None
    if isinstance(store, bool) or not isinstance(store, (str, os.PathLike)) or not str(os.fspath(store)).strip():
        raise InvalidParameterError(f"{_OWNER}: store must be a directory path or None; got {store!r}.")
    root = Path(store)
    path = root / _STORE_FILE
    if path.is_file():
        try:
            previous = json.loads(path.read_text(encoding="utf-8"))
            old = previous["settings"] if previous.get("format") == _STORE_FORMAT else None
        except (OSError, ValueError, KeyError, AttributeError, TypeError):
            old = None
        if not isinstance(old, dict):
            raise InvalidParameterError(f"{_OWNER}: {str(path)!r} cannot be read as the settings of an intervention "
                                        "store; use another store directory.")
        diff = sorted(k for k in set(old) | set(definition) if old.get(k) != definition.get(k))
        if diff:
            raise InvalidParameterError(f"{_OWNER}: the store {str(root)!r} holds the runs of other settings (differs "
                                        f"in: {', '.join(diff)}); use another store directory, or delete this one to "
                                        "start again. (The same settings resume in place.)")
        return root
    root.mkdir(parents=True, exist_ok=True)
    text = json.dumps({"format": _STORE_FORMAT, "settings": definition}, indent=2, sort_keys=True)
    fd, tmp = tempfile.mkstemp(dir=root, prefix=".tmp-", suffix=".json")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)
    return root


# --------------------------------------------------------------------------------------------- run
def _groups(conditions: dict) -> list[tuple[str, dict, list[str]]]:
    """Conditions that share a target (function and parameters): ``(function, parameters, names)``."""
    groups: dict[str, tuple[str, dict, list[str]]] = {}
    for name, spec in conditions.items():
        params = {k: v for k, v in spec.items() if k not in ("function", "hidden_units")}
        key = json.dumps([spec["function"], _plain(params)], sort_keys=True)
        groups.setdefault(key, (spec["function"], params, []))[2].append(name)
    return list(groups.values())


def _group_label(function: str, params: dict) -> str:
    parts = [f"{k}{v:g}" if isinstance(v, float) else f"{k}{v}" for k, v in sorted(params.items())]
    return "-".join([function, *parts])


def _points(names: list[str], conditions: dict, arms: dict, p: dict) -> tuple[list[dict], list[tuple[str, str]]]:
    """One single-point grid per (condition, arm), the costly ones first (KA arms, then wider models), so that
    the parallel workers finish together; and each point's (condition, arm)."""
    pairs = [(c, a) for c in names for a in arms]
    pairs.sort(key=lambda ca: (arms[ca[1]].get("ka_penalty") is None, -conditions[ca[0]]["hidden_units"]))
    grids = []
    for c, a in pairs:
        grid = protocol_grid(batch_size=p["batch_size"], max_epochs=p["max_epochs"], patience=p["patience"],
                             device=p["device"], hidden_units=[conditions[c]["hidden_units"]])
        grid.update({k: [v] for k, v in arms[a].items()})
        grids.append(grid)
    return grids, pairs


def _run_group(function, params, names, conditions, arms, seeds, p, analyzer, measure, store, n_jobs, verbose):
    """One sweep over a target's conditions and every arm; its rows labelled with condition and arm."""
    grids, pairs = _points(names, conditions, arms, p)
    sub = None if store is None else str(store / _group_label(function, params))
    frame = sweep(grids, functions=[function], function_params={function: {k: [v] for k, v in params.items()}}
                  if params else None, seeds=seeds, analyzer=analyzer, measure=measure, n_samples=p["n_samples"],
                  n_jobs=n_jobs, store=sub, verbose=verbose, monitor=p["monitor"])
    n = len(seeds)
    if len(frame) != n * len(pairs) or frame["seed"].tolist() != list(seeds) * len(pairs):
        raise RuntimeError("intervention: the sweep returned its rows in an unexpected order.")  # pragma: no cover
    info = dict(frame.attrs.get("sweep", {}))
    labels = pd.DataFrame(np.repeat(np.array(pairs, dtype=object), n, axis=0), columns=["condition", "arm"])
    frame = pd.concat([labels, frame.drop(columns=[c for c in _DROPPED if c in frame.columns])], axis=1)
    frame.attrs["sweep"] = info
    return frame


def _curves(models: pd.DataFrame) -> pd.DataFrame:
    """The per-epoch training R² and wall time of every model (one row per model and epoch)."""
    parts = []
    for row in models[["condition", "arm", "seed", *_CURVE_COLUMNS]].itertuples(index=False):
        r2 = np.array(row.curve_train_r2.split(","), dtype=float) if row.curve_train_r2 else np.zeros(0)
        t = np.array(row.curve_time.split(","), dtype=float) if row.curve_time else np.zeros(0)
        parts.append(pd.DataFrame({"condition": row.condition, "arm": row.arm, "seed": row.seed,
                                   "epoch": np.arange(1, r2.size + 1), "wall_time": t, "train_r2": r2}))
    cols = ["condition", "arm", "seed", "epoch", "wall_time", "train_r2"]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=cols)


def _order(models: pd.DataFrame, conditions: dict, arms: dict) -> pd.DataFrame:
    """Rows in (condition, arm, seed) order, as given."""
    rank_c = {c: i for i, c in enumerate(conditions)}
    rank_a = {a: i for i, a in enumerate(arms)}
    key = models["condition"].map(rank_c) * len(rank_a) + models["arm"].map(rank_a)
    return models.assign(_key=key).sort_values(["_key", "seed"], kind="stable").drop(columns="_key") \
        .reset_index(drop=True)


def intervention(
    conditions: Sequence[str] | Mapping[str, Mapping[str, Any]] | None = None,
    arms: Sequence[str] | Mapping[str, Mapping[str, Any]] | None = None,
    seeds: int | Iterable[int] = 8,
    *,
    n_samples: int = PAPER_PROTOCOL.n_samples,
    batch_size: int = PAPER_PROTOCOL.batch_size,
    max_epochs: int = PAPER_PROTOCOL.max_epochs,
    patience: int = PAPER_PROTOCOL.patience,
    monitor: str = "test",
    ka_term: str = "participation_ratio",
    ka_orders: int | Sequence[int] = (1, 2, 3),
    beta: float = 0.01,
    levels: Sequence[float] = INTERVENTION_LEVELS,
    analyzer: Any = None,
    confidence_level: float = 0.95,
    n_resamples: int = 9999,
    random_state: int | np.random.Generator | None = 0,
    n_jobs: int | None = None,
    store: str | os.PathLike | None = None,
    verbose: int = 0,
    device: str = "cpu",
) -> Bunch:
    """Train every condition under every intervention arm and measure the time to reach R² levels.

    The study [1]_ names an oscillatory activation and a gradient of "KA-ness" as tools to induce
    KA geometry. Each *arm* trains the same models (same seeds: same data, initialisation and
    shuffling as the control) with one intervention: the activation switched from GeLU to
    ``z + 0.1 sin(10 z)`` from the start or once the training R² reaches 0.3 or 0.5
    (:class:`~sklearn_ka.engine.ActivationSchedule`), or the loss ``MSE + beta KA(theta)`` with
    ``beta > 0`` (toward KA geometry) or ``beta < 0`` (away from it)
    (:class:`~sklearn_ka.interventions.KAPenalty`). Per model: the epochs and wall time to reach
    each training R² level (censored when never reached), the final R² and the KA observables
    against the model's own initialisation. Each (condition, arm) pair trains in its own
    :func:`~sklearn_ka.fit_many` call (one sweep task), so its wall time is its own. See the user
    guide, :ref:`interventions`.

    Parameters
    ----------
    conditions : sequence of str, dict or None, default=None
        Names of :data:`INTERVENTION_CONDITIONS` (``None``: all six), or ``{name: {"function":
        registered target name, "hidden_units": m, **target parameters}}``.
    arms : sequence of str, dict or None, default=None
        Names of :data:`INTERVENTION_ARMS` (``None``: all six), or ``{name: estimator
        parameters}``; must include ``"control"`` (no parameter).
    seeds : int or sequence of int, default=8
        ``N``: the seeds ``0..N-1``; or the seeds (the sweep's seed protocol). Every arm trains the
        same seeds, so arm and control are paired by seed.
    n_samples, batch_size, max_epochs, patience :
        Training protocol (:func:`static_comparison`); ``PAPER_PROTOCOL`` by default.
    monitor : {"test", "train"}, default="test"
        The loss early stopping monitors (:ref:`early-stopping-monitor`).
    ka_term : {"participation_ratio", "column_entropy", "zero_rows"}, default="participation_ratio"
        The statistic of the named KA arms' penalty.
    ka_orders : int or sequence of int, default=(1, 2, 3)
        Its minor sizes (its cost grows fast with ``k``: at m = 32 the size-3 minors make an
        epoch over a hundred times slower than without the term).
    beta : float, default=0.01
        Its weight (> 0): ``ka_plus`` trains with ``+beta``, ``ka_minus`` with ``-beta``.
    levels : sequence of float, default=(0.5, 0.9, 0.95)
        Training R² levels in (0, 1].
    analyzer : KAGeometryAnalyzer, dict, None or False, default=None
        As in :func:`~sklearn_ka.sweeps.sweep` (``False``: no KA observables).
    confidence_level, n_resamples, random_state :
        Of the statistics (:func:`intervention_statistics`).
    n_jobs, verbose :
        As in :func:`~sklearn_ka.sweeps.sweep`.
    store : path or None, default=None
        A directory: every (condition, arm) task is written as soon as it ends (one sweep store per
        target under it, with ``intervention.json`` holding the settings); a rerun resumes, and a
        store of other settings is refused.
    device : str, default="cpu"
        Torch device that trains the models.

    Returns
    -------
    sklearn.utils.Bunch
        ``models``: one row per model: ``condition``, ``arm``, the sweep's columns (``function``,
        target parameters, ``hidden_units``, ``seed``, ``monitor``, ``train_r2``, ``test_r2``,
        ``n_epochs``, ``stop_reason``, ``fit_time``, every analyzer key) and the
        :class:`TimeToLevelMeasure` columns (``epochs_to_r2_0.9``, ``time_to_r2_0.9``,
        ``reached_r2_0.9``, ..., ``wall_time``, ``seconds_per_epoch``). ``curves``: one row per model
        and epoch (``condition``, ``arm``, ``seed``, ``epoch``, ``wall_time``, ``train_r2``).
        ``statistics``: :func:`intervention_statistics` of ``models``. ``conditions``, ``arms``,
        ``levels``: as used.

    References
    ----------
    .. [1] M. Freedman and M. Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in
       Shallow MLPs", arXiv:2509.12326, 2025. https://arxiv.org/abs/2509.12326

    Examples
    --------
    >>> from sklearn_ka.experiments import intervention
    >>> res = intervention(["xor_m8"], ["control", "osc_start"], seeds=2, n_samples=100, batch_size=50,
    ...                    max_epochs=20, analyzer=False, n_resamples=99)
    >>> res.models[["condition", "arm", "seed"]].values.tolist()
    [['xor_m8', 'control', 0], ['xor_m8', 'control', 1], ['xor_m8', 'osc_start', 0], ['xor_m8', 'osc_start', 1]]
    """
    p = validate_params(dict(n_samples=n_samples, batch_size=batch_size, max_epochs=max_epochs, patience=patience,
                             monitor=monitor, beta=beta, ka_term=ka_term, device=device, verbose=verbose),
                        _CONSTRAINTS, owner=_OWNER)
    validate_params(dict(confidence_level=confidence_level, n_resamples=n_resamples), STATISTICS_CONSTRAINTS,
                    owner=_OWNER)
    if p["batch_size"] > p["n_samples"]:
        raise InvalidParameterError(f"{_OWNER}: batch_size={p['batch_size']} exceeds n_samples={p['n_samples']}.")
    seeds, levels = _check_seeds(seeds), _check_levels(levels)
    conditions = _check_conditions(conditions)
    arms = _check_arms(arms, p["beta"], p["ka_term"], ka_orders)
    _check_penalties(conditions, arms, PAPER_PROTOCOL.n_features)
    an = make_analyzer(analyzer)
    an = None if an is False else an
    check_analysis_memory(an, {s["hidden_units"] for s in conditions.values()}, PAPER_PROTOCOL.n_features,
                          owner=_OWNER)
    definition = _plain({"conditions": conditions, "arms": {a: describe_value(v) for a, v in arms.items()},
                         "seeds": seeds, "levels": levels, "analyzer": describe_value(an) if an is not None else False,
                         **{k: p[k] for k in ("n_samples", "batch_size", "max_epochs", "patience", "monitor",
                                              "device")}})
    root = _check_store(store, definition)
    measure = TimeToLevelMeasure(levels)
    frames = [_run_group(f, params, names, conditions, arms, seeds, p, False if an is None else an, measure, root,
                         n_jobs, p["verbose"]) for f, params, names in _groups(conditions)]
    sweeps = [f.attrs.get("sweep", {}) for f in frames]
    models = _order(pd.concat(frames, ignore_index=True), conditions, arms)
    curves = _curves(models)
    models = models.drop(columns=list(_CURVE_COLUMNS))
    models.attrs["sweep"] = {k: sum(int(s.get(k) or 0) for s in sweeps)
                             for k in ("n_models", "n_tasks", "n_loaded_tasks", "n_computed_tasks")}
    stats = intervention_statistics(models, confidence_level=confidence_level, n_resamples=n_resamples,
                                    random_state=random_state)
    return Bunch(models=models, curves=curves, statistics=stats, conditions=conditions, arms=arms, levels=levels)
