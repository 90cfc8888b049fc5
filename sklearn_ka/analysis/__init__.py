"""The KA-geometry analysis of a model against its initialisation."""

from ._analyzer import KAGeometryAnalyzer
from ._scorer import ka_scorer

__all__ = ["KAGeometryAnalyzer", "ka_scorer"]
