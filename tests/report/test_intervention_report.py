"""The intervention report: a tiny run end to end (files, content, resume, refusal, overwrite), the settings
checks, the run-time estimate and the findings stated from synthetic statistics."""

import json
import re
import warnings

import numpy as np
import pandas as pd
import pytest

from sklearn_ka.experiments import intervention_statistics
from sklearn_ka.report import INTERVENTION_FULL_SETTINGS, INTERVENTION_QUICK_SETTINGS, intervention_report
from sklearn_ka.report._intervention_document import findings
from sklearn_ka.report._intervention_report import (
    MEASURED_COSTS,
    at_preset_scale,
    count_models,
    estimate_run_time,
    measured_costs,
)

TINY = dict(conditions=["xor_m8"], arms=["control", "osc_start", "ka_plus"], ka_orders=[1], n_samples=120,
            batch_size=40, max_epochs=30, patience=10, levels=[0.2, 0.5], analyzer={"n_rotations": 4},
            n_resamples=99)


@pytest.fixture(autouse=True)
def _fast_calibration(monkeypatch):
    """The calibration workload (seconds of training) is replaced by a constant: these runs test the report."""
    import sklearn_ka.report._estimate as estimate

    monkeypatch.setattr(estimate, "calibrate", lambda device="cpu", analyzer=None: 1.5)


def _tiny_report(out, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tiny runs stop at max_epochs, two seeds cannot reach significance
        return intervention_report(out, quick=True, n_jobs=1, seeds=2, verbose=0,
                                   settings={**TINY, **kw.pop("settings", {})}, **kw)


@pytest.fixture(scope="module")
def tiny_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("intervention") / "report"
    with pytest.MonkeyPatch.context() as mp:
        import sklearn_ka.report._estimate as estimate

        mp.setattr(estimate, "calibrate", lambda device="cpu", analyzer=None: 1.5)
        return out, _tiny_report(out)


def test_report_files_and_content(tiny_report):
    out, res = tiny_report
    for name in ("report.md", "report.html", "models.csv", "statistics.csv", "settings.json",
                 "figures/time_to_r2_0.2.png", "figures/time_to_r2_0.5.png",
                 "figures/observable_pr_normalized_k3.png"):
        assert (out / name).is_file(), name
    models = pd.read_csv(out / "models.csv")
    assert len(models) == 1 * 3 * 2 and set(models["arm"]) == {"control", "osc_start", "ka_plus"}
    assert (models["monitor"] == "test").all()
    stats = pd.read_csv(out / "statistics.csv")
    assert set(stats["kind"]) == {"time_to_level", "final"}
    assert {"epochs_to_r2_0.5", "time_to_r2_0.2", "train_r2", "seconds_per_epoch", "pr_normalized_k3"} <= set(
        stats["quantity"])
    md = (out / "report.md").read_text(encoding="utf-8")
    for text in ("# sklearn-ka: interventions on training", "# Findings", "## xor_m8", "- osc_start: R² ≥ 0.2",
                 "- ka_plus: ", "wall time per epoch ×", "# Time to training R² levels", "# At the end of training",
                 "KA term: participation_ratio on minor sizes [1]", "leaves out the conditions", "--full (288 models",
                 "no estimate: not the presets' scale"):
        assert text in md, text
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md)
    assert len(images) == 2 + 3  # two levels, three headline observables
    for img in images:
        assert (out / img).is_file(), img
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "Findings" in html
    info = json.loads((out / "settings.json").read_text())
    assert info["status"] == "finished" and info["report"] == "intervention" and info["settings"]["seeds"] == [0, 1]
    assert info["estimated_run_time_s"] is None and info["calibration_s"] == 1.5
    assert "report.md" in info["files"] and "statistics.csv" in info["files"]
    assert info["sweeps"]["n_computed_tasks"] == 3
    assert res["findings"] and any(s.startswith("xor_m8: osc_start: ") for s in res["findings"])


