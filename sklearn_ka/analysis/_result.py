"""KAGeometryResult: the numbers of an analysis as a tidy frame, a headline summary and a figure.

A result holds, for each analysed model (one, or one per seed), the analyzer's score dict, and
what the analyzer knows beyond it: the per-example values (exact analyzer) or the confidence
intervals (sampled analyzer), and how many examples each mean excluded. It computes nothing the
analyzer did not; :meth:`KAGeometryResult.to_frame` and :meth:`KAGeometryResult.as_dict` are views of
the same numbers. The observables are defined in the user guide (:ref:`observables`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .._utils import Integers, Reals, check_param, draw_seeds, observable_key

__all__ = ["FRAME_COLUMNS", "KA_DIRECTION", "KAGeometryResult", "ModelAnalysis"]

#: The columns of :meth:`KAGeometryResult.to_frame`, in order.
FRAME_COLUMNS = ("model", "observable", "k", "q", "value", "value_low", "value_high", "baseline", "normalized",
                 "normalized_low", "normalized_high", "n_examples", "n_excluded", "n_excluded_baseline", "kind")

#: The direction in which an observable grows more KA-like: +1 larger, -1 smaller (from the
#: definitions of the user guide). Observables without one (the initial model's values, the
#: consistently zero rows, which are dead units, and the column divergence, which measures any
#: change) are absent.
KA_DIRECTION = {
    "zero_rows": 1,
    "dependent_zero_rows": 1,
    "pr": -1,
    "pr_normalized": -1,
    "rotation_ratio": 1,
    "rotation_ratio_normalized": 1,
    "subset_rotation_ratio": 1,
    "subset_rotation_ratio_normalized": 1,
    "column_entropy": -1,
}

#: (observable, the baseline's key name or None, the normalised key name or None), size k only
_PAIRED = (("pr", "pr_initial", "pr_normalized"),
           ("rotation_ratio", "rotation_ratio_initial", "rotation_ratio_normalized"),
           ("subset_rotation_ratio", "subset_rotation_ratio_initial", "subset_rotation_ratio_normalized"),
           ("max_minor_lower_bound", "max_minor_lower_bound_initial", None),
           ("column_entropy", "column_entropy_initial", None),
           ("column_kl", None, None))

#: Headline observables of :meth:`KAGeometryResult.summary`, with a readable name.
_HEADLINE = (("zero_rows", "zero rows / their rate at initialisation"),
             ("pr", "participation ratio, trained / initial"),
             ("rotation_ratio", "rotation ratio, trained / initial"),
             ("subset_rotation_ratio", "rotation ratio of k-input sub-maps, trained / initial"))


@dataclass
class ModelAnalysis:
    """The numbers of one analysed model (one seed), as the analyzer produced them.

    Attributes
    ----------
    scores : dict
        The analyzer's ``score`` dict.
    n_examples : int
    excluded : dict
        ``{key: number of examples excluded from its mean}`` (rank-deficient examples).
    per_example : pandas.DataFrame or None
        The exact analyzer's per-example values (``transform``'s columns) and the
        rank-deficiency flags ``n_rank_deficient[_initial]_k{k}`` (bool).
    intervals : dict or None
        The sampled analyzer's ``estimate`` dict (estimates with confidence intervals).
    """

    scores: dict
    n_examples: int
    excluded: dict = field(default_factory=dict)
    per_example: pd.DataFrame | None = None
    intervals: dict | None = None


def _interval(run: ModelAnalysis, key: str | None) -> tuple[float, float, str]:
    """``(low, high, kind)`` of a key: the sampled analyzer's interval, or NaN (exact: no sampling)."""
    if run.intervals is None:
        return math.nan, math.nan, "exact"
    if key is None or key not in run.intervals:
        return math.nan, math.nan, "estimate"
    entry = run.intervals[key]
    if entry["kind"] == "lower_bound":
        return entry["low"], math.inf, "lower_bound"
    return float(entry["low"]), float(entry["high"]), entry["kind"]


def _divide(a: float, b: float) -> float:
    return a / b if b not in (0, 0.0) and np.isfinite(b) else math.nan


