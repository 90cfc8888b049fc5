"""The shipped text stands on its own: no pointers to the team's internal notes or tracker.

The package, its documentation, examples, benchmarks, tests and README must not send a reader to
material that is not part of the product: the internal science notes (by their name, or by a
path into the folder that holds them) or numbered tracker threads. Definitions live in the user
guide and the paper; docstrings link there. A failure lists every offending ``file:line``.

The patterns are assembled from pieces so that this file does not match them itself.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

#: Folders walked (recursively) and single files checked, relative to the repository root.
WALKED = ("sklearn_ka", "docs", "examples", "benchmarks", "tests")
SINGLE_FILES = ("README.md",)
#: Generated output, never edited by hand (built pages, executed gallery, autosummary stubs).
EXCLUDED = ("docs/_build", "docs/auto_examples", "docs/generated")
SKIPPED_DIRS = {"__pycache__", ".ipynb_checkpoints", ".pytest_cache"}
BINARY_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".svg", ".ico", ".pdf", ".pyc", ".pickle", ".pkl",
                   ".npz", ".npy", ".pt", ".zip", ".gz", ".parquet", ".woff", ".woff2", ".ttf"}

_NOTES = "SP" + "EC"  # the internal notes' name, as a word
_FOLDER = "sha" + "red"  # the folder that holds them
_THREAD = "iss" + "ue"  # a tracker thread

PATTERNS = {
    "name of the internal notes": re.compile(r"\b" + _NOTES + r"\b"),  # TORCH_SPEC has no word boundary
    "path to the internal notes": re.compile(re.escape(_FOLDER + "/" + _NOTES)),
    "path to the internal folder": re.compile(re.escape("../" + _FOLDER)),
    "numbered tracker thread": re.compile(r"\b" + _THREAD + r"s?\s*#?\s*\d+", re.IGNORECASE),
}


def _product_files():
    files = [ROOT / name for name in SINGLE_FILES if (ROOT / name).is_file()]
    excluded = [ROOT / e for e in EXCLUDED]
    for top in WALKED:
        base = ROOT / top
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*")):
            if not path.is_file() or path.suffix.lower() in BINARY_SUFFIXES:
                continue
            if SKIPPED_DIRS.intersection(path.relative_to(ROOT).parts):
                continue
            if any(path == e or e in path.parents for e in excluded):
                continue
            files.append(path)
    return files


def find_pointers(paths, root=ROOT):
    """``file:line: [kind] text`` for every line of ``paths`` that matches a pattern.

    Files that are not UTF-8 text (or contain NUL bytes) are skipped.
    """
    hits = []
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        if "\x00" in text:
            continue
        for lineno, line in enumerate(text.splitlines(), start=1):
            for kind, pattern in PATTERNS.items():
                if pattern.search(line):
                    rel = path.relative_to(root) if path.is_relative_to(root) else path
                    hits.append(f"{rel}:{lineno}: [{kind}] {line.strip()[:160]}")
    return hits


def test_walk_covers_the_product():
    files = {p.relative_to(ROOT).as_posix() for p in _product_files()}
    assert "README.md" in files
    assert "sklearn_ka/__init__.py" in files
    assert "docs/conf.py" in files
    assert "docs/user_guide/observables.rst" in files
    assert Path(__file__).resolve().relative_to(ROOT).as_posix() in files  # this file is checked too
    assert not any(f.startswith(("docs/_build/", "docs/auto_examples/", "docs/generated/")) for f in files)


@pytest.mark.parametrize("line, kind", [
    (f"see {_NOTES} section 6.1", "name of the internal notes"),
    (f"({_NOTES} 3)", "name of the internal notes"),
    (f"read {_FOLDER}/{_NOTES}.md", "path to the internal notes"),
    (f"`../{_FOLDER}/notes`", "path to the internal folder"),
    (f"targets of {_THREAD} 6", "numbered tracker thread"),
    (f"fixes {_THREAD} #12", "numbered tracker thread"),
    (f"{_THREAD.capitalize()}s 4 and 5", "numbered tracker thread"),
])
def test_patterns_catch_pointers(tmp_path, line, kind):
    path = tmp_path / "page.rst"
    path.write_text(f"Title\n=====\n\n{line}\n", encoding="utf-8")
    hits = find_pointers([path], root=tmp_path)
    assert hits, f"{line!r} was not caught"
    assert all(h.startswith("page.rst:4: [") for h in hits)
    assert any(f"[{kind}]" in h for h in hits)


@pytest.mark.parametrize("line", [
    "make demo TORCH_" + _NOTES + "='torch==2.13.0'",
    "importlib.util.find_spec(name)",
    "a specification of the model",
    "the " + _THREAD + " tracker of the project",
    "shared memory between workers",
])
def test_patterns_leave_ordinary_text_alone(tmp_path, line):
    path = tmp_path / "page.md"
    path.write_text(line + "\n", encoding="utf-8")
    assert find_pointers([path], root=tmp_path) == []


def test_product_text_has_no_internal_pointers():
    hits = find_pointers(_product_files())
    assert not hits, (
        f"{len(hits)} line(s) point at internal notes or tracker threads; link the user guide "
        "(:ref:`label`) or cite the paper instead:\n" + "\n".join(hits))
