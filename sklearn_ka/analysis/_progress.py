"""Progress and time of a long analysis: a progress bar when verbose, a warning when it will be long.

The analyzers compute block by block. The first block of a pass is timed (it is part of the work,
so measuring costs nothing) and the pass's time is extrapolated from it: blocks cost the same
(they hold as many examples, and the same minors). When the remainder is estimated above
:data:`LONG_ANALYSIS_SECONDS`, a :class:`UserWarning` says so, with the measurement behind the
estimate and the cheaper alternatives, before the remainder runs. With ``verbose`` a progress bar
(tqdm, on stderr) counts the blocks, and the estimate is printed whatever its size.
"""

from __future__ import annotations

import math
import time
import warnings
from typing import Any

__all__ = ["LONG_ANALYSIS_SECONDS", "PassProgress", "format_seconds"]

#: A pass estimated to take longer than this (seconds) is announced by a UserWarning.
LONG_ANALYSIS_SECONDS = 60.0


def format_seconds(seconds: float) -> str:
    """``"42 s"``, ``"3.5 min"`` or ``"2.1 h"``, always with the seconds first for long ones."""
    if seconds < 60:
        return f"{seconds:.3g} s"
    if seconds < 3600:
        return f"{seconds:.0f} s ({seconds / 60:.1f} min)"
    return f"{seconds:.0f} s ({seconds / 3600:.1f} h)"


class PassProgress:
    """Time and progress of one pass over blocks of examples.

    Parameters
    ----------
    owner : str
        The analyzer's name, for the messages.
    what : str
        The pass, e.g. ``"scoring 5000 examples"``.
    n_blocks : int
        Blocks in the pass (all cost about the same).
    n_workers : int
        Workers that share the blocks after the first one.
    verbose : int
        0: silent unless the pass will be long; >= 1: a progress bar and the estimate.
    alternatives : str
        The cheaper alternatives the warning names.
    """

    def __init__(self, owner: str, what: str, n_blocks: int, n_workers: int, verbose: int,
                 alternatives: str) -> None:
        self.owner, self.what, self.n_blocks = owner, what, max(1, int(n_blocks))
        self.n_workers, self.verbose, self.alternatives = max(1, int(n_workers)), verbose, alternatives
        self.estimate_ = None
        self._bar = None
        self._start = time.perf_counter()

    def __enter__(self) -> PassProgress:
        if self.verbose:
            from tqdm.auto import tqdm

            self._bar = tqdm(total=self.n_blocks, desc=f"{self.owner}: {self.what}", unit="block", leave=False)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._bar is not None:
            self._bar.close()

    def first_block(self, seconds: float | None = None) -> float:
        """Record the first block's time (default: since construction); warn or print the estimate.

        Returns
        -------
        float
            The estimated time of the remaining blocks, in seconds.
        """
        seconds = time.perf_counter() - self._start if seconds is None else seconds
        rest = self.n_blocks - 1
        self.estimate_ = seconds * math.ceil(rest / self.n_workers) if rest else 0.0
        text = (f"{self.owner}: {self.what} is estimated to take about {format_seconds(self.estimate_)} more "
                f"(measured: the first of {self.n_blocks} blocks took {seconds:.3g} s; the remaining blocks on "
                f"{self.n_workers} worker(s))")
        if self.estimate_ > LONG_ANALYSIS_SECONDS:
            warnings.warn(f"{text}. Cheaper alternatives: {self.alternatives}.", UserWarning, stacklevel=4)
        elif self.verbose:
            (self._bar.write if self._bar is not None else print)(text + ".")
        self.update(1)
        return self.estimate_

    def update(self, n_blocks: int) -> None:
        """Count ``n_blocks`` more blocks done."""
        if self._bar is not None:
            self._bar.update(n_blocks)
