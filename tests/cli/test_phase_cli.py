"""``sklearn-ka phase``: the command line, its report writer (a tiny run end to end), the findings
and the run-time estimate."""

import json
import re
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sklearn_ka.cli import build_parser, main
from sklearn_ka.report import phase_report
from sklearn_ka.report._phase_findings import findings
from sklearn_ka.report._phase_report import (
    MEASURED_COSTS,
    PHASE_FULL_SETTINGS,
    PHASE_QUICK_SETTINGS,
    at_preset_scale,
    count_models,
    estimate_run_time,
    measured_costs,
)

HEAVY = ("torch", "sklearn", "scipy", "pandas", "matplotlib")


# ------------------------------------------------------------------------------ parser
def test_parser_defaults_and_options():
    args = build_parser().parse_args(["phase"])
    assert (args.full, args.out, args.seeds, args.device, args.n_jobs, args.monitor, args.patience) == \
        (False, None, None, "cpu", None, None, None)
    args = build_parser().parse_args(["phase", "--full", "--out", "d", "--seeds", "0,2,5", "--n-jobs", "-1",
                                      "--monitor", "train", "--patience", "20", "--overwrite", "--quiet"])
    assert args.full and args.out == "d" and args.seeds == [0, 2, 5] and args.n_jobs == -1
    assert (args.monitor, args.patience, args.overwrite, args.quiet) == ("train", 20, True, True)


@pytest.mark.parametrize("argv", [["phase", "--quick", "--full"], ["phase", "--seeds", "1"],
                                  ["phase", "--device", "tpu"], ["phase", "--n-jobs", "0"],
                                  ["phase", "--monitor", "val"], ["phase", "--patience", "0"]])
def test_bad_options_exit_with_status_2(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert "phase" in capsys.readouterr().err


def test_help_imports_no_heavy_package():
    import subprocess

    code = ("import runpy, sys\nsys.argv = ['sklearn-ka', 'phase', '--help']\n"
            "try:\n    runpy.run_module('sklearn_ka', run_name='__main__', alter_sys=True)\n"
            "except SystemExit:\n    pass\n"
            f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))\n")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip().splitlines()[-1] == "[]"
    assert "--quick" in res.stdout and "--full" in res.stdout


@pytest.fixture
def fake_report(monkeypatch):
    calls = []

    def fake(out_dir, quick=True, **kw):
        calls.append(dict(out_dir=out_dir, quick=quick, **kw))
        return {"out_dir": Path(out_dir), "run_time_s": 1.0}

    import sklearn_ka.report

    monkeypatch.setattr(sklearn_ka.report, "phase_report", fake)
    return calls


def test_the_command_calls_the_report_writer(fake_report, capsys):
    assert main(["phase", "--n-jobs", "2"]) == 0
    call = fake_report[-1]
    assert (call["out_dir"], call["quick"], call["n_jobs"], call["seeds"], call["settings"]) == \
        ("phase-report", True, 2, None, None)
    assert "report: phase-report" in capsys.readouterr().out
    assert main(["phase", "--full", "--seeds", "3", "--monitor", "train", "--patience", "9", "--quiet"]) == 0
    call = fake_report[-1]
    assert (call["out_dir"], call["quick"], call["seeds"], call["verbose"]) == ("phase-full", False, [0, 1, 2], 0)
    assert call["settings"] == {"monitor": "train", "patience": 9}
    assert capsys.readouterr().out == ""


# --------------------------------------------------------------------- the report, end to end
TINY = dict(values={"lambda_xor": [0.5, 1.0]}, widths=[4, 8], batch_sizes=[20, 40], width_at=8, batch_at=20,
            n_samples=40, max_epochs=3, seeds=[0, 1], analyzer={"n_rotations": 8}, n_resamples=99)


