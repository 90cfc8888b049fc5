"""``sweep``: train and analyse a grid of shallow MLPs, in parallel through joblib, resumably.

:func:`sweep` is a short list of steps: check the arguments and enumerate the models
(:mod:`._grid`), cut them into tasks (:mod:`._tasks`), open the store and load what it holds
(:mod:`._store`), run the remaining tasks, and assemble the rows in model order. What a seed
fixes is the seed protocol (:mod:`._seeds`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._utils import PAPER_PROTOCOL, Callables, Integers, Options, validate_params
from ..targets import TargetFunction
from ._grid import Model, check_functions, check_param_grid, definition, enumerate_models
from ._seeds import MONITORS, check_seeds
from ._store import SweepStore, check_store_path, open_store
from ._tasks import (
    Task,
    check_analysis_memory,
    check_analyzer,
    describe_analyzer,
    describe_measure,
    normalise,
    parallel_results,
    partition,
    records_frame,
)

__all__ = ["sweep"]


class _Measure(Callables):
    description = "a callable measure(model, X, y) -> dict"


def _check_n_jobs(name, value):
    """joblib's ``n_jobs``, with the package's ceiling on local workers."""
    from .._utils import check_n_jobs

    return check_n_jobs(value, name=name, owner="sweep")


#: The scalar arguments of :func:`sweep`.
_CONSTRAINTS = {
    "n_jobs": _check_n_jobs,
    "n_samples": [Integers(2)],
    "n_features": [Integers(1)],
    "verbose": [Integers(0)],
    "seeds": lambda name, value: check_seeds(value),
    "measure": [_Measure(), None],
    "task_size": [Integers(1), Options("auto")],
    "store": lambda name, value: None if value is None else check_store_path(value, owner="sweep"),
    "monitor": [Options(*MONITORS)],
}


def sweep(
    param_grid: Mapping[str, Sequence[Any]] | Sequence[Mapping[str, Sequence[Any]]],
    *,
    functions: str | TargetFunction | Callable[..., Any] | Sequence[str | TargetFunction | Callable[..., Any]],
    seeds: Iterable[int],
    function_params: Mapping[str, Mapping[str, Sequence[Any]]] | None = None,
    analyzer: Any = None,
    measure: Callable[[Any, np.ndarray, np.ndarray], Mapping[str, Any]] | None = None,
    n_samples: int = PAPER_PROTOCOL.n_samples,
    n_features: int = PAPER_PROTOCOL.n_features,
    n_jobs: int | None = None,
    store: str | os.PathLike | None = None,
    task_size: int | str = "auto",
    monitor: str = "test",
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
    sample ``numpy.random.default_rng([s, 1])`` (same size; with ``monitor="test"`` the
    early-stopping ``eval_set``; the paper does not say which loss it monitors, see
    :ref:`early-stopping-monitor`), and the
    analyzer ``random_state=s``.
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
        Must be picklable (by cloudpickle) for process and cluster backends. It is part of the
        store's definition: a function by its qualified name and a hash of its code (with its
        default arguments and closure values), an object by its class, its parameters
        (``get_params`` or public attributes), its ``version`` attribute when it has one and
        the code of its ``__call__``; a changed measure never reuses stored rows. An integer
        column keeps exact values beyond the int64 range (as Python ints).
    n_samples : int, default=1000
        Training-set size; the test set has the same size.
    n_features : int, default=3
        Input dimension.
    n_jobs : int or None, default=None
        Passed to :class:`joblib.Parallel` (``None``: the active ``parallel_config`` or 1).
    store : str, os.PathLike or None, default=None
        Directory where each finished task is written at once (Parquet + JSON manifest, see
        ``docs/sweeps.md``). Rerunning with the same store skips finished tasks; a store of a
        different sweep definition raises ``ValueError`` (target functions are identified by
        their values at fixed probe points, so two lambdas, or a name re-registered with
        another factory, are different definitions); a manifest edited by hand is refused;
        corrupt result files are recomputed. One sweep writes a store at a time: a second
        concurrent writer gets a ``RuntimeError`` naming the lock file (``DIR/sweep.lock``); a
        lock left by a writer that died is taken over with a ``RuntimeWarning``.
    task_size : int or "auto", default="auto"
        ``"auto"``: one task per grid cell (a function point and an estimator point, with all its
        seeds), cut into tasks of at most 8 models when there are more than 8 seeds; a row then
        depends only on its cell, so growing the grid leaves existing rows unchanged. An int:
        consecutive models in tasks of at most that many. Part of the sweep definition (models
        trained in another batch may differ in the last bits).
    monitor : {"test", "train"}, default="test"
        The loss that early stopping monitors (patience and best weights), which the paper does
        not state (:ref:`early-stopping-monitor`). ``"test"``: the independent test set, passed
        as the ``eval_set``; ``"train"``: the training loss (no ``eval_set``; the test set is
        only scored). Training stops on the first plateau of the monitored loss, so for
        unlearnable targets (``random``) and at the edge of learnability the choice decides the
        result. Part of the sweep definition (and the ``monitor`` column); ``patience`` is an
        estimator parameter of ``param_grid``. Stores written before this parameter existed
        monitored the test set: a ``monitor="test"`` sweep reuses them, a ``"train"`` sweep
        refuses them as another definition.
    verbose : int, default=1
        0: silent; >= 1: a tqdm progress bar over tasks.

    Returns
    -------
    df : pandas.DataFrame
        One row per model: ``function``, its family parameters (e.g. ``lam``; NaN where a
        function has none), ``function_seed``, every parameter named in ``param_grid``,
        ``seed``, ``monitor``, ``train_r2``, ``test_r2``, ``n_epochs``, ``best_epoch``, ``stop_reason``,
        ``fit_time`` (of the stacked run), the analyzer's keys and ``analysis_time``, and the
        ``measure`` keys. ``df.attrs["sweep"]`` holds ``n_models``, ``n_tasks``,
        ``n_loaded_tasks`` (read from the store) and ``n_computed_tasks``.

    Raises
    ------
    ValueError, TypeError
        Bad input (empty grids, unknown parameter or function names, non-integer or duplicated
        seeds, a store that is not a path, ...), before any work starts; or a store of another
        sweep definition.
    MemoryBudgetError
        A grid point could not be trained within the memory budget, or the analyzer could not
        analyse the widest models within its ``max_memory_bytes`` (a ``MinorBudgetError``);
        both are checked before any model is trained.
    RuntimeError
        Another sweep is writing ``store``.

    Examples
    --------
    >>> from sklearn_ka.sweeps import sweep
    >>> df = sweep({"hidden_units": [4, 8], "max_epochs": [5]}, functions=["xor"], seeds=[0, 1],
    ...            analyzer=False, n_samples=50, verbose=0)
    >>> df[["function", "hidden_units", "seed"]].shape
    (4, 3)
    """
    plan = _plan(param_grid, functions, seeds, function_params, analyzer, measure, n_samples, n_features,
                 task_size, verbose, store, n_jobs, monitor)
    st, finished = _load_stored(store, plan)
    try:
        n_loaded = len(finished)
        _run_remaining(plan, finished, st, n_jobs, verbose)
    finally:
        if st is not None:
            st.close()
    return _assemble(plan, finished, n_loaded)


