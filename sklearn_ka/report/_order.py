"""The sections of the reproduction report: the order in which they run, and in which they appear."""

from __future__ import annotations

from ._appendix_b import BatchSize, Bootstrap
from ._checklist import ClaimsChecklist, DependentReadings
from ._sections import Evolution, Interpolation, Section, Significance, StaticFigures, StaticTables, Tails
from ._sensitivity import Sensitivity

__all__ = ["RUN_ORDER", "DOCUMENT_ORDER"]

_STATIC, _SIGNIFICANCE, _EVOLUTION, _TAILS = StaticTables(), Significance(), Evolution(), Tails()
_INTERPOLATION, _BATCH_SIZE, _BOOTSTRAP = Interpolation(), BatchSize(), Bootstrap()
_DEPENDENT, _SENSITIVITY, _CLAIMS = DependentReadings(), Sensitivity(), ClaimsChecklist()

#: The order in which the sections run (and write their files and figures); the checklist reads
#: every frame, so it runs last.
RUN_ORDER: tuple[Section, ...] = (_STATIC, _SIGNIFICANCE, StaticFigures(), _EVOLUTION, _TAILS, _INTERPOLATION,
                                  _BATCH_SIZE, _BOOTSTRAP, _DEPENDENT, _SENSITIVITY, _CLAIMS)
#: The order in which the sections' text appears in the report.
DOCUMENT_ORDER: tuple[Section, ...] = (_STATIC, _CLAIMS, _DEPENDENT, _SIGNIFICANCE, _EVOLUTION, _INTERPOLATION,
                                       _BATCH_SIZE, _BOOTSTRAP, _SENSITIVITY)
