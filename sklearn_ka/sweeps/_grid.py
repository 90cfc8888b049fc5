"""The models of a sweep: parameter grids, target functions and seeds, enumerated in a fixed order.

The models are ``functions`` (each with its ``function_params`` grid) x ``param_grid`` x ``seeds``,
seeds varying fastest. :func:`enumerate_models` lists them with their parameter rows and the value
fingerprint of each function (:mod:`._fingerprint`); :func:`definition` describes the sweep for
its store (the input of the definition hash).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.model_selection import ParameterGrid

from .._utils import PAPER_PROTOCOL, InstanceOf, InvalidParameterError, check_param
from ..engine import check_training_memory
from ..neural_network import ShallowMLPRegressor
from ..targets import CallableTarget, TargetFunction, canonical_target_name, make_target
from ._fingerprint import describe_value, function_fingerprint
from ._seeds import SEED_PROTOCOL
from ._tasks import RESERVED

__all__ = ["FunctionSpec", "Model", "expand_grid", "check_param_grid", "check_functions", "enumerate_models",
           "definition"]

_ESTIMATOR_PARAMS = tuple(ShallowMLPRegressor().get_params())


def expand_grid(grid: Any, what: str) -> list[dict]:
    """``ParameterGrid`` points of ``grid`` (a dict or a list of dicts), with clear errors for empty grids."""
    if isinstance(grid, Mapping):
        grids = [grid]
    elif isinstance(grid, (list, tuple)):
        grids = list(grid)
        if not grids:
            raise ValueError(f"{what} is an empty list of grids; give at least one dict.")
    else:
        raise TypeError(f"{what} must be a dict (or a list of dicts) of parameter lists; got "
                        f"{type(grid).__name__}.")
    for g in grids:
        if not isinstance(g, Mapping):
            raise TypeError(f"{what} must be a dict or a list of dicts; got an item of type {type(g).__name__}.")
        for key, values in g.items():
            if isinstance(values, (str, bytes)) or not np.iterable(values):
                raise TypeError(f"{what}[{key!r}] must be a list of values to try; got {values!r} "
                                f"(write [{values!r}] for a single value).")
            if len(values) == 0:
                raise ValueError(f"{what}[{key!r}] is empty; give at least one value.")
    return list(ParameterGrid(grids))


def check_param_grid(param_grid: Any, n_samples: int, n_features: int) -> tuple[list[dict], list[str], dict]:
    """The estimator grid's points, its parameter names and the estimator's defaults; every point checked.

    Each point is checked as the estimator checks it, and so is the memory its training needs
    (:func:`~sklearn_ka.engine.check_training_memory`, with the test set monitored), before any
    model is trained.
    """
    points = expand_grid(param_grid, "param_grid")
    keys = []
    for p in points:
        for k in p:
            if k not in keys:
                keys.append(k)
    bad = [k for k in keys if k not in _ESTIMATOR_PARAMS or k == "random_state"]
    if "random_state" in bad:
        raise ValueError("param_grid must not set random_state: the sweep seeds set it (see seeds).")
    if bad:
        raise ValueError(f"Unknown ShallowMLPRegressor parameter(s) in param_grid: {bad}. "
                         f"Valid parameters: {sorted(k for k in _ESTIMATOR_PARAMS if k != 'random_state')}.")
    for p in points:  # all parameter values, checked before any work
        try:
            _check_estimator_params(p, n_samples, n_features)
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"sweep: the param_grid point {p} cannot be trained: {exc}") from None
    return points, keys, ShallowMLPRegressor().get_params()


def _check_estimator_params(point, n_samples, n_features):
    """The estimator's own parameter checks, a mini-batch that fits in ``n_samples`` examples, and the
    training memory of one model (as the estimator estimates it in ``fit``)."""
    params = ShallowMLPRegressor(**point)._validate_params()
    batch_size = params["batch_size"]
    if isinstance(batch_size, int) and batch_size > n_samples:
        raise InvalidParameterError(f"batch_size must be in [1, n_samples={n_samples}] (or None for full batch), "
                                    f"got {batch_size}.")
    batch = n_samples if batch_size in (None, "critical") else \
        min(PAPER_PROTOCOL.batch_size, n_samples) if batch_size == "auto" else batch_size
    check_training_memory(n_models=1, n_samples=n_samples, n_features=n_features, width=params["hidden_units"],
                          batch_size=batch, n_val_samples=n_samples, itemsize=params["dtype"].itemsize)


@dataclass(frozen=True)
class FunctionSpec:
    """One entry of ``functions``: a registered name (with a parameter grid) or a fixed target."""

    label: str
    name: str | None  # registered name, or None for a fixed target
    target: TargetFunction | None
    points: tuple  # tuples of family-parameter dicts

    def describe(self, fingerprint: str | None = None) -> dict:
        """The function's part of the sweep definition: its name (or class and parameters) and
        the fingerprint of its values (:func:`~._fingerprint.function_fingerprint`)."""
        if self.target is None:
            out = {"name": self.label, "params": list(self.points)}
        else:
            t = self.target
            out = {"target": f"{type(t).__module__}.{type(t).__qualname__}", **t.get_params()}
        if fingerprint is not None:
            out["values_sha256"] = fingerprint
        return out

    def targets(self, n_features, seed):
        if self.target is not None:
            return [self.target]
        return [make_target(self.name, n_features, function_seed=seed, **p) for p in self.points]


def check_functions(functions: Any, function_params: Any, n_features: int) -> list[FunctionSpec]:
    """One :class:`FunctionSpec` per entry of ``functions``; every named function built once to check it."""
    if isinstance(functions, (str, TargetFunction)) or callable(functions):
        functions = [functions]
    functions = list(functions)
    if not functions:
        raise ValueError("functions is empty: give at least one target function, e.g. ['xor'].")
    function_params = check_param(
        "function_params", function_params,
        [InstanceOf(Mapping, "a dict {function name: parameter grid}, e.g. {'lambda_xor': {'lam': [0.5, 1.0]}}"),
         None], owner="sweep") or {}
    fp = {canonical_target_name(key): (key, grid) for key, grid in function_params.items()}
    specs, seen = [], set()
    for f in functions:
        if isinstance(f, str):
            key = canonical_target_name(f)
            if key in seen:
                raise ValueError(f"Function {f!r} appears twice in functions.")
            seen.add(key)
            points = expand_grid(fp[key][1], f"function_params[{fp[key][0]!r}]") if key in fp else [{}]
            for p in points:  # builds each function once: bad parameters fail here
                make_target(key, n_features, function_seed=0, **p)
            specs.append(FunctionSpec(key, key, None, tuple(points)))
        elif isinstance(f, TargetFunction):
            if f.n_features != n_features:
                raise ValueError(f"{f!r} has n_features={f.n_features} but the sweep has "
                                 f"n_features={n_features}.")
            specs.append(FunctionSpec(f.name, None, f, ({},)))
        elif callable(f) and not isinstance(f, type):
            t = CallableTarget(f, n_features)
            specs.append(FunctionSpec(t.name, None, t, ({},)))
        else:
            raise TypeError(f"functions must hold target names, TargetFunction instances or callables; "
                            f"got {f!r}.")
    extra = [orig for key, (orig, _) in fp.items() if key not in seen]
    if extra:
        raise ValueError(f"function_params given for {extra}, which are not among the named functions "
                         f"{[s.label for s in specs if s.name]}.")
    return specs


@dataclass
class Model:
    """One model of a sweep: its position, target, estimator parameters (of its grid point) and seed."""

    index: int
    target: TargetFunction
    params: dict
    seed: int


def enumerate_models(specs, points, grid_keys, defaults, seeds,
                     n_features) -> tuple[list[Model], list[dict], list[str]]:
    """Every model, in the sweep's order, its row of parameter columns, and each function's fingerprint.

    The fingerprint of a spec covers every target it builds (each parameter point at each seed).
    """
    fparam_keys = []
    for s in specs:
        for p in s.points:
            fparam_keys += [k for k in p if k not in fparam_keys]
    clash = [k for k in fparam_keys if k in grid_keys or k in RESERVED]
    if clash:
        raise ValueError(f"Function parameter name(s) {clash} clash with estimator parameters or result columns.")
    models, rows, fingerprints = [], [], []
    for spec in specs:
        per_seed = {seed: spec.targets(n_features, seed) for seed in seeds}
        fingerprints.append(function_fingerprint(
            [per_seed[seed][j] for j in range(len(spec.points)) for seed in seeds], n_features))
        for j in range(len(spec.points)):
            for p in points:
                full = {k: p.get(k, defaults[k]) for k in grid_keys}
                for seed in seeds:
                    target = per_seed[seed][j]
                    row = {"function": spec.label}
                    row.update({k: target.params.get(k, np.nan) for k in fparam_keys})
                    row["function_seed"] = target.function_seed
                    row.update(full)
                    row["seed"] = seed
                    models.append(Model(len(models), target, dict(p), seed))
                    rows.append(row)
    return models, rows, fingerprints


def definition(*, points, specs, fingerprints, seeds, n_samples, n_features, analyzer, measure, task_size,
               monitor) -> dict:
    """The sweep definition recorded in (and hashed for) its store; ``analyzer`` and ``measure`` described.

    ``monitor`` (the loss early stopping monitors) is part of it; stores written before it existed
    lack the key and monitored the test set (:data:`~._store.LEGACY_DEFINITION_DEFAULTS`).
    """
    return {
        "seed_protocol": SEED_PROTOCOL,
        "estimator": "sklearn_ka.ShallowMLPRegressor",
        "param_grid": describe_value(points),
        "functions": [describe_value(s.describe(f)) for s, f in zip(specs, fingerprints)],
        "seeds": seeds,
        "n_samples": n_samples,
        "n_features": n_features,
        "analyzer": analyzer,
        "measure": measure,
        "task_size": task_size,
        "monitor": monitor,
    }
