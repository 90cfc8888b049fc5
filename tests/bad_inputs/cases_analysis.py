"""Bad inputs of the analysis entry points: the analyzers, ka_scorer, the Jacobians, the minors, the observables.

Every row fails before any minor, rotation or Jacobian is computed (the parameters, the shapes and
the memory budgets are checked first); no model is trained. The Jacobians are small precomputed
arrays, so a row costs milliseconds.
"""

from __future__ import annotations

import numpy as np
from _case import BadInput

from sklearn_ka import KAGeometryAnalyzer, SampledKAGeometryAnalyzer, analyze, ka_scorer
from sklearn_ka._utils import InvalidParameterError, MemoryBudgetError
from sklearn_ka.exterior import (
    MinorBudgetError,
    combination_indices,
    minor_matrices,
    sample_combinations,
    sampled_minor_matrices,
)
from sklearn_ka.jacobians import inner_jacobian, layer_jacobian
from sklearn_ka.observables import (
    RotationReference,
    column_statistics,
    haar_rotations,
    mean_excess,
    numerical_rank_deficient,
    participation_ratio,
    rotation_ratio,
    streaming_quantiles,
    zero_row_threshold,
)

_RNG = np.random.default_rng(0)
_J = _RNG.normal(size=(12, 6, 3))  # 12 examples, m = 6 hidden units, n = 3 inputs
_JK = np.abs(_RNG.normal(size=(12, 15, 3)))  # their size-2 minors' shape
_X = _RNG.uniform(-1, 1, size=(12, 3))
_NAN = _J.copy()
_NAN[3, 2, 1] = np.nan


def _module(width=6):
    import torch

    return torch.nn.Sequential(torch.nn.Linear(3, width), torch.nn.GELU())


def _two_linears():
    import torch

    module = torch.nn.Module()
    module.a, module.b = torch.nn.Linear(3, 4), torch.nn.Linear(4, 1)
    return module


def _ka(**params):
    return lambda: KAGeometryAnalyzer(**params).fit(_J)


def _ska(**params):
    return lambda: SampledKAGeometryAnalyzer(**params).fit(_J)


def _fitted():
    # an analysis of size-1 minors with two rotations: a few milliseconds
    return KAGeometryAnalyzer(minor_sizes=(1,), n_rotations=2, random_state=0).fit(_J)