def _tiny_report(out, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tiny runs do not converge and 2 seeds cannot reach significance
        return phase_report(out, quick=True, n_jobs=1, settings={**TINY, **kw.pop("settings", {})}, verbose=0, **kw)


@pytest.fixture(scope="module")
def tiny_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("phase") / "report"
    return out, _tiny_report(out)


@pytest.mark.slow
def test_report_files_and_content(tiny_report):
    out, res = tiny_report
    for name in ("report.md", "report.html", "cells.csv", "tests.csv", "models.csv", "ranges.csv", "settings.json",
                 "figures/map_lambda_xor_width.png", "figures/map_lambda_xor_batch.png"):
        assert (out / name).is_file(), name
    cells = pd.read_csv(out / "cells.csv")
    assert len(cells) == 2 * 3  # 2 lambdas x the points (4, 20), (8, 20), (8, 40)
    assert {"emerged", "emergence_q_value", "test_r2_mean"} <= set(cells.columns)
    assert len(pd.read_csv(out / "models.csv")) == 2 * 3 * 2
    md = (out / "report.md").read_text(encoding="utf-8")
    for text in ("# sklearn-ka: the KA phase diagram", "When a cell is called emerged", "## Findings",
                 "No clear region", "figures/map_lambda_xor_width.png", "Benjamini", "--full"):
        assert text in md, text
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md)
    assert len(images) == 4  # the two maps, the width and the batch-size slices (no (32, 250) slice here)
    for img in images:
        assert (out / img).is_file(), img
    info = json.loads((out / "settings.json").read_text())
    assert info["status"] == "finished" and info["settings"]["seeds"] == [0, 1]
    assert "report.md" in info["files"] and info["calibration_s"] > 0
    assert info["estimated_run_time_s"] is None and "no estimate: not the presets' scale" in md  # a tiny scale
    assert res["findings"] and all(s.startswith("lambda_xor: ") for s in res["findings"])


@pytest.mark.slow
def test_report_resumes_refuses_and_overwrites(tiny_report):
    out, first = tiny_report
    again = _tiny_report(out)  # the same settings: resumed from the stores
    pd.testing.assert_frame_equal(first["cells"], again["cells"])
    with pytest.raises(FileExistsError, match="another run"):
        _tiny_report(out, settings={"alpha": 0.1})
    (out / "figures" / "old.png").write_bytes(b"")
    redone = _tiny_report(out, settings={"alpha": 0.1}, overwrite=True)
    assert not (out / "figures" / "old.png").exists()
    assert json.loads((out / "settings.json").read_text())["settings"]["alpha"] == 0.1
    assert len(redone["cells"]) == len(first["cells"])


@pytest.mark.parametrize("settings, match", [
    ({"families": ["so_xor"]}, "families"), ({"seeds": [0]}, "at least 2 seeds"),
    ({"batch_sizes": [20, 4000]}, "exceed"), ({"width_at": 16}, "width_at"), ({"colour": 1}, "unknown setting"),
    ({"layout": "grid"}, "layout"),
])
def test_bad_settings_fail_before_work(tmp_path, settings, match):
    with pytest.raises(ValueError, match=match):
        phase_report(tmp_path / "x", settings={**TINY, **settings}, verbose=0)
    assert not (tmp_path / "x").exists()


# --------------------------------------------------------------------------------- findings
def _ranges(emerged_by_width, learnable_high=1.0):
    rows = []
    for m, values in emerged_by_width.items():
        rows.append({"function": "lambda_xor", "axis": "hidden_units", "value": m, "held": "batch_size=250",
                     "n_cells": 6, "n_emerged": len(values), "emerged_values": ", ".join(f"{v:g}" for v in values),
                     "emerged_low": min(values, default=np.nan), "emerged_high": max(values, default=np.nan),
                     "region": "contiguous" if values else "none", "learnable_low": 0.5,
                     "learnable_high": learnable_high, "n_learnable": 4,
                     "n_emerged_learnable": sum(v <= learnable_high for v in values)})
    return pd.DataFrame(rows)


