"""Persistence of sweeps: one Parquet file per finished task plus a JSON manifest.

Layout of a store directory (see ``docs/sweeps.md``)::

    DIR/
      manifest.json                       # the sweep definition, written once, atomically
      tasks/
        task-000003-<sha16>.parquet       # results of task 3; <sha16> = first 16 hex digits
        ...                               # of the SHA-256 of the file's bytes

Every file is written to a temporary name in the same directory and then moved into place with
:func:`os.replace`, so a reader (or a rerun after a crash) sees either the whole file or none.
A result file whose bytes do not match the checksum in its name, that Parquet cannot read, or
whose embedded metadata names another sweep or other models, is renamed ``*.corrupt`` and its
task recomputed.
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
from pathlib import Path

import numpy as np
import pandas as pd

from .._version import __version__

__all__ = ["SweepStore", "open_store", "load_sweep", "canonical_json", "FORMAT_NAME", "FORMAT_VERSION"]

FORMAT_NAME = "sklearn_ka.sweep"
FORMAT_VERSION = 1
_MANIFEST = "manifest.json"
_TASK_DIR = "tasks"
_TASK_RE = re.compile(r"^task-(\d{6})-([0-9a-f]{16})\.parquet$")
_META_KEY = b"sklearn_ka.sweep"


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


class SweepStore:
    """A directory holding the finished tasks of one sweep definition.

    Parameters
    ----------
    path : str or os.PathLike
        The directory; created when missing.
    manifest : dict
        ``definition`` (JSON-able description of the sweep), ``definition_sha256``, ``tasks``
        (model indices per task) and ``models`` (the per-model parameters, JSON-able).

    Raises
    ------
    ValueError
        The directory holds a store of another sweep definition, or files that are not a store.
    """

    def __init__(self, path, manifest):
        _require_pyarrow()
        self.path = Path(path)
        self.task_dir = self.path / _TASK_DIR
        self.manifest = manifest
        self.sha = manifest["definition_sha256"]
        self._open()

    # ------------------------------------------------------------------ manifest
    def _open(self):
        mpath = self.path / _MANIFEST
        if self.path.exists() and not self.path.is_dir():
            raise ValueError(f"store={str(self.path)!r} exists and is not a directory.")
        if mpath.exists():
            try:
                old = json.loads(mpath.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise ValueError(
                    f"The sweep store {str(self.path)!r} has an unreadable manifest ({exc}); "
                    "remove the directory or use another store."
                ) from None
            if old.get("format") != FORMAT_NAME:
                raise ValueError(f"{str(mpath)!r} is not a sklearn_ka sweep manifest.")
            if old.get("definition_sha256") != self.sha:
                diff = _diff_keys(old.get("definition", {}), self.manifest["definition"])
                raise ValueError(
                    f"The sweep store {str(self.path)!r} was made for a different sweep definition "
                    f"(differs in: {', '.join(diff) or 'its definition hash'}). Results of different "
                    "sweeps are never mixed: use another store directory, or delete this one to "
                    "start over."
                )
        else:
            if self.path.is_dir() and any(p.name != _TASK_DIR for p in self.path.iterdir()):
                raise ValueError(
                    f"store={str(self.path)!r} is a non-empty directory without a sweep manifest; "
                    "refusing to write into it. Use an empty or new directory."
                )
            self.path.mkdir(parents=True, exist_ok=True)
            _atomic_write(mpath, (canonical_json(self.manifest, indent=1) + "\n").encode("utf-8"))
        self.task_dir.mkdir(exist_ok=True)
        for tmp in self.task_dir.glob(".tmp-*"):  # leftovers of a killed writer
            try:
                tmp.unlink()
            except OSError:  # pragma: no cover
                pass

    # --------------------------------------------------------------------- tasks
    def _discard(self, path, reason):
        warnings.warn(f"Sweep store: {path.name} is {reason}; its task will be recomputed.",
                      RuntimeWarning, stacklevel=3)
        try:
            os.replace(path, path.with_name(path.name + ".corrupt"))
        except OSError:  # pragma: no cover
            pass

    def load_finished(self):
        """Read every valid task file.

        Returns
        -------
        finished : dict
            Task index -> DataFrame of that task's result columns (with ``model``).
        """
        import pyarrow.parquet as pq

        tasks = self.manifest["tasks"]
        finished = {}
        for path in sorted(self.task_dir.iterdir()):
            m = _TASK_RE.match(path.name)
            if m is None:
                continue
            index, digest = int(m.group(1)), m.group(2)
            if index >= len(tasks) or index in finished:
                self._discard(path, "not a task of this sweep" if index >= len(tasks) else "a duplicate")
                continue
            try:
                data = path.read_bytes()
            except OSError:  # pragma: no cover
                continue
            if _sha256(data)[:16] != digest:
                self._discard(path, "truncated or corrupt (checksum mismatch)")
                continue
            try:
                table = pq.read_table(io.BytesIO(data))
                meta = json.loads(table.schema.metadata[_META_KEY])
                frame = table.to_pandas()
            except Exception:  # noqa: BLE001 - any reader failure means a bad file
                self._discard(path, "unreadable")
                continue
            if (meta.get("definition_sha256") != self.sha or meta.get("task") != index
                    or list(frame["model"]) != list(tasks[index])):
                self._discard(path, "from another sweep or task")
                continue
            finished[index] = frame
        return finished

    def write(self, index, frame):
        """Write the results of task ``index`` atomically (temporary file, then os.replace)."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pandas(frame, preserve_index=False)
        meta = dict(table.schema.metadata or {})
        meta[_META_KEY] = canonical_json({"definition_sha256": self.sha, "task": int(index)}).encode()
        table = table.replace_schema_metadata(meta)
        buf = io.BytesIO()
        pq.write_table(table, buf)
        data = buf.getvalue()
        _atomic_write(self.task_dir / f"task-{index:06d}-{_sha256(data)[:16]}.parquet", data)


