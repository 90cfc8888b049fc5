"""Where the analyzers' Jacobians come from: one model on one X, factored when possible.

A :class:`JacobianSource` holds the inner Jacobians of one model on one set of examples, as the
factors ``J[b] = diag(D[b]) W`` when the model is an MLP first layer (or the factors are given),
else as the full ``(n_samples, m, n)`` array. Both analyzers read their minors from it: the
exact one block by block (:meth:`JacobianSource.chunk`), the sampled one on a grid of sampled
row and column subsets (:meth:`JacobianSource.sampled_factors`,
:meth:`JacobianSource.sampled_minors`).
"""

from __future__ import annotations

import copy
import warnings
from typing import Any

import numpy as np
import torch
from sklearn.pipeline import Pipeline

from ..exterior import compound_chain, sampled_factored_minor_matrices, sampled_minor_matrices
from ..jacobians import inner_factors, inner_jacobian
from ._baseline import trained_sklearn_mlp

__all__ = ["JacobianSource", "same_array", "warn_if_trained_baseline"]


def _factors(model, X, layer):
    """``(D, W)`` as float64 numpy arrays, or None when the model has no factored form."""
    if isinstance(model, tuple) and len(model) == 2:
        if layer is not None:
            raise ValueError(f"layer={layer!r} selects a layer of a network; factors (D, W) have none (pass "
                             "layer=None).")
        D, W = (np.asarray(t, dtype=np.float64) for t in model)
        if D.ndim != 2 or W.ndim != 2 or D.shape[1] != W.shape[0]:
            raise ValueError("factors (D, W) must have shapes (n_samples, m) and (m, n)")
        return D, W
    factors = None if isinstance(model, (np.ndarray, torch.Tensor)) else inner_factors(model, X, layer=layer)
    return None if factors is None else tuple(np.asarray(t, dtype=np.float64) for t in factors)


class JacobianSource:
    """The Jacobians of one model on one X: factored ``diag(D) W`` when possible, else full ``J``.

    Parameters
    ----------
    model : model, array of shape (n_samples, m, n), or tuple (D, W)
        Anything :func:`~sklearn_ka.jacobians.inner_jacobian` accepts, or the factors.
    X : array-like or None
        The examples (unused for arrays and factors).
    columns : array of int or None
        Keep only these Jacobian columns (inputs).
    layer : None, int or str
        The hidden layer that ends the inner map (see :func:`~sklearn_ka.jacobians.inner_jacobian`).
    """

    def __init__(self, model: Any, X: Any = None, columns: Any = None, layer: Any = None) -> None:
        factors = _factors(model, X, layer)
        if factors is not None:
            self.D, self.W = factors
            self.J = None
            self.n_samples, self.m = self.D.shape
            self.n_inputs = self.W.shape[1]
        else:
            self.J = np.asarray(inner_jacobian(model, X, layer=layer), dtype=np.float64)
            self.D = self.W = None
            self.n_samples, self.m, self.n_inputs = self.J.shape
        # checked once here; the kernels then skip their own per-array checks (assume_finite)
        for name, a in (("sigma'(z)", self.D), ("first-layer weights", self.W), ("Jacobian", self.J)):
            if a is not None and not np.isfinite(a).all():
                raise ValueError(
                    f"the model's {name} contain NaN or infinite values; the analysis needs finite "
                    "Jacobians (check the model's weights and X)"
                )
        self._factor = self._norms = None
        self.restrict(columns)

    def restrict(self, columns: Any) -> JacobianSource:
        """Keep only the Jacobian columns (inputs) ``columns``; ``n`` is then their number."""
        self._norms = None
        if columns is not None:
            if self.J is not None:
                self.J = self.J[:, :, columns]
            else:
                self.W = self.W[:, columns]
        self.n = self.n_inputs if columns is None else len(columns)
        return self

    # ------------------------------------------------------------ exact minors
    def chunk(self, start: int, stop: int) -> tuple:
        """``(D, factor, None)`` or ``(None, None, J)`` for the examples ``start:stop``."""
        if self.J is not None:
            return (None, None, self.J[start:stop])
        return (self.D[start:stop], self.factor(), None)

    def factor(self) -> _Factor:
        """W with its minors, computed once per source and shared by every block (and worker)."""
        if self._factor is None or self._factor.W is not self.W:
            self._factor = _Factor(self.W)
        return self._factor

    def frobenius_norms(self) -> np.ndarray:
        """``||J(x)||_F`` per example (the scale of the numerical-rank rule), computed once."""
        if getattr(self, "_norms", None) is None:
            if self.J is not None:
                self._norms = np.sqrt(np.einsum("bij,bij->b", self.J, self.J))
            else:
                self._norms = np.sqrt(np.square(self.D) @ np.square(self.W).sum(axis=1))
        return self._norms

    # ------------------------------------------------------------ sampled minors
    def sampled_factors(self, rows: np.ndarray, cols: np.ndarray, device: Any = "cpu") -> tuple | None:
        """Factored form ``(DI, WIK)`` (tensors on ``device``) of the minors on the grid ``rows x cols``, or None."""
        if self.J is None:
            return sampled_factored_minor_matrices(torch.from_numpy(self.D).to(device),
                                                   torch.from_numpy(self.W).to(device), rows, cols)
        return None

    def sampled_minors(self, start: int, stop: int, rows: np.ndarray, cols: np.ndarray,
                       factors: tuple | None, device: Any = "cpu") -> torch.Tensor:
        """The minors on the grid ``rows x cols`` of the examples ``start:stop``, a tensor on ``device``."""
        if factors is not None:
            DI, WIK = factors
            return DI[start:stop, :, None] * WIK[None]
        return sampled_minor_matrices(torch.from_numpy(self.J[start:stop]).to(device), rows, cols)

    def columns(self, start: int, stop: int, cols: np.ndarray, device: Any = "cpu") -> torch.Tensor:
        """``J[start:stop][:, :, cols]``, a float64 tensor on ``device`` (the Jacobians of a sub-map)."""
        if self.J is None:
            D = torch.from_numpy(self.D[start:stop]).to(device)
            return D[:, :, None] * torch.from_numpy(np.ascontiguousarray(self.W[:, cols])).to(device)[None]
        return torch.from_numpy(np.ascontiguousarray(self.J[start:stop][:, :, cols])).to(device)

    def subset(self, start: int, stop: int) -> JacobianSource:
        """The same source restricted to the examples ``start:stop`` (views; for a worker)."""
        out = copy.copy(self)
        out._factor = out._norms = None
        if self.J is not None:
            out.J = self.J[start:stop]
        else:
            out.D = self.D[start:stop]
        out.n_samples = stop - start
        return out


