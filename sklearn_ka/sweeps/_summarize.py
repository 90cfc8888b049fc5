"""``summarize``: mean, std, standard error and count per group, and "mean ± std" strings."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .._utils import InstanceOf, Integers, InvalidParameterError, validate_params

__all__ = ["summarize"]

_PARAMETER_COLUMNS = ("seed", "function_seed")

_CONSTRAINTS = {
    "df": [InstanceOf(pd.DataFrame, "a pandas DataFrame")],
    "precision": [Integers(0)],
    "ddof": [Integers(0)],
}


def summarize(
    df: pd.DataFrame,
    by: str | Sequence[str],
    *,
    columns: str | Sequence[str] | None = None,
    precision: int = 4,
    ddof: int = 1,
) -> pd.DataFrame:
    """Aggregate sweep results over seeds (or any other ungrouped column).

    Parameters
    ----------
    df : pandas.DataFrame
        Typically the result of :func:`~sklearn_ka.sweeps.sweep`.
    by : str or list of str
        Grouping columns, e.g. ``["function", "hidden_units"]``. Missing values (e.g. ``lam`` of
        a function without it) form their own group.
    columns : list of str or None, default=None
        Columns to summarise. ``None``: the numeric result columns of a sweep (from
        ``df.attrs["sweep"]`` when present), else every numeric column that is not in ``by``,
        ``seed`` or ``function_seed``.
    precision : int, default=4
        Decimals of the "mean ± std" strings (the paper prints ``0.9850 ± 0.0081``).
    ddof : int, default=1
        Delta degrees of freedom of the standard deviation (1: the sample standard deviation,
        NaN for a group of one). The standard error is ``std / sqrt(count)``.

    Returns
    -------
    summary : pandas.DataFrame
        One row per group (index: the ``by`` columns); columns are a two-level index
        ``(column, statistic)`` with statistics ``mean``, ``std``, ``sem``, ``count`` and
        ``mean ± std`` (a string). ``summary.xs("mean ± std", axis=1, level=1)`` is the paper's
        table (see :ref:`exp-static`); ``summary["train_r2"]`` the statistics of one column.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_ka.sweeps import summarize
    >>> df = pd.DataFrame({"function": ["xor"] * 2, "seed": [0, 1], "train_r2": [0.98, 0.99]})
    >>> summarize(df, by="function").loc["xor", ("train_r2", "mean ± std")]
    '0.9850 ± 0.0071'
    """
    args = validate_params(dict(df=df, precision=precision, ddof=ddof), _CONSTRAINTS, owner="summarize")
    precision, ddof = args["precision"], args["ddof"]
    by = column_names(by, "by", owner="summarize")
    if not by:
        raise ValueError("summarize: by must name at least one column.")
    missing = [c for c in by if c not in df.columns]
    if missing:
        raise ValueError(f"by names unknown column(s) {missing}; columns are {list(df.columns)}.")
    if columns is None:
        attrs = df.attrs.get("sweep", {}) if isinstance(df.attrs, dict) else {}
        candidates = attrs.get("result_columns") or [
            c for c in df.columns if c not in by and c not in _PARAMETER_COLUMNS
        ]
        columns = [c for c in candidates if c in df.columns and c not in by
                   and pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])]
    else:
        columns = column_names(columns, "columns", owner="summarize")
        bad = [c for c in columns if c not in df.columns or not pd.api.types.is_numeric_dtype(df[c])]
        if bad:
            raise ValueError(f"columns {bad} are missing or not numeric.")
    if not columns:
        raise ValueError("No numeric column to summarise.")

    grouped = df.groupby(by, dropna=False, sort=True)[columns]
    mean = grouped.mean()
    std = grouped.std(ddof=ddof)
    count = grouped.count()
    sem = std / np.sqrt(count.where(count > 0))
    parts = {}
    for c in columns:
        parts[(c, "mean")] = mean[c]
        parts[(c, "std")] = std[c]
        parts[(c, "sem")] = sem[c]
        parts[(c, "count")] = count[c].astype(np.int64)
        parts[(c, "mean ± std")] = pd.Series(
            [_pm(m, s, precision) for m, s in zip(mean[c], std[c])], index=mean.index, dtype=object
        )
    out = pd.DataFrame(parts)
    out.columns = pd.MultiIndex.from_tuples(out.columns, names=["column", "statistic"])
    return out


def column_names(value, name: str, *, owner: str) -> list:
    """A column name or a sequence of column names, as a list (an empty sequence stays empty)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple, pd.Index)) and all(isinstance(v, (str, int)) for v in value):
        return list(value)
    raise InvalidParameterError(f"{owner}: {name} must be a column name or a non-empty list of column names; got "
                                f"{value!r} (of type {type(value).__name__}).")


def _pm(mean, std, precision):
    if not np.isfinite(mean):
        return "nan"
    if not np.isfinite(std):
        return f"{mean:.{precision}f}"
    return f"{mean:.{precision}f} ± {std:.{precision}f}"
