"""Experiment 5: the bootstrapped model (a second MLP on a trained, frozen inner map) and its controls."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import torch
from numpy.typing import ArrayLike

from .._utils import (
    PAPER_PROTOCOL,
    InstanceOf,
    Integers,
    Options,
    check_device,
    check_memory,
    check_param,
    check_sequence,
    r2_score,
    validate_params,
)
from ..engine import check_training_memory, torch_threads
from ..neural_network import ShallowMLPRegressor, fit_many
from ..sweeps import MONITORS, make_sweep_data, sweep
from ._batch_size import BATCH_SIZES, check_batch_sizes
from ._common import (
    PROTOCOL_CONSTRAINTS,
    device_of,
    measure_store,
    protocol_grid,
    sequence_of,
    substore,
)

__all__ = ["bootstrap_experiment", "BootstrapMeasure", "train_deep_mlp"]

_CONSTRAINTS = {
    **PROTOCOL_CONSTRAINTS,
    "function": [InstanceOf(str, "a registered target name")],
    "batch_sizes": sequence_of(Integers(1), owner="bootstrap_experiment"),
    "wide_units": [Integers(1)],
    "second_units": [Integers(1)],
    "hidden_layer_sizes": sequence_of(Integers(1), owner="bootstrap_experiment", unique=False),
    "device": device_of("bootstrap_experiment"),
}


#: Bytes per parameter of the deep control: float32 weights, gradients, Adam's two moments and the
#: best weights (5 x 4), and the float64 draw of the initialisation (8).
_DEEP_BYTES_PER_PARAMETER = 28
#: float32 tensors of shape (examples, units of all hidden layers) alive at once (pre-activations,
#: activations, GeLU's saved input) in a step or an evaluation.
_DEEP_ACTIVATION_COPIES = 3


def deep_mlp_nbytes(n_samples: int, n_features: int, hidden_layer_sizes: Sequence[int]) -> int:
    """Estimated peak memory (bytes) of :func:`train_deep_mlp` on ``n_samples`` examples (and as many held out)."""
    dims = [int(n_features), *(int(h) for h in hidden_layer_sizes), 1]
    n_params = sum(a * b + b for a, b in zip(dims[:-1], dims[1:]))
    data = 2 * n_samples * (n_features + 1) * (4 + 8)
    return _DEEP_BYTES_PER_PARAMETER * n_params + _DEEP_ACTIVATION_COPIES * 4 * n_samples * sum(dims[1:]) + data


def train_deep_mlp(
    X: ArrayLike,
    y: ArrayLike,
    X_val: ArrayLike,
    y_val: ArrayLike,
    hidden_layer_sizes: Sequence[int] = (32, 32),
    *,
    batch_size: int = PAPER_PROTOCOL.batch_size,
    learning_rate: float = PAPER_PROTOCOL.learning_rate,
    max_epochs: int = PAPER_PROTOCOL.max_epochs,
    patience: int = PAPER_PROTOCOL.patience,
    random_state: int | None = 0,
    n_threads: int = 1,
    device: str = "cpu",
    monitor: str = "test",
) -> dict[str, float | int]:
    """Train a GeLU MLP with several hidden layers with the paper protocol (the deep control).

    Initialisation ``W ~ N(0, 1/fan_in)`` and zero biases in every layer, exact GeLU, Adam
    (``learning_rate``, betas (0.9, 0.999)), MSE, shuffled mini-batches, early stopping on the
    monitored loss (the ``(X_val, y_val)`` loss, or the training loss with ``monitor="train"``)
    with ``patience`` and the best weights restored; float32 as
    :class:`~sklearn_ka.ShallowMLPRegressor`.

    ``n_threads`` torch threads are used (1: small models gain nothing from more). The
    two-hidden-layer control of the bootstrapped-model experiment; see the user guide:
    :ref:`exp-bootstrap` (and :ref:`training-protocol` for the protocol).

    Parameters
    ----------
    X, y : array-like of shape (n_samples, n_features) and (n_samples,)
        Training data.
    X_val, y_val : array-like of shape (n_val, n_features) and (n_val,)
        Held-out data: monitored for early stopping with ``monitor="test"``, scored in any case.
    hidden_layer_sizes : sequence of int, default=(32, 32)
        Widths of the hidden layers.
    batch_size : int, default=250
        Mini-batch size, in ``[1, n_samples]``.
    learning_rate : float, default=0.01
        Adam learning rate.
    max_epochs : int, default=10000
        Maximum epochs.
    patience : int, default=50
        Early-stopping patience in epochs.
    random_state : int or None, default=0
        Seeds the initialisation and the shuffling.
    n_threads : int, default=1
        Torch threads.
    device : str, default="cpu"
        Torch device that trains the network: ``"cpu"``, ``"cuda"`` or ``"cuda:N"``.
    monitor : {"test", "train"}, default="test"
        The loss early stopping monitors: the held-out ``(X_val, y_val)`` loss, or the loss on
        the whole training set after each epoch (as :class:`~sklearn_ka.ShallowMLPRegressor`
        without an ``eval_set``); see :ref:`early-stopping-monitor`.

    Returns
    -------
    dict
        ``train_r2``, ``test_r2`` (on ``X_val``; scikit-learn's :func:`~sklearn.metrics.r2_score`,
        so a constant target scores 1.0 when predicted exactly and 0.0 otherwise), ``n_epochs``,
        ``best_epoch``.
    """
    sizes = check_sequence("hidden_layer_sizes", hidden_layer_sizes, Integers(1), allow_empty=True,
                           owner="train_deep_mlp")
    device = check_device(device, owner="train_deep_mlp")
    monitor = check_param("monitor", monitor, [Options(*MONITORS)], owner="train_deep_mlp")
    n_samples, n_features = np.shape(X)[0], np.shape(X)[1]
    check_memory(deep_mlp_nbytes(n_samples, n_features, sizes), f"training an MLP with hidden layers {tuple(sizes)} "
                 f"on {n_samples} samples of {n_features} features", owner="train_deep_mlp",
                 alternatives="smaller hidden_layer_sizes, fewer samples, or a larger memory budget.")
    with torch_threads(n_threads):
        return _train_deep_mlp(X, y, X_val, y_val, sizes, batch_size, learning_rate, max_epochs,
                               patience, random_state, torch.device(device), monitor)


def _train_deep_mlp(X, y, X_val, y_val, sizes, batch_size, learning_rate, max_epochs, patience, random_state,
                    device, monitor="test"):
    X = np.asarray(X, dtype=np.float64)
    X_val = np.asarray(X_val, dtype=np.float64)
    if not (1 <= batch_size <= len(X)):
        raise ValueError(f"train_deep_mlp: batch_size must be in [1, {len(X)}]; got {batch_size}.")
    rng = np.random.default_rng(random_state)
    dims = [X.shape[1], *sizes, 1]
    params = []
    for d_in, d_out in zip(dims[:-1], dims[1:]):
        W = torch.tensor(rng.normal(0.0, 1.0 / np.sqrt(d_in), size=(d_in, d_out)), dtype=torch.float32,
                         device=device, requires_grad=True)
        b = torch.zeros(d_out, dtype=torch.float32, device=device, requires_grad=True)
        params += [W, b]

    def forward(x):
        h = x
        for i in range(0, len(params) - 2, 2):
            h = torch.nn.functional.gelu(h @ params[i] + params[i + 1])
        return (h @ params[-2] + params[-1]).squeeze(-1)

    def tensor(a):
        return torch.tensor(np.asarray(a), dtype=torch.float32, device=device)

    Xt, yt, Xv, yv = tensor(X), tensor(y), tensor(X_val), tensor(y_val)
    Xm, ym = (Xv, yv) if monitor == "test" else (Xt, yt)  # the monitored loss
    opt = torch.optim.Adam(params, lr=learning_rate)
    best = (float("inf"), 0, [p.detach().clone() for p in params])
    epoch = 0
    for epoch in range(1, max_epochs + 1):
        perm = torch.from_numpy(rng.permutation(len(X))).to(device)
        for s in range(0, len(X), batch_size):
            idx = perm[s:s + batch_size]
            opt.zero_grad()
            loss = torch.mean((forward(Xt[idx]) - yt[idx]) ** 2)
            loss.backward()
            opt.step()
        with torch.no_grad():
            val = float(torch.mean((forward(Xm) - ym) ** 2))
        if val < best[0]:
            best = (val, epoch, [p.detach().clone() for p in params])
        elif epoch - best[1] >= patience:
            break
    with torch.no_grad():
        for p, b in zip(params, best[2]):
            p.copy_(b)
        pred, pred_v = forward(Xt).double().cpu().numpy(), forward(Xv).double().cpu().numpy()
    return {"train_r2": float(r2_score(y, pred)), "test_r2": float(r2_score(y_val, pred_v)), "n_epochs": epoch,
            "best_epoch": best[1]}


class BootstrapMeasure:
    """``measure`` of :func:`~sklearn_ka.sweeps.sweep` for the bootstrapped model and its controls.

    Given the trained base model, redraws its data (seed protocol of the sweep), freezes the
    inner map ``H = sigma(X A + a)`` and trains a second one-hidden-layer MLP of width
    ``second_units`` on ``(H, y)`` (same batch size and protocol, test set mapped the same way),
    the same on the *initial* inner map, and a deep GeLU MLP ``hidden_layer_sizes`` on ``(X, y)``.
    Every one of them monitors the loss the sweep monitors (``monitor``).
    Columns: ``{bootstrapped, bootstrapped_initial, deep}_{train_r2, test_r2, n_epochs}``. See the
    user guide: :ref:`exp-bootstrap`.

    Parameters
    ----------
    function : str
        The sweep's target function name (to redraw the data).
    n_samples : int
        The sweep's training-set size.
    second_units : int, default=32
        Width of the second (bootstrapped) MLP.
    hidden_layer_sizes : sequence of int, default=(32, 32)
        Widths of the deep control.
    monitor : {"test", "train"}, default="test"
        The loss early stopping monitors (:ref:`early-stopping-monitor`): the mapped test set, or
        the training loss.
    """

    def __init__(self, function: str, n_samples: int, second_units: int = 32,
                 hidden_layer_sizes: Sequence[int] = (32, 32), monitor: str = "test") -> None:
        self.function = function
        self.n_samples = n_samples
        self.second_units = second_units
        self.hidden_layer_sizes = tuple(hidden_layer_sizes)
        self.monitor = monitor

    def __call__(self, model: Any, X: np.ndarray, y: np.ndarray) -> dict[str, float | int]:
        seed = int(model.random_state)
        X2, y2, Xt, yt = make_sweep_data(self.function, seed, n_samples=self.n_samples)
        if not (np.array_equal(X, X2) and np.array_equal(y, y2)):
            raise RuntimeError("BootstrapMeasure could not redraw the sweep's training data; check function and "
                               "n_samples.")
        kw = dict(batch_size=model.batch_size_, max_epochs=model.max_epochs, patience=model.patience,
                  learning_rate=model.learning_rate)
        device = str(model.device)  # the second MLPs and the deep control train where the base model did
        inner0 = model.initial_model()
        boot = ShallowMLPRegressor(self.second_units, random_state=seed, device=device, **kw)
        boot0 = ShallowMLPRegressor(self.second_units, random_state=seed, device=device, **kw)
        H, Ht, H0, H0t = model.transform(X), model.transform(Xt), inner0.transform(X), inner0.transform(Xt)
        held_out = [(Ht, yt), (H0t, yt)] if self.monitor == "test" else None
        fit_many([boot, boot0], [H, H0], [y, y], eval_set=held_out, n_threads=1)
        out = {}
        for name, est, (A, At) in (("bootstrapped", boot, (H, Ht)), ("bootstrapped_initial", boot0, (H0, H0t))):
            out[f"{name}_train_r2"] = float(est.score(A, y))
            out[f"{name}_test_r2"] = float(est.score(At, yt))
            out[f"{name}_n_epochs"] = int(est.n_epochs_)
        deep = train_deep_mlp(X, y, Xt, yt, self.hidden_layer_sizes, random_state=seed, device=device,
                              monitor=self.monitor, **kw)
        out.update({f"deep_{k}": v for k, v in deep.items() if k != "best_epoch"})
        return out


def bootstrap_experiment(
    function: str = "random",
    batch_sizes: Sequence[int] = BATCH_SIZES,
    hidden_units: int = max(PAPER_PROTOCOL.hidden_units),
    seeds: Iterable[int] = range(PAPER_PROTOCOL.n_seeds),
    *,
    wide_units: int = 264,
    second_units: int = 32,
    hidden_layer_sizes: Sequence[int] = (32, 32),
    n_samples: int = PAPER_PROTOCOL.n_samples,
    max_epochs: int = PAPER_PROTOCOL.max_epochs,
    patience: int = PAPER_PROTOCOL.patience,
    monitor: str = "test",
    n_jobs: int | None = None,
    store: str | os.PathLike | None = None,
    verbose: int = 0,
    device: str = "cpu",
) -> pd.DataFrame:
    """Training R^2 of the bootstrapped model and its three controls, per batch size.

    The bootstrapped-model experiment of the study [1]_ (its Appendix B, on random(32)). See
    the user guide: :ref:`exp-bootstrap`.

    Models (column ``model``): ``base(m)`` the one-hidden-layer MLP of width ``hidden_units``;
    ``bootstrapped`` a second one-hidden-layer MLP (width ``second_units``) trained on the frozen
    trained inner map ``sigma(X A + a)`` of the base; ``bootstrapped_initial`` the same on the
    base's *initial* inner map; ``deep(32, 32)`` a GeLU MLP with ``hidden_layer_sizes``; and
    ``wide(264)`` the base widened to ``wide_units``. All use the same data, batch size and protocol.

    Parameters
    ----------
    function : str, default="random"
        The target (the study runs random(32)).
    batch_sizes : sequence of int, default=(32, 64, 128, 256, 512, 1000)
    hidden_units : int, default=32
    seeds : sequence of int, default=range(4)
    wide_units : int, default=264
    second_units : int, default=32
    hidden_layer_sizes : tuple of int, default=(32, 32)
    n_samples, max_epochs, patience :
        Training protocol.
    monitor : {"test", "train"}, default="test"
        The loss early stopping monitors, for every model (:ref:`early-stopping-monitor`). For
        an unlearnable target the choice decides the result: monitoring the test set stops on
        the first plateau, before any model can memorise its training set.
    n_jobs, store, verbose :
        As in :func:`~sklearn_ka.sweeps.sweep` (two sweeps: ``store/base-<hash>`` and ``store/wide``).
    device : str, default="cpu"
        Torch device that trains every model, the controls included (see :func:`static_comparison`).

    Returns
    -------
    pandas.DataFrame
        One row per (batch size, seed, model): ``function``, ``batch_size``, ``seed``, ``monitor``,
        ``model``, ``train_r2``, ``test_r2``, ``n_epochs``.

    References
    ----------
    .. [1] M. Freedman and M. Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in
       Shallow MLPs", arXiv:2509.12326, 2025. https://arxiv.org/abs/2509.12326

    Examples
    --------
    >>> from sklearn_ka.experiments import bootstrap_experiment
    >>> df = bootstrap_experiment(batch_sizes=[20], hidden_units=4, seeds=[0], wide_units=6,
    ...                           second_units=4, hidden_layer_sizes=(4, 4), n_samples=40, max_epochs=3)
    >>> sorted(df["model"])
    ['base(4)', 'bootstrapped', 'bootstrapped_initial', 'deep(4, 4)', 'wide(6)']
    """
    p = validate_params(dict(function=function, batch_sizes=batch_sizes, n_samples=n_samples, hidden_units=hidden_units,
                             wide_units=wide_units, second_units=second_units, hidden_layer_sizes=hidden_layer_sizes,
                             max_epochs=max_epochs, patience=patience, monitor=monitor, device=device),
                        _CONSTRAINTS, owner="bootstrap_experiment")
    check_batch_sizes(p["batch_sizes"], p["n_samples"], owner="bootstrap_experiment")
    hidden_layer_sizes = tuple(p["hidden_layer_sizes"])
    _check_memory_up_front(p, hidden_layer_sizes)
    grid = protocol_grid(batch_size=p["batch_sizes"][0], max_epochs=p["max_epochs"], patience=p["patience"],
                         device=p["device"])
    grid["batch_size"] = p["batch_sizes"]
    common = dict(functions=[function], seeds=seeds, analyzer=False, n_samples=p["n_samples"], n_jobs=n_jobs,
                  verbose=verbose, monitor=p["monitor"])
    base = sweep({**grid, "hidden_units": [p["hidden_units"]]},
                 measure=BootstrapMeasure(function, p["n_samples"], p["second_units"], hidden_layer_sizes,
                                          p["monitor"]),
                 store=measure_store(store, "base", [p["second_units"], hidden_layer_sizes]), **common)
    wide = sweep({**grid, "hidden_units": [p["wide_units"]]}, store=substore(store, "wide"), **common)
    return _models_frame(base, wide, p["hidden_units"], p["wide_units"], hidden_layer_sizes)


def _check_memory_up_front(p, hidden_layer_sizes):
    """Refuse at once what a later step could not train: the wide model, the second MLPs, the deep control.

    (The base models are checked by their sweep, which runs first.)
    """
    owner, n, n_features = "bootstrap_experiment", p["n_samples"], PAPER_PROTOCOL.n_features
    batch = max(p["batch_sizes"])
    check_training_memory(n_models=1, n_samples=n, n_features=n_features, width=p["wide_units"], batch_size=batch,
                          n_val_samples=n, owner=f"{owner} (the wide model)")
    check_training_memory(n_models=1, n_samples=n, n_features=p["hidden_units"], width=p["second_units"],
                          batch_size=batch, n_val_samples=n, owner=f"{owner} (the bootstrapped model)")
    check_memory(deep_mlp_nbytes(n, n_features, hidden_layer_sizes), f"training the deep control with hidden "
                 f"layers {hidden_layer_sizes} on {n} samples", owner=owner,
                 alternatives="smaller hidden_layer_sizes, fewer samples, or a larger memory budget.")


def _models_frame(base, wide, hidden_units, wide_units, hidden_layer_sizes):
    """One row per (batch size, seed, model) from the base sweep (with its measure columns) and the wide one."""
    rows = []
    deep_name = f"deep{tuple(hidden_layer_sizes)}".replace(",)", ")")
    for _, r in base.iterrows():
        key = dict(function=r["function"], batch_size=int(r["batch_size"]), seed=int(r["seed"]), monitor=r["monitor"])
        rows.append({**key, "model": f"base({hidden_units})", "train_r2": r["train_r2"], "test_r2": r["test_r2"],
                     "n_epochs": r["n_epochs"]})
        for prefix, name in (("bootstrapped", "bootstrapped"), ("bootstrapped_initial", "bootstrapped_initial"),
                             ("deep", deep_name)):
            rows.append({**key, "model": name, "train_r2": r[f"{prefix}_train_r2"],
                         "test_r2": r[f"{prefix}_test_r2"], "n_epochs": r[f"{prefix}_n_epochs"]})
    for _, r in wide.iterrows():
        rows.append(dict(function=r["function"], batch_size=int(r["batch_size"]), seed=int(r["seed"]),
                         monitor=r["monitor"], model=f"wide({wide_units})", train_r2=r["train_r2"],
                         test_r2=r["test_r2"], n_epochs=r["n_epochs"]))
    out = pd.DataFrame(rows)
    out["n_epochs"] = out["n_epochs"].astype(np.int64)
    return out
