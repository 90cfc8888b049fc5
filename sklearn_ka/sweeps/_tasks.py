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

from .._utils import InvalidParameterError, MemoryBudgetError
from ..engine import torch_threads
from ..neural_network import ShallowMLPRegressor, fit_many
from ._fingerprint import describe_callable, describe_value
from ._seeds import draw_data

__all__ = ["RESULT_COLUMNS", "TIMING_COLUMNS", "RESERVED", "Task", "partition", "check_analyzer",
           "check_analysis_memory", "describe_analyzer", "describe_measure", "normalise", "parallel_results",
           "records_frame"]

#: Result columns every row has (analyzer and ``measure`` keys follow them).
RESULT_COLUMNS: tuple[str, ...] = ("train_r2", "test_r2", "n_epochs", "best_epoch", "stop_reason", "fit_time")
#: Wall-time columns: the only columns that differ between two runs of the same sweep.
TIMING_COLUMNS: tuple[str, ...] = ("fit_time", "analysis_time")
#: Column names the sweep itself writes; analyzer, measure and function parameters may not use them.
RESERVED = frozenset({"model", "function", "function_seed", "seed", "monitor", *RESULT_COLUMNS, *TIMING_COLUMNS})
#: ``task_size="auto"``: a grid cell with more seeds is cut into tasks of at most this many models.
MAX_AUTO_TASK = 8


@dataclass
class Task:
    """One task: its index, its models (``_grid.Model``), and what every model gets.

    ``monitor`` is the loss early stopping monitors: ``"test"`` (the test set is the
    ``eval_set``) or ``"train"`` (the training loss).
    """

    index: int
    models: list
    n_samples: int
    analyzer: object
    measure: object
    monitor: str = "test"


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


def check_analysis_memory(template: Any, widths, n_features: int, *, owner: str = "sweep") -> None:
    """Refuse at once an analyzer that could not analyse models of these widths (before any training).

    For :class:`~sklearn_ka.KAGeometryAnalyzer` templates, the checks its ``fit`` makes first, from
    the shapes alone (:meth:`~sklearn_ka.KAGeometryAnalyzer.check_memory_budget`: parameters,
    minors within ``max_memory_bytes``, rotations within the package's budget), for every width.
    Other analyzers are not checked here.

    Raises
    ------
    InvalidParameterError
        A parameter of the analyzer is invalid.
    MemoryBudgetError
        The analysis of the widest models cannot fit its budget (a ``MinorBudgetError`` for the
        minors); the message names the width and says nothing was trained.
    """
    from ..analysis import KAGeometryAnalyzer

    if not isinstance(template, KAGeometryAnalyzer):
        return
    for m in sorted(set(widths), reverse=True):
        try:
            template.check_memory_budget(m, n_features)
        except MemoryBudgetError as exc:
            raise type(exc)(f"{owner}: the analysis of the models with hidden_units={m} cannot fit its memory "
                            f"budget (checked before training anything): {exc} Alternatives also include "
                            f"fewer hidden units.") from None
        except ValueError as exc:
            if isinstance(exc, InvalidParameterError):
                raise
            raise InvalidParameterError(f"{owner}: {exc}") from None


def describe_analyzer(template: Any) -> Any:
    """The analyzer's part of the sweep definition: its class and parameters (seeds and jobs aside)."""
    if template is None:
        return False
    params = {k: describe_value(v) for k, v in template.get_params(deep=False).items()
              if k not in ("random_state", "n_jobs")}
    return {"class": f"{type(template).__module__}.{type(template).__qualname__}", "params": params}


def describe_measure(measure: Any) -> Any:
    """The measure's part of the sweep definition (:func:`~._fingerprint.describe_callable`).

    A function by its qualified name, a hash of its code, its defaults and closure values; an
    object by its class, parameters, ``version`` and the code of its ``__call__``.
    """
    if measure is None:
        return None
    return describe_callable(measure)


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
    fit_many(estimators, Xs, ys, eval_set=evals if task.monitor == "test" else None)
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


_INT64 = np.iinfo(np.int64)


def _fits_int64(values) -> bool:
    return all(_INT64.min <= int(v) <= _INT64.max for v in values)


def records_frame(records: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """The DataFrame of a task's records; a column holding an integer beyond float64's exact range
    (``2**53``) is built from the records as Python objects, so that no value is rounded on the way."""
    frame = pd.DataFrame.from_records(records)
    for c in frame.columns:
        values = [r.get(c) for r in records]
        if any(isinstance(v, int) and not isinstance(v, bool) and abs(v) > 2**53 for v in values):
            frame[c] = pd.Series(values, dtype=object)
    return frame


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def _beyond_float(s: pd.Series) -> bool:
    """Whether an integer column with missing values holds an integer that float64 cannot hold exactly."""
    return any(not _missing(v) and abs(int(v)) > 2**53 for v in s)


def normalise(frame: pd.DataFrame) -> pd.DataFrame:
    """Fixed dtypes for result columns, so computed and stored results compare exactly.

    Integers are int64 when every value fits; a column holding an integer outside the int64 range
    (e.g. ``2**63``), or, with missing values, beyond ``2**53`` (where float64 rounds), keeps its
    exact values as Python ints (an object column, None where missing) instead of wrapping.
    """
    out = {}
    for c in frame.columns:
        s = frame[c]
        kind = pd.api.types.infer_dtype(s, skipna=False)
        if kind == "boolean":
            s = s.astype(bool)
        elif kind == "integer":
            values = s.tolist()
            s = s.astype(np.int64) if _fits_int64(values) else pd.Series([int(v) for v in values], dtype=object)
        elif kind == "integer-na" and _beyond_float(s):
            s = pd.Series([None if _missing(v) else int(v) for v in s], dtype=object)
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
