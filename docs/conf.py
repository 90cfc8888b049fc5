"""Sphinx configuration of the sklearn-ka documentation.

Build: ``make docs`` (installs the ``docs`` extras, then
``sphinx-build -W --keep-going -b html docs docs/_build/html``). The gallery in ``examples/``
is executed by the build (matplotlib's Agg backend, tiny models, seconds each).
"""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")
# Use the 2 cores of a CI machine sensibly and keep the gallery deterministic.
os.environ.setdefault("OMP_NUM_THREADS", "1")

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))  # the package, when it is not installed (it normally is: pip install -e .)

import sklearn_ka  # noqa: E402

# -- project -------------------------------------------------------------------------------
project = "sklearn-ka"
author = "the sklearn-ka developers"
copyright = "the sklearn-ka developers, BSD-3-Clause"
release = sklearn_ka.__version__
version = ".".join(release.split(".")[:2])

# -- extensions ----------------------------------------------------------------------------
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    # MathJax shipped with the docs (copied to _static/mathjax, mathjax_path set to it): the built
    # pages render formulas offline, with no request to a CDN.
    "sphinx-mathjax-offline",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_parser",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "**.ipynb_checkpoints",
                    # sphinx-gallery writes these next to the generated pages
                    "auto_examples/*.ipynb", "auto_examples/*.py", "auto_examples/*.zip",
                    "auto_examples/*.md5", "auto_examples/*.codeobj.json", "auto_examples/*.pickle"]
templates_path = ["_templates"]

# No network at build time: no intersphinx, and no nitpicky (unresolved references to
# numpy/torch/scikit-learn types in the docstrings are plain text, not errors).
nitpicky = False

# -- autodoc / autosummary / numpydoc ------------------------------------------------------
autosummary_generate = True
autosummary_imported_members = True
autodoc_default_options = {"members": False, "inherited-members": False}
autodoc_typehints = "none"  # the numpydoc "Parameters" sections carry the types
add_module_names = False

# The class pages list their public methods through numpydoc's own "Methods" table below the
# docstring; numpydoc's automatic members list is switched off because it would also list every
# inherited scikit-learn method (get_params, set_output, ...) and duplicate the autosummary.
numpydoc_show_class_members = False
numpydoc_show_inherited_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False
# No numpydoc_validation_checks: docstring style is the package's business (see docs/README).

# -- MyST (Markdown pages, e.g. sweeps.md) -------------------------------------------------
myst_enable_extensions = ["dollarmath", "colon_fence"]
myst_heading_anchors = 3

# -- sphinx-gallery ------------------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",  # execute every plot_*.py
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    "matplotlib_animations": False,
    "plot_gallery": "True",
    "abort_on_example_error": True,
    "show_memory": False,
    "reset_modules": ("matplotlib", "seaborn"),
    "doc_module": ("sklearn_ka",),
    "backreferences_dir": "generated/backreferences",
    # No execution-time pages: sphinx-gallery renders them with scripts and styles from CDNs, and
    # the built documentation must work offline.
    "write_computation_times": False,
}

# -- HTML ----------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"sklearn-ka {release}"
html_static_path = []
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
}
html_show_sourcelink = False

# matplotlib emits harmless warnings under Agg (e.g. "FigureCanvasAgg is non-interactive"):
warnings.filterwarnings("ignore", category=UserWarning, message=".*non-interactive.*")
