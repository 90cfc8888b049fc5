"""The command line: fast help and version (no heavy imports), help text everywhere, program names, lazy root."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest

from sklearn_ka._version import __version__
from sklearn_ka.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[2]
#: Packages that --help and --version must not import (each costs from 0.1 s to seconds).
HEAVY = ("torch", "sklearn", "scipy", "pandas", "numpy", "matplotlib", "joblib")


def _run(*args, **kw):
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=ROOT, timeout=120, **kw)


def _imported_modules(importtime_stderr):
    """Top-level package names from ``python -X importtime`` output."""
    names = set()
    for line in importtime_stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            name = line.rsplit("|", 1)[1].strip()
            if name != "imported package":
                names.add(name.split(".")[0])
    return names


@pytest.mark.parametrize("flag", ["--help", "--version"])
def test_help_and_version_import_no_heavy_package(flag):
    res = _run("-X", "importtime", "-m", "sklearn_ka", flag)
    assert res.returncode == 0, res.stderr
    imported = _imported_modules(res.stderr)
    assert "sklearn_ka" in imported and "argparse" in imported  # the parsing worked
    assert imported.isdisjoint(HEAVY), sorted(imported & set(HEAVY))


def test_help_leaves_heavy_packages_out_of_sys_modules():
    code = (
        "import json, runpy, sys\n"
        "sys.argv = ['sklearn-ka', '--help']\n"
        "try:\n"
        "    runpy.run_module('sklearn_ka', run_name='__main__', alter_sys=True)\n"
        "except SystemExit as exc:\n"
        "    status = exc.code\n"
        f"heavy = sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r})\n"
        "print(json.dumps({'status': status, 'heavy': heavy}))\n"
    )
    res = _run("-c", code)
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout.strip().splitlines()[-1])
    assert report == {"status": 0, "heavy": []}
    assert "usage: python -m sklearn_ka" in res.stdout


def test_version_prints_the_version(capsys):
    res = _run("-m", "sklearn_ka", "--version")
    assert res.returncode == 0 and res.stdout.strip() == f"sklearn-ka {__version__}"
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0 and capsys.readouterr().out.strip() == f"sklearn-ka {__version__}"


def test_version_agrees_everywhere():
    import sklearn_ka

    assert sklearn_ka.__version__ == __version__
    tomllib = pytest.importorskip("tomllib")  # Python >= 3.11
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    project = pyproject["project"]
    if "version" in project:  # a static version must be the package's own
        assert project["version"] == __version__
    else:  # a dynamic one must be read from sklearn_ka._version
        assert "version" in project.get("dynamic", [])
        attr = pyproject["tool"]["setuptools"]["dynamic"]["version"]["attr"]
        assert attr == "sklearn_ka._version.__version__"


def _all_parsers(parser):
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from _all_parsers(sub)


def test_every_action_has_help_text():
    parser = build_parser()
    names = []
    for p in _all_parsers(parser):
        names.append(p.prog)
        for action in p._actions:
            if isinstance(action, argparse._SubParsersAction):
                for choice in action._choices_actions:  # the one-line help of each command
                    assert choice.help and choice.help != argparse.SUPPRESS, (p.prog, choice.dest)
                continue
            assert action.help and action.help != argparse.SUPPRESS, (p.prog, action.option_strings)
        assert p.description, p.prog
    assert names == ["sklearn-ka", "sklearn-ka demo", "sklearn-ka reproduce"]


def test_program_names(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])  # the console script calls main() with its default program name
    assert capsys.readouterr().out.startswith("usage: sklearn-ka ")
    with pytest.raises(SystemExit):
        main(["reproduce", "--help"], prog="python -m sklearn_ka")
    assert capsys.readouterr().out.startswith("usage: python -m sklearn_ka reproduce ")
    res = _run("-m", "sklearn_ka", "--help")
    assert res.returncode == 0 and res.stdout.startswith("usage: python -m sklearn_ka ")
    assert "arXiv:2509.12326" in res.stdout


def test_console_script_names_itself():
    from importlib.metadata import entry_points

    import sklearn_ka.__main__

    eps = list(entry_points(group="console_scripts", name="sklearn-ka"))
    if not eps:
        pytest.skip("sklearn-ka is not installed (no console-script entry point)")
    assert eps[0].load() is sklearn_ka.__main__.main
    script = Path(sys.executable).with_name("sklearn-ka")
    if not script.exists():
        pytest.skip(f"no console script next to {sys.executable}")
    res = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0 and res.stdout.startswith("usage: sklearn-ka ")


def test_usage_errors_exit_with_status_2():
    for args in ([], ["nope"], ["demo", "--n-samples", "100"], ["demo", "--hidden-units", "0"],
                 ["demo", "--seed", "-1"], ["reproduce", "--seeds", "1"]):
        res = _run("-m", "sklearn_ka", *args)
        assert res.returncode == 2, args
        assert "error:" in res.stderr and res.stderr.startswith("usage: python -m sklearn_ka"), args


def test_demo_runs(capsys):
    assert main(["demo", "--hidden-units", "4", "--n-samples", "250", "--max-epochs", "2", "--no-analysis"]) == 0
    out = capsys.readouterr().out
    for name in ("xor", "linear", "random", "train_r2", "test_r2"):
        assert name in out
    assert "m=4" in out and "KA observables" not in out


@pytest.mark.slow
def test_root_package_is_lazy():
    code = (
        "import sys, sklearn_ka\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))\n"
        "from sklearn_ka import ShallowMLPRegressor\n"
        "print(ShallowMLPRegressor.__module__, 'torch' in sys.modules)\n"
    )
    res = _run("-c", code)
    assert res.returncode == 0, res.stderr
    first, second = res.stdout.strip().splitlines()
    assert first == "[]"
    assert second == "sklearn_ka.neural_network._shallow_mlp True"


def test_root_exports_resolve():
    import sklearn_ka
    from sklearn_ka import KAGeometryAnalyzer, make_ka_regression, sweep  # noqa: F401

    for name in sklearn_ka.__all__:
        obj = getattr(sklearn_ka, name)
        assert obj is not None
        home = getattr(obj, "__module__", None)  # None for plain data such as ACTIVATIONS
        if home is not None:
            assert home.startswith("sklearn_ka."), (name, home)
    assert set(sklearn_ka.__all__) <= set(dir(sklearn_ka))
    assert {"experiments", "plotting", "report", "__version__"} <= set(dir(sklearn_ka))
    assert sklearn_ka.experiments.__name__ == "sklearn_ka.experiments"
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        sklearn_ka.nope  # noqa: B018
    namespace = {}
    exec("from sklearn_ka import *", namespace)
    assert set(sklearn_ka.__all__) <= set(namespace)



def test_parser_constants_agree_with_the_protocol():
    # the parser imports no numpy, so it repeats two numbers of the package: they must agree
    import inspect

    from sklearn_ka._utils import PAPER_PROTOCOL
    from sklearn_ka.cli._demo import run_demo
    from sklearn_ka.cli._main import DEMO_BATCH_SIZE
    from sklearn_ka.cli._types import MIN_SEEDS
    from sklearn_ka.report._settings import MIN_SEEDS as REPORT_MIN_SEEDS

    assert DEMO_BATCH_SIZE == PAPER_PROTOCOL.batch_size and MIN_SEEDS == REPORT_MIN_SEEDS
    demo = build_parser()._subparsers._group_actions[0].choices["demo"]
    defaults = {a.dest: a.default for a in demo._actions}
    signature = inspect.signature(run_demo).parameters
    for name in ("hidden_units", "n_samples", "max_epochs"):
        assert defaults[name] == signature[name].default, name
    assert defaults["n_samples"] == PAPER_PROTOCOL.n_samples and defaults["max_epochs"] == PAPER_PROTOCOL.max_epochs
