"""Bad inputs of the estimators, ``fit_many``, the critical batch size and the target functions.

Every row fails in validation or in a memory estimate, before a model is trained or a sample drawn.
"""

from __future__ import annotations

import numpy as np
from _case import BadInput

from sklearn_ka import ShallowMLPClassifier, ShallowMLPRegressor, fit_many, make_ka_regression
from sklearn_ka._utils import InvalidParameterError, MemoryBudgetError
from sklearn_ka.neural_network import estimate_critical_batch_size
from sklearn_ka.targets import make_target, register_target

_RNG = np.random.default_rng(0)
_X = _RNG.uniform(-1, 1, (24, 3))
_Y = np.prod(np.sin(np.pi * _X), axis=1)
_LABELS = (_Y > 0).astype(int)


def _fit(X=_X, y=_Y, eval_set=None, **params):
    return lambda: ShallowMLPRegressor(**{"max_epochs": 2, **params}).fit(X, y, eval_set=eval_set)


def _fit_clf(X=_X, y=_LABELS, **params):
    return lambda: ShallowMLPClassifier(**{"max_epochs": 2, **params}).fit(X, y)


def _critical(**kwargs):
    return lambda: estimate_critical_batch_size(kwargs.pop("estimator", ShallowMLPRegressor(4, max_epochs=2)), _X, _Y,
                                                **kwargs)


def _with_nan(a, where=(0, 0)):
    a = np.array(a, dtype=float)
    a[where] = np.nan
    return a


_REG = "ShallowMLPRegressor: "
_CLF = "ShallowMLPClassifier: "

