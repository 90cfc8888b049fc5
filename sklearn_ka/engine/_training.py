"""One training loop over a leading model axis.

K independent one-hidden-layer MLPs ``f_k(x) = sigma(x A_k + a_k) B_k + b_k`` are trained at
once on stacked parameters.  Gradients are written out by hand (the model is one affine map,
one elementwise activation and one linear read-out), and Adam is applied elementwise to a
flat ``(K, P)`` parameter matrix, so every model's update is exactly its own: nothing is
shared between models except the kernel launches.

Per-model pieces:

* shuffling stream: model ``k`` draws its epoch permutations from its own
  ``numpy.random.default_rng(shuffle_seeds[k])``, so its batches do not depend on which other
  models train beside it;
* width: models of different widths are zero-padded to the widest; a ``hidden_mask`` zeroes the
  gradients of padded units, whose parameters (initialised at zero) therefore stay exactly zero
  (Adam's update of a zero gradient from zero moments is zero);
* early stopping: each model keeps its best monitored loss, its best parameters and its own
  patience counter; a model that stops leaves the batch (the stacked tensors are compacted).

The optimiser, batches and early stopping follow the training protocol of the KA-geometry study;
see the user guide, :ref:`training-protocol`.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from numpy.typing import ArrayLike

from ._activations import get_activation

__all__ = ["TrainingResult", "train_stacked", "pack_parameters", "unpack_parameters", "torch_threads"]

_LOSSES = {"squared_error": "r2", "cross_entropy": "accuracy"}  # loss -> the score recorded beside it


@contextlib.contextmanager
def torch_threads(n_threads: int | None) -> Iterator[None]:
    """Temporarily set ``torch.set_num_threads(n_threads)`` (``None`` leaves it unchanged).

    Parameters
    ----------
    n_threads : int or None
        Torch intra-op threads inside the ``with`` block; the previous setting is restored
        on exit.

    Yields
    ------
    None
    """
    if n_threads is None:
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(int(n_threads))
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def pack_parameters(
    A: np.ndarray | torch.Tensor,
    a: np.ndarray | torch.Tensor,
    B: np.ndarray | torch.Tensor,
    b: np.ndarray | torch.Tensor,
) -> np.ndarray | torch.Tensor:
    """Stack ``A (K, n, M)``, ``a (K, M)``, ``B (K, M[, C])``, ``b (K[, C])`` into a flat ``(K, P)`` array.

    The layout is ``[A.ravel() (n*M), a (M), B.ravel() (M*C), b (C)]`` per model (C = 1 output
    for regression, one per class for classification).

    Parameters
    ----------
    A, a, B, b : ndarray or torch.Tensor
        Stacked parameters of K models, all NumPy arrays or all tensors.

    Returns
    -------
    flat : ndarray or torch.Tensor of shape (K, P)
        A tensor when ``A`` is a tensor, else a NumPy array.
    """
    K = A.shape[0]
    parts = [A.reshape(K, -1), a.reshape(K, -1), B.reshape(K, -1), b.reshape(K, -1)]
    return torch.cat(parts, 1) if isinstance(A, torch.Tensor) else np.concatenate(parts, 1)


def unpack_parameters(
    flat: np.ndarray | torch.Tensor, n_features: int, width: int, n_outputs: int = 1
) -> tuple[np.ndarray | torch.Tensor, ...]:
    """Inverse of :func:`pack_parameters`: views ``A (K, n, M)``, ``a (K, M)``, ``B``, ``b``.

    With one output ``B`` is ``(K, M)`` and ``b`` is ``(K,)``; with ``C > 1`` outputs they are
    ``(K, M, C)`` and ``(K, C)``.

    Parameters
    ----------
    flat : ndarray or torch.Tensor of shape (K, P)
        Flat parameters in the layout of :func:`pack_parameters`.
    n_features : int
        Input dimension ``n``.
    width : int
        Hidden width ``M`` (the padded width of a stacked run).
    n_outputs : int, default=1
        Number of outputs ``C``.

    Returns
    -------
    A, a, B, b : ndarray or torch.Tensor
        Views of ``flat`` (no copy), of the same kind as ``flat``.
    """
    K = flat.shape[0]
    nM = n_features * width
    A = flat[:, :nM].reshape(K, n_features, width)
    a = flat[:, nM : nM + width]
    if n_outputs == 1:
        return A, a, flat[:, nM + width : nM + 2 * width], flat[:, nM + 2 * width]
    end = nM + width + width * n_outputs
    return A, a, flat[:, nM + width : end].reshape(K, width, n_outputs), flat[:, end : end + n_outputs]


@dataclass
class TrainingResult:
    """What training one model produced.

    Attributes
    ----------
    params : ndarray of shape (P,)
        Best parameters seen (flat layout of :func:`pack_parameters`, padded width).
    n_epochs : int
        Epochs run.
    best_epoch : int
        Epoch (1-based) whose parameters are kept; 0 means the initial ones.
    history : dict of ndarray
        Per-epoch ``epoch``, ``train_loss``, ``monitored_loss``, ``train_r2``, ``monitored_r2``
        (``train_accuracy``, ``monitored_accuracy`` with the cross-entropy loss).
    snapshots : list of dict
        One entry per ``snapshot_r2`` level crossed: ``level``, ``epoch``, ``train_r2`` (or
        ``train_accuracy``) and the flat ``params`` at the end of the first epoch whose training
        score reached the level.
    stop_reason : str
        ``"patience"``, ``"max_epochs"`` or ``"non_finite"``.
    train_time : float
        Wall time in seconds of the stacked run this model belonged to, until it stopped.
    """

    params: np.ndarray
    n_epochs: int
    best_epoch: int
    history: dict
    snapshots: list = field(default_factory=list)
    stop_reason: str = "max_epochs"
    train_time: float = 0.0


def _r2(sse, sst):
    """R^2 per model from sums of squares; a constant target gives 1 when fit exactly, else 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        r2 = 1.0 - sse / sst
    return np.where(sst > 0, r2, np.where(sse == 0, 1.0, 0.0))


