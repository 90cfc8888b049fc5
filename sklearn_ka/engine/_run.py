"""One training run of many models: settings checked, data on the device, stacks in worker threads.

:func:`train_models` is what the estimators call; :func:`train_stacked` is the same run for
parameters given as zero-padded stacked arrays.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch
from numpy.typing import ArrayLike

from .._utils import PAPER_PROTOCOL, torch_threads
from ._activations import get_activation
from ._adam import AdamSettings, check_adam_step
from ._callbacks import EpochInfo, Progress
from ._data import DataSets
from ._gradients import LOSSES
from ._interventions import Interventions
from ._loss_terms import LossTerm
from ._memory import check_training_memory
from ._schedules import ActivationSchedule
from ._stack import ModelSpec
from ._stopping import StoppingSettings, TrainingResult
from ._training import ModelQueue, RunSettings, train_ragged

__all__ = ["CPU_MAX_UNITS", "largest_stack", "train_models"]

#: Hidden units of one stack on the CPU: beyond about this many the per-step tensors leave the
#: caches and the cost per unit grows (measured with ``benchmarks/bench_fit_many.py --throughput``).
CPU_MAX_UNITS = 1024


def train_models(
    models: Sequence[tuple[ArrayLike, ArrayLike, ArrayLike, ArrayLike]],
    X: ArrayLike,
    y: ArrayLike,
    X_val: ArrayLike | None = None,
    y_val: ArrayLike | None = None,
    *,
    data_index: ArrayLike | None = None,
    sample_weight: ArrayLike | None = None,
    shuffle_seeds: Sequence[int] | None = None,
    activation: str = "gelu",
    loss: str = "squared_error",
    batch_size: int = PAPER_PROTOCOL.batch_size,
    learning_rate: float = PAPER_PROTOCOL.learning_rate,
    betas: tuple[float, float] = (0.9, 0.999),
    epsilon: float = 1e-8,
    max_epochs: int = PAPER_PROTOCOL.max_epochs,
    patience: int = PAPER_PROTOCOL.patience,
    tol: float = 0.0,
    snapshot_r2: ArrayLike | None = None,
    snapshot_epochs: ArrayLike | None = None,
    device: str | torch.device = "cpu",
    dtype: torch.dtype = torch.float32,
    n_threads: int | str | None = "auto",
    n_jobs: int = 1,
    max_units: int | str | None = "auto",
    callback: Callable[[EpochInfo], object] | None = None,
    activation_schedules: Sequence[ActivationSchedule | None] | None = None,
    loss_terms: Sequence[LossTerm | None] | None = None,
    verbose: int = 0,
) -> list[TrainingResult]:
    """Train many one-hidden-layer MLPs of any widths with Adam and per-model early stopping.

    The hidden units of all models sit side by side in one stack, without padding; when more
    models are given than a stack holds (``max_units``), the others queue and join as models
    stop. Every model ends as it would alone, up to float rounding. The defaults are the
    training protocol of the KA-geometry study; see the user guide, :ref:`training-protocol`
    and :ref:`training-early-stopping`.

    Parameters
    ----------
    models : sequence of (A, a, B, b)
        Initial parameters of each model: ``A (n, m)``, ``a (m,)``, ``B (m,)``, ``b ()``; with
        the cross-entropy loss and C classes ``B (m, C)`` and ``b (C,)``. Widths may differ.
    X, y : ndarray
        ``D`` training data sets, ``(D, N, n)`` and ``(D, N)``. With the cross-entropy loss ``y``
        holds class indices ``0 .. C-1``.
    X_val, y_val : ndarray or None
        Monitored held-out data, ``(D, N_val, n)`` and ``(D, N_val)``. When None the training
        loss is monitored.
    data_index : array-like of int of shape (K,) or None
        The data set of each model; None: data set 0 for all when ``D == 1``, else model ``k``
        uses data set ``k``.
    sample_weight : ndarray of shape (D, N) or None
        Weights of the training samples (each mini-batch loss is a weighted mean).
    shuffle_seeds : sequence of int of length K or None
        Seed of each model's shuffling stream (None: ``0 .. K-1``).
    activation : str
        Name in :data:`sklearn_ka.engine.ACTIVATIONS`.
    loss : {"squared_error", "cross_entropy"}
    batch_size : int
        Mini-batch size (the last batch of an epoch may be smaller).
    learning_rate, betas, epsilon : float
        Adam's settings (PyTorch's update rule, no weight decay).
    max_epochs, patience : int
        Stop a model after ``max_epochs`` epochs, or after ``patience`` epochs without an
        improvement of its monitored loss by more than ``tol``.
    tol : float
    snapshot_r2 : array-like or None
        Training-R^2 (or accuracy) levels at which to keep a copy of the parameters.
    snapshot_epochs : array-like of int or None
        Epochs at whose end to keep a copy of the parameters.
    device : str or torch.device
    dtype : torch.dtype
    n_threads : int, "auto" or None
        Torch intra-op threads on the CPU with one worker. ``"auto"``: one thread when a step is
        small (kernel-launch bound), the global setting otherwise; None: the global setting.
    n_jobs : int
        Stacks trained concurrently in threads, each with one torch thread, sharing the queue.
        The results do not depend on it beyond float rounding.
    max_units : int, "auto" or None
        Most hidden units in one stack. ``"auto"``: :data:`CPU_MAX_UNITS` on the CPU, no limit
        on other devices; None: no limit.
    callback : callable or None
        Called with an :class:`EpochInfo` after every epoch of every stack; it may return the
        models to stop (a boolean mask over ``EpochInfo.models`` or their indices).
    activation_schedules : sequence of ActivationSchedule or None, or None
        One per model: when to switch (or blend) its hidden activation toward another one. The
        schedules of one run switch to the same activation; each model triggers on its own.
    loss_terms : sequence of LossTerm or None, or None
        One per model: a scheduled term ``beta * term(A, a)`` added to its loss (e.g.
        :class:`sklearn_ka.interventions.KAPenalty`). The terms of one run agree in all but
        ``beta`` and the timing. A model with ``beta = 0`` and no activation switch trains
        exactly as without them.
    verbose : int
        A tqdm progress bar over the models when positive.

    Returns
    -------
    list of TrainingResult
        One per model, in input order.

    Raises
    ------
    sklearn_ka._utils.InvalidParameterError
        A ``learning_rate`` whose first Adam step the training precision cannot represent.
    sklearn_ka._utils.MemoryBudgetError
        Before anything is allocated, when one stack's estimated memory
        (:func:`~sklearn_ka.engine.training_nbytes`) exceeds the memory budget.
    """
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {sorted(LOSSES)}, got {loss!r}.")
    act = get_activation(activation)
    dev = torch.device(device)
    check_adam_step(learning_rate, betas, dtype, owner="train_models")
    specs = _specs(models, shuffle_seeds, data_index, np.shape(X)[0])
    n_outputs = 1 if loss == "squared_error" else int(np.shape(models[0][2])[1])
    units = (CPU_MAX_UNITS if dev.type == "cpu" else None) if max_units == "auto" else max_units
    _check_memory(specs, X, X_val, batch_size, n_outputs, units, dtype)
    n_classes = None if loss == "squared_error" else n_outputs
    train = DataSets.from_arrays(X, y, sample_weight, n_classes=n_classes, dtype=dtype, device=dev)
    val = None if X_val is None else DataSets.from_arrays(X_val, y_val, n_classes=n_classes, dtype=dtype, device=dev)
    levels = None if snapshot_r2 is None else np.sort(np.asarray(snapshot_r2, dtype=float))
    epochs = None if snapshot_epochs is None else frozenset(int(e) for e in np.ravel(snapshot_epochs))
    schedules, terms = _check_interventions(activation_schedules, loss_terms, specs, act, np.shape(X)[2])
    settings = RunSettings(act, loss, n_outputs, int(batch_size), AdamSettings(learning_rate, tuple(betas), epsilon),
                           StoppingSettings(max_epochs, patience, tol, levels, epochs), dtype, dev, units, callback,
                           schedules, terms)
    queue = ModelQueue(specs)
    progress = Progress(len(specs), enabled=bool(verbose))
    try:
        results = _run_workers(queue, len(specs), train, val, settings, progress, n_jobs, n_threads)
    finally:
        progress.close()
    return results


def _check_interventions(schedules, terms, specs, activation, n_features):
    """The per-model schedules and loss terms, checked (types, lengths, agreement, model shapes)."""
    for name, values, kind in (("activation_schedules", schedules, ActivationSchedule),
                               ("loss_terms", terms, LossTerm)):
        if values is None:
            continue
        if isinstance(values, (kind, str)) or not hasattr(values, "__len__") or len(values) != len(specs):
            raise ValueError(f"train_models: {name} must be None or a sequence with one {kind.__name__} (or None) "
                             f"per model ({len(specs)} models).")
        bad = [type(v).__name__ for v in values if v is not None and not isinstance(v, kind)]
        if bad:
            raise TypeError(f"train_models: {name} holds {bad[0]}; expected {kind.__name__} or None.")
    if schedules is not None and not any(s is not None for s in schedules):
        schedules = None
    if terms is not None and not any(t is not None and t.beta != 0 for t in terms):
        terms = None
    if schedules is None and terms is None:
        return None, None
    plan = Interventions(activation, schedules, terms, len(specs))
    plan.penalty.check(specs, n_features)
    return schedules, terms


def _specs(models, shuffle_seeds, data_index, n_sets):
    K = len(models)
    seeds = range(K) if shuffle_seeds is None else shuffle_seeds
    if data_index is None:
        data_index = np.zeros(K, dtype=np.int64) if n_sets == 1 else np.arange(K)
    return [ModelSpec(i, *(np.asarray(p, dtype=np.float64) for p in params), int(seed), int(d))
            for i, (params, seed, d) in enumerate(zip(models, seeds, np.asarray(data_index)))]


def largest_stack(widths: ArrayLike, max_units: int | None) -> tuple[int, int]:
    """The most hidden units and the most models one stack of a run can hold at once.

    Parameters
    ----------
    widths : array-like of int
        The widths of the run's models.
    max_units : int or None
        The stack's limit of hidden units (None: every model at once); a model wider than the
        limit still trains, alone.

    Returns
    -------
    n_units, n_models : int
        Upper bounds, for the memory estimate.
    """
    widths = np.sort(np.asarray(widths, dtype=np.int64))
    if max_units is None or max_units >= widths.sum():
        return int(widths.sum()), len(widths)
    # at most max(max_units, the widest) units; at most as many models as the narrowest fill max_units
    return int(max(max_units, widths[-1])), max(1, int(np.searchsorted(np.cumsum(widths), max_units, side="right")))


def _check_memory(specs, X, X_val, batch_size, n_outputs, max_units, dtype):
    """Refuse a run whose largest stack would not fit the memory budget."""
    widths = np.array([s.width for s in specs])
    units, n_in_stack = largest_stack(widths, max_units)
    shape = np.shape(X)
    check_training_memory(n_models=n_in_stack, n_samples=shape[1], n_features=shape[2], width=int(widths.max()),
                          batch_size=batch_size, n_outputs=n_outputs,
                          n_val_samples=0 if X_val is None else np.shape(X_val)[1], shared_data=shape[0] == 1,
                          itemsize=torch.empty((), dtype=dtype).element_size(), owner="train_models",
                          n_units=units)


def _run_workers(queue, n_models, train, val, settings, progress, n_jobs, n_threads):
    """Train the queue in ``n_jobs`` stacks (threads, one torch thread each) and merge their results."""
    cpu = settings.device.type == "cpu"
    if n_jobs <= 1:
        if n_threads == "auto":
            n_threads = 1 if settings.batch_size * (settings.max_units or 10**9) < 2**20 else None
        with torch_threads(n_threads if cpu else None), torch.no_grad():
            return train_ragged(queue, n_models, train, val, settings, progress)
    from concurrent.futures import ThreadPoolExecutor

    def work():
        # OpenMP's thread count is a per-thread setting: set it in each worker, not only in the caller
        with torch_threads(1 if cpu else None), torch.no_grad():
            return train_ragged(queue, n_models, train, val, settings, progress)

    with torch_threads(1 if cpu else None), ThreadPoolExecutor(n_jobs) as pool:
        parts = list(pool.map(lambda _: work(), range(n_jobs)))
    return [next(r[k] for r in parts if r[k] is not None) for k in range(n_models)]
