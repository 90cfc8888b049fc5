"""A memory cap for the bad-input tests: a value that slips past the size guards fails at once
(MemoryError, or torch's allocation error) instead of filling the machine.

The soft address-space limit is lowered to the current size plus a margin while a module of this
folder runs, and restored afterwards (a soft limit may be raised back up to the hard limit).
"""

from __future__ import annotations

import pytest

try:
    import resource
except ImportError:  # pragma: no cover - not POSIX
    resource = None

_MARGIN = 6 << 30  # 6 GiB above what the process already maps


def _mapped_bytes() -> int:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[0])
    return pages * resource.getpagesize()


@pytest.fixture(autouse=True, scope="module")
def _memory_cap():
    if resource is None or not hasattr(resource, "RLIMIT_AS"):
        yield
        return
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        cap = _mapped_bytes() + _MARGIN
        if hard != resource.RLIM_INFINITY:
            cap = min(cap, hard)
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    except (OSError, ValueError):  # no /proc, or a limit we may not change: run uncapped
        yield
        return
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
