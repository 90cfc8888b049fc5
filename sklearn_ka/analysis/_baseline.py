"""The baseline of an analysis: the model at its initialisation, or a re-initialised copy.

The observables compare a trained network with the same network at its initialisation
(:ref:`observables`). :func:`resolve_baseline` turns the word a user gives into that model:

* ``"initial"``: the model's own initialisation. Our estimators remember it
  (``initial_model()``); scikit-learn's ``MLPRegressor``/``MLPClassifier`` fitted with an
  integer ``random_state`` have it redrawn exactly by their own initialiser (their fit draws the
  weights first from ``check_random_state(random_state)``); a Pipeline gets its last step's.
  Models that cannot know their initialisation (torch modules, callables, scikit-learn MLPs
  without an integer ``random_state``, arrays) are refused with the alternatives.
* ``"reinitialized"``: a fresh draw of the model's initialiser, seeded by ``random_state``:
  scikit-learn MLPs through their own initialiser (Glorot uniform), torch modules through every
  submodule's ``reset_parameters`` under ``torch.manual_seed``. A control of the same
  architecture, not the model's own initialisation.
* anything else (a model, a Jacobian array, factors) is the baseline itself.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import torch
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import Pipeline

from .._utils import InvalidParameterError, check_random_state, draw_seeds

__all__ = ["BASELINES", "resolve_baseline", "sklearn_initialisation", "trained_sklearn_mlp"]

#: The baselines given by name.
BASELINES = ("initial", "reinitialized")


def _is_sklearn_mlp(model: Any) -> bool:
    return isinstance(model, (MLPRegressor, MLPClassifier)) and hasattr(model, "coefs_")


def _has_integer_seed(model: Any) -> bool:
    rs = getattr(model, "random_state", None)
    return isinstance(rs, (int, np.integer)) and not isinstance(rs, (bool, np.bool_))


def sklearn_initialisation(mlp: Any, random_state: Any) -> Any:
    """A copy of a fitted scikit-learn MLP with the weights its own initialiser draws from ``random_state``.

    The draw is that of scikit-learn's fit: ``_init_coef(fan_in, fan_out, dtype)`` layer by layer
    from ``check_random_state(random_state)``, so with the model's own integer ``random_state``
    it gives back its initial weights exactly.
    """
    if not hasattr(mlp, "_init_coef"):  # pragma: no cover - a scikit-learn without the initialiser
        raise TypeError(f"{type(mlp).__name__} has no _init_coef initialiser to redraw its weights with.")
    init = copy.deepcopy(mlp)
    init._random_state = check_random_state(random_state)
    units = [mlp.coefs_[0].shape[0]] + [c.shape[1] for c in mlp.coefs_]
    dtype = np.asarray(mlp.coefs_[0]).dtype
    layers = [init._init_coef(a, b, dtype) for a, b in zip(units[:-1], units[1:])]
    init.coefs_ = [c for c, _ in layers]
    init.intercepts_ = [b for _, b in layers]
    for name in ("loss_curve_", "best_loss_", "validation_scores_", "best_validation_score_"):
        init.__dict__.pop(name, None)
    init.n_iter_ = 0
    return init


def trained_sklearn_mlp(model: Any) -> bool:
    """Whether a scikit-learn MLP with an integer ``random_state`` differs from its own initialisation."""
    if not (_is_sklearn_mlp(model) and _has_integer_seed(model)):
        return False
    try:
        init = sklearn_initialisation(model, int(model.random_state))
        return any(not np.array_equal(np.asarray(a), np.asarray(b))
                   for a, b in zip((*model.coefs_, *model.intercepts_), (*init.coefs_, *init.intercepts_)))
    except Exception:  # noqa: BLE001 - unusual attributes: nothing to compare
        return False


def _alternatives(model: Any) -> str:
    kind = type(model).__name__
    return (f"pass baseline='reinitialized' (a fresh draw of the {kind}'s initialiser, seeded by random_state: a "
            "control of the same architecture), the initial model itself (e.g. a copy saved before training), or "
            "its Jacobians (an array of shape (n_samples, m, n))")


def _initial(model: Any, owner: str) -> Any:
    if isinstance(model, Pipeline):
        name, last = model.steps[-1]
        return Pipeline(model.steps[:-1] + [(name, _initial(last, owner))])
    if hasattr(model, "initial_model"):
        return model.initial_model()
    if _is_sklearn_mlp(model):
        if _has_integer_seed(model):
            return sklearn_initialisation(model, int(model.random_state))
        raise InvalidParameterError(
            f"{owner}: baseline='initial' needs the model's own initialisation, but this {type(model).__name__} was "
            f"fitted with random_state={model.random_state!r}, so its initial weights cannot be redrawn (with an "
            f"integer random_state they are). Alternatives: {_alternatives(model)}.")
    if isinstance(model, (np.ndarray, tuple, torch.Tensor)):
        raise InvalidParameterError(f"{owner}: precomputed Jacobians carry no initialisation; pass the initial "
                                    "model's Jacobians on the same examples as baseline= (an array).")
    raise InvalidParameterError(
        f"{owner}: baseline='initial' needs the model's own initialisation, but a {type(model).__name__} does not "
        f"remember it (our estimators do: initial_model(); so do scikit-learn MLPs fitted with an integer "
        f"random_state). Alternatives: {_alternatives(model)}.")


def _seed(random_state: Any) -> Any:
    """``random_state`` as scikit-learn's initialiser takes it (a Generator gives an integer seed)."""
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(0, 2**31 - 1))
    return random_state


