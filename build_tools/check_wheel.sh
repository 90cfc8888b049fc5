#!/usr/bin/env bash
# Build the sdist and the wheel, install the wheel into a fresh virtual environment (no Makefile,
# no source tree on sys.path, no extras) and check that the installed package stands on its own:
# `python -m sklearn_ka --version`, `--help`, the `sklearn-ka` console script and a tiny
# `sweep(..., store=DIR)` (which needs the runtime dependencies pyarrow and threadpoolctl).
#
# Environment (all optional):
#   PYTHON         interpreter for the fresh environment            (default: python3)
#   BUILD_PYTHON   interpreter with `build` installed               (default: .venv/bin/python)
#   TORCH_SPEC, TORCH_INDEX   as for `make setup`: torch is installed by build_tools/select_torch.py
#   CHECK_WHEEL_DIR  work directory, kept afterwards                 (default: a temporary one, removed)
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
BUILD_PYTHON="${BUILD_PYTHON:-$ROOT/.venv/bin/python}"
TORCH_SPEC="${TORCH_SPEC:-torch==2.13.0}"
TORCH_INDEX="${TORCH_INDEX:-}"

if [ -n "${CHECK_WHEEL_DIR:-}" ]; then
    WORK="$CHECK_WHEEL_DIR"
    mkdir -p "$WORK"
else
    WORK="$(mktemp -d "${TMPDIR:-/tmp}/sklearn-ka-wheel.XXXXXX")"
    trap 'rm -rf "$WORK"' EXIT
fi
say() { printf 'check_wheel: %s\n' "$*"; }

say "building the sdist and the wheel (python -m build) into $WORK/dist"
rm -rf "$WORK/dist"
"$BUILD_PYTHON" -m build --outdir "$WORK/dist" "$ROOT"
shopt -s nullglob
wheels=("$WORK"/dist/*.whl)
sdists=("$WORK"/dist/*.tar.gz)
shopt -u nullglob
if [ "${#wheels[@]}" -ne 1 ] || [ "${#sdists[@]}" -ne 1 ]; then
    say "expected one wheel and one sdist in $WORK/dist, found: $(ls "$WORK/dist")" >&2
    exit 1
fi
WHEEL="${wheels[0]}"
SDIST="${sdists[0]}"

say "checking the archives' contents"
"$BUILD_PYTHON" - "$WHEEL" "$SDIST" <<'PY'
import sys
import tarfile
import zipfile

wheel, sdist = sys.argv[1:]
names = zipfile.ZipFile(wheel).namelist()
problems = []
for required in ("sklearn_ka/py.typed", "sklearn_ka/__main__.py", "sklearn_ka/_version.py",
                 "sklearn_ka/observables/_data/haar_constants.npz"):
    if required not in names:
        problems.append(f"the wheel lacks {required}")
if not any(n.endswith(".dist-info/licenses/LICENSE") for n in names):
    problems.append("the wheel lacks .dist-info/licenses/LICENSE")
stray = sorted({n.split("/")[0] for n in names} - {"sklearn_ka"} - {n.split("/")[0] for n in names if ".dist-info/" in n})
if stray:
    problems.append(f"the wheel has top-level entries besides the package: {stray}")
metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
text = zipfile.ZipFile(wheel).read(metadata).decode()
for line in ("License-Expression: BSD-3-Clause", "License-File: LICENSE", "Requires-Dist: pyarrow",
             "Requires-Dist: threadpoolctl", "Requires-Dist: torch>=2.2"):
    if line not in text:
        problems.append(f"the wheel's METADATA has no line starting {line!r}")
members = tarfile.open(sdist).getnames()
for required in ("LICENSE", "pyproject.toml", "README.md", "sklearn_ka/py.typed"):
    if not any(m.split("/", 1)[-1] == required for m in members):
        problems.append(f"the sdist lacks {required}")
if problems:
    sys.exit("\n".join(problems))
print(f"check_wheel: {len(names)} files in the wheel, {len(members)} in the sdist: fine")
PY

say "creating a fresh virtual environment with $PYTHON"
rm -rf "$WORK/venv" "$WORK/run"
"$PYTHON" -m venv "$WORK/venv"
VPY="$WORK/venv/bin/python"
"$VPY" "$ROOT/build_tools/select_torch.py" --python "$VPY" --spec "$TORCH_SPEC" --index "$TORCH_INDEX"
say "installing $(basename "$WHEEL") (no extras)"
"$VPY" -m pip install "$WHEEL"

# Run from an empty directory outside the source tree, so only the installed package can be imported.
mkdir -p "$WORK/run"
cd "$WORK/run"
unset PYTHONPATH

expected="$("$VPY" -c 'import importlib.metadata as m; print(m.version("sklearn-ka"))')"
say "python -m sklearn_ka --version (metadata version: $expected)"
version_line="$("$VPY" -m sklearn_ka --version)"
echo "$version_line"
case "$version_line" in
    *"$expected"*) ;;
    *) say "--version printed '$version_line', not the installed version $expected" >&2; exit 1 ;;
esac
script_line="$("$WORK/venv/bin/sklearn-ka" --version)"
case "$script_line" in
    *"$expected"*) ;;
    *) say "the sklearn-ka console script printed '$script_line' for --version" >&2; exit 1 ;;
esac

say "python -m sklearn_ka --help"
help_text="$("$VPY" -m sklearn_ka --help)"
for command in demo reproduce; do
    if ! grep -q "$command" <<<"$help_text"; then
        say "--help does not mention the '$command' command" >&2
        exit 1
    fi
done

say "a tiny sweep(..., store=DIR), run twice (the second run reads the store)"
"$VPY" - "$WORK/run/store" <<'PY'
import os
import sys
from pathlib import Path

import sklearn_ka
from sklearn_ka import sweep
from sklearn_ka.sweeps import TIMING_COLUMNS, load_sweep

store = Path(sys.argv[1])
installed = Path(sklearn_ka.__file__).resolve()
if Path(sys.prefix).resolve() not in installed.parents:
    sys.exit(f"sklearn_ka was imported from {installed}, not from the fresh environment {sys.prefix}")
if not (installed.parent / "py.typed").is_file():
    sys.exit("the installed package has no py.typed")

kwargs = dict(functions=["xor"], seeds=[0], n_samples=50, store=store, verbose=0)
grid = {"hidden_units": [4], "max_epochs": [2]}
first = sweep(grid, **kwargs)
tasks = sorted(p.name for p in (store / "tasks").glob("*.parquet"))
if len(first) != 1 or not tasks:
    sys.exit(f"expected one row and a Parquet task file, got {len(first)} rows and {tasks}")
again = sweep(grid, **kwargs)
loaded = load_sweep(store)
cols = [c for c in first.columns if c not in TIMING_COLUMNS]
for name, frame in (("the second sweep", again), ("load_sweep", loaded)):
    if not frame[cols].reset_index(drop=True).equals(first[cols].reset_index(drop=True)):
        sys.exit(f"{name} does not return the stored row")
print(f"check_wheel: the sweep stored {tasks} ({first.shape[1]} columns) and read it back")
PY

say "all checks passed"