def _zero_row_rows(run, i, k, qs, rates):
    rows = []
    for q in qs:
        for name in ("zero_rows", "consistent_zero_rows", "dependent_zero_rows"):
            key = observable_key(name, k, q) if not (name == "dependent_zero_rows" and k < 2) else None
            if key is None or key not in run.scores:
                continue
            value = run.scores[key]
            low, high, kind = _interval(run, key)
            base = rates[k, q] if name == "zero_rows" else math.nan  # the rate at initialisation, by construction
            rows.append((i, name, k, q, value, low, high, base, _divide(value, base), _divide(low, base),
                         _divide(high, base), run.n_examples, 0, 0, kind))
    return rows


def _paired_rows(run, i, k):
    rows = []
    for name, init, norm in _PAIRED:
        key = observable_key(name, k)
        if key not in run.scores:
            continue
        value = float(run.scores[key])
        base_key = None if init is None else observable_key(init, k)
        base = 0.0 if name == "column_kl" else float(run.scores.get(base_key, math.nan))
        norm_key = None if norm is None else observable_key(norm, k)
        normalized = float(run.scores[norm_key]) if norm_key in run.scores else (
            math.nan if name == "column_kl" else _divide(value, base))
        low, high, kind = _interval(run, key)
        nlow, nhigh, _ = _interval(run, norm_key)
        rows.append((i, name, k, math.nan, value, low, high, base, normalized, nlow, nhigh, run.n_examples,
                     int(run.excluded.get(key, 0)), int(run.excluded.get(base_key, 0))))
        rows[-1] += (kind,)
    return rows


