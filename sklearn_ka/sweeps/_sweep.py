"""``sweep``: train and analyse a grid of shallow MLPs, in parallel through joblib, resumably.

Seed protocol (version 1)
-------------------------
A sweep seed ``s`` (an integer >= 0) fixes everything random about one model:

* the estimator: ``ShallowMLPRegressor(random_state=s)`` (initialisation and shuffling; two
  models with the same seed and width start identical whatever their target function);
* the function: ``function_seed=s`` for a target given by name (e.g. ``linear``'s ``c, c0``);
  a :class:`~sklearn_ka.targets.TargetFunction` instance keeps its own ``function_seed``;
* the training sample: ``random_state=numpy.random.default_rng([s, 0])``;
* the test sample (same size, independent): ``random_state=numpy.random.default_rng([s, 1])``;
  it is the ``eval_set`` monitored for early stopping (the paper protocol);
* the analyzer (when it has a ``random_state``): ``random_state=s``.

:func:`make_sweep_data` draws exactly the data of one row, to reproduce it by hand.
"""

from __future__ import annotations

import numbers
import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from joblib import Parallel, delayed, effective_n_jobs
from sklearn.base import clone
from sklearn.model_selection import ParameterGrid

from ..engine import torch_threads
from ..neural_network import ShallowMLPRegressor, fit_many
from ..targets import CallableTarget, TargetFunction, make_ka_regression, make_target
from ..targets._base import _REGISTRY, _lookup
from ._store import SweepStore, canonical_json

__all__ = ["sweep", "make_sweep_data", "RESULT_COLUMNS", "TIMING_COLUMNS", "SEED_PROTOCOL"]

#: Version of the seed protocol (see :func:`sweep`), recorded in every store's definition.
SEED_PROTOCOL: int = 1
#: Result columns every row has (analyzer and ``measure`` keys follow them).
RESULT_COLUMNS: tuple[str, ...] = ("train_r2", "test_r2", "n_epochs", "best_epoch", "stop_reason", "fit_time")
#: Wall-time columns: the only columns that differ between two runs of the same sweep.
TIMING_COLUMNS: tuple[str, ...] = ("fit_time", "analysis_time")
_MAX_AUTO_TASK = 8


