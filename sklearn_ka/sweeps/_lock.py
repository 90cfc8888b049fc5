"""The writer's lock of a sweep store: one sweep writes a store at a time.

A writer creates ``DIR/sweep.lock`` with ``O_CREAT | O_EXCL`` (atomic: of two writers, exactly
one succeeds) holding its process id, host name, start time and a random token, and refreshes
the file's modification time every :data:`HEARTBEAT_S` seconds while it runs. A second writer
is refused with an error naming the lock and its holder. A lock is *stale*, and is taken over
with a warning, when its process is dead on this host, or when it has had no heartbeat for
:data:`STALE_AFTER_S` seconds (a writer on another host that died, or a process id reused after
a crash). Readers (:func:`~sklearn_ka.sweeps.load_sweep`) ignore the lock: files are moved into
place atomically, so reading while a sweep writes is safe.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import threading
import time
import uuid
import warnings
from pathlib import Path

__all__ = ["HEARTBEAT_S", "LOCK_NAME", "STALE_AFTER_S", "StoreLock", "read_lock"]

#: The lock file's name inside the store directory.
LOCK_NAME = "sweep.lock"
#: Seconds between two heartbeats (refreshes of the lock file's modification time).
HEARTBEAT_S = 30.0
#: A lock without a heartbeat for this many seconds is stale (ten minutes: twenty missed beats).
STALE_AFTER_S = 600.0


def read_lock(path: Path) -> dict | None:
    """The lock's content (with ``age_s``, seconds since its last heartbeat), or None without a lock."""
    try:
        text = path.read_text(encoding="utf-8")
        age = time.time() - path.stat().st_mtime
    except FileNotFoundError:
        return None
    except OSError:  # pragma: no cover - unreadable: treat as held, with unknown content
        return {"age_s": 0.0}
    try:
        info = json.loads(text)
        if not isinstance(info, dict):
            raise ValueError
    except ValueError:  # a writer killed between creating and filling the file
        info = {}
    info["age_s"] = age
    return info


def _pid_alive(pid: int) -> bool:
    if os.name == "nt":  # os.kill would end the process there: rely on the heartbeat's age
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):  # exists (another user's), or cannot tell
        return True
    return True


def _stale_reason(info: dict) -> str | None:
    """Why a lock is stale, or None when its writer may be alive."""
    pid, host = info.get("pid"), info.get("host")
    if host == socket.gethostname() and isinstance(pid, int) and not _pid_alive(pid):
        return f"its process {pid} on this host is not running"
    if info["age_s"] > STALE_AFTER_S:
        return f"it has had no heartbeat for {info['age_s']:.0f} s (> {STALE_AFTER_S:.0f} s)"
    return None


def _holder(info: dict) -> str:
    if "pid" not in info:
        return "an unknown process"
    return f"process {info['pid']} on host {info.get('host', '?')!r}, started {info.get('created', '?')}"


class StoreLock:
    """The lock of one store directory, held by this process between :meth:`acquire` and :meth:`release`.

    Parameters
    ----------
    directory : pathlib.Path
        The store directory (it must exist).
    """

    def __init__(self, directory: Path) -> None:
        self.path = Path(directory) / LOCK_NAME
        self.token = uuid.uuid4().hex
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _create(self) -> bool:
        try:
            fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            return False
        info = {"pid": os.getpid(), "host": socket.gethostname(), "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "token": self.token}
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(json.dumps(info) + "\n")
        return True

    def acquire(self) -> StoreLock:
        """Take the lock, or take over a stale one with a warning.

        Raises
        ------
        RuntimeError
            Another writer holds the lock (the message names the lock file, its holder, and how
            to clear a lock left by a writer that is gone).
        """
        for _ in range(3):
            if self._create():
                self._start_heartbeat()
                return self
            info = read_lock(self.path)
            if info is None:  # released meanwhile: try again
                continue
            reason = _stale_reason(info)
            if reason is None:
                raise RuntimeError(
                    f"The sweep store {str(self.path.parent)!r} is being written by another sweep ({_holder(info)}; "
                    f"lock file {str(self.path)!r}, last heartbeat {info['age_s']:.0f} s ago). Two sweeps never write "
                    "one store at once: wait for it to finish, or use another store directory. If no sweep is "
                    f"running (e.g. it was killed on another host), delete {str(self.path)!r}; a lock without a "
                    f"heartbeat for {STALE_AFTER_S:.0f} s is taken over automatically.")
            if self._take_over(info):
                warnings.warn(f"Sweep store {str(self.path.parent)!r}: taking over the lock of {_holder(info)}, "
                              f"which is stale ({reason}); its unfinished tasks will be computed again.",
                              RuntimeWarning, stacklevel=4)
                self._start_heartbeat()
                return self
        raise RuntimeError(  # pragma: no cover - three races lost in a row
            f"Could not lock the sweep store {str(self.path.parent)!r}: its lock file {str(self.path)!r} keeps "
            "changing; another sweep is starting on it.")

    def _take_over(self, stale: dict) -> bool:
        """Replace a stale lock by ours; False when another writer replaced it first."""
        aside = self.path.with_name(f"{LOCK_NAME}.stale-{self.token}")
        try:
            os.replace(self.path, aside)
        except FileNotFoundError:
            return False
        moved = read_lock(aside) or {}
        if moved.get("token") != stale.get("token") or moved.get("pid") != stale.get("pid"):
            # someone took over between our reading and our move: put their lock back
            with contextlib.suppress(OSError):
                os.link(aside, self.path)
            with contextlib.suppress(OSError):
                os.unlink(aside)
            return False
        with contextlib.suppress(OSError):
            os.unlink(aside)
        return self._create()

    def _start_heartbeat(self) -> None:
        self._thread = threading.Thread(target=self._beat, name=f"sweep-lock-{self.token[:8]}", daemon=True)
        self._thread.start()

    def _beat(self) -> None:
        while not self._stop.wait(HEARTBEAT_S):
            self.heartbeat()

    def heartbeat(self) -> None:
        """Refresh the lock's modification time (when it is still ours)."""
        info = read_lock(self.path)
        if info is not None and info.get("token") == self.token:
            with contextlib.suppress(OSError):
                os.utime(self.path)

    def release(self) -> None:
        """Stop the heartbeat and delete the lock file (when it is still ours)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        info = read_lock(self.path)
        if info is not None and info.get("token") == self.token:
            with contextlib.suppress(OSError):
                os.unlink(self.path)