class KAGeometryResult:
    """The KA-geometry analysis of one model, or of one model per seed, against its baseline.

    Returned by :func:`sklearn_ka.analyze` and by the analyzers' ``result`` method (exact and
    sampled alike). The numbers are those of the analyzer's ``score``; the result arranges them
    (:meth:`to_frame`, :meth:`as_dict`), draws them (:meth:`plot`) and states what they show
    (:meth:`summary`). See the user guide: :ref:`own-network`.

    Parameters
    ----------
    runs : list of ModelAnalysis
        One per analysed model.
    analyzer : str
        The analyzer's class name.
    minor_sizes : tuple of int
    false_positive_rates : dict
        ``{(k, q1): q(k)}``, the zero-row rates at initialisation.
    info : dict, optional
        What else describes the analysis (``baseline``, ``layer``, ``m``, ``n``, ...), shown by
        ``repr``.

    Attributes
    ----------
    runs : list of ModelAnalysis
    analyzer : str
    minor_sizes : tuple of int
    false_positive_rates : dict
    info : dict
    n_models : int

    References
    ----------
    .. [1] M. Freedman and M. Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in
       Shallow MLPs", arXiv:2509.12326, 2025. https://arxiv.org/abs/2509.12326
    """

    def __init__(self, runs: list[ModelAnalysis], *, analyzer: str, minor_sizes: tuple,
                 false_positive_rates: dict, info: dict | None = None) -> None:
        self.runs = list(runs)
        self.analyzer = analyzer
        self.minor_sizes = tuple(minor_sizes)
        self.false_positive_rates = dict(false_positive_rates)
        self.info = dict(info or {})

    @property
    def n_models(self) -> int:
        """The number of analysed models (seeds)."""
        return len(self.runs)

    @property
    def _qs(self) -> tuple:
        return tuple(sorted({q for _, q in self.false_positive_rates}))

    # ---------------------------------------------------------------- views of the numbers
    def as_dict(self) -> dict | list[dict]:
        """The analyzer's score dict (the keys of ``score``); a list of them, one per model, for several models."""
        if self.n_models == 1:
            return dict(self.runs[0].scores)
        return [dict(run.scores) for run in self.runs]

    def to_frame(self) -> pd.DataFrame:
        """A tidy long frame: one row per model, observable, minor size k and rate q.

        Returns
        -------
        pandas.DataFrame
            Columns :data:`FRAME_COLUMNS`: ``model`` (0 for a single model), ``observable`` (a
            key's observable name, e.g. ``"pr"``), ``k``, ``q`` (the size-1 false-positive rate
            of the zero-row observables, NaN for the others), ``value`` (the trained model),
            ``value_low``/``value_high`` (the sampled analyzer's confidence interval, NaN for the
            exact analyzer), ``baseline`` (the same observable of the baseline: the initial
            model's value; for ``zero_rows`` the rate ``q(k)`` that the initial model shows by
            construction; 0 for ``column_kl``; NaN where none is measured), ``normalized``
            (``value / baseline``, the analyzer's ``*_normalized`` keys where they exist) with its
            interval, ``n_examples``, ``n_excluded`` and ``n_excluded_baseline`` (examples
            excluded from the mean of the trained and the baseline model: numerical rank < k)
            and ``kind`` (``"exact"``, ``"estimate"``, ``"lower_bound"``).
        """
        rows = []
        for i, run in enumerate(self.runs):
            for k in self.minor_sizes:
                rows += _zero_row_rows(run, i, k, self._qs, self.false_positive_rates)
                rows += _paired_rows(run, i, k)
        frame = pd.DataFrame(rows, columns=list(FRAME_COLUMNS))
        return frame.astype({"model": int, "k": int, "q": float, "n_examples": int, "n_excluded": int,
                             "n_excluded_baseline": int})

    # ---------------------------------------------------------------- headline
    def summary(self, *, confidence: float = 0.95, n_bootstrap: int = 1000,
                random_state: int | None = 0) -> pd.DataFrame:
        """A few headline rows, each with a statement of what it shows and how sure that is.

        For each minor size: the zero rows (at the largest rate ``q1``) against their rate at
        initialisation, and the participation and rotation ratios against the baseline's. The
        interval of the normalised value comes from, in this order: the spread over the models
        when there are several (seeds; a t-interval), the sampled analyzer's jackknife interval,
        or a bootstrap over the examples of the exact analyzer's per-example values (the
        uncertainty of a finite set of examples, not of the training seed). A value is called
        above or below 1 only when its interval excludes 1; the statement then says whether that
        is the KA-like direction (:data:`KA_DIRECTION`).

        Parameters
        ----------
        confidence : float, default=0.95
            In (0, 1).
        n_bootstrap : int, default=1000
            Bootstrap resamples of the examples (0: no bootstrap interval).
        random_state : int or None, default=0
            Seeds the bootstrap.

        Returns
        -------
        pandas.DataFrame
            Columns ``observable``, ``k``, ``q``, ``value``, ``baseline``, ``normalized``,
            ``low``, ``high`` (the interval of ``normalized``), ``interval`` (how it was
            obtained) and ``statement``.
        """
        owner = "KAGeometryResult.summary"
        confidence = check_param("confidence", confidence, [Reals(0, 1, low_open=True, high_open=True)], owner=owner)
        n_bootstrap = check_param("n_bootstrap", n_bootstrap, [Integers(0)], owner=owner)
        frame = self.to_frame()
        rows = []
        for k in self.minor_sizes:
            for name, label in _HEADLINE:
                sel = frame[(frame["observable"] == name) & (frame["k"] == k)]
                if name == "zero_rows" and len(sel):
                    sel = sel[sel["q"] == sel["q"].max()]
                if not len(sel):
                    continue
                low, high, how = self._headline_interval(name, k, sel, confidence, n_bootstrap, random_state)
                normalized = float(sel["normalized"].mean())
                rows.append({"observable": name, "k": k, "q": float(sel["q"].iloc[0]),
                             "value": float(sel["value"].mean()), "baseline": float(sel["baseline"].mean()),
                             "normalized": normalized, "low": low, "high": high, "interval": how,
                             "statement": _statement(label, name, normalized, low, high, how)})
        return pd.DataFrame(rows, columns=["observable", "k", "q", "value", "baseline", "normalized", "low", "high",
                                           "interval", "statement"])

    def _headline_interval(self, name, k, sel, confidence, n_bootstrap, random_state):
        """``(low, high, how)`` of the normalised value of one headline row."""
        level = f"{confidence:.0%}"
        if self.n_models >= 2:
            v = sel["normalized"].to_numpy(dtype=float)
            v = v[np.isfinite(v)]
            if v.size >= 2:
                h = float(stats.t.ppf(0.5 + confidence / 2, v.size - 1) * v.std(ddof=1) / math.sqrt(v.size))
                return v.mean() - h, v.mean() + h, f"{level} t-interval over {v.size} models (seeds)"
            return math.nan, math.nan, "no interval (fewer than 2 models with a finite value)"
        run, row = self.runs[0], sel.iloc[0]
        if run.intervals is not None:
            low, high = float(row["normalized_low"]), float(row["normalized_high"])
            if row["kind"] == "exact":
                return math.nan, math.nan, "an exhaustive sample (exact given the examples, no interval over them)"
            if np.isfinite(low) and np.isfinite(high):
                return low, high, f"{level} jackknife interval over the replicate groups of sampled minors"
            return math.nan, math.nan, "no interval (one replicate group of sampled minors)"
        if run.per_example is not None and n_bootstrap > 0:
            low, high = _bootstrap(run.per_example, name, k, row, confidence, n_bootstrap, random_state)
            return low, high, f"{level} bootstrap over the {run.n_examples} examples"
        return math.nan, math.nan, "no interval"

    # ---------------------------------------------------------------- figure and text
    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Draw the normalised observables against k: a :class:`~sklearn_ka.plotting.KAGeometryDisplay`.

        Parameters
        ----------
        ax : matplotlib Axes, sequence of Axes, or None
        **kwargs
            Passed to :meth:`KAGeometryDisplay.plot <sklearn_ka.plotting.KAGeometryDisplay.plot>`.

        Returns
        -------
        KAGeometryDisplay
        """
        # the Display lives in the plotting layer, above this one: imported when drawing
        from ..plotting import KAGeometryDisplay

        return KAGeometryDisplay.from_result(self, ax=ax, **kwargs)

    def __repr__(self) -> str:
        head = [self.analyzer, f"{self.n_models} model{'s' if self.n_models != 1 else ''}",
                f"{self.runs[0].n_examples} examples" if self.runs else "no examples"]
        head += [f"{key}={value!r}" for key, value in self.info.items()]
        lines = [f"KAGeometryResult({'; '.join(head)})"]
        frame = self.to_frame()
        if len(frame):
            lines.append("  normalised (trained / baseline), mean over models:  "
                         + "  ".join(f"k={k}" for k in self.minor_sizes))
            for name, label in _HEADLINE:
                sel = frame[frame["observable"] == name]
                if name == "zero_rows" and len(sel):
                    sel = sel[sel["q"] == sel["q"].max()]
                if len(sel):
                    means = sel.groupby("k")["normalized"].mean()
                    cells = "  ".join(f"{means.get(k, math.nan):.3g}" for k in self.minor_sizes)
                    lines.append(f"    {label}: {cells}")
        return "\n".join(lines)


def _statement(label, name, normalized, low, high, how):
    if not np.isfinite(normalized):
        return f"{label}: undefined (NaN)."
    text = f"{label} = {normalized:.3g}"
    if not (np.isfinite(low) and np.isfinite(high)):
        return f"{text}; {how}, so no significance statement."
    text += f", interval [{low:.3g}, {high:.3g}]"
    if low > 1 or high < 1:
        side = 1 if low > 1 else -1
        direction = KA_DIRECTION.get(name, 0)
        verdict = "more KA-like than the baseline" if side == direction else "less KA-like than the baseline"
        return f"{text}: {'above' if side > 0 else 'below'} 1, {verdict}."
    return f"{text}: not distinguishable from 1 ({how})."


def _bootstrap(per_example, name, k, row, confidence, n_bootstrap, random_state):
    """Percentile interval of the normalised value over bootstrap resamples of the examples."""
    n = len(per_example)
    rng = np.random.default_rng(draw_seeds(random_state))
    weights = np.zeros((n_bootstrap, n))
    np.add.at(weights, (np.arange(n_bootstrap)[:, None], rng.integers(0, n, (n_bootstrap, n))), 1.0)

    def mean(column, flag):
        v = per_example[column].to_numpy(dtype=float)
        valid = np.ones(n, bool) if flag is None else ~per_example[flag].to_numpy(dtype=bool)
        w = weights * valid
        with np.errstate(invalid="ignore", divide="ignore"):
            return (w @ np.where(valid, v, 0.0)) / w.sum(axis=1)

    if name == "zero_rows":
        ratio = mean(observable_key("zero_rows", k, row["q"]), None) / row["baseline"]
    else:
        trained = mean(observable_key(name, k), observable_key("n_rank_deficient", k))
        initial = mean(observable_key(f"{name}_initial", k), observable_key("n_rank_deficient_initial", k))
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = trained / initial
    ratio = ratio[np.isfinite(ratio)]
    if not ratio.size:
        return math.nan, math.nan
    return tuple(float(v) for v in np.quantile(ratio, [(1 - confidence) / 2, (1 + confidence) / 2]))
