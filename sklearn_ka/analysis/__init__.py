"""The KA-geometry analysis of a model against its initialisation.

:func:`analyze` runs a whole analysis in one call and returns a :class:`KAGeometryResult`; the
analyzers (exact and sampled) are scikit-learn estimators for finer control, and
:func:`ka_scorer` makes an observable a scorer. The observables are defined in the user guide,
:ref:`observables`; analysing a network of one's own is described in :ref:`own-network`.
"""

from ._analyze import analyze
from ._analyzer import KAGeometryAnalyzer
from ._result import KA_DIRECTION, KAGeometryResult, ModelAnalysis
from ._sampled_analyzer import SampledKAGeometryAnalyzer
from ._scorer import ka_scorer

__all__ = ["KAGeometryAnalyzer", "SampledKAGeometryAnalyzer", "ka_scorer"]
__all__ += ["KA_DIRECTION", "KAGeometryResult", "ModelAnalysis", "analyze"]
