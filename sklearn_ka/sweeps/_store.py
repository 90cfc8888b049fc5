"""Persistence of sweeps: one Parquet file per finished task plus a JSON manifest, one writer at a time.

Layout of a store directory (see ``docs/sweeps.md``)::

    DIR/
      manifest.json                       # the sweep definition, written once, atomically
      sweep.lock                          # while a sweep writes: its pid, host, start time
      tasks/
        task-000003-<sha16>.parquet       # results of task 3; <sha16> = first 16 hex digits
        ...                               # of the SHA-256 of the file's bytes

Every file is written to a temporary name in the same directory and then moved into place with
:func:`os.replace`, so a reader (or a rerun after a crash) sees either the whole file or none.

A **writer** (``sweep(..., store=DIR)``, :func:`open_store`) takes the store's lock
(:mod:`._lock`), checks the manifest (its checksums and its definition against the sweep's),
deletes the temporary files of a writer that died, and renames a bad result file ``*.corrupt``
(its task is recomputed). A **reader** (:func:`load_sweep`) changes nothing: it checks the
manifest's checksums, skips bad or in-flight files with a warning, and never takes the lock.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._utils import InvalidParameterError
from .._version import __version__
from ._lock import LOCK_NAME, StoreLock, read_lock
from ._tasks import normalise

__all__ = ["SweepStore", "open_store", "load_sweep", "read_manifest", "check_store_path", "canonical_json",
           "FORMAT_NAME", "FORMAT_VERSION", "LEGACY_DEFINITION_DEFAULTS", "same_definition"]

FORMAT_NAME = "sklearn_ka.sweep"
#: Version 2: the definition identifies target functions by their values and measures by their
#: code and parameters, and the manifest carries a checksum of itself (``manifest_sha256``).
FORMAT_VERSION = 2
_MANIFEST = "manifest.json"
_TASK_DIR = "tasks"
_TASK_RE = re.compile(r"^task-(\d{6})-([0-9a-f]{16})\.parquet$")
_META_KEY = b"sklearn_ka.sweep"
_MANIFEST_KEYS = ("format", "format_version", "definition", "definition_sha256", "tasks", "models")

#: Keys added to the sweep definition after stores were written without them, with the value
#: that every such store had: before ``monitor`` existed, every sweep monitored the test set.
#: A store whose definition lacks such a key matches a sweep whose definition has the key at
#: this value (and is otherwise equal); any other value is another definition.
LEGACY_DEFINITION_DEFAULTS: dict[str, Any] = {"monitor": "test"}


def _json_default(value):
    """JSON encoding of the values found in sweep definitions (numpy scalars, arrays, others)."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=repr)
    return repr(value)


def canonical_json(obj, **kwargs):
    """Deterministic JSON text of ``obj`` (sorted keys, numpy scalars as numbers, others by repr)."""
    return json.dumps(obj, sort_keys=True, default=_json_default, ensure_ascii=False, **kwargs)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _definition_sha(definition) -> str:
    return _sha256(canonical_json(definition).encode())


def _manifest_sha(manifest: dict) -> str:
    """Checksum of everything in the manifest but itself (definition, tasks, models, ...)."""
    return _sha256(canonical_json({k: v for k, v in manifest.items() if k != "manifest_sha256"}).encode())