def test_report_resumes_refuses_and_overwrites(tiny_report):
    out, first = tiny_report
    again = _tiny_report(out)  # the same settings: read from the store, nothing trained
    pd.testing.assert_frame_equal(first["models"], again["models"])
    info = json.loads((out / "settings.json").read_text())
    assert info["sweeps"]["n_computed_tasks"] == 0 and info["first_run"]["status"] == "finished"
    assert "rendered from its store" in (out / "report.md").read_text(encoding="utf-8")
    with pytest.raises(FileExistsError, match=r"another run \(differs in: max_epochs\)"):
        _tiny_report(out, settings={"max_epochs": 20})
    (out / "figures" / "time_to_r2_0.9.png").write_bytes(b"")
    redone = _tiny_report(out, settings={"max_epochs": 20, "levels": [0.2]}, overwrite=True)
    assert not (out / "figures" / "time_to_r2_0.9.png").exists()
    assert not (out / "figures" / "time_to_r2_0.5.png").exists()
    assert json.loads((out / "settings.json").read_text())["settings"]["max_epochs"] == 20
    assert len(redone["models"]) == len(first["models"])


def test_a_directory_of_another_report_is_refused(tmp_path):
    (tmp_path / "settings.json").write_text(json.dumps({"mode": "quick", "settings": {}}))
    with pytest.raises(FileExistsError, match="not an intervention report"):
        _tiny_report(tmp_path)


@pytest.mark.parametrize("settings, match", [
    ({"conditions": ["xor_m64"]}, "conditions"), ({"arms": ["osc_start"]}, "include 'control'"),
    ({"seeds": [0]}, "at least 2 seeds"), ({"batch_size": 500}, "exceeds"), ({"colour": 1}, "unknown setting"),
    ({"ka_orders": [4]}, "ka_orders"), ({"beta": -0.1}, "beta"), ({"monitor": "val"}, "monitor"),
])
def test_bad_settings_fail_before_work(tmp_path, settings, match):
    with pytest.raises(ValueError, match=match):
        intervention_report(tmp_path / "x", settings={**TINY, **settings}, verbose=0)
    assert not (tmp_path / "x").exists()


# ------------------------------------------------------------------------------ run time
def test_estimate_from_the_measured_costs():
    quick, full = INTERVENTION_QUICK_SETTINGS, INTERVENTION_FULL_SETTINGS
    assert at_preset_scale(quick) and at_preset_scale(full)
    assert not at_preset_scale({**quick, "max_epochs": 100})
    assert count_models(quick) == 4 * 6 * 8 and count_models(full) == 6 * 6 * 8
    one = estimate_run_time(quick, 1)
    assert estimate_run_time(quick, 2) == pytest.approx(one / 2)
    assert estimate_run_time(quick, 1, calibration_s=2 * MEASURED_COSTS["calibration_s"]) == pytest.approx(2 * one)
    assert estimate_run_time(full, 1) > 5 * one  # the size-3 KA term at m = 32 dominates
    # by hand: one condition, two arms, 8 seeds
    s = {**quick, "conditions": ["xor_m8"], "arms": ["control", "ka_plus"]}
    c = MEASURED_COSTS
    hand = (c["task_s"]["xor_m8"]["control"] * (1 + c["ka_factor"]["1,2"][8]) + 16 * c["analysis_s"]["100"][8])
    assert estimate_run_time(s, 1) == pytest.approx(hand)


def test_measured_costs_read_a_run():
    rows = []
    for arm, fit, per_epoch in (("control", [3.0, 4.0], 0.01), ("osc_start", [2.0, 2.0], 0.012),
                                ("ka_plus", [30.0, 40.0], 0.2)):
        for seed, f in enumerate(fit):
            rows.append({"condition": "xor_m8", "arm": arm, "hidden_units": 8, "seed": seed, "fit_time": f,
                         "seconds_per_epoch": per_epoch, "analysis_time": 0.5 + seed})
    costs = measured_costs(pd.DataFrame(rows), INTERVENTION_QUICK_SETTINGS, calibration_s=2.0)
    assert costs["task_s"]["xor_m8"] == {"control": 4.0, "osc_start": 2.0}
    assert costs["ka_factor"]["1,2"]["8"] == 20.0 and costs["analysis_s"]["100"]["8"] == 1.0
    assert costs["task_s"]["xor_m32"] == MEASURED_COSTS["task_s"]["xor_m32"]  # not trained: the reference's
    assert costs["calibration_s"] == 2.0


