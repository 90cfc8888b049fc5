"""``sklearn-ka demo``: the paper protocol on xor, linear and random, with a table.

The targets and the protocol are described in the user guide (:ref:`targets`, :ref:`training-protocol`).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pandas as pd

from .._utils import PAPER_PROTOCOL
from ..neural_network import ShallowMLPRegressor, fit_many
from ..targets import make_ka_regression

FUNCTIONS = ("xor", "linear", "random")


def check_demo(hidden_units: int, analysis: bool = True, n_samples: int = PAPER_PROTOCOL.n_samples) -> None:
    """Refuse, before training, a demo whose training or KA analysis could not fit its memory budget.

    Parameters
    ----------
    hidden_units : int
        Hidden width m.
    analysis : bool, default=True
        Whether the demo analyses the trained models (the analysis is not checked otherwise).
    n_samples : int, default=1000
        Training examples per target (an independent test set of the same size is monitored).

    Raises
    ------
    UsageError
        Training one model (``sklearn_ka.engine.check_training_memory``) or the size-k minors of
        one example of width ``hidden_units`` would exceed the memory budget; the message says so
        and names the alternatives (``--no-analysis``, a smaller ``--hidden-units`` or
        ``--n-samples``).
    """
    from ..engine import check_training_memory
    from ._main import UsageError

    try:
        check_training_memory(n_models=1, n_samples=n_samples, n_features=PAPER_PROTOCOL.n_features,
                              width=hidden_units, batch_size=min(PAPER_PROTOCOL.batch_size, n_samples),
                              n_val_samples=n_samples, owner="demo")
    except ValueError as exc:
        raise UsageError(f"{exc} For the demo: a smaller --hidden-units or --n-samples.") from None
    if not analysis:
        return
    from ..analysis import KAGeometryAnalyzer
    from ..sweeps import check_analysis_memory

    try:
        check_analysis_memory(KAGeometryAnalyzer(random_state=0), [hidden_units], PAPER_PROTOCOL.n_features,
                              owner="demo")
    except ValueError as exc:
        raise UsageError(f"{exc} For the demo: run it with --no-analysis (training only), or with a smaller "
                         "--hidden-units.") from None


def run_demo(hidden_units: int = max(PAPER_PROTOCOL.hidden_units), n_samples: int = PAPER_PROTOCOL.n_samples,
             max_epochs: int = PAPER_PROTOCOL.max_epochs, seed: int = 0, analysis: bool = True,
             print_fn: Callable[[str], object] = print) -> pd.DataFrame:
    """Train the three published targets at once and print train/test R^2, epochs and time.

    The paper protocol of the study [1]_ (n = 3 inputs, batch 250, Adam lr 0.01, patience 50, an
    independent test set of ``n_samples`` examples as the early-stopping set, the package's default: the
    paper does not say which loss it monitors), trained together
    with :func:`~sklearn_ka.fit_many`.

    Parameters
    ----------
    hidden_units : int, default=32
        Hidden width m.
    n_samples : int, default=1000
        Training examples per target (at least 250, one mini-batch).
    max_epochs : int, default=10000
        Epoch limit (early stopping usually ends sooner).
    seed : int, default=0
        Data seeds ``2 seed`` (training) and ``2 seed + 1`` (test); the targets' draw and the
        initialisations use ``seed``.
    analysis : bool, default=True
        Also print the main KA observables (:ref:`observables`) beside the initial values.
    print_fn : callable, default=print
        Receives each block of text.

    Returns
    -------
    pandas.DataFrame
        The table: one row per target.

    Raises
    ------
    UsageError
        Before training, when ``analysis`` is on and the analysis of ``hidden_units`` hidden
        units could not fit the analyzer's memory budget (see :func:`check_demo`).

    References
    ----------
    .. [1] M. Freedman and M. Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in
       Shallow MLPs", arXiv:2509.12326, 2025. https://arxiv.org/abs/2509.12326
    """
    check_demo(hidden_units, analysis, n_samples)
    t0 = time.perf_counter()
    p = PAPER_PROTOCOL
    train = [make_ka_regression(f, n_samples, p.n_features, random_state=2 * seed, function_seed=seed)
             for f in FUNCTIONS]
    test = [make_ka_regression(f, n_samples, p.n_features, random_state=2 * seed + 1, function_seed=seed)
            for f in FUNCTIONS]
    protocol = dict(p.training(), learning_rate=p.learning_rate, max_epochs=max_epochs)
    models = [ShallowMLPRegressor(hidden_units, random_state=seed, **protocol) for _ in FUNCTIONS]
    fit_many(models, [X for X, _ in train], [y for _, y in train], eval_set=list(test))
    rows = []
    for f, m, (X, y), (Xt, yt) in zip(FUNCTIONS, models, train, test):
        rows.append({"function": f, "m": hidden_units, "train_r2": m.score(X, y), "test_r2": m.score(Xt, yt),
                     "epochs": m.n_epochs_, "best_epoch": m.best_epoch_, "stop": m.stop_reason_,
                     "train_time_s": m.fit_time_})
    table = pd.DataFrame(rows)
    print_fn(f"sklearn-ka demo: paper protocol (n={p.n_features}, m={hidden_units}, {n_samples} train / {n_samples} "
             f"test, batch {p.batch_size}, Adam lr={p.learning_rate}, patience {p.patience}), trained together with "
             "fit_many\n")
    print_fn(table.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    if analysis:
        from ._demo_analysis import print_observables

        print_observables(models, train, print_fn=print_fn)
    print_fn(f"\ntotal time {time.perf_counter() - t0:.1f} s. Next: python -m sklearn_ka reproduce --quick")
    return table