def _atomic_write(path: Path, data: bytes):
    """Write ``data`` to ``path`` through a temporary file in the same directory and os.replace."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _require_pyarrow():
    try:
        import pyarrow  # noqa: F401
        import pyarrow.parquet  # noqa: F401
    except ImportError as exc:  # pragma: no cover - pyarrow is in the test extras
        raise ImportError(
            "sweep(store=...) writes Parquet files and needs pyarrow: pip install pyarrow "
            "(or run without store=)."
        ) from exc


class StoreNotFoundError(FileNotFoundError, ValueError):
    """A path that holds no sweep store: a :class:`FileNotFoundError` and, being a bad argument, a
    :class:`ValueError` (as the package's other parameter errors)."""


def check_store_path(store: Any, *, owner: str) -> Path:
    """``store`` as a :class:`~pathlib.Path`; a clear error for anything but a path."""
    if isinstance(store, bool) or not isinstance(store, (str, os.PathLike)):
        raise InvalidParameterError(f"{owner}: store must be a directory path (a str or os.PathLike); got "
                                    f"{store!r} (of type {type(store).__name__}).")
    if isinstance(store, str) and not store.strip():
        raise InvalidParameterError(f"{owner}: store must be a directory path; got an empty string.")
    return Path(store)


# ---------------------------------------------------------------------- manifest
def read_manifest(path: Path, *, owner: str, legacy: bool = False) -> dict:
    """The checked manifest of the store at ``path`` (reads only).

    Parameters
    ----------
    path : pathlib.Path
        The store directory.
    owner : str
        The calling function, for messages.
    legacy : bool, default=False
        Accept a manifest of format version 1 (with a warning): for readers only.

    Raises
    ------
    FileNotFoundError
        No manifest.
    ValueError
        A manifest that is not valid JSON (truncated), not a sweep manifest, of an unknown format
        version, or whose checksums do not match its content (edited by hand); the message names
        the file and the mismatch.
    """
    mpath = path / _MANIFEST
    if path.exists() and not path.is_dir():
        raise ValueError(f"{owner}: store={str(path)!r} exists and is not a directory.")
    if not mpath.is_file():
        raise StoreNotFoundError(f"{owner}: {str(path)!r} holds no sweep store (no {_MANIFEST}).")
    try:
        manifest = json.loads(mpath.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ValueError(f"{owner}: the sweep manifest {str(mpath)!r} cannot be read ({type(exc).__name__}: {exc}); "
                         "it is truncated or not JSON. Delete the store directory (or use another) to start "
                         "over.") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
        raise ValueError(f"{owner}: {str(mpath)!r} is not a sklearn_ka sweep manifest (no \"format\": "
                         f"\"{FORMAT_NAME}\").")
    missing = [k for k in _MANIFEST_KEYS if k not in manifest]
    if missing:
        raise ValueError(f"{owner}: the sweep manifest {str(mpath)!r} lacks {missing}; it was edited or is "
                         "damaged. Delete the store directory (or use another) to start over.")
    version = manifest["format_version"]
    if version == 1 and legacy:
        warnings.warn(f"{owner}: {str(mpath)!r} was written by an older store format (version 1, sklearn-ka "
                      f"{manifest.get('sklearn_ka_version', '?')}) that has no checksum of its own and identified "
                      "target functions and measures by name only; its content is read as it is.",
                      UserWarning, stacklevel=3)
    elif version == 1:
        raise ValueError(
            f"{owner}: the sweep store {str(path)!r} was written by an older store format (version 1, sklearn-ka "
            f"{manifest.get('sklearn_ka_version', '?')}), which identified target functions and measures by name "
            f"only, so its results cannot be matched with this sweep. load_sweep still reads it; to compute the "
            f"sweep, delete the directory or use another store.")
    elif version != FORMAT_VERSION:
        raise ValueError(f"{owner}: {str(mpath)!r} has store format version {version!r}; this sklearn-ka "
                         f"({__version__}) reads versions 1 and {FORMAT_VERSION}. Use the sklearn-ka that wrote it.")
    found = _definition_sha(manifest["definition"])
    if found != manifest["definition_sha256"]:
        raise ValueError(f"{owner}: the sweep manifest {str(mpath)!r} was modified after it was written: its "
                         f"definition hashes to {found[:16]}..., not the recorded definition_sha256 "
                         f"{str(manifest['definition_sha256'])[:16]}.... Its results cannot be trusted; delete the "
                         "store directory (or use another) to recompute them.")
    if version >= 2:
        found = _manifest_sha(manifest)
        if found != manifest.get("manifest_sha256"):
            raise ValueError(f"{owner}: the sweep manifest {str(mpath)!r} was modified after it was written: its "
                             f"content (definition, tasks or models) hashes to {found[:16]}..., not the recorded "
                             f"manifest_sha256 {str(manifest.get('manifest_sha256'))[:16]}.... Its results cannot "
                             "be trusted; delete the store directory (or use another) to recompute them.")
    return manifest


def same_definition(stored: dict, definition: dict) -> bool:
    """Whether a stored definition is that of ``definition``, reading absent newer keys at their
    :data:`LEGACY_DEFINITION_DEFAULTS` (a store written before ``monitor`` existed monitored the test set)."""
    filled = {**{k: v for k, v in LEGACY_DEFINITION_DEFAULTS.items() if k not in stored}, **stored}
    return canonical_json(filled) == canonical_json(definition)


def _new_manifest(definition: dict, tasks: list, models: list) -> tuple[dict, bytes]:
    """The manifest of a new store and its bytes (the checksum is that of the JSON read back)."""
    manifest = {
        "format": FORMAT_NAME, "format_version": FORMAT_VERSION, "definition": definition,
        "definition_sha256": _definition_sha(definition), "sklearn_ka_version": __version__,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "tasks": tasks, "models": models,
    }
    manifest = json.loads(canonical_json(manifest))  # exactly what a reader will see
    manifest["manifest_sha256"] = _manifest_sha(manifest)
    return manifest, (canonical_json(manifest, indent=1) + "\n").encode("utf-8")


# ------------------------------------------------------------------ task files
def _integer_text_columns(frame: pd.DataFrame) -> list[str]:
    """Object columns of Python ints (and missing values): stored as decimal text, int64 cannot hold them."""
    out = []
    for c in frame.columns:
        if frame[c].dtype == object:
            values = [v for v in frame[c] if v is not None and not (isinstance(v, float) and np.isnan(v))]
            if values and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
                out.append(c)
    return out


def _scan_tasks(task_dir: Path, tasks: list, sha: str, bad: Callable[[Path, str], None]) -> dict:
    """Read every valid task file of ``task_dir``; ``bad(path, reason)`` for the others. Reads only."""
    import pyarrow.parquet as pq

    finished = {}
    if not task_dir.is_dir():
        return finished
    for path in sorted(task_dir.iterdir()):
        m = _TASK_RE.match(path.name)
        if m is None:
            continue
        index, digest = int(m.group(1)), m.group(2)
        if index >= len(tasks) or index in finished:
            bad(path, "not a task of this sweep" if index >= len(tasks) else "a duplicate")
            continue
        try:
            data = path.read_bytes()
        except OSError:  # pragma: no cover
            continue
        if _sha256(data)[:16] != digest:
            bad(path, "truncated or corrupt (checksum mismatch)")
            continue
        try:
            table = pq.read_table(io.BytesIO(data))
            meta = json.loads(table.schema.metadata[_META_KEY])
            frame = table.to_pandas()
            for c in meta.get("integer_text_columns", []):  # decimal text -> exact Python ints
                frame[c] = pd.Series([int(v) if isinstance(v, str) else None for v in frame[c]], dtype=object)
        except Exception:  # noqa: BLE001 - any reader failure means a bad file
            bad(path, "unreadable")
            continue
        if (meta.get("definition_sha256") != sha or meta.get("task") != index
                or list(frame["model"]) != list(tasks[index])):
            bad(path, "from another sweep or task")
            continue
        finished[index] = frame
    return finished


class SweepStore:
    """The writer of one store directory: holds its lock from :func:`open_store` to :meth:`close`.

    Parameters
    ----------
    path : pathlib.Path
        The store directory (it exists, with its manifest).
    manifest : dict
        The checked manifest.
    lock : StoreLock
        The store's lock, held.
    """

    def __init__(self, path: Path, manifest: dict, lock: StoreLock) -> None:
        self.path = Path(path)
        self.task_dir = self.path / _TASK_DIR
        self.manifest = manifest
        self.sha = manifest["definition_sha256"]
        self.lock = lock

    def __enter__(self) -> SweepStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Release the lock (other writers may then open the store)."""
        self.lock.release()

    def _discard(self, path, reason):
        warnings.warn(f"Sweep store: {path.name} is {reason}; its task will be recomputed.",
                      RuntimeWarning, stacklevel=4)
        try:
            os.replace(path, path.with_name(path.name + ".corrupt"))
        except OSError:  # pragma: no cover
            pass

    def load_finished(self) -> dict:
        """Read every valid task file; bad ones are renamed ``*.corrupt`` (their tasks recomputed).

        Returns
        -------
        finished : dict
            Task index -> DataFrame of that task's result columns (with ``model``).
        """
        return _scan_tasks(self.task_dir, self.manifest["tasks"], self.sha, self._discard)

    def write(self, index: int, frame: pd.DataFrame) -> None:
        """Write the results of task ``index`` atomically (temporary file, then os.replace)."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        text = _integer_text_columns(frame)
        if text:
            frame = frame.assign(**{c: [None if v is None or v != v else str(v) for v in frame[c]] for c in text})
        table = pa.Table.from_pandas(frame, preserve_index=False)
        meta = dict(table.schema.metadata or {})
        info = {"definition_sha256": self.sha, "task": int(index)}
        if text:
            info["integer_text_columns"] = text
        meta[_META_KEY] = canonical_json(info).encode()
        table = table.replace_schema_metadata(meta)
        buf = io.BytesIO()
        pq.write_table(table, buf)
        data = buf.getvalue()
        _atomic_write(self.task_dir / f"task-{index:06d}-{_sha256(data)[:16]}.parquet", data)
        self.lock.heartbeat()


def _check_new_directory(path: Path, owner: str) -> None:
    if path.exists() and not path.is_dir():
        raise ValueError(f"{owner}: store={str(path)!r} exists and is not a directory.")
    if path.is_dir() and not (path / _MANIFEST).exists():
        foreign = sorted(p.name for p in path.iterdir() if p.name not in (_TASK_DIR, LOCK_NAME))
        if foreign:
            raise ValueError(f"{owner}: store={str(path)!r} is a non-empty directory without a sweep manifest "
                             f"(it holds {foreign[:3]}{' ...' if len(foreign) > 3 else ''}); refusing to write into "
                             "it. Use an empty or new directory.")


def open_store(path: str | os.PathLike, definition: dict, tasks: list[list[int]], models: list[dict], *,
               owner: str = "sweep") -> SweepStore:
    """Open the store of a sweep definition at ``path`` for writing: created with its manifest, or reopened.

    Takes the store's lock first (a second writer is refused), then checks an existing manifest
    (checksums, and its definition against ``definition``: another sweep is refused, never mixed)
    or writes a new one, and deletes the temporary files a dead writer left.

    Parameters
    ----------
    path : str or os.PathLike
        The store directory.
    definition : dict
        The JSON-able sweep definition; its SHA-256 (of the canonical JSON) identifies the sweep.
    tasks : list of list of int
        The model indices of each task.
    models : list of dict
        The parameter columns of each model.
    owner : str, default="sweep"
        The calling function, for messages.

    Returns
    -------
    SweepStore
        Holding the lock: call :meth:`SweepStore.close` (or use it as a context manager).
    """
    _require_pyarrow()
    path = check_store_path(path, owner=owner)
    _check_new_directory(path, owner)
    manifest, data = _new_manifest(definition, tasks, models)
    path.mkdir(parents=True, exist_ok=True)
    lock = StoreLock(path).acquire()
    try:
        if (path / _MANIFEST).exists():
            old = read_manifest(path, owner=owner)
            if old["definition_sha256"] != manifest["definition_sha256"] and not (
                    same_definition(old["definition"], manifest["definition"]) and old["tasks"] == manifest["tasks"]):
                diff = _diff_keys(old["definition"], manifest["definition"])
                raise ValueError(
                    f"The sweep store {str(path)!r} was made for a different sweep definition "
                    f"(differs in: {', '.join(diff) or 'its definition hash'}). Results of different "
                    "sweeps are never mixed: use another store directory, or delete this one to "
                    "start over.")
            manifest = old
        else:
            _atomic_write(path / _MANIFEST, data)
        task_dir = path / _TASK_DIR
        task_dir.mkdir(exist_ok=True)
        for tmp in task_dir.glob(".tmp-*"):  # leftovers of a writer that died (we hold the lock)
            try:
                tmp.unlink()
            except OSError:  # pragma: no cover
                pass
    except BaseException:
        lock.release()
        raise
    return SweepStore(path, manifest, lock)


def _diff_keys(old, new):
    keys = sorted(set(old) | set(new))
    old = {**{k: v for k, v in LEGACY_DEFINITION_DEFAULTS.items() if k not in old}, **old}
    return [k for k in keys if canonical_json(old.get(k)) != canonical_json(new.get(k))]


def load_sweep(store: str | os.PathLike) -> pd.DataFrame:
    """Read what a sweep store holds so far, without running or changing anything.

    A reader never writes: it takes no lock, deletes no temporary file and renames no bad file
    (those are skipped with a warning), so reading while a sweep writes the store is safe. The
    manifest's checksums are verified first: a manifest edited by hand or truncated is refused.
    Parameter columns come from the manifest's JSON (tuples read back as lists); to get exactly
    the DataFrame :func:`sweep` returns, rerun the same ``sweep(..., store=store)``: it computes
    nothing that is already stored.

    Parameters
    ----------
    store : str or os.PathLike
        A directory written by ``sweep(..., store=...)``.

    Returns
    -------
    df : pandas.DataFrame
        One row per finished model, in the sweep's model order, with the ``monitor`` column of
        the definition (``"test"`` for stores written before it existed). ``df.attrs["sweep"]`` has
        ``n_tasks``, ``n_finished_tasks`` and ``writer`` (the lock of a sweep writing the store
        now: ``pid``, ``host``, ``created``, ``age_s``; None when none holds it).

    Raises
    ------
    TypeError
        ``store`` is not a path.
    FileNotFoundError
        The directory holds no sweep manifest (the error is also a ``ValueError``).
    ValueError
        The manifest is truncated, not JSON, or was modified after it was written (its checksums
        do not match); the message names the file and the mismatch.
    """
    _require_pyarrow()
    path = check_store_path(store, owner="load_sweep")
    manifest = read_manifest(path, owner="load_sweep", legacy=True)

    def skip(file, reason):
        warnings.warn(f"load_sweep: {file.name} is {reason}; skipped (left as it is: a rerun of the sweep "
                      "replaces it).", RuntimeWarning, stacklevel=4)

    finished = _scan_tasks(path / _TASK_DIR, manifest["tasks"], manifest["definition_sha256"], skip)
    params = pd.DataFrame(manifest["models"])
    if "seed" in params.columns and "monitor" not in params.columns:  # the definition's, as sweep returns it
        monitor = manifest["definition"].get("monitor", LEGACY_DEFINITION_DEFAULTS["monitor"])
        params.insert(list(params.columns).index("seed") + 1, "monitor", monitor)
    if not finished:
        out = params.iloc[:0]
    else:
        res = normalise(pd.concat([normalise(finished[i]) for i in sorted(finished)], ignore_index=True))
        out = params.iloc[res["model"].to_numpy()].reset_index(drop=True)
        out = pd.concat([out, res.drop(columns="model")], axis=1)
    writer = read_lock(path / LOCK_NAME)
    if writer is not None:
        writer = {k: v for k, v in writer.items() if k != "token"}
    out.attrs["sweep"] = {"n_tasks": len(manifest["tasks"]), "n_finished_tasks": len(finished), "writer": writer}
    return out
