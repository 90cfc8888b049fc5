"""The memory a stacked training run needs, estimated from shapes before anything is allocated.

:func:`training_nbytes` is integer arithmetic on the sizes of a run (models, samples, features,
width, batch), so a run that cannot fit the memory budget is refused in microseconds, before the
initial parameters are drawn (:func:`check_training_memory`). The estimate is an upper bound of
the peak (measured on the CPU it lies between 1 and 1.6 times the peak resident memory that
training adds); its terms are:

* **parameters**: per model ``P = n M + M + M C + C`` numbers (``n`` features, width ``M``,
  ``C`` outputs), held about ten times in the training precision (the parameters, the best ones
  and their update, Adam's two moments and its denominator, the gradient mask, the gradient and
  its pieces) and about seven times in float64 (the initialisation, padding, packing, the mask's
  construction, the returned weights);
* **data**: the training and monitored data on the device (inputs, targets, one-hot labels) and
  one float64 copy of each on the host;
* **working memory**, the larger of one mini-batch step (the permuted epoch and six tensors of
  shape (models, batch, M): pre-activations, activations and the activation's derivative with
  its temporaries) and one evaluation of the whole training or monitored set (three tensors of
  shape (models, samples, M)).

The per-epoch history grows with the epochs actually run, so ``max_epochs`` costs nothing up
front.
"""

from __future__ import annotations

from .._utils import check_memory

__all__ = ["training_nbytes", "check_training_memory"]

#: Copies of the flat parameters held in the training precision, and in float64.
_PARAM_COPIES, _PARAM_COPIES_F64 = 10, 7
#: Tensors of shape (models, batch, width) alive during one mini-batch step.
_BATCH_TENSORS = 6
#: Tensors of shape (models, samples, width) alive while the losses of a data set are evaluated.
_EVAL_TENSORS = 3


def training_nbytes(*, n_models: int, n_samples: int, n_features: int, width: int, batch_size: int,
                    n_outputs: int = 1, n_val_samples: int = 0, shared_data: bool = True,
                    itemsize: int = 4) -> int:
    """Estimated peak memory, in bytes, of training ``n_models`` stacked one-hidden-layer MLPs.

    Parameters
    ----------
    n_models : int
        Models in the stack.
    n_samples : int
        Training samples (per model).
    n_features : int
        Input dimension ``n``.
    width : int
        Hidden width ``M`` (the padded width of the stack).
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

    Returns
    -------
    int
        Bytes; see the module's description for the terms.
    """
    K, N, n, M, C, Nv = (int(v) for v in (n_models, n_samples, n_features, width, n_outputs, n_val_samples))
    P = n * M + M + M * C + C
    params = K * P * (_PARAM_COPIES * itemsize + _PARAM_COPIES_F64 * 8)
    n_sets = 1 if shared_data else K
    data = n_sets * (N + Nv) * ((n + 2 * C) * itemsize + (n + 1) * 8)
    epoch = K * N * ((n + C) * itemsize + 8)  # permuted inputs and targets, and the permutations
    step = _BATCH_TENSORS * K * min(int(batch_size), N) * M * itemsize
    evaluation = _EVAL_TENSORS * K * max(N, Nv) * (M + C) * itemsize
    return params + data + max(epoch + step, evaluation)


def check_training_memory(*, n_models: int, n_samples: int, n_features: int, width: int, batch_size: int,
                          n_outputs: int = 1, n_val_samples: int = 0, shared_data: bool = True,
                          itemsize: int = 4, owner: str | None = None, alternatives: str | None = None) -> int:
    """Refuse a training run whose :func:`training_nbytes` exceed the memory budget; return the estimate.

    Parameters
    ----------
    n_models, n_samples, n_features, width, batch_size, n_outputs, n_val_samples, shared_data, itemsize
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
                             shared_data=shared_data, itemsize=itemsize)
    models = "1 model" if n_models == 1 else f"{n_models} stacked models"
    what = (f"training {models} of {width} hidden units on {n_samples} samples of {n_features} features "
            f"(batch_size={min(batch_size, n_samples)}, float{8 * itemsize})")
    if alternatives is None:
        alternatives = ("fewer hidden_units, a smaller batch_size, fewer samples"
                        + ("" if n_models == 1 else " or fewer models at once")
                        + ", or a larger memory budget.")
    return check_memory(nbytes, what, alternatives=alternatives, owner=owner)

