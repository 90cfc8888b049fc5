"""The command line: fast help and version (no heavy imports), help text everywhere, program names, lazy root."""

from __future__ import annotations

import argparse
import json
import re
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
    # every command is checked (the phase diagram's command is registered by its own module)
    assert names[:3] == ["sklearn-ka", "sklearn-ka demo", "sklearn-ka reproduce"]
    assert set(names) <= {"sklearn-ka", "sklearn-ka demo", "sklearn-ka reproduce", "sklearn-ka phase",
                          "sklearn-ka intervene"}


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


def _error_lines(err):
    """The lines of stderr that are not the usage block."""
    return [line for line in err.strip().splitlines() if not line.startswith(("usage:", " "))]


def test_demo_too_wide_for_the_analysis_fails_before_training(monkeypatch, capsys):
    def no_training(*args, **kwargs):
        raise AssertionError("the demo trained before refusing")

    monkeypatch.setattr("sklearn_ka.cli._demo.fit_many", no_training)
    assert main(["demo", "--hidden-units", "2000"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: sklearn-ka demo")
    (line,) = _error_lines(err)
    assert line.startswith("sklearn-ka demo: error: the analysis of the models with hidden_units=2000 cannot fit")
    assert "--no-analysis" in line and "smaller --hidden-units" in line and "Traceback" not in err
    # without the analysis a width of 2000 trains; a width of 10**7 cannot, and is refused before training too
    from sklearn_ka.cli._demo import check_demo

    check_demo(2000, analysis=False)
    assert main(["demo", "--hidden-units", str(10**7), "--no-analysis"]) == 2
    (line,) = _error_lines(capsys.readouterr().err)
    assert re.match(r"sklearn-ka demo: error: training 1 model of 10000000 hidden units .*over the memory budget.*"
                    r"a smaller --hidden-units or --n-samples", line)


def test_demo_n_samples_message_says_why():
    res = _run("-m", "sklearn_ka", "demo", "--n-samples", "40")
    assert res.returncode == 2
    assert ("argument --n-samples: must be an integer >= 250 (the training set holds at least one mini-batch of 250 "
            "examples), got 40") in res.stderr


@pytest.mark.parametrize("error, status, shown", [
    (RuntimeError("boom\nsecond line"), 1, "sklearn-ka reproduce: error: RuntimeError: boom second line"),
    (OSError(28, "No space left on device"), 1, "sklearn-ka reproduce: error: OSError: [Errno 28] No space left"),
    (FileExistsError("reproduce: DIR holds the report of another run"), 2,
     "sklearn-ka reproduce: error: DIR holds the report of another run"),
])
def test_errors_are_one_line_without_traceback(monkeypatch, capsys, error, status, shown):
    def fail(*args, **kwargs):
        raise error

    monkeypatch.setattr("sklearn_ka.report.reproduce", fail)
    monkeypatch.delenv("SKLEARN_KA_DEBUG", raising=False)
    assert main(["reproduce", "--quiet"]) == status
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = _error_lines(err)
    assert lines[0].startswith(shown)
    if status == 1:  # a runtime error: no usage block, and a hint at --debug
        assert not err.startswith("usage:") and "--debug" in lines[1] and len(lines) == 2
    else:
        assert err.startswith("usage:") and len(lines) == 1


def test_debug_shows_the_traceback(monkeypatch, capsys):
    def fail(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("sklearn_ka.report.reproduce", fail)
    monkeypatch.delenv("SKLEARN_KA_DEBUG", raising=False)
    assert main(["--debug", "reproduce", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err and "RuntimeError: boom" in err
    monkeypatch.setenv("SKLEARN_KA_DEBUG", "1")
    assert main(["reproduce", "--quiet"]) == 1
    assert "Traceback (most recent call last)" in capsys.readouterr().err


def test_interrupt_exits_130(monkeypatch, capsys):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("sklearn_ka.report.reproduce", interrupted)
    monkeypatch.delenv("SKLEARN_KA_DEBUG", raising=False)
    assert main(["reproduce", "--quiet"]) == 130
    assert capsys.readouterr().err.strip() == "sklearn-ka reproduce: interrupted"


def test_an_empty_out_is_refused_before_any_work(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["reproduce", "--out", "", "--quiet"]) == 2
    (line,) = _error_lines(capsys.readouterr().err)
    assert "out_dir must be a directory path; got an empty path" in line
    assert list(tmp_path.iterdir()) == []


def test_a_real_error_in_a_subprocess_is_one_line(tmp_path):
    target = tmp_path / "a-file"
    target.write_text("x")
    res = _run("-m", "sklearn_ka", "reproduce", "--out", str(target), "--quiet")
    assert res.returncode == 2 and "Traceback" not in res.stderr
    (line,) = _error_lines(res.stderr)
    assert line == f"python -m sklearn_ka reproduce: error: out_dir {str(target)!r} exists and is not a directory."
