"""The tasks of a sweep: the partition of its models, and running one task (train, analyse, measure).

A task is a run of consecutive models trained together with :func:`~sklearn_ka.fit_many`, then
analysed one by one, with one torch thread and one BLAS thread. The partition depends only on the
sweep definition (never on ``n_jobs`` or the backend), so results are the same bit for bit
whatever runs the tasks.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from joblib import Parallel, delayed, effective_n_jobs
from sklearn.base import clone

from ..engine import torch_threads
from ..neural_network import ShallowMLPRegressor, fit_many
from ._seeds import draw_data

__all__ = ["RESULT_COLUMNS", "TIMING_COLUMNS", "RESERVED", "Task", "partition", "check_analyzer",
           "describe_analyzer", "describe_measure", "normalise", "parallel_results"]

#: Result columns every row has (analyzer and ``measure`` keys follow them).
RESULT_COLUMNS: tuple[str, ...] = ("train_r2", "test_r2", "n_epochs", "best_epoch", "stop_reason", "fit_time")
#: Wall-time columns: the only columns that differ between two runs of the same sweep.
TIMING_COLUMNS: tuple[str, ...] = ("fit_time", "analysis_time")
#: Column names the sweep itself writes; analyzer, measure and function parameters may not use them.
RESERVED = frozenset({"model", "function", "function_seed", "seed", *RESULT_COLUMNS, *TIMING_COLUMNS})
#: ``task_size="auto"``: a grid cell with more seeds is cut into tasks of at most this many models.
MAX_AUTO_TASK = 8


@dataclass
class Task:
    """One task: its index, its models (``_grid.Model``), and what every model gets."""

    index: int
    models: list
    n_samples: int
    analyzer: object
    measure: object


def partition(models: Sequence[Any], n_seeds: int, task_size: int | str) -> list[list[Any]]:
    """Cut the models into tasks.

    ``"auto"``: one task per grid cell (its ``n_seeds`` consecutive models), cut into pieces of at
    most :data:`MAX_AUTO_TASK`; an int: consecutive models in tasks of at most that many.
    """
    if task_size == "auto":
        return [models[c + i:c + min(i + MAX_AUTO_TASK, n_seeds)]
                for c in range(0, len(models), n_seeds) for i in range(0, n_seeds, MAX_AUTO_TASK)]
    return [models[i:i + task_size] for i in range(0, len(models), task_size)]


# ----------------------------------------------------------------------- analyzer
def check_analyzer(analyzer: Any) -> Any:
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


def describe_analyzer(template: Any) -> Any:
    """The analyzer's part of the sweep definition: its class and parameters (seeds and jobs aside)."""
    if template is None:
        return False
    params = {k: v for k, v in template.get_params(deep=False).items() if k not in ("random_state", "n_jobs")}
    return {"class": f"{type(template).__module__}.{type(template).__qualname__}", "params": params}


def describe_measure(measure: Any) -> str | None:
    """The measure's part of the sweep definition: its qualified name."""
    if measure is None:
        return None
    return f"{getattr(measure, '__module__', '?')}.{getattr(measure, '__qualname__', type(measure).__qualname__)}"


# ---------------------------------------------------------------------- running
def run_task(task: Task) -> tuple[int, list[dict]]:
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
            data[key] = draw_data(m.target, m.seed, task.n_samples)
        X, y, Xt, yt = data[key]
        estimators.append(ShallowMLPRegressor(**m.params, random_state=m.seed))
        Xs.append(X), ys.append(y), evals.append((Xt, yt)), cached.append(data[key])
    fit_many(estimators, Xs, ys, eval_set=evals)
    return [_record(task, m, est, X, y, Xt, yt) for m, est, (X, y, Xt, yt) in zip(task.models, estimators, cached)]


def _record(task, m, est, X, y, Xt, yt):
    """One row of results: training, then the analyzer's scores and the measure's columns."""
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
        _merge(rec, an.score(est, X), "analyzer.score")
        rec["analysis_time"] = time.perf_counter() - t0
    if task.measure is not None:
        _merge(rec, task.measure(est, X, y), "measure")
    return rec


def _merge(rec, extra, what):
    if not isinstance(extra, Mapping):
        raise TypeError(f"{what} must return a dict of columns; got {type(extra).__name__}.")
    for k, v in extra.items():
        if not isinstance(k, str) or k in RESERVED or k in rec:
            raise ValueError(f"{what} returned the column name {k!r}, which is not a string or is "
                             f"already used by the sweep.")
        rec[k] = v.item() if isinstance(v, np.generic) else v


def normalise(frame: pd.DataFrame) -> pd.DataFrame:
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


def parallel_results(todo: Sequence[Task], n_jobs: int | None) -> Iterator[tuple[int, list[dict]]]:
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
        yield from parallel(delayed(run_task)(t) for t in todo)
        return
    parallel = Parallel(n_jobs=n_jobs)
    wave = max(1, 2 * effective_n_jobs(n_jobs))
    for start in range(0, len(todo), wave):
        yield from parallel(delayed(run_task)(t) for t in todo[start:start + wave])
