"""Sweeps: train and analyse grids of models in parallel (joblib, Dask), resumably, as tidy tables.

:func:`sweep` returns one row per model; :func:`summarize` turns it into mean ± std tables;
:func:`load_sweep` reads a store written by ``sweep(..., store=DIR)``. The store format, the seed
protocol and the Dask cluster recipe are described in ``docs/sweeps.md``.
"""

from ._fingerprint import describe_value  # noqa: F401 - internal
from ._seeds import MONITORS, SEED_PROTOCOL, make_sweep_data
from ._store import load_sweep
from ._summarize import summarize
from ._sweep import sweep
from ._tasks import RESULT_COLUMNS, TIMING_COLUMNS, check_analysis_memory  # noqa: F401 - the last is internal

# check_analysis_memory is for the report and the command line, describe_value for the stores of the
# experiments (not public API: not in __all__).

__all__ = ["MONITORS", "RESULT_COLUMNS", "SEED_PROTOCOL", "TIMING_COLUMNS", "load_sweep", "make_sweep_data",
           "summarize", "sweep"]