def _torch_reinitialized(module: Any, random_state: Any, owner: str) -> Any:
    random_state = _seed(random_state)
    seed = int(random_state) if isinstance(random_state, (int, np.integer)) else draw_seeds(random_state)
    out = copy.deepcopy(module)
    devices = sorted({p.device.index for p in out.parameters() if p.device.type == "cuda"})
    n_reset = 0
    with torch.random.fork_rng(devices=devices), torch.no_grad():
        torch.manual_seed(seed)
        for sub in out.modules():
            if callable(getattr(sub, "reset_parameters", None)):
                sub.reset_parameters()
                n_reset += 1
    if not n_reset:
        raise InvalidParameterError(f"{owner}: baseline='reinitialized' re-initialises a torch module through the "
                                    f"reset_parameters() of its submodules, and the {type(module).__name__} has "
                                    "none; pass the initial model itself or its Jacobians as baseline=.")
    return out


def _reinitialized(model: Any, random_state: Any, owner: str) -> Any:
    if isinstance(model, Pipeline):
        name, last = model.steps[-1]
        return Pipeline(model.steps[:-1] + [(name, _reinitialized(last, random_state, owner))])
    if _is_sklearn_mlp(model):
        return sklearn_initialisation(model, _seed(random_state))
    if hasattr(model, "initial_model"):
        raise InvalidParameterError(
            f"{owner}: a {type(model).__name__} remembers its own initialisation; use baseline='initial' (or pass "
            "another model, e.g. a second estimator fitted with another random_state, as baseline=).")
    if isinstance(model, torch.nn.Module):
        return _torch_reinitialized(model, random_state, owner)
    raise InvalidParameterError(
        f"{owner}: baseline='reinitialized' re-draws the initialiser of a scikit-learn MLP or of a torch module "
        f"(reset_parameters); a {type(model).__name__} has none. Pass the initial model or its Jacobians (an "
        "array) as baseline=.")


def resolve_baseline(model: Any, baseline: Any, *, random_state: Any = None, owner: str = "analyze") -> Any:
    """The baseline model (or array) the analysis compares ``model`` with.

    Parameters
    ----------
    model : object
        The trained model.
    baseline : {"initial", "reinitialized"}, model, array or tuple
        A name (see the module docstring) or the baseline itself.
    random_state : None, int or RandomState
        Seeds ``"reinitialized"``.
    owner : str
        The public function, for the messages.

    Returns
    -------
    object
        A model, an array or factors, for the analyzer's ``fit``.

    Raises
    ------
    InvalidParameterError
        An unknown name, or a name the model cannot honour (the message lists the alternatives).
    """
    if isinstance(baseline, str):
        if baseline == "initial":
            return _initial(model, owner)
        if baseline == "reinitialized":
            return _reinitialized(model, random_state, owner)
        raise InvalidParameterError(f"{owner}: baseline must be 'initial', 'reinitialized', a model, or an array of "
                                    f"the initial Jacobians; got {baseline!r}.")
    if baseline is None:
        raise InvalidParameterError(f"{owner}: baseline must be 'initial', 'reinitialized', a model, or an array of "
                                    "the initial Jacobians; got None.")
    return baseline
