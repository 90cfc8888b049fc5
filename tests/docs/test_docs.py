"""The documentation: the API page lists every public name, the user guide defines the labels the
docstrings link to, and the Sphinx build passes with -W and renders formulas offline.

The build test is marked ``docs`` (``pytest -m docs``) and skipped when Sphinx and the other docs
extras are not installed (``pip install -e '.[docs]'``, or ``make docs``). It builds a copy of
``docs/`` and ``examples/`` in a temporary directory, so the generated pages (autosummary stubs,
the executed gallery) never land in the source tree.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"

API_MODULES = [
    "sklearn_ka",
    "sklearn_ka.targets",
    "sklearn_ka.engine",
    "sklearn_ka.neural_network",
    "sklearn_ka.jacobians",
    "sklearn_ka.exterior",
    "sklearn_ka.observables",
    "sklearn_ka.interventions",
    "sklearn_ka.analysis",
    "sklearn_ka.sweeps",
    "sklearn_ka.experiments",
    "sklearn_ka.plotting",
    "sklearn_ka.report",
]
DOCS_EXTRAS = ("sphinx", "numpydoc", "sphinx_gallery", "myst_parser", "pydata_sphinx_theme",
               "sphinx-mathjax-offline")

#: The user-guide labels that docstrings link to with ``:ref:``, and the page defining each.
USER_GUIDE_LABELS = {
    "user_guide/targets.rst": ("targets", "target-xor", "target-linear", "target-random",
                               "target-lambda-xor", "target-so-xor", "target-gaussian"),
    "user_guide/training.rst": ("training", "training-model", "training-protocol",
                                "training-early-stopping", "critical-batch-size"),
    "user_guide/observables.rst": ("observables", "jacobian-minors", "obs-zero-rows",
                                   "obs-consistent-zero-rows", "obs-dependent-zero-rows",
                                   "obs-participation-ratio", "obs-rotation-ratio",
                                   "obs-column-entropy", "obs-tails"),
    "user_guide/experiments.rst": ("experiments", "early-stopping-monitor", "exp-static", "exp-evolution",
                                   "exp-interpolation", "exp-batch-size", "exp-bootstrap",
                                   "exp-dependent-readings", "exp-tails", "exp-significance"),
    "user_guide/own_network.rst": ("own-network",),
    "user_guide/phase_diagram.rst": ("phase-diagram", "phase-emergence", "phase-findings"),
}
GENERATED = ("_build", "auto_examples", "generated")


def _documented_names(text):
    """Names listed in the api page: autosummary entries (per currentmodule) and top-level refs."""
    names, module = set(), None
    for line in text.splitlines():
        m = re.match(r"\.\. currentmodule:: (\S+)", line)
        if m:
            module = m.group(1)
            continue
        m = re.match(r"   ([A-Za-z_][A-Za-z0-9_]*)$", line)
        if m and module:
            names.add(f"{module}.{m.group(1)}")
    return names


def test_api_reference_lists_every_public_name():
    text = (DOCS / "api.rst").read_text(encoding="utf-8")
    documented = _documented_names(text)
    top = set(importlib.import_module("sklearn_ka").__all__)
    missing = []
    for name in API_MODULES:
        mod = importlib.import_module(name)
        assert f".. automodule:: {name}" in text, f"docs/api.rst has no section for {name}"
        for public in mod.__all__:
            if f"{name}.{public}" in documented or (public in top and f"sklearn_ka.{public}" in documented):
                continue
            missing.append(f"{name}.{public}")
    assert not missing, f"docs/api.rst does not list these public names: {missing}"


def test_api_reference_lists_nothing_private():
    """The reverse direction: every name the API page lists is in its module's ``__all__``."""
    text = (DOCS / "api.rst").read_text(encoding="utf-8")
    extra = []
    for qualified in sorted(_documented_names(text)):
        module, public = qualified.rsplit(".", 1)
        if public not in importlib.import_module(module).__all__:
            extra.append(qualified)
    assert not extra, f"docs/api.rst lists names outside their module's __all__: {extra}"