# ------------------------------------------------------------------------------ findings
def _synthetic_statistics():
    rows = []
    base = np.arange(300.0, 308.0)
    times = {"control": base, "osc_start": base / 10, "ka_plus": np.full(8, np.nan)}
    for arm, ts in times.items():
        for seed, t in enumerate(ts):
            reached = bool(np.isfinite(t))
            rows.append({"condition": "xor_m16", "arm": arm, "seed": seed, "reached_r2_0.9": reached,
                         "epochs_to_r2_0.9": t, "time_to_r2_0.9": t / 100 if reached else np.nan,
                         "n_epochs": 1000, "wall_time": 10.0 * (1 + 19 * (arm == "ka_plus")),
                         "seconds_per_epoch": 0.01 * (1 + 19 * (arm == "ka_plus")), "train_r2": 0.95,
                         "pr_normalized_k3": 0.9 - 0.2 * (arm == "ka_plus") + seed / 100})
            rows.append({**rows[-1], "condition": "random_m32", "reached_r2_0.9": False,
                         "epochs_to_r2_0.9": np.nan, "time_to_r2_0.9": np.nan})
    return intervention_statistics(pd.DataFrame(rows), n_resamples=999)


def test_findings_state_speed_cost_observables_and_negative_results():
    st = _synthetic_statistics()
    overall, per_condition = findings(st, {**INTERVENTION_QUICK_SETTINGS, "levels": [0.9]})
    text = "\n".join(overall)
    assert ("osc_start against the control, epochs to reach (log-rank, p < 0.05): R² ≥ 0.9: sooner (xor_m16), "
            "neither reaches it (random_m32).") in text
    assert "ka_plus against the control, wall time to reach (log-rank, p < 0.05): R² ≥ 0.9: later (xor_m16)" in text
    assert "ka_plus costs 20.0× to 20.0× the control's wall time per epoch" in text
    assert ("Does ka_plus move the observables? pr_normalized_k3 (arm − control, lower is more KA-like): xor_m16: "
            "Δ -0.2") in text and "(significant)" in text
    assert "Negative result: at random_m32 neither the control nor any arm reaches training R² ≥ 0.9" in text
    osc = per_condition["xor_m16"][0]
    assert osc.startswith("osc_start: R² ≥ 0.9: sooner (reached by 8/8 runs, control 8/8; median 30.3 vs 303 "
                          "epochs, Δ -272.7")
    assert "final training R² 0.95 vs 0.95 (Δ 0 [0, 0], p = 1)" in osc
    ka = per_condition["xor_m16"][1]
    assert "R² ≥ 0.9: later (reached by 0/8 runs, control 8/8; median not reached by half vs 303 epochs" in ka


def test_verdicts_name_incomparable_arms():
    from sklearn_ka.report._intervention_document import _verdict

    row = pd.Series({"p_value": np.nan, "logrank_z": np.nan, "n_reached": 3})
    assert _verdict(row, pd.Series({"n_reached": 0})) == "not comparable"
    assert _verdict(pd.Series({**row, "n_reached": 0}), pd.Series({"n_reached": 0})) == "neither reaches it"
    assert _verdict(pd.Series({"p_value": 0.01, "logrank_z": -2.5, "n_reached": 1}), row) == "later"
    assert _verdict(pd.Series({"p_value": 0.2, "logrank_z": 1.0, "n_reached": 1}), row) == "no significant difference"
