"""The claims checklist, the run-time estimate and the resumption of older reports (no training)."""

import numpy as np
import pandas as pd
import pytest

from sklearn_ka.report import FULL_SETTINGS, QUICK_SETTINGS
from sklearn_ka.report._claims import (
    CLAIMS,
    FAILS,
    HOLDS,
    NOT_RUN,
    PARTLY,
    check_claims,
    claims_by_id,
    monitor_verdict,
)
from sklearn_ka.report._estimate import REFERENCE, count_models, estimate_run_time
from sklearn_ka.report._out_dir import ADDED_SETTINGS, same_settings
from sklearn_ka.report._sensitivity import diagnosis, protocols
from sklearn_ka.report._settings import resolve_settings


def _static(r2_by_width, function="xor"):
    rows = [dict(function=function, hidden_units=m, seed=s, train_r2=v + 0.001 * s, test_r2=v)
            for m, v in r2_by_width.items() for s in range(2)]
    return pd.DataFrame(rows)


@pytest.mark.parametrize("r2, verdict", [
    ({4: 0.4, 8: 0.7, 16: 0.9, 32: 0.98}, HOLDS),
    ({4: 0.4, 8: 0.8, 16: 0.7, 32: 0.98}, PARTLY),
    ({4: 0.9, 8: 0.8, 16: 0.7, 32: 0.5}, FAILS),
    ({32: 0.98}, NOT_RUN),
])
def test_xor_width_verdicts(r2, verdict):
    res = check_claims({"static": _static(r2)}, 32, claims_by_id("xor-width"))
    assert res["verdict"].tolist() == [verdict]
    assert res["id"].tolist() == ["xor-width"]


def test_random_row_verdicts():
    ok = check_claims({"static": _static({4: 0.004, 32: 0.02}, "random")}, 32, claims_by_id("random-unlearnable"))
    memorised = check_claims({"static": _static({4: 0.05, 32: 0.2}, "random")}, 32,
                             claims_by_id("random-unlearnable"))
    assert ok["verdict"].item() == HOLDS and memorised["verdict"].item() == FAILS
    assert "m = 4, 32: R² 0.0045, 0.0205" == ok["numbers"].item()


def test_monitor_verdict_combines_the_monitors():
    frame = pd.DataFrame({"monitor": ["test", "train"], "x": [0.0, 1.0]})

    def check(sub):
        return (HOLDS if sub["x"].item() > 0.5 else FAILS), f"x = {sub['x'].item()}"

    verdict, numbers = monitor_verdict(frame, check)
    assert verdict == PARTLY
    assert numbers == "test set monitored: fails (x = 0.0); training loss monitored: holds (x = 1.0)"
    assert monitor_verdict(frame.assign(x=1.0), check)[0] == HOLDS
    assert monitor_verdict(frame, lambda sub: (NOT_RUN, "-"))[0] == NOT_RUN


def test_missing_experiments_are_not_run_and_claims_are_unique():
    res = check_claims({}, 32)
    assert len(res) == len(CLAIMS) and set(res["verdict"]) == {NOT_RUN}
    assert res.loc[res["id"] == "deep-memorises", "numbers"].item() == "needs the bootstrap experiment (--full)"
    assert len({c.id for c in CLAIMS}) == len(CLAIMS)
    assert all(c.source and c.text.endswith(".") for c in CLAIMS)


def test_memorisation_claims_read_the_monitors_apart():
    boot = pd.DataFrame([dict(monitor=mon, model=model, batch_size=1000, seed=s, train_r2=r2)
                         for mon, deep in (("test", 0.01), ("train", 0.9)) for s in range(2)
                         for model, r2 in (("base(32)", 0.01), ("deep(32, 32)", deep), ("bootstrapped", 0.01),
                                           ("bootstrapped_initial", 0.01), ("wide(264)", 0.01))])
    res = check_claims({"bootstrap": boot}, 32, claims_by_id("deep-memorises", "bootstrap-helps"))
    assert res["verdict"].tolist() == [PARTLY, FAILS]
    assert "training loss monitored: holds" in res["numbers"].iloc[0]


def test_run_time_cost_model():
    full = resolve_settings(False, None, None, None)
    counts = count_models(full, quick=False)
    assert counts["static"] == 48 and counts["interpolation"] == (11 + 10 + 10) * 4
    assert counts["batch_size:test"] == counts["batch_size:train"] == 2 * 6 * 4
    assert counts["bootstrap:test"] == counts["bootstrap:train"] == 6 * 4
    assert counts["dependent"] == 4 and counts["evolution"] == 4
    n_sens = 4 * (1 * 4 + 5 + 4)  # random row at 4 widths, 5 lambda-xor and 4 G values, 4 seeds
    assert counts["sensitivity:train:50"] == counts["sensitivity:test:200"] == n_sens
    assert set(counts) <= set(REFERENCE["per_model_s"])  # every cost key has a measured cost
    one = estimate_run_time(full, False, 2, REFERENCE["calibration_s"])
    two = estimate_run_time(full, False, 2, 2 * REFERENCE["calibration_s"])
    assert two["total"] == pytest.approx(2 * one["total"])
    assert one["static"] == pytest.approx(48 * REFERENCE["per_model_s"]["static"] * REFERENCE["workers"] /
                                          min(2, __import__("os").cpu_count()))
    # another scale: no estimate (the measured costs would not apply)
    assert estimate_run_time({**full, "n_samples": 40}, False, 2, 1.0) is None
    quick = resolve_settings(True, None, None, None)
    assert "batch_size:test" not in count_models(quick, quick=True)


def test_protocols_and_diagnosis():
    s = resolve_settings(False, None, None, None, "train", 70)
    assert protocols(s) == [{"monitor": "train", "patience": 70}, {"monitor": "train", "patience": 200}]
    base = pd.DataFrame({"train_r2": [0.1, 0.1], "test_r2": [0.0, 0.0]})
    assert diagnosis(base, base).startswith("robust")
    assert diagnosis(base, base.assign(train_r2=0.4)).startswith("a limit of learnability")
    assert diagnosis(base, base.assign(train_r2=0.4, test_r2=0.3)).startswith("an artefact of stopping")


def test_reports_written_before_the_monitor_setting_resume():
    now = resolve_settings(True, None, None, None)
    old = {k: v for k, v in now.items() if k not in ADDED_SETTINGS}
    assert same_settings({"mode": "quick", "settings": old}, "quick", now) == []
    # a train-monitor run is another run
    train = resolve_settings(True, None, None, None, "train")
    assert same_settings({"mode": "quick", "settings": old}, "quick", train) == ["monitor"]


def test_presets_record_the_monitor():
    assert QUICK_SETTINGS["monitor"] == FULL_SETTINGS["monitor"] == "test"
    assert FULL_SETTINGS["bootstrap"]["function"] == "random"  # the paper's Appendix B
    assert FULL_SETTINGS["bootstrap"]["monitors"] == FULL_SETTINGS["batch_size_experiment"]["monitors"] == [
        "test", "train"]
    assert np.isin(["random", "xor"], FULL_SETTINGS["batch_size_experiment"]["functions"]).all()
    with pytest.raises(ValueError, match=r"reproduce: monitor must be one of 'test', 'train'; got 'val'"):
        resolve_settings(True, None, None, None, "val")
    with pytest.raises(ValueError, match=r"reproduce: patience must be an integer >= 1; got 0"):
        resolve_settings(True, None, None, None, None, 0)
    with pytest.raises(ValueError, match=r"settings\['monitor'\] must be one of 'test', 'train'"):
        resolve_settings(True, {"monitor": "both"}, None, None)
