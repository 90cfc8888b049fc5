"""Tests of sklearn_ka.plotting: the Displays draw the data they are given (lines, bars, images, scales)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from sklearn_ka import ShallowMLPRegressor, make_ka_regression  # noqa: E402
from sklearn_ka.exterior import minor_matrices  # noqa: E402
from sklearn_ka.observables import induced_false_positive_rate  # noqa: E402
from sklearn_ka.plotting import (  # noqa: E402
    JacobianHeatmapDisplay,
    MeanExcessDisplay,
    MinorHistogramDisplay,
    ObservableDisplay,
    RankValueDisplay,
    WeightHeatmapDisplay,
)


@pytest.fixture(scope="module")
def fitted():
    X, y = make_ka_regression("xor", 80, 3, random_state=0)
    model = ShallowMLPRegressor(5, max_epochs=20, batch_size=40, random_state=0).fit(X, y)
    return model, X


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def test_weight_heatmap(fitted):
    model, _ = fitted
    d = WeightHeatmapDisplay.from_model(model)
    expected = np.column_stack([model.coefs_[0].T, model.intercepts_[0]])
    np.testing.assert_allclose(d.images_["trained"].get_array(), expected)
    init = np.column_stack([model.initial_coefs_[0].T, model.initial_intercepts_[0]])
    np.testing.assert_allclose(d.images_["initial"].get_array(), init)
    top = max(np.abs(expected).max(), np.abs(init).max())
    assert d.images_["trained"].get_clim() == pytest.approx((-top, top))
    assert len(d.axes_) == 2 and d.ax_ is d.axes_[1]
    assert [t.get_text() for t in d.ax_.get_xticklabels()] == ["A x1", "A x2", "A x3", "a"]
    one = WeightHeatmapDisplay.from_model(model, initial=None)
    assert list(one.images_) == ["trained"]


def test_jacobian_heatmap(fitted):
    model, X = fitted
    d = JacobianHeatmapDisplay.from_model(model, X, n_examples=3)
    J = np.abs(model.jacobian(X[:3]))
    np.testing.assert_allclose(d.images_["trained"].get_array(), np.concatenate(list(J), axis=1))
    assert d.vmin_ == 0
    fig, axes = plt.subplots(1, 2)
    d2 = JacobianHeatmapDisplay.from_model(model, X, n_examples=2, ax=axes, colorbar=False)
    assert d2.figure_ is fig
    with pytest.raises(ValueError, match="n_examples"):
        JacobianHeatmapDisplay.from_model(model, X, n_examples=0)
    with pytest.raises(ValueError, match="needs 2 axes"):
        JacobianHeatmapDisplay.from_model(model, X, ax=axes[0])


def test_rank_value(fitted):
    model, X = fitted
    d = RankValueDisplay.from_model(model, X, k=2, false_positive_rates=(1e-2, 1e-1))
    rm = minor_matrices(model.jacobian(X), 2).mean(axis=2).ravel()
    y = d.lines_["trained"].get_ydata()
    np.testing.assert_allclose(y, np.sort(rm)[::-1])  # 80 x C(5,2) = 800 points < max_points
    np.testing.assert_array_equal(d.lines_["trained"].get_xdata(), np.arange(1, rm.size + 1))
    assert d.ax_.get_xscale() == "log" and d.ax_.get_yscale() == "log"
    rm0 = minor_matrices(model.initial_model().jacobian(X), 2).mean(axis=2).ravel()
    for q, line in d.threshold_lines_.items():
        q2 = induced_false_positive_rate(q, 5, 2)
        assert line.get_ydata()[0] == pytest.approx(np.quantile(rm0, q2))
        assert np.mean(rm0 < line.get_ydata()[0]) == pytest.approx(q2, abs=2 / rm0.size)
    thin = RankValueDisplay.from_model(model, X, k=1).plot(max_points=50)
    assert len(thin.lines_["trained"].get_xdata()) <= 50
    with pytest.raises(ValueError, match="k must be"):
        RankValueDisplay.from_model(model, X, k=4)


def test_minor_histogram(fitted):
    model, X = fitted
    d = MinorHistogramDisplay.from_model(model, X, k=3, bins=15)
    minors = minor_matrices(model.jacobian(X), 3).ravel()
    heights = np.array([p.get_height() for p in d.bars_["trained"]])
    np.testing.assert_allclose(heights, d.counts_["trained"])
    assert heights.sum() == (minors > 0).sum()
    assert d.ax_.get_xscale() == "log" and len(d.bin_edges_) == 16
    assert d.bin_edges_[0] <= minors[minors > 0].min() and d.bin_edges_[-1] >= minors.max()
    assert set(d.bars_) == {"trained", "initial"}
    with pytest.raises(ValueError, match="bins"):
        d.plot(bins=0)


def test_observable_display_aggregates():
    df = pd.DataFrame({"function": ["xor"] * 4 + ["linear"] * 4, "hidden_units": [4, 4, 8, 8] * 2,
                       "pr_k3": [1.0, 3.0, 5.0, 7.0, 2.0, 2.0, 4.0, 6.0]})
    d = ObservableDisplay.from_frame(df, "hidden_units", "pr_k3", reference=1.0, xscale="log")
    line = d.lines_["xor"].lines[0]
    np.testing.assert_allclose(line.get_xdata(), [4, 8])
    np.testing.assert_allclose(line.get_ydata(), [2.0, 6.0])
    sem = np.std([1.0, 3.0], ddof=1) / np.sqrt(2)
    assert d.data.loc[(d.data["hue"] == "xor") & (d.data["x"] == 4), "error"].iloc[0] == pytest.approx(sem)
    assert list(d.lines_) == ["xor", "linear"]
    assert d.reference_line_.get_ydata()[0] == 1.0 and d.ax_.get_xscale() == "log"
    s = ObservableDisplay.from_frame(df, "hidden_units", "pr_k3", error="std", scale=100)
    assert s.data["error"].iloc[0] == pytest.approx(100 * np.std([1.0, 3.0], ddof=1))
    raw = ObservableDisplay.from_frame(df, "hidden_units", "pr_k3", hue=None, aggregate=False, error=None)
    assert len(raw.lines_[""].lines[0].get_xdata()) == 8
    with pytest.raises(ValueError, match="no column"):
        ObservableDisplay.from_frame(df, "lam", "pr_k3")
    with pytest.raises(ValueError, match="error"):
        ObservableDisplay.from_frame(df, "hidden_units", "pr_k3", error="ci")


def test_mean_excess(fitted):
    model, X = fitted
    d = MeanExcessDisplay.from_model(model, X, k=1, quantile_ranks=[0.9, 0.95, 0.99])
    from sklearn_ka.observables import mean_excess

    _, mef = mean_excess(np.abs(model.jacobian(X)), [0.9, 0.95, 0.99])
    np.testing.assert_allclose(d.lines_["trained"].lines[0].get_ydata(), mef)
    slope, intercept = d.fits_["trained"]
    np.testing.assert_allclose(d.fit_lines_["trained"].get_ydata(), slope * np.array([0.9, 0.95, 0.99]) + intercept)
    frame = pd.DataFrame({"function": "xor", "k": 1, "model": ["trained"] * 4, "seed": [0, 0, 1, 1],
                          "quantile_rank": [0.9, 0.95] * 2, "mef": [1.0, 2.0, 3.0, 4.0]})
    f = MeanExcessDisplay.from_frame(frame, k=1, yscale="log")
    np.testing.assert_allclose(f.lines_["xor trained"].lines[0].get_ydata(), [2.0, 3.0])
    assert f.ax_.get_yscale() == "log"
    with pytest.raises(ValueError, match="no rows"):
        MeanExcessDisplay.from_frame(frame, k=2)
