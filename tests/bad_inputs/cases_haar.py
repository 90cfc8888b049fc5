"""Bad inputs of the Haar constants and of the per-example index of the exact rotation ratio.

Every row fails before any Monte Carlo sample, rotation or minor is computed.
"""

from __future__ import annotations

import numpy as np
from _case import BadInput

from sklearn_ka._utils import InvalidParameterError
from sklearn_ka.observables import RotationReference, haar_max_minor_constant, rotation_ratio

_J = np.random.default_rng(0).normal(size=(4, 6, 3))  # 4 examples, m = 6, n = 3
_REF = RotationReference.build(6, 3, (1, 2), "haar", 4, random_state=0)

CASES = [
    BadInput("haar-constant-r-above-m", lambda: haar_max_minor_constant(3, 4), InvalidParameterError,
             r"haar_max_minor_constant: r must be an integer in \[1, 3\]; got 4"),
    BadInput("haar-constant-m-zero", lambda: haar_max_minor_constant(0, 1), InvalidParameterError,
             r"haar_max_minor_constant: m must be an integer >= 1; got 0"),
    BadInput("haar-constant-rel-se-zero", lambda: haar_max_minor_constant(8, 2, rel_se=0.0), InvalidParameterError,
             r"haar_max_minor_constant: rel_se must be a finite number in \(0, inf\); got 0.0"),
    BadInput("rotation-example-index-negative", lambda: rotation_ratio(_J, 2, _REF, example_index=-3),
             InvalidParameterError, r"rotation_ratio: example_index must be an integer >= 0; got -3"),
    BadInput("rotation-example-index-length", lambda: rotation_ratio(_J, 2, _REF, example_index=[0, 1]),
             InvalidParameterError, r"example_index must be None, a non-negative int .* or 4 non-negative integers "
                                    r"\(one per example\); got an array of shape \(2,\)"),
    BadInput("rotation-example-index-float", lambda: rotation_ratio(_J, 2, _REF, example_index=np.arange(4.0)),
             InvalidParameterError, r"got an array of shape \(4,\) and dtype float64"),
]