def open_store(path: str | os.PathLike, definition: dict, tasks: list[list[int]], models: list[dict]) -> SweepStore:
    """The store of a sweep definition at ``path``: created with its manifest, or reopened.

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
    """
    manifest = {
        "format": FORMAT_NAME, "format_version": FORMAT_VERSION, "definition": definition,
        "definition_sha256": _sha256(canonical_json(definition).encode()), "sklearn_ka_version": __version__,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "tasks": tasks, "models": models,
    }
    return SweepStore(path, manifest)


def _diff_keys(old, new):
    keys = sorted(set(old) | set(new))
    return [k for k in keys if canonical_json(old.get(k)) != canonical_json(new.get(k))]


def load_sweep(store: str | os.PathLike) -> pd.DataFrame:
    """Read what a sweep store holds so far, without running anything.

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
        One row per finished model, in the sweep's model order. ``df.attrs["sweep"]`` has
        ``n_tasks`` and ``n_finished_tasks``.
    """
    path = Path(store)
    mpath = path / _MANIFEST
    if not mpath.exists():
        raise FileNotFoundError(f"{str(path)!r} holds no sweep manifest ({_MANIFEST}).")
    manifest = json.loads(mpath.read_text(encoding="utf-8"))
    st = SweepStore(path, manifest)
    finished = st.load_finished()
    params = pd.DataFrame(manifest["models"])
    if not finished:
        out = params.iloc[:0]
    else:
        res = pd.concat([finished[i] for i in sorted(finished)], ignore_index=True)
        out = params.iloc[res["model"].to_numpy()].reset_index(drop=True)
        out = pd.concat([out, res.drop(columns="model")], axis=1)
    out.attrs["sweep"] = {"n_tasks": len(manifest["tasks"]), "n_finished_tasks": len(finished)}
    return out
