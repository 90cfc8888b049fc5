"""The KA-geometry analysis of a model against its initialisation.

The observables are defined in the user guide, :ref:`observables`.
"""

from ._analyzer import KAGeometryAnalyzer
from ._sampled_analyzer import SampledKAGeometryAnalyzer
from ._scorer import ka_scorer

__all__ = ["KAGeometryAnalyzer", "SampledKAGeometryAnalyzer", "ka_scorer"]
