"""The --full report at tiny scale: Appendix B under both monitors, protocol sensitivity, claims, readings."""

import json

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from sklearn_ka.report import reproduce  # noqa: E402
from sklearn_ka.report._claims import CLAIMS, NOT_RUN  # noqa: E402

TINY_FULL = dict(
    widths=[3, 4], seeds=[0, 1], n_samples=40, batch_size=20, max_epochs=6, patience=2, table_width=4,
    analyzer={"n_rotations": 8}, evolution={"seeds": [0], "r2_step": 0.5}, significance={"n_resamples": 99},
    interpolation={"families": ["lambda_xor", "gaussian"], "values": [0.5, 1.0, 1.3]},
    batch_size_experiment={"batch_sizes": [20, 40]}, bootstrap={"batch_sizes": [40], "wide_units": 6},
    tails={"functions": ["xor"]},
    sensitivity={"alternatives": [{"monitor": "train"}, {"patience": 4}], "static_functions": ["random"],
                 "lambda_xor": [1.0, 1.3], "gaussian": [0.1, 0.5]},
)


@pytest.fixture(scope="module")
def full(tmp_path_factory):
    out = tmp_path_factory.mktemp("full")
    return reproduce(out, quick=False, n_jobs=1, settings=TINY_FULL, verbose=0)["out_dir"]


@pytest.mark.slow
def test_appendix_b_runs_under_both_monitors(full):
    bs, boot = pd.read_csv(full / "batch_size.csv"), pd.read_csv(full / "bootstrap.csv")
    assert set(bs["monitor"]) == set(boot["monitor"]) == {"test", "train"}
    assert set(bs["function"]) == {"random", "xor"} and set(boot["function"]) == {"random"}
    assert len(boot) == 2 * 5 * 2  # monitors x models x seeds (one batch size)
    for name in ("batch_size_random.png", "batch_size_xor.png", "bootstrap.png"):
        assert (full / "figures" / name).read_bytes()[:4] == b"\x89PNG"
    md = (full / "report.md").read_text()
    assert "Appendix B: batch size" in md and "Appendix B: the bootstrapped model on random(4)" in md
    assert "train R² [test] | train R² [train]" in md  # the monitors side by side
    assert "The paper's claims (our reading of Appendix B) beside our numbers" in md


@pytest.mark.slow
def test_sensitivity_shows_every_protocol(full):
    sens = pd.read_csv(full / "sensitivity.csv")
    labels = ["test set monitored, patience 2", "training loss monitored, patience 2", "test set monitored, patience 4"]
    assert list(dict.fromkeys(sens["protocol"])) == labels
    for block, n in (("Table I", 2 * 2), ("λ-xor edge", 2 * 2), ("G(λ) at small λ", 2 * 2)):
        sub = sens[sens["block"] == block]
        assert sub.groupby("protocol").size().to_dict() == dict.fromkeys(labels, n), block
    # the run's own protocol reuses the static grid's random row
    static = pd.read_csv(full / "static.csv")
    mine = sens[(sens["block"] == "Table I") & (sens["protocol"] == labels[0])].sort_values(["hidden_units", "seed"])
    rows = static[static["function"] == "random"].sort_values(["hidden_units", "seed"])
    assert mine["train_r2"].tolist() == pytest.approx(rows["train_r2"].tolist())
    md = (full / "report.md").read_text()
    assert "Protocol sensitivity: which loss is monitored, and for how long" in md
    assert "cells within the paper's mean ± 2 std" in md


@pytest.mark.slow
def test_claims_checklist_and_readings(full):
    claims = pd.read_csv(full / "claims.csv")
    assert claims["id"].tolist() == [c.id for c in CLAIMS]
    assert set(claims["verdict"]) <= {"holds", "partly", "fails", NOT_RUN}
    ran = claims.set_index("id")["verdict"]
    for cid in ("deep-memorises", "bootstrap-helps", "random-full-batch", "lambda-edge", "xor-zero-rows"):
        assert ran[cid] != NOT_RUN, cid
    readings = pd.read_csv(full / "dependent_readings.csv")
    assert readings["reading"].iloc[0] == "as defined" and set(readings["seed"]) == {0, 1}
    md = (full / "report.md").read_text()
    for heading in ("Claims checklist", "Dependent zero rows of size 2: alternative readings",
                    "Figures of the paper not reproduced", "Run time: estimate and measurement"):
        assert f"## {heading}" in md
    settings = json.loads((full / "settings.json").read_text())
    assert settings["settings"]["monitor"] == "test" and settings["estimate_s"] is None  # tiny: no estimate
    assert "monitor" in pd.read_csv(full / "static.csv").columns
