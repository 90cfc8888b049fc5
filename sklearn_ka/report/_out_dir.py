"""The output directory of a reproduction run: resume a run of the same settings, never overwrite another.

Rule. ``settings.json`` identifies the run that owns a directory (it is written when a run
starts, and again with its timings when it ends). Into a directory whose ``settings.json`` has
the same mode and settings, :func:`~sklearn_ka.report.reproduce` *resumes*: the sweep stores
under ``store/`` skip every finished model, and the report is written again. A directory holding
the report of other settings (or a ``settings.json`` that cannot be read) is refused with a
:class:`FileExistsError` naming the differences, unless ``overwrite=True``, which first deletes
that report's files (those ``settings.json`` lists, the known report files, ``figures/*.png``
and ``store/``). Other files in the directory are never touched.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from .._utils import InstanceOf, InvalidParameterError, check_param

__all__ = ["ADDED_SETTINGS", "REPORT_FILES", "SETTINGS_FILE", "prepare_out_dir", "prepare_preset_dir",
           "same_settings"]

#: The file that identifies the run owning an output directory.
SETTINGS_FILE = "settings.json"
#: Files a report may write at the top of its directory (besides ``figures/`` and ``store/``).
REPORT_FILES = ("report.md", "report.html", "static.csv", "tables.csv", "significance.csv", "evolution.csv",
                "tails.csv", "interpolation.csv", "batch_size.csv", "bootstrap.csv", "dependent_readings.csv",
                "sensitivity.csv", "claims.csv", SETTINGS_FILE)
#: Settings added after reports were written without them, with the value those reports had:
#: before ``monitor`` existed every run monitored the test set; a quick run without the other
#: keys resumes and computes the new sections.
ADDED_SETTINGS: dict[str, Any] = {"monitor": "test", "dependent_readings": {"function": "xor"}, "sensitivity": None}


def plain(value: Any) -> Any:
    """``value`` as JSON reads it back (tuples as lists), for comparing with a stored ``settings.json``."""
    return json.loads(json.dumps(value, default=str))


def same_settings(previous: dict, mode: str, settings: dict) -> list[str]:
    """The differences between a previous run (``settings.json`` content) and this one; empty when the same."""
    diff = []
    if previous.get("mode") != mode:
        diff.append(f"mode ({previous.get('mode')!r} there, {mode!r} now)")
    old, new = previous.get("settings") or {}, plain(settings)
    if not isinstance(old, dict):
        return diff + ["settings"]
    old = {**{k: v for k, v in plain(ADDED_SETTINGS).items() if k not in old}, **old}
    diff += [k for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)]
    return diff


def _previous_run(out: Path) -> tuple[dict | None, str]:
    """The ``settings.json`` of a previous run in ``out`` (None when absent), or why it cannot be read."""
    path = out / SETTINGS_FILE
    if not path.is_file():
        return None, ""
    try:
        previous = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(previous, dict):
            raise ValueError("not a JSON object")
    except (OSError, ValueError) as exc:
        return {}, f"its {SETTINGS_FILE} cannot be read ({exc})"
    return previous, ""


def _remove_previous(out: Path, previous: dict, files: Iterable[str] = REPORT_FILES) -> None:
    """Delete the files of the previous report in ``out`` (only those a report writes: ``files`` and its list)."""
    names = set(files)
    for f in previous.get("files", []) if isinstance(previous.get("files"), list) else []:
        p = Path(str(f))
        if not p.is_absolute() and ".." not in p.parts:
            names.add(str(p))
    for name in sorted(names):
        path = out / name
        if path.is_file():
            path.unlink()
    figures = out / "figures"
    if figures.is_dir():
        for png in figures.glob("*.png"):
            png.unlink()
    if (out / "store").is_dir():
        shutil.rmtree(out / "store")


def prepare_out_dir(out_dir: Any, mode: str, settings: dict, overwrite: Any) -> tuple[Path, bool]:
    """Check the output directory against the rule above; create it with its ``figures`` folder.

    Returns
    -------
    out : pathlib.Path
    resumed : bool
        True when a previous run of the same settings is resumed.

    Raises
    ------
    InvalidParameterError
        ``out_dir`` is not a path or exists and is not a directory, or ``overwrite`` is not a bool.
    FileExistsError
        ``out_dir`` holds the report of other settings and ``overwrite`` is False.
    """
    check_param("out_dir", out_dir, [InstanceOf((str, os.PathLike), "a directory path")], owner="reproduce")
    overwrite = check_param("overwrite", overwrite, [InstanceOf(bool, "True or False")], owner="reproduce")
    if not str(os.fspath(out_dir)).strip():
        raise InvalidParameterError("reproduce: out_dir must be a directory path; got an empty path (write '.' for "
                                    "the current directory).")
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InvalidParameterError(f"reproduce: out_dir {str(out)!r} exists and is not a directory.")
    previous, unreadable = _previous_run(out)
    resumed = False
    if previous is not None:
        diff = [unreadable] if unreadable else same_settings(previous, mode, settings)
        if diff and not overwrite:
            raise FileExistsError(
                f"reproduce: {str(out)!r} holds the report of another run (differs in: {', '.join(diff)}). Pass "
                "overwrite=True (command line: --overwrite) to delete that report and its stores and run again, or "
                "choose another output directory. (A run of the same settings resumes in place.)")
        if diff:
            _remove_previous(out, previous)
        else:
            resumed = True
    (out / "figures").mkdir(parents=True, exist_ok=True)
    return out, resumed


def prepare_preset_dir(out_dir: Any, overwrite: Any, *, owner: str, files: Iterable[str],
                       differences: Callable[[dict], list[str]]) -> tuple[Path, dict | None]:
    """The same rule for the other preset reports (``phase``, ``intervene``), with their own comparison.

    Parameters
    ----------
    out_dir : str or os.PathLike
    overwrite : bool
    owner : str
        The report function, for the messages.
    files : iterable of str
        The files the report writes at the top of its directory.
    differences : callable
        ``differences(previous settings.json) -> list of str``: what differs from this run (empty
        when a run of the same settings is resumed).

    Returns
    -------
    out : pathlib.Path
    previous : dict or None
        The previous run's ``settings.json`` when it is resumed, else None.
    """
    check_param("out_dir", out_dir, [InstanceOf((str, os.PathLike), "a directory path")], owner=owner)
    overwrite = check_param("overwrite", overwrite, [InstanceOf(bool, "True or False")], owner=owner)
    out = Path(out_dir)
    if not str(os.fspath(out_dir)).strip() or (out.exists() and not out.is_dir()):
        raise InvalidParameterError(f"{owner}: out_dir must be a directory path; got {str(out_dir)!r}.")
    previous, unreadable = _previous_run(out)
    resumed = None
    if previous is not None:
        diff = [unreadable] if unreadable else differences(previous)
        if diff and not overwrite:
            raise FileExistsError(f"{owner}: {str(out)!r} holds the report of another run (differs in: "
                                  f"{', '.join(diff)}). Pass overwrite=True (command line: --overwrite) to delete "
                                  "that report and its stores, or choose another directory. (A run of the same "
                                  "settings resumes in place.)")
        if diff:
            _remove_previous(out, previous, files)
        else:
            resumed = previous
    (out / "figures").mkdir(parents=True, exist_ok=True)
    return out, resumed
