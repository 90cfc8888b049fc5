"""KAGeometryDisplay draws an analysis' normalised observables; every model-based Display has from_estimator."""

import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from sklearn_ka import ShallowMLPRegressor, analyze, make_ka_regression  # noqa: E402
from sklearn_ka.analysis import KAGeometryResult, ModelAnalysis  # noqa: E402
from sklearn_ka.plotting import (  # noqa: E402
    JacobianHeatmapDisplay,
    KAGeometryDisplay,
    MeanExcessDisplay,
    MinorHistogramDisplay,
    RankValueDisplay,
    WeightHeatmapDisplay,
)


@pytest.fixture(scope="module")
def fitted():
    X, y = make_ka_regression("xor", 60, 3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = ShallowMLPRegressor(5, max_epochs=20, batch_size=30, random_state=0).fit(X, y)
    return model, X


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _result(runs):
    rates = {(k, 0.01): 0.01 * k for k in (1, 2)}
    return KAGeometryResult([ModelAnalysis(scores, 10) for scores in runs], analyzer="KAGeometryAnalyzer",
                            minor_sizes=(1, 2), false_positive_rates=rates)


def _scores(pr, zero):
    return {"zero_rows_k1_q0.01": zero[0], "zero_rows_k2_q0.01": zero[1],
            "pr_k1": pr[0], "pr_initial_k1": 2.0, "pr_normalized_k1": pr[0] / 2.0,
            "pr_k2": pr[1], "pr_initial_k2": 4.0, "pr_normalized_k2": pr[1] / 4.0}


def test_one_model_draws_its_normalised_values():
    disp = KAGeometryDisplay.from_result(_result([_scores((1.0, 2.0), (0.05, 0.08))]))
    assert disp.observables == ["zero_rows", "pr"]
    np.testing.assert_allclose(disp.lines_["pr"].lines[0].get_ydata(), [0.5, 0.5])
    np.testing.assert_allclose(disp.lines_["zero_rows"].lines[0].get_ydata(), [5.0, 4.0])  # / q(k)
    np.testing.assert_allclose(disp.lines_["pr"].lines[0].get_xdata(), [1, 2])
    assert disp.reference_lines_["pr"].get_ydata()[0] == 1.0
    assert len(disp.axes_) == 2 and disp.model_lines_["pr"] == []


def test_several_models_draw_the_mean_with_its_standard_error():
    disp = KAGeometryDisplay.from_result(_result([_scores((1.0, 2.0), (0.05, 0.08)),
                                                  _scores((1.4, 3.0), (0.06, 0.1))]), observables=["pr"])
    np.testing.assert_allclose(disp.lines_["pr"].lines[0].get_ydata(), [0.6, 0.625])
    assert len(disp.model_lines_["pr"]) == 2
    segments = disp.lines_["pr"].lines[2][0].get_segments()  # the error bars: mean +- sem
    sem = pd.Series([0.5, 0.7]).std(ddof=1) / np.sqrt(2)
    np.testing.assert_allclose([segments[0][0][1], segments[0][1][1]], [0.6 - sem, 0.6 + sem])


def test_unknown_observables_are_refused():
    with pytest.raises(ValueError, match=r"no normalised values of \['rotation_ratio'\]"):
        KAGeometryDisplay.from_result(_result([_scores((1.0, 2.0), (0.05, 0.08))]), observables=["rotation_ratio"])


def test_from_estimator_analyses_and_draws(fitted):
    model, X = fitted
    disp = KAGeometryDisplay.from_estimator(model, X, n_rotations=10, random_state=0)
    result = analyze(model, X, n_rotations=10, random_state=0)
    frame = result.to_frame()
    rot = frame[frame["observable"] == "rotation_ratio"].sort_values("k")
    np.testing.assert_allclose(disp.lines_["rotation_ratio"].lines[0].get_ydata(), rot["normalized"])


@pytest.mark.parametrize("cls, args", [
    (WeightHeatmapDisplay, ()), (JacobianHeatmapDisplay, ("X",)), (RankValueDisplay, ("X", 2)),
    (MinorHistogramDisplay, ("X", 2)), (MeanExcessDisplay, ("X", 1)),
])
def test_from_estimator_is_from_model(fitted, cls, args):
    model, X = fitted
    args = tuple(X if a == "X" else a for a in args)
    a, b = cls.from_estimator(model, *args), cls.from_model(model, *args)
    for attr in ("images_", "lines_", "bars_"):
        if hasattr(a, attr):
            assert getattr(a, attr).keys() == getattr(b, attr).keys()
    if hasattr(a, "data") and isinstance(a.data, pd.DataFrame):
        pd.testing.assert_frame_equal(a.data, b.data)
