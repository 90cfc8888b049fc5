"""Private conventions shared by every layer of sklearn-ka.

Parameter validation, the random-state policy, the published protocol, observable key names,
float64 array conversion, torch devices and threads, and R² live here once; every subpackage reads
them from here (``from .._utils import ...``) and none re-implements them. This layer imports no
other part of the package.

Names are loaded lazily from their modules on first use, so that light callers (the command line
reading :data:`PAPER_PROTOCOL`) import neither torch nor scikit-learn.
"""

from __future__ import annotations

import importlib
from typing import Any

#: public name -> the module of this layer that defines it
_LAZY = {
    **dict.fromkeys(("OBSERVABLES", "ObservableKey", "closest_keys", "observable_key", "parse_observable_key"),
                    "_keys"),
    **dict.fromkeys(("r2_from_sums", "r2_score"), "_metrics"),
    **dict.fromkeys(("PAPER_PROTOCOL", "PaperProtocol"), "_protocol"),
    **dict.fromkeys(("SEED_HIGH", "as_generator", "check_random_state", "draw_seeds"), "_random"),
    **dict.fromkeys(("Callables", "Constraint", "InstanceOf", "Integers", "InvalidParameterError", "Options",
                     "Reals", "check_int", "check_param", "check_real", "check_sequence", "validate_params"),
                    "_validation"),
    **dict.fromkeys(("as_float64_tensor", "like_input", "pooled_float64"), "_arrays"),
    **dict.fromkeys(("resolve_device", "resolve_dtype", "torch_threads"), "_torch"),
    "check_device": "_device",
    **dict.fromkeys(("check_n_jobs", "max_local_workers"), "_parallel"),
    **dict.fromkeys(("DEFAULT_MEMORY_BUDGET", "MemoryBudgetError", "check_memory", "memory_budget", "format_bytes"),
                    "_memory"),
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