class _Factor:
    """The shared matrix ``W`` of ``J = diag(D) W`` and its absolute minors ``|C_k(W)|``, one per k.

    The minors of ``W`` are the same for every example (``C_k(J) = C_k(diag D) C_k(W)`` by
    Cauchy-Binet, so only the row products of ``D`` change): each is computed on first use
    and kept, so blocks, the fit and the score share one computation.
    """

    def __init__(self, W):
        self.W = W
        self.minors = {}

    def minors_of(self, k, kmax=None):
        """``|C_k(W)|``; the first call computes every size up to ``kmax`` in one recursion."""
        if k not in self.minors:
            chain = compound_chain(torch.from_numpy(self.W), max(k, kmax or k))
            self.minors.update({j + 1: C.abs().numpy() for j, C in enumerate(chain)})
        return self.minors[k]


def warn_if_trained_baseline(model0: Any, owner: str) -> None:
    """Warn when the baseline given to ``fit`` is a trained model rather than an initial one.

    Our estimators remember their initial weights (``initial_coefs_``, ``initial_intercepts_``)
    and mark the model ``initial_model()`` returns (``is_initial_model_``); a baseline whose
    weights differ from its own initial ones is a trained model (or a snapshot), and comparing a
    model with it measures what training did after that point, not since initialisation (a model
    scored against itself gives normalised values of exactly 1). scikit-learn's MLPs fitted with
    an integer ``random_state`` are checked against their initialisation redrawn by their own
    initialiser. Other models (torch modules, MLPs without an integer seed, arrays) cannot be
    checked.
    """
    last = model0[-1] if isinstance(model0, Pipeline) and len(model0) else model0
    name = type(last).__name__
    if trained_sklearn_mlp(last):
        fix = ("pass baseline='initial' to sklearn_ka.analyze (it redraws the initialisation from the model's "
               "random_state), or the model as it was before training")
    elif getattr(last, "is_initial_model_", False) or not all(
            hasattr(last, attr) for attr in ("coefs_", "intercepts_", "initial_coefs_", "initial_intercepts_")):
        return
    else:
        try:
            trained = any(not np.array_equal(np.asarray(a), np.asarray(b))
                          for a, b in zip((*last.coefs_, *last.intercepts_),
                                          (*last.initial_coefs_, *last.initial_intercepts_)))
        except Exception:  # noqa: BLE001 - unusual attributes: nothing to compare, no warning
            return
        if not trained:
            return
        fix = "Pass model.initial_model() to fit"
    warnings.warn(
        f"{owner}.fit: the baseline is a trained {name} (its weights differ from its initial weights), but "
        "fit takes the model at its initialisation: every observable is then compared with a trained model "
        f"(a model scored against itself gives normalised values of exactly 1). {fix}, and the trained model "
        "to score.", UserWarning, stacklevel=3)


def same_array(a: Any, b: Any) -> bool:
    """Whether two inputs hold the same numbers (then the initial model's Jacobians from fit are reused)."""
    if a is None or b is None or isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        return False
    try:
        a, b = np.asarray(a), np.asarray(b)
    except Exception:  # pragma: no cover - exotic inputs: no reuse
        return False
    return a.shape == b.shape and a.dtype == b.dtype and a.dtype != object and np.array_equal(a, b)
