"""``layer=``: which map of a larger network is the inner map whose Jacobian is analysed.

The inner map is ``x -> h(x)``, from the network's input to the activations of one hidden
layer (the "hidden layer" of the analysis, ``m`` = its width). ``layer`` selects it:

* ``None`` (default): the first hidden layer's activation. For an MLP-like estimator that is
  hidden layer 1; for a ``torch.nn.Sequential`` the layer (counted as in
  :func:`~sklearn_ka.jacobians.layer_jacobian`: each ``nn.Linear`` starts one) that holds the
  first activation module; any other torch module with at most one ``nn.Linear`` is taken
  whole. A module with several ``nn.Linear`` and no Sequential structure is ambiguous: the
  error lists its candidate submodules.
* an integer ``l >= 1``: hidden layer ``l`` of an MLP-like estimator, or layer ``l`` of a
  ``torch.nn.Sequential``.
* a string: the dotted name of a submodule of a torch module (as in ``named_modules()``, e.g.
  ``"encoder.act"`` or ``"1"``); the inner map ends at that submodule's output. ``""`` names the
  whole module.

Callables and precomputed arrays have no layers (``layer`` must be None).
"""

from __future__ import annotations

import copy
import difflib
from typing import Any, NamedTuple

import numpy as np

from .._utils import InvalidParameterError
from ._inputs import is_torch_module

__all__ = ["LayerChoice", "resolve_layer", "submodule_map", "torch_candidates"]


class LayerChoice(NamedTuple):
    """How the inner map of a model is computed.

    Attributes
    ----------
    kind : {"whole", "mlp", "sequential", "submodule"}
        ``"whole"``: the model itself; ``"mlp"``: hidden layer ``index`` of an MLP-like
        estimator; ``"sequential"``: layer ``index`` of a Sequential; ``"submodule"``: the output
        of the submodule ``name``.
    index : int or None
    name : str or None
    """

    kind: str
    index: int | None = None
    name: str | None = None


def _is_activation(module: Any) -> bool:
    """A torch activation module (ReLU, GELU, Tanh, ...): a class of ``torch.nn.modules.activation``."""
    return type(module).__module__ == "torch.nn.modules.activation"


def _describe(module: Any) -> str:
    import torch

    if isinstance(module, torch.nn.Linear):
        return f"Linear {module.in_features}->{module.out_features}"
    return type(module).__name__


def torch_candidates(model: Any) -> list[str]:
    """The submodules a user may name with ``layer=``: ``'name' (Type)``, in registration order.

    Linear layers and activation modules (the usual ends of a hidden layer); containers and
    the root are left out.
    """
    import torch

    out = []
    for name, module in model.named_modules():
        if name and (isinstance(module, torch.nn.Linear) or _is_activation(module)):
            out.append(f"{name!r} ({_describe(module)})")
    return out


def _candidates_text(model: Any) -> str:
    found = torch_candidates(model)
    listed = ", ".join(found) if found else "none found (no nn.Linear or activation submodule)"
    return (f"candidate layers (dotted submodule names): {listed}; layer='' takes the whole module as the "
            "inner map")


def _sequential_default(blocks) -> int | None:
    """The 1-based layer holding the first activation module (None when there is none)."""
    for i, block in enumerate(blocks, start=1):
        if any(_is_activation(mod) for mod in block):
            return i
    return 1 if len(blocks) == 1 else None


