"""One training loop over a leading model axis.

K independent one-hidden-layer MLPs ``f_k(x) = sigma(x A_k + a_k) B_k + b_k`` are trained at
once on stacked parameters. Gradients are written out by hand (``_gradients``) and Adam is
applied elementwise to a flat ``(K, P)`` parameter matrix (``_adam``), so every model's
update is exactly its own: nothing is shared between models except the kernel launches.

Per-model pieces:

* shuffling stream: model ``k`` draws its epoch permutations from its own
  ``numpy.random.default_rng(shuffle_seeds[k])`` (``_data``);
* width: models of different widths are zero-padded to the widest; a ``hidden_mask`` zeroes the
  gradients of padded units, whose parameters (initialised at zero) therefore stay exactly zero
  (Adam's update of a zero gradient from zero moments is zero);
* early stopping: each model keeps its best monitored loss, its best parameters and its own
  patience counter; a model that stops leaves the batch (``_stopping``).

The optimiser, batches and early stopping follow the training protocol of the KA-geometry study;
see the user guide, :ref:`training-protocol`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from numpy.typing import ArrayLike

from .._utils import PAPER_PROTOCOL, torch_threads
from ._activations import Activation, get_activation
from ._adam import AdamSettings, StackedAdam, check_adam_step
from ._data import Shuffler, StackedData
from ._gradients import LOSSES, batch_gradient
from ._memory import check_training_memory
from ._parameters import gradient_mask, pack_parameters, unpack_parameters
from ._stopping import EarlyStopping, StoppingSettings, TrainingResult

__all__ = ["train_stacked"]


@dataclass(frozen=True)
class _Model:
    """The shape of the stacked models: inputs, padded width, outputs, activation and loss."""

    n_features: int
    width: int
    n_outputs: int
    activation: Activation
    loss: str


def train_stacked(
    A: ArrayLike,
    a: ArrayLike,
    B: ArrayLike,
    b: ArrayLike,
    X: ArrayLike,
    y: ArrayLike,
    X_val: ArrayLike | None = None,
    y_val: ArrayLike | None = None,
    *,
    hidden_mask: ArrayLike | None = None,
    activation: str = "gelu",
    batch_size: int = PAPER_PROTOCOL.batch_size,
    learning_rate: float = PAPER_PROTOCOL.learning_rate,
    betas: tuple[float, float] = (0.9, 0.999),
    epsilon: float = 1e-8,
    max_epochs: int = PAPER_PROTOCOL.max_epochs,
    patience: int = PAPER_PROTOCOL.patience,
    tol: float = 0.0,
    shuffle_seeds: Sequence[int] | None = None,
    snapshot_r2: ArrayLike | None = None,
    device: str | torch.device = "cpu",
    dtype: torch.dtype = torch.float32,
    n_threads: int | str | None = "auto",
    verbose: int = 0,
    loss: str = "squared_error",
) -> list[TrainingResult]:
    """Train K stacked one-hidden-layer MLPs with Adam and per-model early stopping.

    The defaults are the training protocol of the KA-geometry study; see the user guide,
    :ref:`training-protocol` and :ref:`training-early-stopping`.

    Parameters
    ----------
    A, a, B, b : ndarray
        Initial parameters of shapes ``(K, n, M)``, ``(K, M)``, ``(K, M)``, ``(K,)``; with the
        cross-entropy loss and C classes ``B`` is ``(K, M, C)`` and ``b`` is ``(K, C)``.
    X, y : ndarray
        Training data, ``(K, N, n)`` and ``(K, N)``, or ``(1, N, n)`` and ``(1, N)`` shared by
        all models. With the cross-entropy loss ``y`` holds class indices ``0 .. C-1``.
    X_val, y_val : ndarray or None
        Monitored held-out data with the same leading-axis convention. When ``None`` the
        training loss is monitored.
    hidden_mask : ndarray of shape (K, M) or None
        1 for real hidden units, 0 for padding. Padded units must start at zero.
    activation : str
        Name in :data:`sklearn_ka.engine.ACTIVATIONS`.
    batch_size : int
        Mini-batch size (the last batch of an epoch may be smaller).
    learning_rate, betas, epsilon : float
        Adam's settings (PyTorch's update rule, no weight decay).
    max_epochs, patience : int
        Stop a model after ``max_epochs`` epochs, or after ``patience`` epochs without an
        improvement of its monitored loss by more than ``tol``.
    tol : float
        Minimum decrease of the monitored loss that counts as an improvement.
    shuffle_seeds : sequence of int of length K
        Seed of each model's shuffling stream.
    snapshot_r2 : array-like or None
        Training-R^2 levels at which to keep a copy of the parameters.
    device : str or torch.device
    dtype : torch.dtype
    n_threads : int, "auto" or None
        Torch intra-op threads while training on the CPU. ``"auto"`` uses one thread when a
        step is small (kernel-launch bound, where a second thread only adds synchronisation)
        and the global torch setting otherwise; ``None`` leaves the global setting.
    verbose : int
        Print progress every ``max(1, 1000 // verbose)`` epochs when positive.
    loss : {"squared_error", "cross_entropy"}, default="squared_error"
        Mean squared error of a single output (R^2 recorded beside it), or softmax
        cross-entropy over C outputs (accuracy recorded beside it).

    Returns
    -------
    list of TrainingResult
        One per model, in input order. A model whose training loss becomes NaN or infinite
        stops at once with ``stop_reason="non_finite"`` and keeps its best weights so far.

    Raises
    ------
    sklearn_ka._utils.InvalidParameterError
        A ``learning_rate`` whose first Adam step ``learning_rate / (1 - betas[0])`` the training
        precision cannot represent.
    sklearn_ka._utils.MemoryBudgetError
        Before anything is allocated, when the run's estimated memory
        (:func:`~sklearn_ka.engine.training_nbytes`) exceeds the memory budget
        (``SKLEARN_KA_MEMORY_BUDGET``, default 4 GiB).
    """
    act = get_activation(activation)
    K, n, M = A.shape
    dev = torch.device(device)
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {sorted(LOSSES)}, got {loss!r}.")
    n_classes = None if loss == "squared_error" else int(np.shape(B)[2])
    model = _Model(n, M, n_classes or 1, act, loss)
    check_adam_step(learning_rate, betas, dtype, owner="train_stacked")
    check_training_memory(n_models=K, n_samples=np.shape(X)[1], n_features=n, width=M, batch_size=batch_size,
                          n_outputs=model.n_outputs, n_val_samples=0 if X_val is None else np.shape(X_val)[1],
                          shared_data=np.shape(X)[0] == 1, itemsize=torch.empty((), dtype=dtype).element_size(),
                          owner="train_stacked")
    flat = torch.tensor(pack_parameters(*(np.asarray(p) for p in (A, a, B, b))), dtype=dtype, device=dev)
    mask = torch.tensor(gradient_mask(hidden_mask, K, n, M, model.n_outputs), dtype=dtype, device=dev)
    train, val = (None if data[0] is None else StackedData.from_arrays(*data, n_models=K, n_classes=n_classes,
                                                                       dtype=dtype, device=dev)
                  for data in ((X, y), (X_val, y_val)))
    shuffler = Shuffler(range(K) if shuffle_seeds is None else shuffle_seeds, train.n_samples, dev)
    levels = None if snapshot_r2 is None else np.sort(np.asarray(snapshot_r2, dtype=float))
    stopping = EarlyStopping(flat, StoppingSettings(max_epochs, patience, tol, levels), score=LOSSES[loss])
    batch_size = int(min(batch_size, train.n_samples))
    if n_threads == "auto":
        n_threads = 1 if K * batch_size * M < 2**20 else None
    with torch_threads(n_threads if dev.type == "cpu" else None), torch.no_grad():
        _epochs(model, flat, mask, StackedAdam(flat, AdamSettings(learning_rate, betas, epsilon)), train, val,
                shuffler, stopping, batch_size, verbose)
    return stopping.results


def _epochs(model, flat, mask, adam, train, val, shuffler, stopping, batch_size, verbose):
    """The epoch loop: train every active model one epoch, score it, stop and compact."""
    for epoch in range(1, stopping.settings.max_epochs + 1):
        perm = shuffler.permutations(stopping.active)
        params = unpack_parameters(flat, model.n_features, model.width, model.n_outputs)
        for Xb, yb in train.batches(perm, batch_size):
            grad = batch_gradient(model.activation, params, Xb, yb, model.loss)
            grad.mul_(mask)
            adam.update(flat, grad)

        # end of epoch: exact losses of the current parameters
        train_loss, train_score = train.scores(model.activation, params, model.loss, stopping.active)
        if val is not None:
            mon_loss, mon_score = val.scores(model.activation, params, model.loss, stopping.active)
        else:
            mon_loss, mon_score = train_loss, train_score
        stopping.record(epoch, flat, train_loss, mon_loss, train_score, mon_score)
        if verbose and epoch % max(1, 1000 // int(verbose)) == 0:
            print(f"epoch {epoch}: {len(stopping.active)} models training, best monitored loss "
                  f"{np.nanmin(stopping.best_loss[stopping.active]):.6g}", flush=True)

        keep = stopping.stop(epoch, train_loss)
        if keep.size == len(stopping.active):
            continue
        if keep.size == 0:
            break
        rows = torch.as_tensor(keep, device=flat.device)
        flat, mask = flat[rows], mask[rows]
        for part in (adam, train) + (() if val is None else (val,)):
            part.keep(rows)
        stopping.keep(keep, rows)