def _forward(activation, A, a, B, b, X):
    """Predictions (K, N), or logits (K, N, C), for X of shape (K or 1, N, n)."""
    H = activation.torch_fn(torch.matmul(X, A).add_(a[:, None, :]))
    if B.dim() == 3:
        return torch.matmul(H, B).add_(b[:, None, :])
    return torch.linalg.vecdot(H, B[:, None, :]).add_(b[:, None])


def _evaluate(activation, params, X, y, Y, loss):
    """(mean loss, score) per model as numpy arrays: MSE and the sum of squares, or CE and accuracy."""
    out = _forward(activation, *params, X)
    if loss == "squared_error":
        sse = ((out - y) ** 2).sum(1).cpu().numpy()
        return sse / out.shape[1], sse
    ce = (torch.logsumexp(out, -1) - (out * Y).sum(-1)).mean(1)
    acc = (out.argmax(-1) == y.long()).double().mean(1)
    return ce.cpu().numpy().astype(np.float64), acc.cpu().numpy()


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
    batch_size: int = 250,
    learning_rate: float = 0.01,
    betas: tuple[float, float] = (0.9, 0.999),
    epsilon: float = 1e-8,
    max_epochs: int = 10_000,
    patience: int = 50,
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
        One per model, in input order.
    """
    act = get_activation(activation)
    K, n, M = A.shape
    dev = torch.device(device)
    if loss not in _LOSSES:
        raise ValueError(f"loss must be one of {sorted(_LOSSES)}, got {loss!r}.")
    regression = loss == "squared_error"
    C = 1 if regression else int(np.shape(B)[2])
    columns = ("train_loss", "monitored_loss", f"train_{_LOSSES[loss]}", f"monitored_{_LOSSES[loss]}")

    def as_t(arr):
        return torch.tensor(np.asarray(arr), dtype=dtype, device=dev)  # a copy: inputs may be read-only

    flat = as_t(pack_parameters(np.asarray(A), np.asarray(a), np.asarray(B), np.asarray(b)))
    if hidden_mask is None:
        hidden_mask = np.ones((K, M))
    hm = np.asarray(hidden_mask, dtype=float)
    grad_mask = as_t(pack_parameters(np.repeat(hm[:, None, :], n, 1), hm, np.repeat(hm[:, :, None], C, 2),
                                     np.ones((K, C))))

    def targets(y_arr):
        """(y tensor, one-hot tensor or None, per-model total sum of squares or None)."""
        yt_ = as_t(y_arr)
        if not regression:
            labels = torch.as_tensor(np.asarray(y_arr), device=dev).long()
            return yt_, torch.nn.functional.one_hot(labels, C).to(dtype), None
        y_np = np.asarray(y_arr, dtype=np.float64)
        return yt_, None, np.broadcast_to(((y_np - y_np.mean(1, keepdims=True)) ** 2).sum(1), (K,)).copy()

    def scores(raw, sst):
        return _r2(raw, sst) if regression else raw

    Xt = as_t(X)
    yt, Yt, sst_train = targets(y)
    shared = Xt.shape[0] == 1
    N = Xt.shape[1]
    has_val = X_val is not None
    if has_val:
        Xv = as_t(X_val)
        yv, Yv, sst_val = targets(y_val)
        shared_val = Xv.shape[0] == 1
    Ytrain = Yt if Yt is not None else yt  # what the mini-batches gather: one-hot or values

    if shuffle_seeds is None:
        shuffle_seeds = range(K)
    rngs = [np.random.default_rng(int(s)) for s in shuffle_seeds]
    levels = None if snapshot_r2 is None else np.sort(np.asarray(snapshot_r2, dtype=float))
    next_level = np.zeros(K, dtype=int)
    snapshots = [[] for _ in range(K)]

    beta1, beta2 = betas
    m1 = torch.zeros_like(flat)
    m2 = torch.zeros_like(flat)
    best = flat.clone()
    best_loss = np.full(K, np.inf)
    best_epoch = np.zeros(K, dtype=int)
    wait = np.zeros(K, dtype=int)
    history = np.full((max_epochs, K, len(columns)), np.nan)
    active = np.arange(K)
    results = [None] * K
    batch_size = int(min(batch_size, N))
    starts = range(0, N, batch_size)
    step = 0
    t0 = time.perf_counter()

    def finish(rows, epoch, reason):
        for r in rows:
            k = active[r]
            results[k] = TrainingResult(
                params=best[r].detach().cpu().numpy().astype(np.float64),
                n_epochs=epoch,
                best_epoch=int(best_epoch[k]),
                history={"epoch": np.arange(1, epoch + 1)}
                | {c: history[:epoch, k, i].copy() for i, c in enumerate(columns)},
                snapshots=snapshots[k],
                stop_reason=reason,
                train_time=time.perf_counter() - t0,
            )

    if n_threads == "auto":
        n_threads = 1 if K * min(batch_size, N) * M < 2**20 else None
    with torch_threads(n_threads if dev.type == "cpu" else None), torch.no_grad():
        for epoch in range(1, max_epochs + 1):
            Ka = len(active)
            perm = torch.as_tensor(
                np.stack([rngs[k].permutation(N) for k in active]), device=dev
            )
            if shared:
                Xp, yp = Xt[0][perm], Ytrain[0][perm]
            else:
                rows = torch.arange(Ka, device=dev)[:, None]  # per-model data is kept compacted
                Xp, yp = Xt[rows, perm], Ytrain[rows, perm]
            Aw, aw, Bw, bw = unpack_parameters(flat, n, M, C)
            for s in starts:
                Xb = Xp[:, s : s + batch_size]
                yb = yp[:, s : s + batch_size]
                Z = torch.baddbmm(aw[:, None, :], Xb, Aw)
                H = act.torch_fn(Z)
                if regression:
                    # matrix-vector products as vecdot / broadcasting: batched GEMMs with an inner
                    # or outer dimension of 1 are several times slower on the CPU
                    pred = torch.linalg.vecdot(H, Bw[:, None, :]).add_(bw[:, None])
                    g = (pred - yb).mul_(2.0 / Xb.shape[1])
                    gB = torch.bmm(g[:, None, :], H).squeeze(1)
                    gZ = act.backward(g[:, :, None] * Bw[:, None, :], Z)
                    gb = g.sum(1, keepdim=True)
                else:  # softmax cross-entropy: d loss / d logits = (softmax - one-hot) / batch
                    logits = torch.baddbmm(bw[:, None, :], H, Bw)
                    g = torch.softmax(logits, -1).sub_(yb).div_(Xb.shape[1])
                    gB = torch.bmm(H.transpose(1, 2), g).reshape(Ka, -1)
                    gZ = act.backward(torch.bmm(g, Bw.transpose(1, 2)), Z)
                    gb = g.sum(1)
                gA = torch.bmm(Xb.transpose(1, 2), gZ)
                grad = torch.cat([gA.reshape(Ka, -1), gZ.sum(1), gB, gb], 1)
                grad.mul_(grad_mask)
                step += 1
                m1.mul_(beta1).add_(grad, alpha=1.0 - beta1)
                m2.mul_(beta2).addcmul_(grad, grad, value=1.0 - beta2)
                bc1 = 1.0 - beta1**step
                bc2 = 1.0 - beta2**step
                denom = (m2 / bc2).sqrt_().add_(epsilon)
                flat.addcdiv_(m1, denom, value=-learning_rate / bc1)

            # end of epoch: exact losses of the current parameters
            params = (Aw, aw, Bw, bw)
            train_loss, raw = _evaluate(act, params, Xt, yt, Yt, loss)
            train_r2 = scores(raw, None if sst_train is None else sst_train[active])
            if has_val:
                mon_loss, raw_v = _evaluate(act, params, Xv, yv, Yv, loss)
                mon_r2 = scores(raw_v, None if sst_val is None else sst_val[active])
            else:
                mon_loss, mon_r2 = train_loss, train_r2
            history[epoch - 1, active] = np.stack([train_loss, mon_loss, train_r2, mon_r2], 1)

            improved = mon_loss < best_loss[active] - tol
            if improved.any():
                imp = torch.as_tensor(improved, device=dev)
                best = torch.where(imp[:, None], flat, best)
                best_loss[active[improved]] = mon_loss[improved]
                best_epoch[active[improved]] = epoch
            wait[active] = np.where(improved, 0, wait[active] + 1)

            if levels is not None:
                for r in np.flatnonzero(train_r2 >= levels[np.minimum(next_level[active], len(levels) - 1)]):
                    k = active[r]
                    if next_level[k] >= len(levels):
                        continue
                    snap_params = flat[r].cpu().numpy().astype(np.float64)
                    while next_level[k] < len(levels) and train_r2[r] >= levels[next_level[k]]:
                        snapshots[k].append(
                            {"level": float(levels[next_level[k]]), "epoch": epoch,
                             columns[2]: float(train_r2[r]), "params": snap_params}
                        )
                        next_level[k] += 1

            if verbose and epoch % max(1, 1000 // int(verbose)) == 0:
                print(f"epoch {epoch}: {Ka} models training, best monitored loss "
                      f"{np.nanmin(best_loss[active]):.6g}", flush=True)

            non_finite = ~np.isfinite(train_loss)
            stop = (wait[active] >= patience) | non_finite
            if epoch == max_epochs:
                stop[:] = True
            if stop.any():
                rows = np.flatnonzero(stop)
                for r in rows:
                    reason = "non_finite" if non_finite[r] else (
                        "patience" if wait[active[r]] >= patience else "max_epochs")
                    finish([r], epoch, reason)
                keep = np.flatnonzero(~stop)
                if keep.size == 0:
                    break
                kt = torch.as_tensor(keep, device=dev)
                flat, best, m1, m2, grad_mask = (t[kt] for t in (flat, best, m1, m2, grad_mask))
                if not shared:  # per-model data leaves with its model, so no epoch copies a subset
                    Xt, yt, Ytrain = Xt[kt], yt[kt], Ytrain[kt]
                    Yt = None if Yt is None else Ytrain
                if has_val and not shared_val:
                    Xv, yv, Yv = Xv[kt], yv[kt], None if Yv is None else Yv[kt]
                active = active[keep]
    return results
