"""One-command reproduction of the KA-geometry study [1]_: :func:`reproduce` writes a Markdown/HTML report.

``sklearn-ka reproduce [--quick | --full] [--out DIR] [--seeds SEEDS] [--device DEVICE] [--n-jobs N]``
(also ``python -m sklearn_ka reproduce ...``) calls it. The experiments are described in the
user guide (:ref:`experiments`); :func:`paper_tables` holds the published Tables I-III and
:func:`deviations` compares ours with them.

References
----------
.. [1] M. Freedman and M. Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in
   Shallow MLPs", arXiv:2509.12326, 2025. https://arxiv.org/abs/2509.12326
"""

from ._comparison import deviations
from ._intervention_report import INTERVENTION_FULL_SETTINGS, INTERVENTION_QUICK_SETTINGS, intervention_report
from ._paper import paper_tables
from ._phase_report import phase_report
from ._reproduce import reproduce
from ._settings import FULL_SETTINGS, QUICK_SETTINGS

__all__ = ["FULL_SETTINGS", "INTERVENTION_FULL_SETTINGS", "INTERVENTION_QUICK_SETTINGS", "QUICK_SETTINGS", "deviations",
           "intervention_report", "paper_tables", "phase_report", "reproduce"]