CASES = [
    # ------------------------------------------------------------- KAGeometryAnalyzer
    BadInput("ka-false-positive-rates-str", _ka(false_positive_rates="0.01"), InvalidParameterError,
             r"KAGeometryAnalyzer: false_positive_rates must be a finite number in \(0, 1\) or a non-empty sequence "
             r"of them; got '0.01'"),
    BadInput("ka-false-positive-rates-nan", _ka(false_positive_rates=(0.01, float("nan"))), InvalidParameterError,
             r"false_positive_rates must be .* got \(0.01, nan\)"),
    BadInput("ka-max-memory-bytes-str", _ka(max_memory_bytes="1GB"), InvalidParameterError,
             r"max_memory_bytes must be a positive number of bytes \(e.g. 2\*\*30 for 1 GiB\) or None; got '1GB'"),
    BadInput("ka-n-rotations-float", _ka(n_rotations=2.5), InvalidParameterError,
             r"n_rotations must be an integer >= 1; got 2.5"),
    BadInput("ka-n-rotations-absurd", _ka(n_rotations=10**9), MemoryBudgetError,
             r"KAGeometryAnalyzer: the rotation ratio's reference of n_rotations=1000000000 .* over the memory "
             r"budget of .* Alternatives: fewer rotations \(n_rotations"),
    BadInput("ka-minor-sizes-zero", _ka(minor_sizes=(0, 1)), InvalidParameterError,
             r"minor_sizes must be an integer >= 1 or a non-empty sequence of them; got \(0, 1\)"),
    BadInput("ka-minor-sizes-none-exist", _ka(minor_sizes=(4, 5)), ValueError,
             r"minor_sizes \(4, 5\): every size exceeds min\(n, m\) = 3"),
    BadInput("ka-consistent-fraction-inf", _ka(consistent_fraction=float("inf")), InvalidParameterError,
             r"consistent_fraction must be a finite number in \(0, 1\]; got inf"),
    BadInput("ka-random-state-negative", _ka(random_state=-3), InvalidParameterError,
             r"random_state must be None or an integer >= 0 or an instance of RandomState or Generator; got -3"),
    BadInput("ka-n-jobs-zero", _ka(n_jobs=0), InvalidParameterError,
             r"n_jobs must be an integer >= 1 or an integer in \(-inf, -1\] or None; got 0"),
    BadInput("ka-device-mps", _ka(device="mps"), InvalidParameterError,
             r"KAGeometryAnalyzer: device must be 'cpu', 'cuda', 'cuda:N'.*got 'mps'"),
    BadInput("ka-input-columns-out-of-range", _ka(input_columns=[0, 5]), ValueError,
             r"input_columns must be distinct indices in \[0, 3\), got \[0, 5\]"),
    BadInput("ka-minors-cannot-fit", lambda: KAGeometryAnalyzer().fit(np.zeros((2, 2000, 3))), MinorBudgetError,
             r"KAGeometryAnalyzer: the size-3 minors of one 2000x3 Jacobian need about 39.7 GiB .* "
             r"\(max_memory_bytes = 1 GiB, .*Alternatives: a smaller minor size k"),
    BadInput("ka-check-budget-before-training", lambda: KAGeometryAnalyzer().check_memory_budget(2000, 3),
             MinorBudgetError, r"size-3 minors of one 2000x3 Jacobian .* sampled minors"),
    BadInput("ka-jacobian-nan", lambda: KAGeometryAnalyzer().fit(_NAN), ValueError,
             r"precomputed Jacobian contains NaN or infinity"),
    BadInput("ka-jacobian-2d", lambda: KAGeometryAnalyzer().fit(_J[0]), ValueError,
             r"must have shape \(n_samples, m, n\); got an array of rank 2 .* \(for one example use J\[None\]\)"),
    BadInput("ka-model-str", lambda: KAGeometryAnalyzer().fit("mlp", _X), TypeError,
             r"Unsupported model of type str. Supported: .*ShallowMLPRegressor"),
    BadInput("ka-score-other-width", lambda: _fitted().score(_RNG.normal(size=(12, 7, 3))), ValueError,
             r"m=7 hidden units .* fitted on an initial model with m=6"),
    BadInput("ka-tail-ranks-str", lambda: _fitted().tail_statistics(_J, quantile_ranks="0.9"), InvalidParameterError,
             r"tail_statistics: quantile_ranks must be a sequence of values, each a finite number in \[0, 1\); "
             r"got '0.9'"),
    BadInput("ka-tail-low-above-high", lambda: _fitted().tail_statistics(_J, high=0.1, low=0.5),
             InvalidParameterError, r"low must be below high; got low=0.5, high=0.1"),
    BadInput("ka-observables-unknown", _ka(observables=("zero_rows", "entropy")), InvalidParameterError,
             r"KAGeometryAnalyzer: observables holds 'entropy', which is not an observable; the observables are "
             r"'zero_rows', .*'column_entropy'"),
    BadInput("ka-observables-empty", _ka(observables=[]), InvalidParameterError,
             r"observables must be None \(every observable\) or a non-empty sequence"),
    BadInput("ka-layer-float", _ka(layer=1.5), InvalidParameterError,
             r"layer must be None, an integer >= 1 \(a layer index\) or a string"),
    BadInput("ka-layer-of-an-array", _ka(layer=1), ValueError, r"a precomputed Jacobian has none"),
    BadInput("ka-verbose-negative", _ka(verbose=-2), InvalidParameterError, r"verbose must be an integer >= 0"),
    BadInput("ka-layer-ambiguous-module", lambda: KAGeometryAnalyzer().fit(_two_linears(), _X), InvalidParameterError,
             r"has 2 nn.Linear layers, so which of its maps is the inner map .* is ambiguous.*'a' \(Linear 3->4\)"),
    # ------------------------------------------------------------- SampledKAGeometryAnalyzer
    BadInput("ska-n-rows-zero", _ska(n_rows=0), InvalidParameterError,
             r"SampledKAGeometryAnalyzer: n_rows must be an integer >= 1 or None; got 0"),
    BadInput("ska-max-memory-bytes-str", _ska(max_memory_bytes="256MB"), InvalidParameterError,
             r"max_memory_bytes must be a positive number of bytes \(e.g. 2\*\*30 for 1 GiB\); got '256MB'"),
    BadInput("ska-confidence-one", _ska(confidence=1), InvalidParameterError,
             r"confidence must be a finite number in \(0, 1\); got 1"),
    BadInput("ska-replicates-absurd", _ska(n_replicates=10**12), MemoryBudgetError,
             r"MinorSample: 1000000000000 replicate\(s\) of .* over the memory budget"),
    BadInput("ska-grid-cannot-fit",
             lambda: SampledKAGeometryAnalyzer(minor_sizes=(2,), n_rows=10**4, n_cols=10**4).fit(
                 (np.ones((2, 300)), _RNG.normal(size=(300, 200)))), MinorBudgetError,
             r"the 80000 x 80000 sampled size-2 minors of one 300x200 Jacobian .* \(max_memory_bytes\)"),
    BadInput("ska-observables-unknown", _ska(observables="rotation"), InvalidParameterError,
             r"SampledKAGeometryAnalyzer: observables holds 'rotation'.* Did you mean 'rotation_ratio'"),
    BadInput("ska-n-jobs-zero", _ska(n_jobs=0), InvalidParameterError,
             r"SampledKAGeometryAnalyzer: n_jobs must be an integer >= 1 or an integer in \(-inf, -1\] or None"),
    BadInput("ska-device-mps", _ska(device="mps"), InvalidParameterError,
             r"SampledKAGeometryAnalyzer: device must be 'cpu', 'cuda', 'cuda:N'.*got 'mps'"),
    # ------------------------------------------------------------- analyze
    BadInput("analyze-baseline-unknown", lambda: analyze(_J, baseline="init"), InvalidParameterError,
             r"analyze: baseline must be 'initial', 'reinitialized', a model, or an array of the initial Jacobians; "
             r"got 'init'"),
    BadInput("analyze-initial-of-an-array", lambda: analyze(_J), InvalidParameterError,
             r"precomputed Jacobians carry no initialisation; pass the initial model's Jacobians"),
    BadInput("analyze-initial-of-a-module", lambda: analyze(_module(), _X), InvalidParameterError,
             r"baseline='initial' needs the model's own initialisation, but a Sequential does not remember it.*"
             r"baseline='reinitialized'"),
    BadInput("analyze-reinitialized-callable", lambda: analyze(lambda x: x, _X, baseline="reinitialized"),
             InvalidParameterError, r"baseline='reinitialized' re-draws the initialiser of a scikit-learn MLP or "
             r"of a torch module"),
    BadInput("analyze-analyzer-unknown", lambda: analyze(_J, baseline=_J, analyzer="approximate"),
             InvalidParameterError, r"analyzer must be 'exact' \(KAGeometryAnalyzer\), 'sampled'"),
    BadInput("analyze-parameter-unknown", lambda: analyze(_J, baseline=_J, n_rotation=3), InvalidParameterError,
             r"analyze: unknown KAGeometryAnalyzer parameter\(s\) \['n_rotation'\]"),
    BadInput("analyze-baselines-length", lambda: analyze([_J, _J], baseline=[_J]), InvalidParameterError,
             r"baseline is a list of 1, but 2 models are analysed"),
    BadInput("analyze-layer-name-unknown", lambda: analyze(_module(), _X, baseline=_module(), layer="2"),
             InvalidParameterError, r"layer='2' is not a submodule of the Sequential.*candidate layers"),
    # ------------------------------------------------------------- ka_scorer
    BadInput("scorer-key-unknown", lambda: ka_scorer("pr_normalised_k3"), ValueError,
             r"'pr_normalised_k3' is not an observable key .* Did you mean 'pr_normalized_k3'"),
    BadInput("scorer-key-int", lambda: ka_scorer(3), TypeError, r"key must be a string naming an observable, got 3"),
    BadInput("scorer-unknown-parameter", lambda: ka_scorer("pr_k2", n_rotation=10), TypeError,
             r"ka_scorer: unknown KAGeometryAnalyzer parameter\(s\) \['n_rotation'\]"),
    BadInput("scorer-invalid-parameter", lambda: ka_scorer("pr_k2", n_rotations="400"), InvalidParameterError,
             r"n_rotations must be an integer >= 1; got '400'"),
    BadInput("scorer-rate-not-analysed", lambda: ka_scorer("zero_rows_k2_q0.05"), ValueError,
             r"the analyzer's false_positive_rates are \(0.0001, 0.001, 0.01\).* The closest keys this analyzer "
             r"reports: 'zero_rows_k2_q0.01'"),
    BadInput("scorer-size-not-analysed", lambda: ka_scorer("pr_k3", minor_sizes=(1, 2)), ValueError,
             r"'pr_k3': the analyzer's minor_sizes are \(1, 2\); pass minor_sizes with 3"),
    BadInput("scorer-no-direction", lambda: ka_scorer("column_kl_k2"), ValueError,
             r"'column_kl_k2' has no KA-like direction .*pass greater_is_better=True or False"),
    BadInput("scorer-direction-str", lambda: ka_scorer("pr_k2", greater_is_better="no"), InvalidParameterError,
             r"ka_scorer: greater_is_better must be None or a bool; got 'no'"),
    # ------------------------------------------------------------- Jacobians
    BadInput("inner-jacobian-x-strings", lambda: inner_jacobian(_module(), [["a", "b", "c"]]), ValueError,
             r"X must be numeric: an array of numbers of shape \(n_samples, n_features\)"),
    BadInput("inner-jacobian-dtype-object", lambda: inner_jacobian(_J, dtype=object()), ValueError,
             r"dtype must be a NumPy floating dtype \(e.g. np.float64, np.float32\)"),
    BadInput("inner-jacobian-x-missing", lambda: inner_jacobian(_module()), ValueError, r"X is required"),
    BadInput("inner-jacobian-too-wide", lambda: inner_jacobian(_module(2_000_000), np.zeros((400, 3))),
             MemoryBudgetError, r"inner_jacobian: an array of 400 Jacobians of shape 2000000x3 needs about"),
    BadInput("layer-jacobian-source-str", lambda: layer_jacobian(_module(), _X, source="0"), InvalidParameterError,
             r"layer_jacobian: source must be an integer; got '0'"),
    BadInput("layer-jacobian-target-not-later", lambda: layer_jacobian(_module(), _X, source=1, target=1),
             ValueError, r"target must be a later layer than source; got source=1, target=1"),
    # ------------------------------------------------------------- minors
    BadInput("minors-k-str", lambda: minor_matrices(_J, "2"), InvalidParameterError, r"k must be an integer; got '2'"),
    BadInput("minors-one-example-too-large", lambda: minor_matrices(np.zeros((1, 2000, 3)), 3), MinorBudgetError,
             r"minor_matrices: the size-3 minors of one 2000x3 Jacobian .* \(max_bytes\)"),
    BadInput("minors-max-bytes-str", lambda: minor_matrices(_J, 2, max_bytes="1GB"), InvalidParameterError,
             r"max_bytes must be a finite number in \(0, inf\); got '1GB'"),
    BadInput("combination-table-absurd", lambda: combination_indices(10**6, 3), MemoryBudgetError,
             r"combination_indices: the table of the C\(1000000, 3\) .* over the memory budget"),
    BadInput("sample-absurd", lambda: sample_combinations(10**4, 3, 10**10), MemoryBudgetError,
             r"sample_combinations: a sample of 10000000000 3-subsets"),
    BadInput("sampled-minors-rows-1d", lambda: sampled_minor_matrices(_J, [0, 1], [[0, 1]]), ValueError,
             r"rows must be an integer array of shape \(s, k\)"),
    # ------------------------------------------------------------- observables
    BadInput("pr-convention", lambda: participation_ratio(_JK, "l1"), InvalidParameterError,
             r"participation_ratio: convention must be one of 'l1/l2', 'l2/l1'; got 'l1'"),
    BadInput("pr-mask-not-bool", lambda: participation_ratio(_JK, rank_deficient=np.zeros(12)), ValueError,
             r"rank_deficient must be a boolean mask of shape \(12,\)"),
    BadInput("rotation-reference-str", lambda: rotation_ratio(_J, 2, "haar"), TypeError,
             r"reference must be a RotationReference \(see RotationReference.build\), got str"),
    BadInput("rotation-reference-absurd", lambda: RotationReference.build(8, 3, n_rotations=10**9), MemoryBudgetError,
             r"RotationReference.build: the rotation ratio's reference of n_rotations=1000000000"),
    BadInput("rotation-reference-device", lambda: RotationReference.build(8, 3, n_rotations=4, device="tpu"),
             InvalidParameterError, r"RotationReference.build: device must be 'cpu', 'cuda', 'cuda:N'"),
    BadInput("haar-rotations-absurd", lambda: haar_rotations(8, 10**9), MemoryBudgetError,
             r"haar_rotations: 1000000000 rotations of SO\(8\) needs about"),
    BadInput("column-method", lambda: column_statistics(_JK, _JK, "max"), InvalidParameterError,
             r"column_statistics: method must be one of 'softmax', 'sum'; got 'max'"),
    BadInput("mean-excess-ranks-str", lambda: mean_excess(_JK, "0.9"), InvalidParameterError,
             r"mean_excess: quantile_ranks must be a sequence of values, each a finite number in \[0, 1\)"),
    BadInput("threshold-ranks-empty", lambda: zero_row_threshold(_JK.mean(2), []), InvalidParameterError,
             r"zero_row_threshold: q is empty"),
    BadInput("streaming-chunks-not-callable", lambda: streaming_quantiles([_JK.ravel()], 0.1), TypeError,
             r"streaming_quantiles: chunks must be a callable"),
    BadInput("rank-k-above-min", lambda: numerical_rank_deficient(_J, 4), ValueError,
             r"numerical_rank_deficient: k must satisfy 1 <= k <= min\(m, n\) = 3; got k=4"),
]
