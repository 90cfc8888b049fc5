"""Packaging: the metadata, the runtime dependencies and the wheel's contents.

The wheel test builds from a copy of the package with pip, offline (no build isolation, no index),
so it needs setuptools >= 77 in the test environment (the ``test`` extra has it). The full check —
sdist and wheel with ``python -m build``, the wheel installed into a fresh environment, the command
line and a stored sweep run there — is ``build_tools/check_wheel.sh`` (``make wheel-check``, run by
``.ci/run``).
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib" if sys.version_info >= (3, 11) else "tomli")

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "sklearn_ka"


def _pyproject():
    with open(ROOT / "pyproject.toml", "rb") as fh:
        return tomllib.load(fh)


def _normalize(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_name(requirement):
    return _normalize(re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement).group(1))


def _is_type_checking(test):
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imported_modules(path):
    """Top-level names of the absolute imports that run in one source file.

    Imports anywhere (module level, functions, ``try`` blocks) count, except under
    ``if TYPE_CHECKING:``, which only type checkers execute.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names = set()
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
        else:
            stack.extend(ast.iter_child_nodes(node))
    return names


def test_type_checking_imports_are_not_runtime_imports(tmp_path):
    path = tmp_path / "m.py"
    path.write_text("import typing\nif typing.TYPE_CHECKING:\n    import a\nelse:\n    import b\n"
                    "def f():\n    from c.d import e\n")
    assert _imported_modules(path) == {"typing", "b", "c"}


def test_runtime_dependencies_cover_every_import_of_the_package():
    # Every third-party module the package imports (at the top of a module or inside a
    # function) must come from a distribution in [project] dependencies, so that every
    # feature works after `pip install sklearn-ka` without an extra.
    imported = set()
    for path in PACKAGE.rglob("*.py"):
        imported |= _imported_modules(path)
    third_party = sorted(imported - set(sys.stdlib_module_names) - {"sklearn_ka", "__future__"})
    assert {"numpy", "torch", "sklearn", "pyarrow", "threadpoolctl"} <= set(third_party)

    declared = {_requirement_name(r) for r in _pyproject()["project"]["dependencies"]}
    providers = importlib.metadata.packages_distributions()
    missing = {}
    for module in third_party:
        dists = {_normalize(d) for d in providers.get(module, [])}
        if not dists:
            missing[module] = "not installed here, so its distribution is unknown"
        elif not dists & declared:
            missing[module] = f"provided by {sorted(dists)}, not a runtime dependency"
    assert not missing, f"imports not covered by [project] dependencies: {missing}"


def test_torch_requirement_is_a_range():
    deps = _pyproject()["project"]["dependencies"]
    torch = [r for r in deps if _requirement_name(r) == "torch"]
    assert torch == ["torch>=2.2"]


def test_license_metadata():
    project = _pyproject()["project"]
    assert project["license"] == "BSD-3-Clause"
    assert project["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("BSD 3-Clause License")
    assert "Copyright (c) 2026, the sklearn-ka developers" in text
    # PEP 639: a license expression excludes license classifiers.
    assert not [c for c in project["classifiers"] if c.startswith("License ::")]
    assert "Typing :: Typed" in project["classifiers"]
    assert project["urls"]


def test_build_backend_reads_pep639_license_strings():
    requires = _pyproject()["build-system"]["requires"]
    setuptools = [r for r in requires if _requirement_name(r) == "setuptools"]
    assert len(setuptools) == 1
    minimum = re.search(r">=\s*(\d+)", setuptools[0])
    assert minimum and int(minimum.group(1)) >= 77


def test_version_is_single_sourced():
    dynamic = _pyproject()["project"]
    assert "version" not in dynamic and dynamic["dynamic"] == ["version"]
    attr = _pyproject()["tool"]["setuptools"]["dynamic"]["version"]["attr"]
    module, _, name = attr.rpartition(".")
    path = ROOT / (module.replace(".", "/") + ".py")
    # setuptools reads the value statically (without importing the package and torch): it must be a literal.
    tree = ast.parse(path.read_text(encoding="utf-8"))
    values = [node.value.value for node in tree.body if isinstance(node, ast.Assign)
              and any(isinstance(t, ast.Name) and t.id == name for t in node.targets)
              and isinstance(node.value, ast.Constant)]
    assert len(values) == 1
    import sklearn_ka

    assert sklearn_ka.__version__ == values[0]


def _setuptools_version():
    try:
        return int(importlib.metadata.version("setuptools").split(".")[0])
    except importlib.metadata.PackageNotFoundError:
        return 0


@pytest.mark.skipif(_setuptools_version() < 77, reason="building offline needs setuptools>=77 (the test extra)")
def test_wheel_contents(tmp_path):
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(PACKAGE, source / "sklearn_ka", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    out = tmp_path / "dist"
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
         "--wheel-dir", str(out), str(source)],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    (wheel,) = out.glob("sklearn_ka-*.whl")
    import sklearn_ka

    assert wheel.name.startswith(f"sklearn_ka-{sklearn_ka.__version__}-py3-none-any")

    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        (metadata,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        meta = zf.read(metadata).decode()
        (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
        scripts = zf.read(entry_points).decode()

    assert "sklearn_ka/py.typed" in names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert {n.split("/")[0] for n in names if ".dist-info/" not in n} == {"sklearn_ka"}
    sources = {p.relative_to(ROOT).as_posix() for p in PACKAGE.rglob("*.py")}
    assert sources <= set(names)

    headers = meta.split("\n\n", 1)[0].splitlines()
    assert "License-Expression: BSD-3-Clause" in headers
    assert "License-File: LICENSE" in headers
    assert f"Version: {sklearn_ka.__version__}" in headers
    requires = {_requirement_name(h.split(":", 1)[1]) for h in headers
                if h.startswith("Requires-Dist:") and "extra ==" not in h}
    assert requires == {_requirement_name(r) for r in _pyproject()["project"]["dependencies"]}
    assert "sklearn-ka = sklearn_ka.__main__:main" in scripts