SETTINGS = {**PHASE_QUICK_SETTINGS}


def test_findings_state_a_moving_region_with_its_evidence():
    cells = pd.DataFrame({"lam": [0.7, 0.9, 1.1], "hidden_units": 32, "batch_size": 250, "n_seeds": 8,
                          "emerged": [True, True, False], "test_r2_mean": [0.99, 0.97, 0.8]})
    out = findings(SETTINGS, "lambda_xor", cells, _ranges({8: [0.5, 0.7], 16: [0.7, 0.9], 32: [0.9, 1.1]}))
    width, learn, learning, paper = out
    assert ("As m grows from 8 to 32 the region moves to larger λ: its lower edge goes 0.5 → 0.7 → 0.9, its upper "
            "edge 0.7 → 0.9 → 1.1.") in width
    assert "m = 8: 0.5–0.7" in width and "m = 32: 0.9–1.1" in width
    assert "5 of 6 emerged cells are learnable" in learn
    assert "m = 8: emerged 0.5–0.7, learnable 0.5–1 (ends inside the learnable range)" in learn
    assert "m = 32: emerged 0.9–1.1, learnable 0.5–1 (extends beyond the boundary)" in learn
    assert "agrees in part" in paper and "0.7, 0.9" in paper
    assert "2 of 3 cells emerged, 2 of them learnable" in learning and "without being learnable: none" in learning


def test_findings_say_no_clear_region():
    cells = pd.DataFrame({"lam": [0.7, 0.9], "hidden_units": 32, "batch_size": 250, "n_seeds": 8,
                          "emerged": [False, False], "test_r2_mean": [0.99, 0.97]})
    out = findings(SETTINGS, "lambda_xor", cells, _ranges({8: [], 16: []}))
    assert out[0].startswith("With width m") and "No clear region: no cell emerged at any m" in out[0]
    assert "No region to place" in out[1]
    assert "disagrees: no cell emerged" in out[3]
    steady = findings(SETTINGS, "lambda_xor", cells, _ranges({8: [0.7, 0.9], 16: [0.7, 0.9], 32: []}))
    assert "the region does not move" in steady[0] and "No cell emerged at m ∈ {32}" in steady[0]
    wide = findings(SETTINGS, "lambda_xor", cells, _ranges({8: [0.7, 0.9], 16: [0.5, 0.9, 1.1]}))
    assert "the region widens: its lower edge goes 0.7 → 0.5, its upper edge 0.9 → 1.1" in wide[0]


def test_findings_list_emergence_without_learning():
    cells = pd.DataFrame({"lam": [1.0, 1.5], "hidden_units": 32, "batch_size": [250, 32], "n_seeds": 8,
                          "emerged": [True, True], "test_r2_mean": [0.97, 0.01]})
    out = findings(SETTINGS, "lambda_xor", cells, _ranges({32: [1.0, 1.5]}))
    assert "Emerged without being learnable: (λ = 1.5, m = 32, B = 32: R² = 0.01)" in out[2]


# ------------------------------------------------------------------------------- run time
def test_only_the_presets_scale_gets_an_estimate():
    assert at_preset_scale(PHASE_QUICK_SETTINGS) and at_preset_scale(PHASE_FULL_SETTINGS)
    assert not at_preset_scale({**PHASE_QUICK_SETTINGS, "n_samples": 40})
    assert not at_preset_scale({**PHASE_QUICK_SETTINGS, "analyzer": {"n_rotations": 8}})


