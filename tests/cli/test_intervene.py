"""``sklearn-ka intervene``: the options, what reaches the report writer, errors as one line with the exit
codes of the other commands, and a refused directory."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sklearn_ka.cli import build_parser, main

HEAVY = ("torch", "sklearn", "scipy", "pandas", "matplotlib")


def test_parser_defaults_and_options():
    args = build_parser().parse_args(["intervene"])
    assert (args.full, args.out, args.seeds, args.device, args.n_jobs, args.monitor, args.patience) == \
        (False, None, None, "cpu", None, None, None)
    args = build_parser().parse_args(["intervene", "--full", "--out", "d", "--seeds", "0,2,5", "--n-jobs", "2",
                                      "--monitor", "train", "--patience", "20", "--overwrite", "--quiet"])
    assert args.full and args.out == "d" and args.seeds == [0, 2, 5] and args.n_jobs == 2
    assert (args.monitor, args.patience, args.overwrite, args.quiet) == ("train", 20, True, True)


@pytest.mark.parametrize("argv", [["intervene", "--quick", "--full"], ["intervene", "--seeds", "1"],
                                  ["intervene", "--device", "tpu"], ["intervene", "--n-jobs", "0"],
                                  ["intervene", "--monitor", "val"], ["intervene", "--patience", "0"]])
def test_bad_options_exit_with_status_2(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert "intervene" in capsys.readouterr().err


def test_help_imports_no_heavy_package():
    code = ("import runpy, sys\nsys.argv = ['sklearn-ka', 'intervene', '--help']\n"
            "try:\n    runpy.run_module('sklearn_ka', run_name='__main__', alter_sys=True)\n"
            "except SystemExit:\n    pass\n"
            f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))\n")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip().splitlines()[-1] == "[]"
    assert "--quick" in res.stdout and "--full" in res.stdout and "intervention-report" in res.stdout


def test_the_main_help_lists_the_command_and_an_example(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "intervene" in out and "intervene --quick --n-jobs 2" in out


@pytest.fixture
def fake_report(monkeypatch):
    calls = []

    def fake(out_dir, quick=True, **kw):
        calls.append(dict(out_dir=out_dir, quick=quick, **kw))
        return {"out_dir": Path(out_dir), "run_time_s": 1.0}

    import sklearn_ka.report

    monkeypatch.setattr(sklearn_ka.report, "intervention_report", fake)
    return calls


def test_the_command_calls_the_report_writer(fake_report, capsys):
    assert main(["intervene", "--n-jobs", "2"]) == 0
    call = fake_report[-1]
    assert (call["out_dir"], call["quick"], call["n_jobs"], call["seeds"], call["settings"], call["overwrite"]) == \
        ("intervention-report", True, 2, None, None, False)
    assert "report: intervention-report" in capsys.readouterr().out
    assert main(["intervene", "--full", "--seeds", "3", "--monitor", "train", "--patience", "9", "--quiet",
                 "--out", "x"]) == 0
    call = fake_report[-1]
    assert (call["out_dir"], call["quick"], call["seeds"], call["verbose"]) == ("x", False, [0, 1, 2], 0)
    assert call["settings"] == {"monitor": "train", "patience": 9}
    assert capsys.readouterr().out == ""
    assert main(["intervene", "--full", "--quiet"]) == 0 and fake_report[-1]["out_dir"] == "intervention-full"


def _error_lines(err):
    return [line for line in err.splitlines() if line.strip() and not line.startswith(("usage:", " "))]


@pytest.mark.parametrize("error, status, shown", [
    (RuntimeError("boom\nsecond line"), 1, "sklearn-ka intervene: error: RuntimeError: boom second line"),
    (FileExistsError("intervention_report: DIR holds the report of another run"), 2,
     "sklearn-ka intervene: error: intervention_report: DIR holds the report of another run"),
])
def test_errors_are_one_line_with_the_usual_exit_codes(monkeypatch, capsys, error, status, shown):
    def fail(*args, **kwargs):
        raise error

    monkeypatch.setattr("sklearn_ka.report.intervention_report", fail)
    monkeypatch.delenv("SKLEARN_KA_DEBUG", raising=False)
    assert main(["intervene", "--quiet"]) == status
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert _error_lines(err)[0].startswith(shown)


def test_a_directory_of_other_settings_is_refused_before_any_work(tmp_path, capsys):
    (tmp_path / "settings.json").write_text(json.dumps({"report": "intervention", "mode": "quick",
                                                        "settings": {"max_epochs": 3}}))
    assert main(["intervene", "--out", str(tmp_path), "--quiet"]) == 2
    (line,) = _error_lines(capsys.readouterr().err)
    assert "holds the report of another run" in line and "--overwrite" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["settings.json"]
