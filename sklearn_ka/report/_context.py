"""The state of one reproduction run, shared by its sections: settings, paths, frames, files, timings."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .._utils import PAPER_PROTOCOL, observable_key

__all__ = ["FIGURE_DPI", "ReportRun", "monitor_label", "protocol_label"]

#: Resolution of the report's PNG figures.
FIGURE_DPI = 150


def monitor_label(monitor: str) -> str:
    """Which loss early stopping monitors, in words: ``"test set monitored"`` or ``"training loss monitored"``."""
    return f"{'test set' if monitor == 'test' else 'training loss'} monitored"


def protocol_label(monitor: str, patience: int) -> str:
    """An early-stopping protocol in words: which loss is monitored, and the patience."""
    return f"{monitor_label(monitor)}, patience {patience}"


@dataclass
class ReportRun:
    """What the sections of :func:`~sklearn_ka.report.reproduce` read and write.

    Parameters
    ----------
    settings : dict
        The checked settings of the run.
    quick : bool
        ``--quick`` (True) or ``--full``.
    out : pathlib.Path
        The output directory (with its ``figures`` folder).
    n_jobs : int or None
        Parallel sweep tasks.
    verbose : int
        Progress messages when positive (sweep progress bars when > 1).
    """

    settings: dict
    quick: bool
    out: Path
    n_jobs: Any
    verbose: int
    t0: float = field(default_factory=time.perf_counter)
    #: Every file written, in order.
    written: list = field(default_factory=list)
    #: ``(relative path, caption)`` of every figure, in order.
    figures: list = field(default_factory=list)
    #: Seconds per step (``"static_s"``, ...), in order.
    timings: dict = field(default_factory=dict)
    #: The frames computed so far (``"static"``, ``"tables"``, ``"deviations"``, ...).
    frames: dict = field(default_factory=dict)
    #: The estimated seconds per cost key (:mod:`._estimate`), or None when no estimate applies.
    estimate: dict | None = None
    #: Seconds of the calibration workload on this machine (None when not measured).
    calibration_s: float | None = None

    # ------------------------------------------------------------------ settings
    @property
    def width(self) -> int:
        """The width of Tables II-III and of the single-model figures."""
        return self.settings["table_width"]

    @property
    def store(self) -> Path:
        """The directory of the sweep stores."""
        return self.out / "store"

    @property
    def analyzer(self) -> dict:
        """The analyzer parameters of the experiments (with the device when it is not the CPU)."""
        s = self.settings
        return dict(s["analyzer"], **({} if s["device"] == "cpu" else {"device": s["device"]}))

    @property
    def common(self) -> dict:
        """The arguments every experiment of the run takes."""
        s = self.settings
        return dict(n_samples=s["n_samples"], max_epochs=s["max_epochs"], patience=s["patience"],
                    monitor=s["monitor"], n_jobs=self.n_jobs, verbose=max(0, self.verbose - 1), device=s["device"])

    @property
    def protocol(self) -> str:
        """The run's early-stopping protocol in words, e.g. ``"test set monitored, patience 50"``."""
        return protocol_label(self.settings["monitor"], self.settings["patience"])

    @property
    def rates(self) -> tuple:
        """The false-positive rates q1 of the analyzer."""
        return tuple(dict(self.settings["analyzer"]).get("false_positive_rates", PAPER_PROTOCOL.false_positive_rates))

    @property
    def k_max(self) -> int:
        """The largest minor size the static grid was analysed at (the k of the single-k figures)."""
        static = self.frames["static"]
        return max(k for k in (1, 2, 3) if observable_key("pr", k) in static.columns)

    # ------------------------------------------------------------------- output
    def log(self, msg: str) -> None:
        """A progress message with the elapsed time (when verbose)."""
        if self.verbose:
            print(f"[{time.perf_counter() - self.t0:7.1f} s] {msg}", flush=True)

    @contextlib.contextmanager
    def timed(self, key: str) -> Iterator[None]:
        """Record the seconds the block takes as ``timings[key]``."""
        t = time.perf_counter()
        try:
            yield
        finally:
            self.timings[key] = time.perf_counter() - t

    def write_csv(self, frame: pd.DataFrame, name: str) -> None:
        """Write ``frame`` as ``out/name``."""
        path = self.out / name
        frame.to_csv(path, index=False)
        self.written.append(path)

    def save_figure(self, fig: Any, name: str, caption: str) -> None:
        """Write ``fig`` as ``figures/name`` (and close it); the report lists it with ``caption``."""
        import matplotlib.pyplot as plt

        path = self.out / "figures" / name
        fig.savefig(path, dpi=FIGURE_DPI, bbox_inches="tight")
        plt.close(fig)
        self.written.append(path)
        self.figures.append((f"figures/{name}", caption))