def test_model_counts_and_run_time_estimate(monkeypatch):
    assert count_models(PHASE_QUICK_SETTINGS) == 5 * (5 + 4 - 1) * 8
    assert count_models(PHASE_FULL_SETTINGS) == (11 + 10) * 5 * 6 * 8
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    one = estimate_run_time(PHASE_QUICK_SETTINGS, 1)
    assert estimate_run_time(PHASE_QUICK_SETTINGS, 2) == pytest.approx(one / 2)
    assert estimate_run_time(PHASE_QUICK_SETTINGS, 8) == pytest.approx(one / 2)  # at most the CPUs
    assert estimate_run_time(PHASE_QUICK_SETTINGS, -1) == pytest.approx(one / 2)
    # by hand: per lambda, every (m, B) point's task plus its seeds' analyses
    pts = [(m, 250) for m in (4, 8, 16, 32, 64)] + [(32, b) for b in (32, 128, 1000)]
    c = MEASURED_COSTS
    assert {b for _, b in pts} <= set(c["batch_factor"]) and set(PHASE_QUICK_SETTINGS["widths"]) <= set(
        c["train_task_s"]) == set(c["analysis_s"])
    rot, measured = PHASE_QUICK_SETTINGS["analyzer"]["n_rotations"], c["analysis_rotations"]

    def analysis(m):  # the measured analysis, moved to the preset's rotations by the measured factors
        return c["analysis_s"][m] * c["rotation_factor"][rot][m] / c["rotation_factor"][measured][m]

    by_hand = 5 * sum(c["train_task_s"][m] * c["batch_factor"][b] + 8 * analysis(m) for m, b in pts)
    assert one == pytest.approx(by_hand)
    # a machine twice as slow on the calibration workload takes twice as long
    slow = estimate_run_time(PHASE_QUICK_SETTINGS, 1, calibration_s=2 * c["calibration_s"])
    assert slow == pytest.approx(2 * one)
    assert estimate_run_time(PHASE_FULL_SETTINGS, 2) > 10 * estimate_run_time(PHASE_QUICK_SETTINGS, 2)


def test_measured_costs_read_tasks_and_analyses():
    rows = []
    for lam, scale in ((0.5, 1.0), (1.0, 3.0)):
        for m, b in ((4, 250), (32, 250), (32, 32)):
            for s in range(8):  # one task per cell, trained until its last model stops (seed 7)
                rows.append({"lam": lam, "hidden_units": m, "batch_size": b, "seed": s,
                             "fit_time": scale * m * (2 if b == 32 else 1) * (s + 1) / 8, "analysis_time": 0.1 * m})
    costs = measured_costs(pd.DataFrame(rows), calibration_s=1.5, n_rotations=100)
    assert costs["analysis_rotations"] == 100
    assert costs["train_task_s"] == {4: 8.0, 32: 64.0}
    assert costs["batch_factor"] == {32: 2.0, 250: 1.0}
    assert costs["analysis_s"] == {4: pytest.approx(0.4), 32: pytest.approx(3.2)}
    assert costs["calibration_s"] == 1.5


def test_findings_weigh_dead_neurons_in_the_zero_row_criterion():
    from sklearn_ka.experiments import EMERGENCE_RULE

    cells = pd.DataFrame({"lam": [1.0, 1.5], "hidden_units": 32, "batch_size": [32, 250], "n_seeds": 2,
                          "emerged": [True, False], "test_r2_mean": [0.97, 0.0]})
    models = pd.DataFrame({"lam": [1.0, 1.0, 1.5, 1.5], "hidden_units": 32, "batch_size": [32, 32, 250, 250],
                           "zero_rows_k3_q0.01": [0.6, 0.8, 0.03, 0.03],
                           "consistent_zero_rows_k3_q0.01": [0.4, 0.6, 0.0, 0.0]})
    out = findings(SETTINGS, "lambda_xor", cells, _ranges({32: [1.0]}), models, EMERGENCE_RULE)
    dead = next(s for s in out if s.startswith("Dead neurons"))
    assert "a median 71 % are consistently zero" in dead  # 0.5 / 0.7
    assert "(λ = 1, m = 32, B = 32: 71 % dead, remainder 20.0 % vs q = 3.1 %)" in dead
    assert "still exceeds q(k) on average in 1 of the 1 emerged cells" in dead