def _torch_choice(model, layer, blocks, owner):
    """The choice for a torch module (``blocks``: its Sequential layers, or None)."""
    import torch

    if isinstance(layer, str):
        names = dict(model.named_modules())
        if layer not in names:
            hint = difflib.get_close_matches(layer, [n for n in names if n], n=3, cutoff=0.5)
            more = f" Did you mean {', '.join(repr(h) for h in hint)}?" if hint else ""
            raise InvalidParameterError(f"{owner}: layer={layer!r} is not a submodule of the "
                                        f"{type(model).__name__}.{more} The {_candidates_text(model)}.")
        return LayerChoice("whole") if layer == "" else LayerChoice("submodule", name=layer)
    if layer is not None:  # an index
        if blocks is None:
            raise InvalidParameterError(
                f"{owner}: an integer layer={layer} counts the layers of a torch.nn.Sequential (each nn.Linear starts "
                f"one); the {type(model).__name__} is not a Sequential, so name a submodule instead. The "
                f"{_candidates_text(model)}.")
        if not 1 <= layer <= len(blocks):
            raise InvalidParameterError(
                f"{owner}: layer={layer} is out of range: the torch.nn.Sequential has {len(blocks)} layer(s) (each "
                f"nn.Linear starts one), so layer must be in [1, {len(blocks)}], or the dotted name of a submodule.")
        return LayerChoice("sequential", index=layer)
    if blocks is not None:
        index = _sequential_default(blocks)
        if index is None:
            raise InvalidParameterError(
                f"{owner}: the torch.nn.Sequential has {len(blocks)} layers and no activation module, so its first "
                "hidden layer is ambiguous; pass layer= (an index in "
                f"[1, {len(blocks)}] or a submodule name). The {_candidates_text(model)}.")
        return LayerChoice("whole") if len(blocks) == 1 else LayerChoice("sequential", index=index)
    linears = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    if len(linears) <= 1:
        return LayerChoice("whole")
    raise InvalidParameterError(
        f"{owner}: the {type(model).__name__} has {len(linears)} nn.Linear layers, so which of its maps is the inner "
        f"map (input -> hidden layer) is ambiguous; pass layer= with the dotted name of the submodule whose output "
        f"is the hidden layer (usually the first hidden layer's activation). The {_candidates_text(model)}.")


def resolve_layer(model: Any, layer: Any, *, n_hidden: int | None = None, blocks: Any = None,
                  owner: str = "inner_jacobian") -> LayerChoice:
    """Decide, from the model's structure alone, how its inner map is computed.

    Parameters
    ----------
    model : object
        An MLP-like estimator (pass ``n_hidden``, its number of hidden layers), a torch module
        (pass ``blocks``, its Sequential layers, when it is a Sequential), or a callable.
    layer : None, int or str
    n_hidden : int or None
    blocks : list or None
    owner : str
        The public function, for the messages.

    Returns
    -------
    LayerChoice

    Raises
    ------
    InvalidParameterError
        A layer of the wrong type, out of range, unknown, or an ambiguous model (the message lists
        the candidate layers).
    """
    if layer is not None and not isinstance(layer, str) and not (
            isinstance(layer, (int, np.integer)) and not isinstance(layer, (bool, np.bool_))):
        raise InvalidParameterError(f"{owner}: layer must be None, an integer (a layer index) or a string (the dotted "
                                    f"name of a torch submodule); got {layer!r} of type {type(layer).__name__}.")
    layer = int(layer) if layer is not None and not isinstance(layer, str) else layer
    if n_hidden is not None:  # MLP-like
        if isinstance(layer, str):
            raise InvalidParameterError(f"{owner}: layer={layer!r} names a torch submodule, but the model is a "
                                        f"{type(model).__name__}; give a hidden-layer index in [1, {n_hidden}].")
        index = 1 if layer is None else layer
        if not 1 <= index <= n_hidden:
            raise InvalidParameterError(f"{owner}: layer={layer} is out of range: the {type(model).__name__} has "
                                        f"{n_hidden} hidden layer(s), so layer must be in [1, {n_hidden}] (the "
                                        "output layer is not a hidden layer).")
        return LayerChoice("mlp", index=index)
    if is_torch_module(model):
        return _torch_choice(model, layer, blocks, owner)
    if layer is not None and layer != "":
        raise InvalidParameterError(f"{owner}: layer={layer!r} selects a layer of a network, but a "
                                    f"{type(model).__name__} has none (the whole map is the inner map); pass "
                                    "layer=None.")
    return LayerChoice("whole")


class _Captured(Exception):
    """Stops the forward pass once the selected submodule has produced its output."""

    def __init__(self, output):
        super().__init__()
        self.output = output


def submodule_map(model: Any, name: str):
    """``(fn, device)``: ``fn(x)`` is the output of submodule ``name`` of a float64 eval copy of ``model``.

    The copy runs its forward pass on ``x`` until the submodule has produced its output (a
    forward hook stops it there), so later layers cost nothing and need not accept the shape.
    """
    import torch

    module = copy.deepcopy(model).to(torch.float64).eval()
    target = dict(module.named_modules())[name]

    def hook(_module, _inputs, output):
        raise _Captured(output)

    def fn(x):
        handle = target.register_forward_hook(hook)
        try:
            module(x)
        except _Captured as captured:
            return captured.output
        finally:
            handle.remove()
        raise ValueError(f"the submodule {name!r} was not called by the forward pass of {type(model).__name__}, "
                         "so its output is not a function of the input; name a submodule the forward pass uses.")

    p = next(iter(module.parameters()), None)
    return fn, (p.device if p is not None else torch.device("cpu"))