@dataclass
class _Plan:
    """Everything a sweep runs, known before any work: models, their rows, tasks and definition."""

    models: list[Model]
    rows: list[dict]
    tasks: list[list[Model]]
    definition: dict
    n_samples: int
    analyzer: Any
    measure: Any
    monitor: str


def _plan(param_grid, functions, seeds, function_params, analyzer, measure, n_samples, n_features, task_size,
          verbose, store, n_jobs, monitor):
    """Check every argument (before any work) and enumerate the models and tasks."""
    args = validate_params(dict(n_samples=n_samples, n_features=n_features, verbose=verbose, seeds=seeds,
                                measure=measure, task_size=task_size, store=store, n_jobs=n_jobs, monitor=monitor),
                           _CONSTRAINTS, owner="sweep")
    seeds, n_samples, n_features = args["seeds"], args["n_samples"], args["n_features"]
    points, grid_keys, defaults = check_param_grid(param_grid, n_samples, n_features)
    specs = check_functions(functions, function_params, n_features)
    template = check_analyzer(analyzer)
    check_analysis_memory(template, {p.get("hidden_units", defaults["hidden_units"]) for p in points}, n_features)
    models, rows, fingerprints = enumerate_models(specs, points, grid_keys, defaults, seeds, n_features)
    tasks = partition(models, len(seeds), args["task_size"])
    spec = definition(points=points, specs=specs, fingerprints=fingerprints, seeds=seeds, n_samples=n_samples,
                      n_features=n_features, analyzer=describe_analyzer(template), measure=describe_measure(measure),
                      task_size=args["task_size"], monitor=args["monitor"])
    return _Plan(models, rows, tasks, spec, n_samples, template, measure, args["monitor"])


def _load_stored(store, plan):
    """Open the store (if any) and read its finished tasks: ``(store or None, {task index: frame})``."""
    if store is None:
        return None, {}
    st = open_store(store, plan.definition, [[m.index for m in ms] for ms in plan.tasks], plan.rows)
    return st, {i: normalise(f) for i, f in st.load_finished().items()}


def _run_remaining(plan: _Plan, finished: dict, st: SweepStore | None, n_jobs, verbose) -> None:
    """Run the tasks not in ``finished``, storing each as it ends, with a progress bar."""
    todo = [Task(i, ms, plan.n_samples, plan.analyzer, plan.measure, plan.monitor)
            for i, ms in enumerate(plan.tasks) if i not in finished]
    if not todo:
        return
    from tqdm.auto import tqdm

    bar = tqdm(total=len(plan.tasks), initial=len(finished), disable=verbose == 0, unit="task",
               desc="sweep", leave=verbose > 1 or None)
    try:
        for index, records in parallel_results(todo, n_jobs):
            frame = normalise(records_frame(records))
            if st is not None:
                st.write(index, frame)
            finished[index] = frame
            bar.update()
    finally:
        bar.close()


def _assemble(plan: _Plan, finished: dict, n_loaded: int) -> pd.DataFrame:
    """The parameter rows beside the task results, in model order, with ``attrs["sweep"]``."""
    res = normalise(pd.concat([finished[i] for i in range(len(plan.tasks))], ignore_index=True))
    params = pd.DataFrame.from_records(plan.rows)
    clash = sorted(set(params.columns) & set(res.columns))
    if clash:
        raise ValueError(f"The analyzer or measure returned column(s) {clash}, which are parameter columns "
                         "of the sweep; rename them.")
    params.insert(list(params.columns).index("seed") + 1, "monitor", plan.monitor)
    df = pd.concat([params, res.drop(columns="model")], axis=1)
    df.attrs["sweep"] = {"n_models": len(plan.models), "n_tasks": len(plan.tasks),
                         "n_loaded_tasks": n_loaded, "n_computed_tasks": len(plan.tasks) - n_loaded,
                         "result_columns": [c for c in res.columns if c != "model"]}
    return df