def test_top_level_exports_what_users_call():
    top = importlib.import_module("sklearn_ka")
    assert {"ShallowMLPRegressor", "ShallowMLPClassifier", "KAGeometryAnalyzer", "SampledKAGeometryAnalyzer",
            "fit_many", "sweep", "summarize", "ka_scorer", "make_ka_regression",
            "estimate_critical_batch_size", "observable_key"} <= set(top.__all__)
    # engine and Jacobian internals live in their sub-packages only
    assert not {"ACTIVATIONS", "get_activation", "inner_factors", "pack_parameters", "train_stacked"} & set(top.__all__)
    for name in top.__all__:
        assert getattr(top, name) is not None


def _label_definitions():
    """``{label: [file, ...]}`` for the explicit targets of docs/ and examples/ (rst and MyST)."""
    found = {}
    sources = [p for p in DOCS.rglob("*") if p.suffix in (".rst", ".md")
               and not set(GENERATED).intersection(p.relative_to(DOCS).parts)]
    sources += [p for p in (ROOT / "examples").rglob("*") if p.suffix in (".rst", ".txt", ".py")]
    for path in sources:
        text = path.read_text(encoding="utf-8")
        labels = re.findall(r"^\.\. _([A-Za-z0-9_.:-]+):\s*$", text, flags=re.MULTILINE)
        if path.suffix == ".md":
            labels += re.findall(r"^\(([A-Za-z0-9_.:-]+)\)=\s*$", text, flags=re.MULTILINE)
        for label in labels:
            found.setdefault(label.lower(), []).append(path.relative_to(ROOT).as_posix())
    return found


def _ref_targets(text):
    """The labels of the ``:ref:`` roles in ``text`` (``:ref:`label``` and ``:ref:`text <label>```)."""
    out = []
    for body in re.findall(r":ref:`([^`]+)`", text):
        m = re.search(r"<([^<>]+)>\s*$", body)
        out.append((m.group(1) if m else body).strip().lower())
    return out


def test_ref_target_parsing():
    text = "See :ref:`obs-tails` and :ref:`the tails <obs-tails>`, or\n:ref:`Training <training>`."
    assert _ref_targets(text) == ["obs-tails", "obs-tails", "training"]


def test_user_guide_defines_the_linked_labels():
    found = _label_definitions()
    problems = []
    for page, labels in USER_GUIDE_LABELS.items():
        for label in labels:
            where = found.get(label, [])
            if where != [f"docs/{page}"]:
                problems.append(f"{label}: defined in {where or 'no file'}, expected once in docs/{page}")
    assert not problems, "\n".join(problems)


def test_every_ref_in_the_package_and_examples_resolves():
    """A :ref: in a docstring or an example must name a label that the docs define."""
    found = _label_definitions()
    missing = []
    files = sorted((ROOT / "sklearn_ka").rglob("*.py")) + sorted((ROOT / "examples").rglob("*.py"))
    for path in files:
        for label in _ref_targets(path.read_text(encoding="utf-8")):
            # sphinx-gallery creates a label per example page: sphx_glr_<path of the page>.
            if label not in found and not label.startswith("sphx_glr_"):
                missing.append(f"{path.relative_to(ROOT)}: :ref:`{label}`")
    assert not missing, "undefined :ref: labels:\n" + "\n".join(missing)


_SCRIPT_SRC = re.compile(r"<script\b[^>]*\bsrc=[\"']([^\"']+)[\"']", re.IGNORECASE)
_LINK_TAG = re.compile(r"<link\b[^>]*>", re.IGNORECASE)
_HREF = re.compile(r"\bhref=[\"']([^\"']+)[\"']", re.IGNORECASE)
_REMOTE = re.compile(r"(?:[a-z][a-z0-9+.-]*:)?//", re.IGNORECASE)
_REMOTE_MATHJAX = re.compile(r"(?:https?:)?//[^\"'\s<>]*mathjax", re.IGNORECASE)


