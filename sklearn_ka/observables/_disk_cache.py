"""A small on-disk cache of computed constants: one checksummed JSON file per entry.

Used for the Haar constants ``c(m, r)`` that the package does not ship (see
:func:`~sklearn_ka.observables.haar_max_minor_constant`), so a Monte Carlo estimate is computed
once per machine rather than once per process.

Where: the environment variable ``SKLEARN_KA_CACHE_DIR`` when it is set (an empty value turns the
cache off), else ``$XDG_CACHE_HOME/sklearn-ka``, else ``~/.cache/sklearn-ka``.

Safety: an entry is written to a temporary file in the same directory and moved into place with
:func:`os.replace`, which is atomic, so a reader never sees half a file and concurrent writers of
the same (deterministic) entry simply replace one complete file by another. A file is trusted only
if it parses, carries the expected fields, matches the request and its SHA-256 checksum; anything
else counts as a miss, and the caller recomputes and overwrites it. A cache that cannot be created
or written (read-only home, no permission) is skipped silently: it only saves time.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["CACHE_ENV", "cache_dir", "read_entry", "write_entry"]

#: environment variable that overrides (or, set to an empty string, disables) the cache directory
CACHE_ENV = "SKLEARN_KA_CACHE_DIR"
_FORMAT = 1


def cache_dir() -> Path | None:
    """The package's cache directory (not created here), or None when the cache is turned off."""
    env = os.environ.get(CACHE_ENV)
    if env is not None:
        return Path(env).expanduser() if env.strip() else None
    base = os.environ.get("XDG_CACHE_HOME", "").strip()
    return (Path(base).expanduser() if base else Path.home() / ".cache") / "sklearn-ka"


def _checksum(payload: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def _path(kind: str, key: Mapping[str, Any]) -> Path | None:
    root = cache_dir()
    if root is None:
        return None
    name = "_".join(f"{k}{key[k]}" for k in sorted(key))
    return root / kind / f"{name}.json"


def read_entry(kind: str, key: Mapping[str, Any], fields: tuple[str, ...]) -> dict | None:
    """The cached values of ``kind`` for ``key``, or None (missing, unreadable, corrupt or stale).

    ``key`` holds the identifying values (numbers or strings), which must match the file's;
    ``fields`` names the values the entry must carry.
    """
    path = _path(kind, key)
    if path is None:
        return None
    try:
        with open(path, encoding="utf-8") as fh:
            entry = json.load(fh)
        payload, checksum = entry["payload"], entry["sha256"]
        if (not isinstance(payload, dict) or payload.get("format") != _FORMAT or payload.get("kind") != kind
                or payload.get("key") != dict(key) or checksum != _checksum(payload)):
            return None
        values = payload["values"]
        if not isinstance(values, dict) or any(f not in values for f in fields):
            return None
        return values
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_entry(kind: str, key: Mapping[str, Any], values: Mapping[str, Any]) -> bool:
    """Store ``values`` for ``key`` atomically; False (and nothing written) when that is impossible."""
    path = _path(kind, key)
    if path is None:
        return False
    payload = {"format": _FORMAT, "kind": kind, "key": dict(key), "values": dict(values)}
    text = json.dumps({"payload": payload, "sha256": _checksum(payload)}, sort_keys=True)
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, prefix=f".{path.stem}.",
                                         suffix=".tmp", delete=False) as fh:
            tmp = fh.name
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        return True
    except OSError:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
        return False
