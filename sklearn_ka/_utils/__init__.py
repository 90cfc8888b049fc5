"""Private conventions shared by every layer of sklearn-ka.

Parameter validation, the random-state policy, the published protocol, observable key names,
float64 array conversion and R² live here once; every subpackage reads them from here and none
re-implements them. This layer imports no other part of the package.
"""

from ._keys import OBSERVABLES, ObservableKey, closest_keys, observable_key, parse_observable_key
from ._metrics import r2_from_sums, r2_score
from ._protocol import PAPER_PROTOCOL, PaperProtocol
from ._random import SEED_HIGH, as_generator, check_random_state, draw_seeds
from ._validation import (
    Callables,
    Constraint,
    InstanceOf,
    Integers,
    InvalidParameterError,
    Options,
    Reals,
    check_int,
    check_param,
    check_real,
    check_sequence,
    validate_params,
)

__all__ = [
    "OBSERVABLES", "ObservableKey", "closest_keys", "observable_key", "parse_observable_key",
    "r2_from_sums", "r2_score",
    "PAPER_PROTOCOL", "PaperProtocol",
    "SEED_HIGH", "as_generator", "check_random_state", "draw_seeds",
    "Callables", "Constraint", "InstanceOf", "Integers", "InvalidParameterError", "Options", "Reals",
    "check_int", "check_param", "check_real", "check_sequence", "validate_params",
]
