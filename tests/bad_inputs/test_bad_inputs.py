"""The table of bad inputs: every row fails at once with a clear error (type and message).

Rows live beside this file, one module per area (``cases_<area>.py``, each a ``CASES`` list of
:class:`BadInput`), so the table grows with the API. A row never allocates, trains or hangs before
failing: the whole table runs in seconds.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
import sys
import warnings
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _case import BadInput  # noqa: E402


def _all_cases() -> list[BadInput]:
    here = Path(__file__).resolve().parent
    cases = []
    for info in pkgutil.iter_modules([str(here)]):
        if info.name.startswith("cases_"):
            cases += importlib.import_module(info.name).CASES
    return cases


CASES = _all_cases()


def test_case_ids_are_unique():
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_fails_clearly(case: BadInput):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(case.error) as info:
            case.call()
    message = str(info.value)
    assert re.search(case.match, message), f"{case.id}: message {message!r} does not match {case.match!r}"
    assert "Traceback" not in message