# ---------------------------------------------------------------------------- data
def make_sweep_data(
    function: str | TargetFunction, seed: int, *, n_samples: int = 1000, n_features: int = 3, **function_params: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The training and test data of one sweep row (seed protocol of :func:`sweep`).

    Parameters
    ----------
    function : str or TargetFunction
        A registered name (then ``function_seed=seed``) or a fixed target function (see the
        user guide: :ref:`targets`).
    seed : int
        The sweep seed (>= 0).
    n_samples : int, default=1000
        Size of the training set and of the (independent) test set.
    n_features : int, default=3
        Input dimension (ignored for a TargetFunction, which has its own).
    **function_params
        Family parameters, e.g. ``lam=0.8``; only with a name.

    Returns
    -------
    X, y, X_test, y_test : ndarray
        ``X``/``X_test`` of shape (n_samples, n_features), ``y``/``y_test`` of shape (n_samples,).

    Examples
    --------
    >>> from sklearn_ka.sweeps import make_sweep_data
    >>> X, y, Xt, yt = make_sweep_data("xor", seed=0, n_samples=100)
    >>> X.shape, Xt.shape
    ((100, 3), (100, 3))
    """
    seed = _check_seed(seed)
    if isinstance(function, TargetFunction):
        if function_params:
            raise TypeError("function_params are accepted only with a target name.")
        target = function
    else:
        target = make_target(function, n_features, function_seed=seed, **function_params)
    return _draw_data(target, seed, n_samples)


def _draw_data(target, seed, n_samples):
    X, y = make_ka_regression(target, n_samples, random_state=np.random.default_rng([seed, 0]))
    Xt, yt = make_ka_regression(target, n_samples, random_state=np.random.default_rng([seed, 1]))
    return X, y, Xt, yt


# ---------------------------------------------------------------------- validation
def _check_seed(seed):
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"Sweep seeds must be integers >= 0; got {seed!r} of type {type(seed).__name__}.")
    if seed < 0:
        raise ValueError(f"Sweep seeds must be integers >= 0; got {seed}.")
    return int(seed)


def _check_seeds(seeds):
    if isinstance(seeds, (str, bytes)) or not np.iterable(seeds):
        raise TypeError(f"seeds must be a sequence of integers >= 0 (e.g. range(4)); got {seeds!r}.")
    out = [_check_seed(s) for s in seeds]
    if not out:
        raise ValueError("seeds is empty: give at least one seed, e.g. seeds=range(4).")
    dup = sorted({s for s in out if out.count(s) > 1})
    if dup:
        raise ValueError(f"seeds contains duplicates {dup}; each seed must appear once.")
    return out


def _check_int(name, value, low):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}; got {value!r}.")
    return int(value)


def _grid(grid, what):
    """``ParameterGrid`` with clear errors for empty grids."""
    if isinstance(grid, Mapping):
        grids = [grid]
    elif isinstance(grid, (list, tuple)):
        grids = list(grid)
        if not grids:
            raise ValueError(f"{what} is an empty list of grids; give at least one dict.")
    else:
        raise TypeError(f"{what} must be a dict (or a list of dicts) of parameter lists; got "
                        f"{type(grid).__name__}.")
    for g in grids:
        if not isinstance(g, Mapping):
            raise TypeError(f"{what} must be a dict or a list of dicts; got an item of type {type(g).__name__}.")
        for key, values in g.items():
            if isinstance(values, (str, bytes)) or not np.iterable(values):
                raise TypeError(f"{what}[{key!r}] must be a list of values to try; got {values!r} "
                                f"(write [{values!r}] for a single value).")
            if len(values) == 0:
                raise ValueError(f"{what}[{key!r}] is empty; give at least one value.")
    return list(ParameterGrid(grids))


_ESTIMATOR_PARAMS = tuple(ShallowMLPRegressor().get_params())


def _check_param_grid(param_grid, n_samples):
    points = _grid(param_grid, "param_grid")
    keys = []
    for p in points:
        for k in p:
            if k not in keys:
                keys.append(k)
    bad = [k for k in keys if k not in _ESTIMATOR_PARAMS or k == "random_state"]
    if "random_state" in bad:
        raise ValueError("param_grid must not set random_state: the sweep seeds set it (see seeds).")
    if bad:
        raise ValueError(f"Unknown ShallowMLPRegressor parameter(s) in param_grid: {bad}. "
                         f"Valid parameters: {sorted(k for k in _ESTIMATOR_PARAMS if k != 'random_state')}.")
    for p in points:  # all parameter values, checked before any work
        est = ShallowMLPRegressor(**p)
        try:
            est._validate_params()
            est._resolve_batch_size(n_samples)
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"Bad estimator parameters {p}: {exc}") from None
    default = ShallowMLPRegressor().get_params()
    return points, keys, default


@dataclass(frozen=True)
class _FunctionSpec:
    """One entry of ``functions``: a registered name (with a parameter grid) or a fixed target."""

    label: str
    name: str | None  # registry name, or None for a fixed target
    target: TargetFunction | None
    points: tuple  # tuples of family-parameter dicts

    def describe(self):
        if self.target is None:
            return {"name": self.label, "params": list(self.points)}
        t = self.target
        return {"target": f"{type(t).__module__}.{type(t).__qualname__}", **t.get_params()}

    def targets(self, n_features, seed):
        if self.target is not None:
            return [self.target]
        return [make_target(self.name, n_features, function_seed=seed, **p) for p in self.points]


def _check_functions(functions, function_params, n_features):
    if isinstance(functions, (str, TargetFunction)) or callable(functions):
        functions = [functions]
    functions = list(functions)
    if not functions:
        raise ValueError("functions is empty: give at least one target function, e.g. ['xor'].")
    function_params = {} if function_params is None else function_params
    if not isinstance(function_params, Mapping):
        raise TypeError("function_params must be a dict {function name: parameter grid}, e.g. "
                        "{'lambda_xor': {'lam': [0.5, 1.0, 1.5]}}.")
    fp = {}
    for key, grid in function_params.items():
        fp[_lookup(key)] = (key, grid)
    specs, seen = [], set()
    for f in functions:
        if isinstance(f, str):
            key = _lookup(f)
            if key in seen:
                raise ValueError(f"Function {f!r} appears twice in functions.")
            seen.add(key)
            label = _REGISTRY[key][0]
            points = _grid(fp[key][1], f"function_params[{fp[key][0]!r}]") if key in fp else [{}]
            for p in points:  # builds each function once: bad parameters fail here
                make_target(key, n_features, function_seed=0, **p)
            specs.append(_FunctionSpec(label, key, None, tuple(points)))
        elif isinstance(f, TargetFunction):
            if f.n_features != n_features:
                raise ValueError(f"{f!r} has n_features={f.n_features} but the sweep has "
                                 f"n_features={n_features}.")
            specs.append(_FunctionSpec(f.name, None, f, ({},)))
        elif callable(f) and not isinstance(f, type):
            t = CallableTarget(f, n_features)
            specs.append(_FunctionSpec(t.name, None, t, ({},)))
        else:
            raise TypeError(f"functions must hold target names, TargetFunction instances or callables; "
                            f"got {f!r}.")
    extra = [orig for key, (orig, _) in fp.items() if key not in seen]
    if extra:
        raise ValueError(f"function_params given for {extra}, which are not among the named functions "
                         f"{[s.label for s in specs if s.name]}.")
    return specs


def _check_analyzer(analyzer):
    """Return an analyzer template or None (no analysis)."""
    if analyzer is False:
        return None
    if analyzer is None or isinstance(analyzer, Mapping):
        try:
            from ..analysis import KAGeometryAnalyzer
        except ImportError as exc:
            raise ImportError(
                "sklearn_ka.analysis.KAGeometryAnalyzer is not available; pass analyzer=False (no "
                "analysis) or an analyzer instance."
            ) from exc
        params = dict(analyzer or {})
        try:
            return KAGeometryAnalyzer(**params)
        except TypeError as exc:
            raise TypeError(f"Bad analyzer parameters {sorted(params)}: {exc}") from None
    if isinstance(analyzer, type):
        raise TypeError(f"analyzer must be an instance (e.g. {analyzer.__name__}()), a dict of parameters, "
                        "None or False; got the class itself.")
    for attr in ("fit", "score", "get_params", "set_params"):
        if not callable(getattr(analyzer, attr, None)):
            raise TypeError(f"analyzer must have fit(model0, X), score(model, X) and get_params/set_params "
                            f"(a KAGeometryAnalyzer-like object); {type(analyzer).__name__} has no {attr}.")
    return analyzer


def _analyzer_description(template):
    if template is None:
        return False
    params = {k: v for k, v in template.get_params(deep=False).items() if k not in ("random_state", "n_jobs")}
    return {"class": f"{type(template).__module__}.{type(template).__qualname__}", "params": params}


# ---------------------------------------------------------------------------- tasks
@dataclass
class _Model:
    index: int
    target: TargetFunction
    params: dict  # estimator parameters of the grid point
    seed: int


@dataclass
class _Task:
    index: int
    models: list
    n_samples: int
    analyzer: object
    measure: object


def _run_task(task):
    """Train and analyse one task's models, with one torch/BLAS thread. Returns (index, records)."""
    from threadpoolctl import threadpool_limits

    with torch_threads(1), threadpool_limits(limits=1):
        return task.index, _run_models(task)


def _run_models(task):
    data = {}
    estimators, Xs, ys, evals, cached = [], [], [], [], []
    for m in task.models:
        key = (id(m.target), m.seed)
        if key not in data:
            data[key] = _draw_data(m.target, m.seed, task.n_samples)
        X, y, Xt, yt = data[key]
        estimators.append(ShallowMLPRegressor(**m.params, random_state=m.seed))
        Xs.append(X), ys.append(y), evals.append((Xt, yt)), cached.append(data[key])
    fit_many(estimators, Xs, ys, eval_set=evals)

    records = []
    for m, est, (X, y, Xt, yt) in zip(task.models, estimators, cached):
        rec = {
            "model": m.index,
            "train_r2": float(est.score(X, y)),
            "test_r2": float(est.score(Xt, yt)),
            "n_epochs": int(est.n_epochs_),
            "best_epoch": int(est.best_epoch_),
            "stop_reason": str(est.stop_reason_),
            "fit_time": float(est.fit_time_),
        }
        if task.analyzer is not None:
            t0 = time.perf_counter()
            an = clone(task.analyzer)
            names = an.get_params(deep=False)
            an.set_params(**{k: v for k, v in (("random_state", m.seed), ("n_jobs", 1)) if k in names})
            an.fit(est.initial_model(), X)
            scores = an.score(est, X)
            _merge(rec, scores, "analyzer.score")
            rec["analysis_time"] = time.perf_counter() - t0
        if task.measure is not None:
            _merge(rec, task.measure(est, X, y), "measure")
        records.append(rec)
    return records


_RESERVED = {"model", "function", "function_seed", "seed", *RESULT_COLUMNS, *TIMING_COLUMNS}


def _merge(rec, extra, what):
    if not isinstance(extra, Mapping):
        raise TypeError(f"{what} must return a dict of columns; got {type(extra).__name__}.")
    for k, v in extra.items():
        if not isinstance(k, str) or k in _RESERVED or k in rec:
            raise ValueError(f"{what} returned the column name {k!r}, which is not a string or is "
                             f"already used by the sweep.")
        rec[k] = v.item() if isinstance(v, np.generic) else v


def _normalise(frame):
    """Fixed dtypes for result columns, so computed and stored results compare exactly."""
    out = {}
    for c in frame.columns:
        s = frame[c]
        kind = pd.api.types.infer_dtype(s, skipna=False)
        if kind == "boolean":
            s = s.astype(bool)
        elif kind == "integer":
            s = s.astype(np.int64)
        elif kind in ("floating", "mixed-integer-float", "integer-na", "empty"):
            s = s.astype(np.float64)
        elif kind == "string":
            s = s.astype(str)
        out[c] = s.reset_index(drop=True)
    return pd.DataFrame(out, index=pd.RangeIndex(len(frame)))


def _parallel_results(todo, n_jobs):
    """Yield ``(task index, records)`` as tasks finish.

    Backends that cannot return generators (e.g. Ray's) run the tasks in waves of twice their
    number of workers; each wave's results are yielded (and stored) as soon as the wave ends.
    """
    try:
        parallel = Parallel(n_jobs=n_jobs, return_as="generator_unordered")
    except ValueError as exc:
        if "return_as" not in str(exc):
            raise
        parallel = None
    if parallel is not None:
        yield from parallel(delayed(_run_task)(t) for t in todo)
        return
    parallel = Parallel(n_jobs=n_jobs)
    wave = max(1, 2 * effective_n_jobs(n_jobs))
    for start in range(0, len(todo), wave):
        yield from parallel(delayed(_run_task)(t) for t in todo[start:start + wave])


# ---------------------------------------------------------------------------- sweep
def sweep(
    param_grid: Mapping[str, Sequence[Any]] | Sequence[Mapping[str, Sequence[Any]]],
    *,
    functions: str | TargetFunction | Callable[..., Any] | Sequence[str | TargetFunction | Callable[..., Any]],
    seeds: Iterable[int],
    function_params: Mapping[str, Mapping[str, Sequence[Any]]] | None = None,
    analyzer: Any = None,
    measure: Callable[[Any, np.ndarray, np.ndarray], Mapping[str, Any]] | None = None,
    n_samples: int = 1000,
    n_features: int = 3,
    n_jobs: int | None = None,
    store: str | os.PathLike | None = None,
    task_size: int | str = "auto",
    verbose: int = 1,
) -> pd.DataFrame:
    """Train (and analyse) one ShallowMLPRegressor per grid point, function and seed.

    The models are ``functions`` (each with its ``function_params`` grid) x ``param_grid`` x
    ``seeds``, in that order (seeds vary fastest). They are cut into *tasks* of at most
    ``task_size`` consecutive models; a task trains its models together with
    :func:`~sklearn_ka.fit_many` and then analyses each one. Tasks run through
    :class:`joblib.Parallel`, so an active ``joblib.parallel_config(backend="dask")`` (with a
    ``dask.distributed`` Client) runs them on a cluster. The partition into tasks never depends
    on ``n_jobs`` or the backend, every task runs with one torch thread and one BLAS thread,
    and so the DataFrame is identical (bit for bit, except the :data:`TIMING_COLUMNS`) for any
    ``n_jobs`` and backend.

    Seed protocol: seed ``s`` gives the estimator ``random_state=s``, the named function
    ``function_seed=s``, the training sample ``numpy.random.default_rng([s, 0])``, the test
    sample ``numpy.random.default_rng([s, 1])`` (same size; the early-stopping ``eval_set``, as in
    the paper protocol of :ref:`training-protocol`), and the analyzer ``random_state=s``.
    :func:`make_sweep_data` reproduces one row's data. The experiments of the study
    (:ref:`experiments`) all run through this function.

    Parameters
    ----------
    param_grid : dict or list of dict
        Lists of :class:`~sklearn_ka.ShallowMLPRegressor` parameter values to try, as for
        :class:`sklearn.model_selection.ParameterGrid`, e.g. ``{"hidden_units": [4, 8, 16, 32],
        "max_epochs": [200]}``. ``{}`` is the single default estimator. ``random_state`` is set
        by ``seeds`` and must not appear.
    functions : sequence of str, TargetFunction or callable
        Target functions: registered names (see :func:`~sklearn_ka.list_targets`), fixed
        :class:`~sklearn_ka.TargetFunction` instances (their ``function_seed`` does not follow
        the seed), or callables ``X -> y``.
    seeds : sequence of int
        Distinct integers >= 0, e.g. ``range(4)``.
    function_params : dict or None, default=None
        Per-function parameter grids keyed by function name, e.g.
        ``{"lambda_xor": {"lam": [0.5, 1.0, 1.5]}, "so_xor": {"alpha": range(4)}}``.
    analyzer : KAGeometryAnalyzer, dict, None or False, default=None
        ``None``: a default :class:`~sklearn_ka.analysis.KAGeometryAnalyzer`; a dict: its
        parameters; an instance (any object with ``fit(model0, X)``, ``score(model, X) -> dict``
        and ``get_params``/``set_params``): a template cloned for each model, with
        ``random_state`` set to the seed and ``n_jobs=1`` when it has them; ``False``: no
        analysis. Each trained model is scored against its own ``initial_model()`` on its own
        training data.
    measure : callable or None, default=None
        ``measure(model, X, y) -> dict`` of extra columns per trained model (training data).
        Must be picklable (by cloudpickle) for process and cluster backends.
    n_samples : int, default=1000
        Training-set size; the test set has the same size.
    n_features : int, default=3
        Input dimension.
    n_jobs : int or None, default=None
        Passed to :class:`joblib.Parallel` (``None``: the active ``parallel_config`` or 1).
    store : str, os.PathLike or None, default=None
        Directory where each finished task is written at once (Parquet + JSON manifest, see
        ``docs/sweeps.md``). Rerunning with the same store skips finished tasks; a store of a
        different sweep definition raises ``ValueError``; corrupt result files are recomputed.
    task_size : int or "auto", default="auto"
        ``"auto"``: one task per grid cell (a function point and an estimator point, with all its
        seeds), cut into tasks of at most 8 models when there are more than 8 seeds; a row then
        depends only on its cell, so growing the grid leaves existing rows unchanged. An int:
        consecutive models in tasks of at most that many. Part of the sweep definition (models
        trained in another batch may differ in the last bits).
    verbose : int, default=1
        0: silent; >= 1: a tqdm progress bar over tasks.

    Returns
    -------
    df : pandas.DataFrame
        One row per model: ``function``, its family parameters (e.g. ``lam``; NaN where a
        function has none), ``function_seed``, every parameter named in ``param_grid``,
        ``seed``, ``train_r2``, ``test_r2``, ``n_epochs``, ``best_epoch``, ``stop_reason``,
        ``fit_time`` (of the stacked run), the analyzer's keys and ``analysis_time``, and the
        ``measure`` keys. ``df.attrs["sweep"]`` holds ``n_models``, ``n_tasks``,
        ``n_loaded_tasks`` (read from the store) and ``n_computed_tasks``.

    Raises
    ------
    ValueError, TypeError
        Bad input (empty grids, unknown parameter or function names, non-integer or duplicated
        seeds, ...), before any work starts; or a store of another sweep definition.

    Examples
    --------
    >>> from sklearn_ka.sweeps import sweep
    >>> df = sweep({"hidden_units": [4, 8], "max_epochs": [5]}, functions=["xor"], seeds=[0, 1],
    ...            analyzer=False, n_samples=50, verbose=0)
    >>> df[["function", "hidden_units", "seed"]].shape
    (4, 3)
    """
    # ---- validate everything before any work
    n_samples = _check_int("n_samples", n_samples, 2)
    n_features = _check_int("n_features", n_features, 1)
    verbose = _check_int("verbose", verbose, 0)
    seeds = _check_seeds(seeds)
    points, grid_keys, defaults = _check_param_grid(param_grid, n_samples)
    specs = _check_functions(functions, function_params, n_features)
    template = _check_analyzer(analyzer)
    if measure is not None and not callable(measure):
        raise TypeError(f"measure must be a callable (model, X, y) -> dict or None; got {measure!r}.")
    if task_size != "auto":
        task_size = _check_int("task_size", task_size, 1)

    # ---- enumerate models: functions x function params x estimator params x seeds
    fparam_keys = []
    for s in specs:
        for p in s.points:
            fparam_keys += [k for k in p if k not in fparam_keys]
    clash = [k for k in fparam_keys if k in grid_keys or k in _RESERVED]
    if clash:
        raise ValueError(f"Function parameter name(s) {clash} clash with estimator parameters or result columns.")
    models, rows = [], []
    for spec in specs:
        per_seed = {seed: spec.targets(n_features, seed) for seed in seeds}
        for j in range(len(spec.points)):
            for p in points:
                full = {k: p.get(k, defaults[k]) for k in grid_keys}
                for seed in seeds:
                    target = per_seed[seed][j]
                    row = {"function": spec.label}
                    row.update({k: target.params.get(k, np.nan) for k in fparam_keys})
                    row["function_seed"] = target.function_seed
                    row.update(full)
                    row["seed"] = seed
                    models.append(_Model(len(models), target, dict(p), seed))
                    rows.append(row)
    if task_size == "auto":  # one task per grid cell (its seeds), cut into pieces of <= 8 models
        S = len(seeds)
        task_models = [models[c + i:c + min(i + _MAX_AUTO_TASK, S)]
                       for c in range(0, len(models), S) for i in range(0, S, _MAX_AUTO_TASK)]
    else:
        task_models = [models[i:i + task_size] for i in range(0, len(models), task_size)]
    definition = {
        "seed_protocol": SEED_PROTOCOL,
        "estimator": "sklearn_ka.ShallowMLPRegressor",
        "param_grid": points,
        "functions": [s.describe() for s in specs],
        "seeds": seeds,
        "n_samples": n_samples,
        "n_features": n_features,
        "analyzer": _analyzer_description(template),
        "measure": None if measure is None else f"{getattr(measure, '__module__', '?')}."
                                                  f"{getattr(measure, '__qualname__', type(measure).__qualname__)}",
        "task_size": task_size,
    }

    # ---- store: load what is done
    finished = {}
    st = None
    if store is not None:
        import hashlib

        from .. import __version__

        sha = hashlib.sha256(canonical_json(definition).encode()).hexdigest()
        manifest = {
            "format": "sklearn_ka.sweep", "format_version": 1, "definition": definition,
            "definition_sha256": sha, "sklearn_ka_version": __version__,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "tasks": [[m.index for m in ms] for ms in task_models], "models": rows,
        }
        st = SweepStore(store, manifest)
        finished = {i: _normalise(f) for i, f in st.load_finished().items()}
    n_loaded = len(finished)

    # ---- run the rest
    todo = [_Task(i, ms, n_samples, template, measure) for i, ms in enumerate(task_models) if i not in finished]
    if todo:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(task_models), initial=n_loaded, disable=verbose == 0, unit="task",
                   desc="sweep", leave=verbose > 1 or None)
        try:
            for index, records in _parallel_results(todo, n_jobs):
                frame = _normalise(pd.DataFrame.from_records(records))
                if st is not None:
                    st.write(index, frame)
                finished[index] = frame
                bar.update()
        finally:
            bar.close()

    # ---- assemble in model order
    res = pd.concat([finished[i] for i in range(len(task_models))], ignore_index=True)
    res = _normalise(res)
    params = pd.DataFrame.from_records(rows)
    clash = sorted(set(params.columns) & set(res.columns))
    if clash:
        raise ValueError(f"The analyzer or measure returned column(s) {clash}, which are parameter columns "
                         "of the sweep; rename them.")
    df = pd.concat([params, res.drop(columns="model")], axis=1)
    df.attrs["sweep"] = {"n_models": len(models), "n_tasks": len(task_models),
                         "n_loaded_tasks": n_loaded, "n_computed_tasks": len(task_models) - n_loaded,
                         "result_columns": [c for c in res.columns if c != "model"]}
    return df