def offline_mathjax_problems(html_dir):
    """Why the built HTML in ``html_dir`` would not render its formulas offline (empty: it would).

    Every page with math must load MathJax from a relative path under ``_static/`` that exists in
    the build, and no page may load a script or a stylesheet from another host or name a remote
    MathJax URL.
    """
    html_dir = Path(html_dir)
    problems, math_pages = [], 0
    for page in sorted(html_dir.rglob("*.html")):
        rel = page.relative_to(html_dir).as_posix()
        text = page.read_text(encoding="utf-8", errors="replace")
        sources = _SCRIPT_SRC.findall(text)
        for src in sources:
            if _REMOTE.match(src):
                problems.append(f"{rel}: loads a remote script {src}")
        for tag in _LINK_TAG.findall(text):
            href = _HREF.search(tag)
            if href and "stylesheet" in tag.lower() and _REMOTE.match(href.group(1)):
                problems.append(f"{rel}: loads a remote stylesheet {href.group(1)}")
        for url in _REMOTE_MATHJAX.findall(text):
            problems.append(f"{rel}: names a remote MathJax URL {url}")
        if 'class="math' not in text:
            continue
        math_pages += 1
        local = [src for src in sources if re.fullmatch(r"(?:\.\./)*_static/mathjax/[^?#]+\.js(?:[?#].*)?", src)]
        if not local:
            problems.append(f"{rel}: has formulas but loads no MathJax from _static/mathjax/")
        for src in local:
            target = (page.parent / src.split("?")[0].split("#")[0]).resolve()
            if not target.is_file():
                problems.append(f"{rel}: {src} is not in the build")
    if not math_pages:
        problems.append("no page with formulas was found")
    return problems


def _write_page(folder, name, head):
    page = folder / name
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text(f"<html><head>{head}</head><body><div class=\"math notranslate\">\\(x\\)</div>"
                    "</body></html>", encoding="utf-8")


def test_offline_mathjax_check(tmp_path):
    mathjax = tmp_path / "_static" / "mathjax"
    mathjax.mkdir(parents=True)
    (mathjax / "tex-chtml.js").write_text("// MathJax", encoding="utf-8")
    _write_page(tmp_path, "index.html", '<script defer="defer" src="_static/mathjax/tex-chtml.js"></script>')
    _write_page(tmp_path, "guide/page.html", '<script src="../_static/mathjax/tex-chtml.js?v=1"></script>')
    assert offline_mathjax_problems(tmp_path) == []

    cdn = "https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-chtml.js"
    _write_page(tmp_path, "cdn.html", f'<script defer="defer" src="{cdn}"></script>')
    _write_page(tmp_path, "style.html", '<script src="_static/mathjax/tex-chtml.js"></script>'
                '<link href="https://cdn.example.org/theme.css" rel="stylesheet" />')
    _write_page(tmp_path, "none.html", "")
    _write_page(tmp_path, "gone.html", '<script src="_static/mathjax/absent.js"></script>')
    problems = offline_mathjax_problems(tmp_path)
    assert any(p.startswith("cdn.html: loads a remote script") for p in problems)
    assert any(p.startswith("cdn.html: names a remote MathJax URL") for p in problems)
    assert "none.html: has formulas but loads no MathJax from _static/mathjax/" in problems
    assert "gone.html: _static/mathjax/absent.js is not in the build" in problems
    assert problems.count("style.html: loads a remote stylesheet https://cdn.example.org/theme.css") == 1
    assert not any(p.startswith("style.html") and "script" in p for p in problems)
    assert not any(p.startswith(("index.html", "guide/")) for p in problems)


@pytest.mark.slow
@pytest.mark.docs
def test_docs_build_without_warnings(tmp_path):
    absent = [m for m in DOCS_EXTRAS if importlib.util.find_spec(m) is None]
    if absent:
        pytest.skip(f"docs extras not installed ({', '.join(absent)}); pip install -e '.[docs]'")
    ignore = shutil.ignore_patterns("_build", "generated", "auto_examples", "sg_execution_times.rst")
    shutil.copytree(DOCS, tmp_path / "docs", ignore=ignore)
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    env = dict(os.environ, MPLBACKEND="Agg")
    proc = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
         str(tmp_path / "docs"), str(tmp_path / "html")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=1800,
    )
    assert proc.returncode == 0, f"sphinx-build failed:\n{proc.stdout[-5000:]}\n{proc.stderr[-10000:]}"
    assert (tmp_path / "html" / "index.html").exists()
    assert (tmp_path / "html" / "auto_examples" / "plot_first_analysis.html").exists()
    # formulas render offline: MathJax comes from the build's _static/, never from a CDN
    problems = offline_mathjax_problems(tmp_path / "html")
    assert not problems, "\n".join(problems)
    assert (tmp_path / "html" / "_static" / "mathjax" / "tex-chtml.js").is_file()
