"""InterventionDisplay: the data behind the time-to-level curves and the observable panels (not pixels)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from sklearn_ka._utils import InvalidParameterError  # noqa: E402
from sklearn_ka.experiments import time_to_level_curves  # noqa: E402
from sklearn_ka.plotting import InterventionDisplay  # noqa: E402
from sklearn_ka.plotting._intervention import ARM_COLORS  # noqa: E402


def _models():
    """Two conditions x three arms x four seeds, with known times to R² 0.9 (NaN: never reached)."""
    times = {("a", "control"): [100, 200, np.nan, 300], ("a", "osc_start"): [20, 30, 40, 50],
             ("a", "ka_plus"): [np.nan] * 4, ("b", "control"): [10, 10, 20, 20],
             ("b", "osc_start"): [5, 6, 7, 8], ("b", "ka_plus"): [50, np.nan, 60, 70]}
    rows = []
    for (cond, arm), ts in times.items():
        for seed, t in enumerate(ts):
            reached = bool(np.isfinite(t))
            rows.append({"condition": cond, "arm": arm, "seed": seed, "reached_r2_0.9": reached,
                         "epochs_to_r2_0.9": t, "time_to_r2_0.9": t / 10 if reached else np.nan,
                         "n_epochs": 400 + seed, "wall_time": (400 + seed) / 10,
                         "train_r2": 0.5 + seed / 10 + (arm == "osc_start") * 0.2,
                         "test_r2": 0.4 + seed / 10, "pr_normalized_k3": 1.0 - seed / 20 - (arm == "ka_plus") * 0.3})
    return pd.DataFrame(rows)


def teardown_function():
    plt.close("all")


def test_curves_are_the_kaplan_meier_steps_with_their_bands():
    models = _models()
    disp = InterventionDisplay.from_frame(models, level=0.9)
    assert disp.conditions == ["a", "b"] and disp.arms == ["control", "osc_start", "ka_plus"]
    assert len(disp.axes_) == 2 and set(disp.lines_) == {(c, a) for c in "ab" for a in disp.arms}
    expected = time_to_level_curves(models, levels=[0.9], clocks=["epochs"])
    for (cond, arm), line in disp.lines_.items():
        e = expected[(expected["condition"] == cond) & (expected["arm"] == arm)]
        np.testing.assert_array_equal(line.get_xdata(), e["time"])
        np.testing.assert_array_equal(line.get_ydata(), e["fraction_reached"])
        assert line.get_drawstyle() == "steps-post" and line.get_color() == ARM_COLORS[arm]
        assert disp.bands_[cond, arm] is not None
    # osc_start at a: every run reached it at 20, 30, 40, 50 -> quarters
    np.testing.assert_allclose(disp.lines_["a", "osc_start"].get_ydata(), [0, 0.25, 0.5, 0.75, 1.0])
    # control at a: events at 100, 200, 300 and a run censored at 402 epochs -> 1/4, 1/2, 3/4, flat to 402
    np.testing.assert_allclose(disp.lines_["a", "control"].get_ydata(), [0, 0.25, 0.5, 0.75, 0.75])
    # ka_plus at a never reached it: a flat line at 0 to its last censoring time
    assert disp.lines_["a", "ka_plus"].get_ydata().max() == 0
    assert disp.lines_["a", "ka_plus"].get_xdata().max() == 403
    assert disp.axes_[0].get_title() == "a" and "0.9" in disp.axes_[0].get_ylabel()


def test_wall_time_clock_and_selection():
    models = _models()
    disp = InterventionDisplay.from_frame(models, level=0.9, clock="time", conditions=["b"],
                                          arms=["osc_start", "control"], xscale="log")
    assert disp.conditions == ["b"] and list(disp.lines_) == [("b", "osc_start"), ("b", "control")]
    x = disp.lines_["b", "osc_start"].get_xdata()
    np.testing.assert_allclose(x[1:], [0.5, 0.6, 0.7, 0.8])
    assert x[0] == 0.5  # on a log axis the curve starts at its first positive time
    assert disp.axes_[0].get_xscale() == "log" and disp.axes_[0].get_xlabel() == "wall time (s)"


def test_observable_panels_hold_every_model_and_the_arm_means():
    models = _models()
    disp = InterventionDisplay.from_frame(models, kind="observable", observable="pr_normalized_k3")
    for (cond, arm), pts in disp.points_.items():
        sel = models[(models["condition"] == cond) & (models["arm"] == arm)]
        offsets = np.asarray(pts.get_offsets(), dtype=float)
        np.testing.assert_allclose(offsets, sel[["train_r2", "pr_normalized_k3"]].to_numpy())
        mean_line = disp.lines_[cond, arm].lines[0]
        np.testing.assert_allclose(np.asarray(mean_line.get_xdata(), dtype=float), [sel["train_r2"].mean()])
        np.testing.assert_allclose(np.asarray(mean_line.get_ydata(), dtype=float), [sel["pr_normalized_k3"].mean()])
    assert [line.get_ydata()[0] for line in disp.reference_lines_] == [1.0, 1.0]
    test = InterventionDisplay.from_frame(models, kind="observable", r2="test_r2", observable="pr_normalized_k3")
    offsets = np.asarray(test.points_["a", "control"].get_offsets(), dtype=float)
    np.testing.assert_allclose(offsets[:, 0], [0.4, 0.5, 0.6, 0.7])


def test_given_axes_are_used_and_counted():
    models = _models()
    fig, axes = plt.subplots(2, 2)
    disp = InterventionDisplay.from_frame(models, ax=axes[1])
    assert disp.figure_ is fig and list(disp.axes_) == list(axes[1])
    with pytest.raises(ValueError, match="needs 2 axes"):
        InterventionDisplay.from_frame(models, ax=axes[0, 0])


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(kind="map"), InvalidParameterError, "kind"),
    (dict(conditions=["zzz"]), ValueError, r"condition value\(s\) \['zzz'\]"),
    (dict(level=0.5), ValueError, "level"),
    (dict(clock="hours"), InvalidParameterError, "clock"),
    (dict(kind="observable", observable="pr_k9"), ValueError, "pr_k9"),
])
def test_bad_arguments_are_refused(kwargs, error, match):
    with pytest.raises(error, match=match):
        InterventionDisplay.from_frame(_models(), **kwargs)
