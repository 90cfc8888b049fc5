"""One-command reproduction of the KA-geometry study: :func:`reproduce` writes a Markdown/HTML report.

``python -m sklearn_ka reproduce [--quick | --full] [--out DIR] [--n-jobs N]`` calls it.
"""

from ._paper import paper_tables
from ._reproduce import FULL_SETTINGS, QUICK_SETTINGS, deviations, reproduce

__all__ = ["FULL_SETTINGS", "QUICK_SETTINGS", "deviations", "paper_tables", "reproduce"]
