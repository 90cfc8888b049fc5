"""The command line: ``sklearn-ka <command>``, also ``python -m sklearn_ka <command>``.

Commands: ``demo`` (train the three published targets and print a table) and ``reproduce``
(the experiments of the study [1]_, written as a report; see :ref:`experiments`). Run
``sklearn-ka --help`` for the options. Only the standard library is imported until a command runs.

References
----------
.. [1] M. Freedman and M. Mulligan, "Spontaneous Kolmogorov-Arnold Geometry in
   Shallow MLPs", arXiv:2509.12326, 2025. https://arxiv.org/abs/2509.12326
"""

from ._main import build_parser, main

__all__ = ["build_parser", "main"]