CASES = [
    # ---------------------------------------------------------- regressor parameters
    BadInput("mlp-hidden-units-zero", _fit(hidden_units=0), InvalidParameterError,
             rf"^{_REG}hidden_units must be an integer >= 1; got 0"),
    BadInput("mlp-hidden-units-str", _fit(hidden_units="32"), InvalidParameterError,
             rf"^{_REG}hidden_units must be an integer >= 1; got '32' \(of type str\)"),
    BadInput("mlp-hidden-units-1e6", _fit(X=np.tile(_X, (10, 1)), y=np.tile(_Y, 10), hidden_units=10**6),
             MemoryBudgetError, rf"^{_REG}training 1 model of 1000000 hidden units on 240 samples .*over the memory "
                                r"budget.*fewer hidden_units, a smaller batch_size"),
    BadInput("mlp-hidden-units-1e7", _fit(hidden_units=10**7), MemoryBudgetError,
             rf"^{_REG}training 1 model of 10000000 hidden units"),
    BadInput("mlp-learning-rate-nan", _fit(learning_rate=float("nan")), InvalidParameterError,
             rf"^{_REG}learning_rate must be a finite number in \(0, inf\); got nan"),
    BadInput("mlp-learning-rate-str", _fit(learning_rate="0.01"), InvalidParameterError,
             rf"^{_REG}learning_rate must be a finite number"),
    BadInput("mlp-learning-rate-overflows-float32", _fit(learning_rate=1e38), InvalidParameterError,
             rf"^{_REG}learning_rate=1e\+38 is too large for float32 training"),
    BadInput("mlp-batch-size-float", _fit(batch_size=32.0), InvalidParameterError,
             rf"^{_REG}batch_size must be an integer >= 1 or None or one of 'auto', 'critical'; got 32\.0"),
    BadInput("mlp-batch-size-too-large", _fit(batch_size=25), InvalidParameterError,
             rf"^{_REG}batch_size must be in \[1, n_train_samples=24\]"),
    BadInput("mlp-max-epochs-inf", _fit(max_epochs=float("inf")), InvalidParameterError,
             rf"^{_REG}max_epochs must be an integer >= 1; got inf"),
    BadInput("mlp-betas-str", _fit(betas="0.9"), InvalidParameterError,
             rf"^{_REG}betas must be a pair of floats in \[0, 1\); got '0\.9'"),
    BadInput("mlp-activation-unknown", _fit(activation="swish"), InvalidParameterError,
             rf"^{_REG}activation must be one of 'gelu', .*; got 'swish'"),
    BadInput("mlp-dtype-object", _fit(dtype=object()), InvalidParameterError,
             rf"^{_REG}dtype must be 'float32' or 'float64'"),
    BadInput("mlp-device-mps", _fit(device="mps"), InvalidParameterError,
             rf"^{_REG}device must be 'cpu'.*'cuda.*got 'mps'"),
    BadInput("mlp-random-state-2-40", _fit(random_state=2**40), InvalidParameterError,
             rf"^{_REG}random_state must be None, an integer in \[0, 2\*\*32 - 1\] or a numpy RandomState"),
    BadInput("mlp-validation-fraction-one", _fit(validation_fraction=1.0), InvalidParameterError,
             rf"^{_REG}validation_fraction must be None or a finite number in \(0, 1\)"),
    BadInput("mlp-snapshot-r2-str", _fit(snapshot_r2="0.5"), InvalidParameterError,
             rf"^{_REG}snapshot_r2 must be None or a non-empty sequence of finite R\^2 levels"),
    BadInput("mlp-error-on-divergence-str", _fit(error_on_divergence="no"), InvalidParameterError,
             rf"^{_REG}error_on_divergence must be a bool; got 'no'"),
    # ---------------------------------------------------------- regressor data
    BadInput("mlp-y-strings", _fit(y=np.array(["a"] * 24)), ValueError,
             rf"^{_REG}y must be numeric \(floats or integers\); got values such as 'a'.*ShallowMLPClassifier"),
    BadInput("mlp-X-strings", _fit(X=np.full((24, 3), "x")), ValueError, rf"^{_REG}X must be numeric"),
    BadInput("mlp-X-nan", _fit(X=_with_nan(_X)), ValueError, r"Input X contains NaN"),
    BadInput("mlp-y-inf", _fit(y=np.r_[np.inf, _Y[1:]]), ValueError, r"Input y contains infinity"),
    BadInput("mlp-X-1d", _fit(X=_X[:, 0]), ValueError, r"Expected 2D array, got 1D array instead"),
    BadInput("mlp-y-wrong-length", _fit(y=_Y[:5]), ValueError, r"inconsistent numbers of samples"),
    BadInput("mlp-X-beyond-float32", _fit(X=_X * 1e39), ValueError,
             rf"^{_REG}X holds values up to .* beyond the range of float32"),
    BadInput("mlp-y-beyond-float32", _fit(y=_Y * 1e39), ValueError,
             rf"^{_REG}y holds values up to .* beyond the range of float32"),
    BadInput("mlp-one-sample", _fit(X=_X[:1], y=_Y[:1]), ValueError, r"at least 2 samples are required"),
    BadInput("mlp-eval-set-not-pair", _fit(eval_set=_X), ValueError, r"eval_set must be a pair \(X_val, y_val\)"),
    BadInput("mlp-eval-set-y-strings", _fit(eval_set=(_X, ["b"] * 24)), ValueError,
             rf"^{_REG}eval_set y_val must be numeric"),
    # ---------------------------------------------------------- classifier
    BadInput("clf-one-class", _fit_clf(y=np.zeros(24, int)), ValueError, r"needs at least 2 classes in y"),
    BadInput("clf-continuous-y", _fit_clf(y=_Y), ValueError, r"Unknown label type: .*continuous"),
    BadInput("clf-patience-zero", _fit_clf(patience=0), InvalidParameterError,
             rf"^{_CLF}patience must be an integer >= 1; got 0"),
    BadInput("clf-hidden-units-1e7", _fit_clf(hidden_units=10**7), MemoryBudgetError,
             rf"^{_CLF}training 1 model of 10000000 hidden units"),
    BadInput("clf-random-state-negative", _fit_clf(random_state=-1), InvalidParameterError,
             rf"^{_CLF}random_state must be None, an integer in \[0, 2\*\*32 - 1\]"),
    BadInput("clf-X-beyond-float32", _fit_clf(X=_X * 1e39), ValueError, rf"^{_CLF}X holds values up to"),
    # ---------------------------------------------------------- fit_many
    BadInput("fit-many-single-estimator", lambda: fit_many(ShallowMLPRegressor(), _X, _Y), TypeError,
             r"^fit_many: estimators must be a list .*\(pass a list: \[estimator\]\)"),
    BadInput("fit-many-empty", lambda: fit_many([], _X, _Y), ValueError, r"needs at least one estimator"),
    BadInput("fit-many-same-object-twice", lambda: fit_many([ShallowMLPRegressor()] * 2, _X, _Y), ValueError,
             r"got the same estimator object twice"),
    BadInput("fit-many-n-jobs-zero", lambda: fit_many([ShallowMLPRegressor()], _X, _Y, n_jobs=0),
             InvalidParameterError,
             r"^fit_many: n_jobs must be None, a positive number of workers, or -1 for every CPU"),
    BadInput("fit-many-max-units-zero", lambda: fit_many([ShallowMLPRegressor()], _X, _Y, max_units=0),
             InvalidParameterError, r"^fit_many: max_units must be an integer >= 1 or one of 'auto' or None"),
    BadInput("fit-many-callback-not-callable", lambda: fit_many([ShallowMLPRegressor()], _X, _Y, callback=3),
             InvalidParameterError, r"^fit_many: callback must be a callable or None; got 3"),
    BadInput("fit-many-per-estimator-weights", lambda: fit_many([ShallowMLPRegressor(), ShallowMLPRegressor()],
                                                                [_X] * 2, [_Y] * 2, sample_weight=np.ones(24)),
             ValueError, r"With per-estimator X, sample_weight must be None or a list with one array per"),
    BadInput("estimator-callback-string", _fit(callback="stop"), InvalidParameterError,
             rf"^{_REG}callback must be a callable or None; got 'stop'"),
    BadInput("estimator-snapshot-epochs-zero", _fit(snapshot_epochs=[0]), InvalidParameterError,
             rf"^{_REG}snapshot_epochs\[0\] must be an integer >= 1"),
    BadInput("estimator-snapshot-epochs-string", _fit(snapshot_epochs="5"), InvalidParameterError,
             rf"^{_REG}snapshot_epochs must be a sequence of values"),
    BadInput("estimator-warm-start-string", _fit(warm_start="yes"), InvalidParameterError,
             rf"^{_REG}warm_start must be a bool"),
    BadInput("estimator-sample-weight-negative",
             lambda: ShallowMLPRegressor(max_epochs=2).fit(_X, _Y, sample_weight=-np.ones(24)), ValueError,
             rf"^{_REG}sample_weight must be None or an array of shape \(n_samples,\) = \(24,\) of finite, "
             r"non-negative numbers, not all zero; it holds negative values"),
    BadInput("estimator-sample-weight-length",
             lambda: ShallowMLPRegressor(max_epochs=2).fit(_X, _Y, sample_weight=np.ones(5)), ValueError,
             rf"^{_REG}sample_weight must be None .*not all zero; got shape \(5,\)"),
    BadInput("fit-many-per-estimator-count", lambda: fit_many([ShallowMLPRegressor(), ShallowMLPRegressor()],
                                                              [_X] * 3, [_Y] * 3),
             ValueError, r"X holds 3 per-estimator arrays but 2 estimators were given"),
    BadInput("fit-many-huge-model", lambda: fit_many([ShallowMLPRegressor(4), ShallowMLPRegressor(10**7)], _X, _Y),
             MemoryBudgetError, rf"^{_REG}training 1 model of 10000000 hidden units"),
    # ---------------------------------------------------------- critical batch size
    BadInput("cbs-n-pilots-1e8", _critical(n_pilots=10**8), InvalidParameterError,
             r"^estimate_critical_batch_size: n_pilots must be an integer in \[1, 1000\]; got 100000000"),
    BadInput("cbs-pilots-over-budget", _critical(estimator=ShallowMLPRegressor(50_000), n_pilots=1000),
             MemoryBudgetError, r"^estimate_critical_batch_size: training 1000 stacked models .*fewer n_pilots"),
    BadInput("cbs-method-unknown", _critical(method="fast"), InvalidParameterError,
             r"^estimate_critical_batch_size: method must be one of 'empirical', 'noise_scale'; got 'fast'"),
    BadInput("cbs-criterion-zero", _critical(criterion=0.0), InvalidParameterError,
             r"^estimate_critical_batch_size: criterion must be a finite number in \(0, 1\]"),
    BadInput("cbs-small-batch-too-large", _critical(small_batch=25), InvalidParameterError,
             r"small_batch=25 exceeds the 24 training samples"),
    BadInput("cbs-random-state-2-40", _critical(random_state=2**40), InvalidParameterError,
             r"^estimate_critical_batch_size: random_state must be None, an integer in \[0, 2\*\*32 - 1\]"),
    BadInput("cbs-classifier", _critical(estimator=ShallowMLPClassifier()), TypeError,
             r"^estimate_critical_batch_size: estimator must be a ShallowMLPRegressor"),
    # ---------------------------------------------------------- targets
    BadInput("make-n-samples-1e10", lambda: make_ka_regression("xor", n_samples=10**10), MemoryBudgetError,
             r"^make_ka_regression: drawing 10000000000 samples of 3 features \(float64\) needs about 596 GiB"),
    BadInput("make-n-samples-one", lambda: make_ka_regression("xor", n_samples=1), InvalidParameterError,
             r"^make_ka_regression: n_samples must be an integer >= 2; got 1"),
    BadInput("make-n-samples-str", lambda: make_ka_regression("xor", n_samples="100"), InvalidParameterError,
             r"^make_ka_regression: n_samples must be an integer >= 2; got '100'"),
    BadInput("make-unknown-function", lambda: make_ka_regression("xnor", 10), ValueError,
             r"Unknown target function 'xnor'; registered targets: \["),
    BadInput("make-function-int", lambda: make_ka_regression(3, 10), TypeError,
             r"function must be a registered target name \(str\), a TargetFunction or a callable"),
    BadInput("make-random-state-2-40", lambda: make_ka_regression("xor", 10, random_state=2**40),
             InvalidParameterError, r"random_state must be None, an integer in \[0, 2\*\*32 - 1\], a numpy "
                                    r"RandomState or a numpy Generator"),
    BadInput("make-lam-nan", lambda: make_ka_regression("lambda_xor", 10, lam=float("nan")), InvalidParameterError,
             r"lam must be a finite number in \(0, inf\); got nan"),
    BadInput("make-unknown-param", lambda: make_ka_regression("xor", 10, lam=0.5), TypeError,
             r"Bad parameters for target 'xor'.*Accepted parameters: none"),
    BadInput("target-n-features-zero", lambda: make_target("xor", n_features=0), InvalidParameterError,
             r"n_features must be an integer >= 1; got 0"),
    BadInput("target-linear-huge", lambda: make_target("linear", n_features=10**9), MemoryBudgetError,
             r"^linear: storing the 1000000000 coefficients"),
    BadInput("target-so-xor-huge", lambda: make_target("so_xor", n_features=10**5, alpha=0), MemoryBudgetError,
             r"^haar_special_orthogonal: a 100000 x 100000 rotation"),
    BadInput("target-so-xor-alpha-float", lambda: make_target("so_xor", alpha=1.5), TypeError,
             r"alpha is the integer seed \(>= 0\) of the rotation; got 1\.5"),
    BadInput("register-name-int", lambda: register_target(3, lambda n, s: None), TypeError,
             r"name must be a non-empty string; got 3"),
    BadInput("register-factory-not-callable", lambda: register_target("mine", 3), TypeError,
             r"factory must be callable as factory\(n_features, function_seed, \*\*params\)"),
    BadInput("register-existing-name", lambda: register_target("xor", lambda n, s: None), ValueError,
             r"A target named 'xor' is already registered; pass overwrite=True"),
]
