"""The number of parallel workers: ``n_jobs`` in scikit-learn's sense, with a ceiling.

``None`` means one (or what an enclosing ``joblib.parallel_config`` says), ``-1`` every CPU, ``-2``
every CPU but one, and so on; 0 is refused. A positive count above :func:`max_local_workers` is
refused while a local joblib backend is active, because each worker is a thread or a process of
this machine: ``n_jobs=2**40`` would otherwise try to start that many. Under a cluster backend
(e.g. Dask's) any count is accepted: the cluster schedules it.
"""

from __future__ import annotations

import os
from typing import Any

from ._validation import InvalidParameterError, _is_int, _show

__all__ = ["check_n_jobs", "max_local_workers"]

_LOCAL_BACKENDS = ("SequentialBackend", "ThreadingBackend", "LokyBackend", "MultiprocessingBackend")


def max_local_workers() -> int:
    """The most local workers accepted: four per CPU, and at least 32."""
    return max(32, 4 * (os.cpu_count() or 1))


def _local_backend_active() -> bool:
    try:
        from joblib.parallel import get_active_backend

        backend, _ = get_active_backend()
    except Exception:  # noqa: BLE001 - joblib internals moved: assume local, the safe side
        return True
    return type(backend).__name__ in _LOCAL_BACKENDS


def check_n_jobs(n_jobs: Any, *, name: str = "n_jobs", owner: str | None = None) -> int | None:
    """``n_jobs`` checked: None or a non-zero integer within the local ceiling.

    Raises
    ------
    InvalidParameterError
        For a non-integer, 0, a negative count beyond the CPUs, or a positive count above
        :func:`max_local_workers` under a local backend.
    """
    prefix = f"{owner}: " if owner else ""
    if n_jobs is None:
        return None
    if not _is_int(n_jobs) or int(n_jobs) == 0:
        raise InvalidParameterError(
            f"{prefix}{name} must be None, a positive number of workers, or -1 for every CPU (-2 for all "
            f"but one, ...); got {_show(n_jobs)}.")
    n_jobs = int(n_jobs)
    cpus = os.cpu_count() or 1
    if n_jobs < -cpus:
        raise InvalidParameterError(
            f"{prefix}{name}={n_jobs} asks for every CPU but {-n_jobs - 1}, and this machine has {cpus}; "
            f"use a value in [-{cpus}, -1] or a positive count.")
    ceiling = max_local_workers()
    if n_jobs > ceiling and _local_backend_active():
        raise InvalidParameterError(
            f"{prefix}{name}={n_jobs} would start {n_jobs} local workers (this machine has {cpus} CPUs; at "
            f"most {ceiling} are accepted). Use n_jobs=-1 for every CPU, or a cluster backend (e.g. Dask's "
            f"joblib backend) for more workers.")
    return n_jobs
