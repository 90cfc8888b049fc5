"""Experiment 5: the bootstrapped model (a second MLP on a trained, frozen inner map) and its controls."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import torch
from numpy.typing import ArrayLike

from ..neural_network import ShallowMLPRegressor, fit_many
from ..sweeps import make_sweep_data, sweep
from ._batch_size import BATCH_SIZES
from ._common import PAPER_PROTOCOL, check_int_sequence, check_positive_int, measure_store, protocol_grid, substore

__all__ = ["bootstrap_experiment", "BootstrapMeasure", "train_deep_mlp"]


def _r2(y, pred):
    y = np.asarray(y, dtype=np.float64)
    ss = np.sum((y - y.mean()) ** 2)
    return float(1 - np.sum((y - pred) ** 2) / ss) if ss > 0 else float("nan")


def train_deep_mlp(
    X: ArrayLike,
    y: ArrayLike,
    X_val: ArrayLike,
    y_val: ArrayLike,
    hidden_layer_sizes: Sequence[int] = (32, 32),
    *,
    batch_size: int = 250,
    learning_rate: float = 0.01,
    max_epochs: int = 10000,
    patience: int = 50,
    random_state: int | None = 0,
    n_threads: int = 1,
) -> dict[str, float | int]:
    """Train a GeLU MLP with several hidden layers with the paper protocol (the deep control).

    Initialisation ``W ~ N(0, 1/fan_in)`` and zero biases in every layer, exact GeLU, Adam
    (``learning_rate``, betas (0.9, 0.999)), MSE, shuffled mini-batches, early stopping on the
    ``(X_val, y_val)`` loss with ``patience`` and the best weights restored; float32 as
    :class:`~sklearn_ka.ShallowMLPRegressor`.

    ``n_threads`` torch threads are used (1: small models gain nothing from more). The
    two-hidden-layer control of the bootstrapped-model experiment; see the user guide:
    :ref:`exp-bootstrap` (and :ref:`training-protocol` for the protocol).

    Parameters
    ----------
    X, y : array-like of shape (n_samples, n_features) and (n_samples,)
        Training data.
    X_val, y_val : array-like of shape (n_val, n_features) and (n_val,)
        Held-out data monitored for early stopping.
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

    Returns
    -------
    dict
        ``train_r2``, ``test_r2`` (on ``X_val``), ``n_epochs``, ``best_epoch``.
    """
    from ..engine import torch_threads

    with torch_threads(n_threads):
        return _train_deep_mlp(X, y, X_val, y_val, hidden_layer_sizes, batch_size, learning_rate, max_epochs,
                               patience, random_state)


def _train_deep_mlp(X, y, X_val, y_val, hidden_layer_sizes, batch_size, learning_rate, max_epochs, patience,
                    random_state):
    sizes = [check_positive_int("hidden_layer_sizes", h) for h in hidden_layer_sizes]
    X = np.asarray(X, dtype=np.float64)
    X_val = np.asarray(X_val, dtype=np.float64)
    if not (1 <= batch_size <= len(X)):
        raise ValueError(f"batch_size must be in [1, {len(X)}]; got {batch_size}.")
    rng = np.random.default_rng(random_state)
    dims = [X.shape[1], *sizes, 1]
    params = []
    for d_in, d_out in zip(dims[:-1], dims[1:]):
        W = torch.tensor(rng.normal(0.0, 1.0 / np.sqrt(d_in), size=(d_in, d_out)), dtype=torch.float32,
                         requires_grad=True)
        b = torch.zeros(d_out, dtype=torch.float32, requires_grad=True)
        params += [W, b]

    def forward(x):
        h = x
        for i in range(0, len(params) - 2, 2):
            h = torch.nn.functional.gelu(h @ params[i] + params[i + 1])
        return (h @ params[-2] + params[-1]).squeeze(-1)

    Xt, yt = torch.tensor(X, dtype=torch.float32), torch.tensor(np.asarray(y), dtype=torch.float32)
    Xv, yv = torch.tensor(X_val, dtype=torch.float32), torch.tensor(np.asarray(y_val), dtype=torch.float32)
    opt = torch.optim.Adam(params, lr=learning_rate)
    best = (float("inf"), 0, [p.detach().clone() for p in params])
    epoch = 0
    for epoch in range(1, max_epochs + 1):
        perm = torch.from_numpy(rng.permutation(len(X)))
        for s in range(0, len(X), batch_size):
            idx = perm[s:s + batch_size]
            opt.zero_grad()
            loss = torch.mean((forward(Xt[idx]) - yt[idx]) ** 2)
            loss.backward()
            opt.step()
        with torch.no_grad():
            val = float(torch.mean((forward(Xv) - yv) ** 2))
        if val < best[0]:
            best = (val, epoch, [p.detach().clone() for p in params])
        elif epoch - best[1] >= patience:
            break
    with torch.no_grad():
        for p, b in zip(params, best[2]):
            p.copy_(b)
        pred, pred_v = forward(Xt).double().numpy(), forward(Xv).double().numpy()
    return {"train_r2": _r2(y, pred), "test_r2": _r2(y_val, pred_v), "n_epochs": epoch, "best_epoch": best[1]}


class BootstrapMeasure:
    """``measure`` of :func:`~sklearn_ka.sweeps.sweep` for the bootstrapped model and its controls.

    Given the trained base model, redraws its data (seed protocol of the sweep), freezes the
    inner map ``H = sigma(X A + a)`` and trains a second one-hidden-layer MLP of width
    ``second_units`` on ``(H, y)`` (same batch size and protocol, test set mapped the same way),
    the same on the *initial* inner map, and a deep GeLU MLP ``hidden_layer_sizes`` on ``(X, y)``.
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
    """

    def __init__(self, function: str, n_samples: int, second_units: int = 32,
                 hidden_layer_sizes: Sequence[int] = (32, 32)) -> None:
        self.function = function
        self.n_samples = n_samples
        self.second_units = second_units
        self.hidden_layer_sizes = tuple(hidden_layer_sizes)

    def __call__(self, model: Any, X: np.ndarray, y: np.ndarray) -> dict[str, float | int]:
        seed = int(model.random_state)
        X2, y2, Xt, yt = make_sweep_data(self.function, seed, n_samples=self.n_samples)
        if not (np.array_equal(X, X2) and np.array_equal(y, y2)):
            raise RuntimeError("BootstrapMeasure could not redraw the sweep's training data; check function and "
                               "n_samples.")
        kw = dict(batch_size=model.batch_size_, max_epochs=model.max_epochs, patience=model.patience,
                  learning_rate=model.learning_rate)
        inner0 = model.initial_model()
        boot = ShallowMLPRegressor(self.second_units, random_state=seed, **kw)
        boot0 = ShallowMLPRegressor(self.second_units, random_state=seed, **kw)
        H, Ht, H0, H0t = model.transform(X), model.transform(Xt), inner0.transform(X), inner0.transform(Xt)
        fit_many([boot, boot0], [H, H0], [y, y], eval_set=[(Ht, yt), (H0t, yt)], n_threads=1)
        out = {}
        for name, est, (A, At) in (("bootstrapped", boot, (H, Ht)), ("bootstrapped_initial", boot0, (H0, H0t))):
            out[f"{name}_train_r2"] = float(est.score(A, y))
            out[f"{name}_test_r2"] = float(est.score(At, yt))
            out[f"{name}_n_epochs"] = int(est.n_epochs_)
        deep = train_deep_mlp(X, y, Xt, yt, self.hidden_layer_sizes, random_state=seed, **kw)
        out.update({f"deep_{k}": v for k, v in deep.items() if k != "best_epoch"})
        return out


def bootstrap_experiment(
    function: str = "xor",
    batch_sizes: Sequence[int] = BATCH_SIZES,
    hidden_units: int = 32,
    seeds: Iterable[int] = range(4),
    *,
    wide_units: int = 264,
    second_units: int = 32,
    hidden_layer_sizes: Sequence[int] = (32, 32),
    n_samples: int = 1000,
    max_epochs: int = PAPER_PROTOCOL["max_epochs"],
    patience: int = PAPER_PROTOCOL["patience"],
    n_jobs: int | None = None,
    store: str | os.PathLike | None = None,
    verbose: int = 0,
) -> pd.DataFrame:
    """Training R^2 of the bootstrapped model and its three controls, per batch size.

    The bootstrapped-model experiment of the study [1]_. See the user guide:
    :ref:`exp-bootstrap`.

    Models (column ``model``): ``base(m)`` the one-hidden-layer MLP of width ``hidden_units``;
    ``bootstrapped`` a second one-hidden-layer MLP (width ``second_units``) trained on the frozen
    trained inner map ``sigma(X A + a)`` of the base; ``bootstrapped_initial`` the same on the
    base's *initial* inner map; ``deep(32, 32)`` a GeLU MLP with ``hidden_layer_sizes``; and
    ``wide(264)`` the base widened to ``wide_units``. All use the same data, batch size and protocol.

    Parameters
    ----------
    function : str, default="xor"
    batch_sizes : sequence of int, default=(32, 64, 128, 256, 512, 1000)
    hidden_units : int, default=32
    seeds : sequence of int, default=range(4)
    wide_units : int, default=264
    second_units : int, default=32
    hidden_layer_sizes : tuple of int, default=(32, 32)
    n_samples, max_epochs, patience :
        Training protocol.
    n_jobs, store, verbose :
        As in :func:`~sklearn_ka.sweeps.sweep` (two sweeps: ``store/base`` and ``store/wide``).

    Returns
    -------
    pandas.DataFrame
        One row per (batch size, seed, model): ``function``, ``batch_size``, ``seed``, ``model``,
        ``train_r2``, ``test_r2``, ``n_epochs``.

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
    batch_sizes = check_int_sequence("batch_sizes", batch_sizes)
    n_samples = check_positive_int("n_samples", n_samples, 2)
    too_big = [b for b in batch_sizes if b > n_samples]
    if too_big:
        raise ValueError(f"batch sizes {too_big} exceed n_samples={n_samples}.")
    check_positive_int("hidden_units", hidden_units)
    check_positive_int("wide_units", wide_units)
    check_positive_int("second_units", second_units)
    sizes = hidden_layer_sizes
    if isinstance(sizes, (str, bytes)) or not np.iterable(sizes) or not len(sizes):
        raise ValueError(f"hidden_layer_sizes must be a non-empty tuple of widths; got {hidden_layer_sizes!r}.")
    hidden_layer_sizes = tuple(check_positive_int("hidden_layer_sizes", h) for h in hidden_layer_sizes)
    if not isinstance(function, str):
        raise TypeError(f"function must be a registered target name; got {type(function).__name__}.")
    grid = protocol_grid(batch_size=batch_sizes[0], max_epochs=max_epochs, patience=patience)
    grid["batch_size"] = batch_sizes
    base = sweep({**grid, "hidden_units": [hidden_units]}, functions=[function], seeds=seeds, analyzer=False,
                 measure=BootstrapMeasure(function, n_samples, second_units, hidden_layer_sizes),
                 n_samples=n_samples, n_jobs=n_jobs, verbose=verbose,
                 store=measure_store(store, "base", [second_units, hidden_layer_sizes]))
    wide = sweep({**grid, "hidden_units": [wide_units]}, functions=[function], seeds=seeds, analyzer=False,
                 n_samples=n_samples, n_jobs=n_jobs, store=substore(store, "wide"), verbose=verbose)
    rows = []
    deep_name = f"deep{tuple(hidden_layer_sizes)}".replace(",)", ")")
    for _, r in base.iterrows():
        key = dict(function=r["function"], batch_size=int(r["batch_size"]), seed=int(r["seed"]))
        rows.append({**key, "model": f"base({hidden_units})", "train_r2": r["train_r2"], "test_r2": r["test_r2"],
                     "n_epochs": r["n_epochs"]})
        for prefix, name in (("bootstrapped", "bootstrapped"), ("bootstrapped_initial", "bootstrapped_initial"),
                             ("deep", deep_name)):
            rows.append({**key, "model": name, "train_r2": r[f"{prefix}_train_r2"],
                         "test_r2": r[f"{prefix}_test_r2"], "n_epochs": r[f"{prefix}_n_epochs"]})
    for _, r in wide.iterrows():
        rows.append(dict(function=r["function"], batch_size=int(r["batch_size"]), seed=int(r["seed"]),
                         model=f"wide({wide_units})", train_r2=r["train_r2"], test_r2=r["test_r2"],
                         n_epochs=r["n_epochs"]))
    out = pd.DataFrame(rows)
    out["n_epochs"] = out["n_epochs"].astype(np.int64)
    return out
