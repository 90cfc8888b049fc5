"""The settings of a reproduction run: the ``--quick`` and ``--full`` presets, overrides, argument checks."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from .._utils import (
    PAPER_PROTOCOL,
    InstanceOf,
    Integers,
    InvalidParameterError,
    Options,
    check_device,
    check_param,
    check_sequence,
)
from ..sweeps import MONITORS

__all__ = ["QUICK_SETTINGS", "FULL_SETTINGS", "MIN_SEEDS", "resolve_settings"]

#: The report gives means and standard deviations over seeds: at least two are needed.
MIN_SEEDS = 2

#: ``--quick``: Tables I-III (the 48-model static grid, paper protocol) and their figures,
#: one evolution run, the MEFs of the figure models and the readings of dependent zero rows.
#: ``"monitor"`` is the loss early stopping monitors in every experiment but those that show
#: both (Appendix B and the protocol sensitivity of ``--full``).
QUICK_SETTINGS = {
    "functions": ["xor", "linear", "random"],
    "widths": list(PAPER_PROTOCOL.hidden_units),
    "seeds": list(range(PAPER_PROTOCOL.n_seeds)),
    "n_samples": PAPER_PROTOCOL.n_samples,
    "batch_size": PAPER_PROTOCOL.batch_size,
    "max_epochs": PAPER_PROTOCOL.max_epochs,
    "patience": PAPER_PROTOCOL.patience,
    "monitor": "test",
    "analyzer": {"n_rotations": PAPER_PROTOCOL.n_rotations, "rotation_method": "haar"},
    "table_width": max(PAPER_PROTOCOL.hidden_units),
    "figure_seed": 0,
    "evolution": {"function": "xor", "seeds": [0], "r2_step": 0.1},
    "significance": {"n_resamples": 9999, "paired": True},
    "interpolation": None,
    "batch_size_experiment": None,
    "bootstrap": None,
    "tails": None,
    "dependent_readings": {"function": "xor"},
    "sensitivity": None,
    "device": "cpu",
}

#: The mini-batch sizes of the full run's batch-size and bootstrap experiments.
_BATCH_SIZES = [32, 64, 128, 256, 512, 1000]

#: ``--full``: every experiment of the study (:ref:`experiments`) at the paper's scale.
FULL_SETTINGS = {
    **copy.deepcopy(QUICK_SETTINGS),
    "evolution": {"function": "xor", "seeds": list(range(PAPER_PROTOCOL.n_seeds)), "r2_step": 0.05},
    "interpolation": {"families": ["lambda_xor", "gaussian", "so_xor"], "values": None},
    "batch_size_experiment": {"functions": ["random", "xor"], "batch_sizes": list(_BATCH_SIZES),
                              "monitors": list(MONITORS)},
    "bootstrap": {"function": "random", "batch_sizes": list(_BATCH_SIZES), "wide_units": 264,
                  "monitors": list(MONITORS)},
    "tails": {"functions": ["xor", "linear", "random"]},
    # each alternative replaces the run's monitor or patience; the rows and values re-run under it (λ = 1 and
    # G's λ = 0.5 are the learnable references of the edges)
    "sensitivity": {"alternatives": [{"monitor": "train"}, {"patience": 200}], "static_functions": ["random"],
                    "lambda_xor": [1.0, 1.2, 1.3, 1.4, 1.5], "gaussian": [0.1, 0.2, 0.3, 0.5]},
}


def resolve_settings(quick: Any, settings: Any, seeds: Any, device: Any, monitor: Any = None,
                     patience: Any = None) -> dict:
    """The settings of a run: the preset, the ``settings`` overrides, then ``seeds``, ``device``,
    ``monitor`` and ``patience``.

    Every argument is checked here, before any work starts.
    """
    check_param("quick", quick, [InstanceOf(bool, "True or False")], owner="reproduce")
    s = _merge_settings(quick, settings)
    if seeds is not None:
        s["seeds"] = _check_seeds(seeds)
        s["figure_seed"] = s["seeds"][0]
        if s.get("evolution"):
            s["evolution"]["seeds"] = s["seeds"][:1] if quick else list(s["seeds"])
    if device is not None:
        s["device"] = device
    if monitor is not None:
        s["monitor"] = check_param("monitor", monitor, [Options(*MONITORS)], owner="reproduce")
    if patience is not None:
        s["patience"] = check_param("patience", patience, [Integers(1)], owner="reproduce")
    s["device"] = check_device(s["device"], owner="reproduce")
    _check_values(s)
    return s


def _sequence(item, **kw):
    return lambda name, value: check_sequence(name, value, item, owner="reproduce", **kw)


#: The settings every run reads, checked before any work (the experiments' own settings are
#: checked by each experiment when it starts).
_SETTING_CONSTRAINTS = {
    "functions": _sequence(InstanceOf(str, "a registered target name"), unique=True),
    "widths": _sequence(Integers(1), unique=True),
    "seeds": _sequence(Integers(0), unique=True),
    "n_samples": [Integers(2)],
    "batch_size": [Integers(1)],
    "max_epochs": [Integers(1)],
    "patience": [Integers(1)],
    "monitor": [Options(*MONITORS)],
    "analyzer": [InstanceOf(Mapping, "a dict of KAGeometryAnalyzer parameters")],
    "table_width": [Integers(1)],
    "figure_seed": [Integers(0)],
    **dict.fromkeys(("evolution", "significance", "interpolation", "batch_size_experiment", "bootstrap", "tails",
                     "dependent_readings", "sensitivity"),
                    [InstanceOf(Mapping, "a dict of the experiment's parameters"), None]),
}


def _check_values(s: dict) -> None:
    """Every setting of the run has an accepted type and range (messages name ``settings['key']``)."""
    for key, spec in _SETTING_CONSTRAINTS.items():
        name = f"settings[{key!r}]"
        s[key] = spec(name, s[key]) if callable(spec) else check_param(name, s[key], spec, owner="reproduce")
    if len(s["seeds"]) < MIN_SEEDS:
        raise InvalidParameterError(f"reproduce: at least {MIN_SEEDS} seeds are needed (the report gives the mean "
                                    f"and standard deviation over seeds); got settings['seeds']={s['seeds']!r}.")
    if s["batch_size"] > s["n_samples"]:
        raise InvalidParameterError(f"reproduce: settings['batch_size']={s['batch_size']} exceeds "
                                    f"settings['n_samples']={s['n_samples']}.")


def _merge_settings(quick, settings):
    base = copy.deepcopy(QUICK_SETTINGS if quick else FULL_SETTINGS)
    settings = check_param("settings", settings, [InstanceOf(Mapping, "a dict of overrides"), None],
                           owner="reproduce")
    if settings is None:
        return base
    unknown = sorted(set(settings) - set(base))
    if unknown:
        raise ValueError(f"reproduce: unknown setting(s) {unknown}; known: {sorted(base)}.")
    for key, value in settings.items():
        if isinstance(base[key], dict) and isinstance(value, dict):
            base[key].update(value)
        else:
            base[key] = value
    return base


def _check_seeds(seeds):
    """``N`` -> ``[0, ..., N-1]``; a sequence -> a list of distinct integers >= 0 (at least ``MIN_SEEDS``)."""
    if Integers().accepts(seeds):
        values = list(range(int(seeds)))
    else:
        values = check_sequence("seeds", seeds, Integers(0), unique=True, allow_empty=True, owner="reproduce")
    if len(values) < MIN_SEEDS:
        raise InvalidParameterError(f"reproduce: at least {MIN_SEEDS} seeds are needed (the report gives the mean "
                                    f"and standard deviation over seeds); got seeds={seeds!r}.")
    return values
