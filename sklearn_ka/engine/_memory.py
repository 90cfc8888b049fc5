"""The memory a stacked training run needs, estimated from shapes before anything is allocated.

:func:`training_nbytes` is integer arithmetic on the sizes of a run (models, hidden units,
samples, features, batch), so a run that cannot fit the memory budget is refused in microseconds,
before the initial parameters are drawn (:func:`check_training_memory`). The estimate is an upper
bound of the peak; its terms are:

* **parameters**: ``L = U (n + 1 + C) + K C`` numbers for ``U`` hidden units of ``K`` models
  (``n`` features, ``C`` outputs), held about ten times in the training precision (the
  parameters, Adam's two moments, the best parameters, the gradient and its pieces, the update's
  temporaries) and about four times in float64 (the initialisation and the returned weights);
* **data**: the training and monitored data sets on the device (inputs, targets, one-hot labels,
  weights) and one float64 copy of each on the host;
* **evaluation inputs**: every unit's unpermuted training and monitored inputs, gathered when the
  stack changes, ``U (N + N_val) n`` numbers;
* **working memory**, the larger of one epoch (every unit's permuted inputs ``U N n``, their
  int64 row indices, and about ``6 + 3 C`` tensors of shape (units, batch)) and one evaluation
  (about ``3 + 2 C`` tensors of shape (units, samples)).

The per-epoch history grows with the epochs actually run, so ``max_epochs`` costs nothing up
front.
"""

from __future__ import annotations

from .._utils import check_memory

__all__ = ["training_nbytes", "check_training_memory"]

#: Copies of the flat parameters held in the training precision, and in float64.
_PARAM_COPIES, _PARAM_COPIES_F64 = 10, 4


def training_nbytes(*, n_models: int, n_samples: int, n_features: int, width: int, batch_size: int,
                    n_outputs: int = 1, n_val_samples: int = 0, shared_data: bool = True,
                    itemsize: int = 4, n_units: int | None = None) -> int:
    """Estimated peak memory, in bytes, of training ``n_models`` one-hidden-layer MLPs in one stack.

    Parameters
    ----------
    n_models : int
        Models in the stack.
    n_samples : int
        Training samples (per model).
    n_features : int
        Input dimension ``n``.
    width : int
        Hidden width ``M`` of each model (used when ``n_units`` is None).
    batch_size : int
        Mini-batch size (``n_samples`` for full batch).
    n_outputs : int, default=1
        Outputs ``C`` (classes of the classifier).
    n_val_samples : int, default=0
        Monitored held-out samples (0 when the training loss is monitored).
    shared_data : bool, default=True
        Whether all models share one data set (else each holds its own).
    itemsize : int, default=4
        Bytes per number in the training precision (4 for float32, 8 for float64).
    n_units : int or None, default=None
        Hidden units of all the models together (models of different widths); None means
        ``n_models * width``.

    Returns
    -------
    int
        Bytes; see the module's description for the terms.
    """
    K, N, n, M, C, Nv = (int(v) for v in (n_models, n_samples, n_features, width, n_outputs, n_val_samples))
    U = K * M if n_units is None else int(n_units)
    B = min(int(batch_size), N)
    L = U * (n + 1 + C) + K * C
    params = L * (_PARAM_COPIES * itemsize + _PARAM_COPIES_F64 * 8)
    n_sets = 1 if shared_data else K
    data = n_sets * (N + Nv) * ((n + 2 * C + 1) * itemsize + (n + 1) * 8)
    evaluation_inputs = U * (N + Nv) * n * itemsize
    epoch = U * N * (n * itemsize + 8) + K * N * (C * itemsize + 16) + (6 + 3 * C) * U * B * itemsize
    evaluation = (3 + 2 * C) * U * max(N, Nv) * itemsize
    return params + data + evaluation_inputs + max(epoch, evaluation)


def check_training_memory(*, n_models: int, n_samples: int, n_features: int, width: int, batch_size: int,
                          n_outputs: int = 1, n_val_samples: int = 0, shared_data: bool = True,
                          itemsize: int = 4, owner: str | None = None, alternatives: str | None = None,
                          n_units: int | None = None) -> int:
    """Refuse a training run whose :func:`training_nbytes` exceed the memory budget; return the estimate.

    Parameters
    ----------
    n_models, n_samples, n_features, width, batch_size, n_outputs, n_val_samples, shared_data, itemsize, n_units
        As in :func:`training_nbytes`.
    owner : str, optional
        The estimator or function, prefixing the message.
    alternatives : str, optional
        What the user can do instead; by default fewer hidden units, a smaller batch, fewer
        samples or models, or a larger budget.

    Raises
    ------
    sklearn_ka._utils.MemoryBudgetError
        Before anything is allocated.
    """
    nbytes = training_nbytes(n_models=n_models, n_samples=n_samples, n_features=n_features, width=width,
                             batch_size=batch_size, n_outputs=n_outputs, n_val_samples=n_val_samples,
                             shared_data=shared_data, itemsize=itemsize, n_units=n_units)
    models = "1 model" if n_models == 1 else f"{n_models} stacked models"
    units = f"{width} hidden units" if n_units is None else f"{n_units} hidden units in all"
    what = (f"training {models} of {units} on {n_samples} samples of {n_features} features "
            f"(batch_size={min(batch_size, n_samples)}, float{8 * itemsize})")
    if alternatives is None:
        alternatives = ("fewer hidden_units, a smaller batch_size, fewer samples"
                        + ("" if n_models == 1 else " or fewer models at once")
                        + ", or a larger memory budget.")
    return check_memory(nbytes, what, alternatives=alternatives, owner=owner)

