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


def _tick_texts(ax, minor=False):
    ax.figure.canvas.draw()  # tick labels are set when the figure is drawn
    return [t.get_text() for t in ax.get_xticklabels(minor=minor)]


@pytest.mark.parametrize("values", [[4, 8, 16, 32], [32, 64, 128, 256, 512, 1000], [3, 5, 20]])
def test_log_x_axis_is_labelled_at_the_data(values):
    df = pd.DataFrame({"function": "xor", "hidden_units": np.repeat(values, 2),
                       "pr_k3": np.arange(2 * len(values), dtype=float)})
    d = ObservableDisplay.from_frame(df, "hidden_units", "pr_k3", xscale="log")
    assert _tick_texts(d.ax_) == [str(v) for v in values]
    assert [t for t in _tick_texts(d.ax_, minor=True) if t] == []
    assert len(d.ax_.xaxis.get_minorticklocs()) == 0
    assert d.ax_.get_xscale() == "log"


def test_log_x_axis_with_many_values_uses_powers_of_two():
    values = np.arange(2, 40)
    df = pd.DataFrame({"function": "xor", "batch_size": values, "train_r2": np.linspace(0, 1, values.size)})
    d = ObservableDisplay.from_frame(df, "batch_size", "train_r2", xscale="log")
    texts = [t for t in _tick_texts(d.ax_) if t]
    assert texts and all(int(t) & (int(t) - 1) == 0 for t in texts)  # plain powers of 2
    assert [t for t in _tick_texts(d.ax_, minor=True) if t] == []


def test_linear_x_axis_is_left_to_matplotlib():
    df = pd.DataFrame({"function": "xor", "lam": [0.5, 1.0, 1.5], "train_r2": [0.1, 0.5, 0.9]})
    d = ObservableDisplay.from_frame(df, "lam", "train_r2")
    assert d.ax_.get_xscale() == "linear"
    assert len(_tick_texts(d.ax_)) > 3  # the default locator, not the three data values


def test_axis_labels_carry_units():
    df = pd.DataFrame({"function": "xor", "hidden_units": [4, 8], "batch_size": [32, 64], "train_r2": [0.1, 0.2]})
    d = ObservableDisplay.from_frame(df, "hidden_units", "train_r2", xscale="log")
    assert d.ax_.get_xlabel() == "hidden width m (units)" and d.ax_.get_ylabel() == "training R²"
    d = ObservableDisplay.from_frame(df, "batch_size", "train_r2", xlabel="B", ylabel="R2")
    assert (d.ax_.get_xlabel(), d.ax_.get_ylabel()) == ("B", "R2")
    d = ObservableDisplay.from_frame(df, "batch_size", "hidden_units")
    assert d.ax_.get_xlabel() == "batch size B (examples)"
    with_unknown = df.assign(other=1.0)
    assert ObservableDisplay.from_frame(with_unknown, "other", "train_r2").ax_.get_xlabel() == "other"


def test_heatmap_and_histogram_labels(fitted):
    model, X = fitted
    d = JacobianHeatmapDisplay.from_model(model, X, n_examples=2)
    assert d.ax_.get_ylabel() == "hidden unit j" and d.ax_.get_xlabel()
    colorbar_axes = [a for a in d.figure_.axes if a not in list(d.axes_)]
    assert len(colorbar_axes) == 1 and "|" in colorbar_axes[0].get_ylabel()
    h = MinorHistogramDisplay.from_model(model, X, k=2, bins=10)
    assert "minor" in h.ax_.get_xlabel() and h.ax_.get_ylabel().startswith("count")


def test_jacobian_heatmap_labels_one_tick_per_example(fitted):
    model, X = fitted
    d = JacobianHeatmapDisplay.from_model(model, X, n_examples=3)
    for ax in d.axes_:
        assert [t.get_text() for t in ax.get_xticklabels()] == ["x1", "x2", "x3"]
        np.testing.assert_allclose(ax.get_xticks(), [1, 4, 7])  # block centres, n = 3 inputs
        assert len(ax.lines) == 2  # separators between the three blocks
    with pytest.raises(ValueError, match="n_inputs"):
        JacobianHeatmapDisplay(None, np.ones((4, 6)), n_inputs=4)


def test_mean_excess_log_axis_has_plain_labels():
    frame = pd.DataFrame({"function": "xor", "k": 1, "model": "trained", "seed": 0,
                          "quantile_rank": [0.9, 0.95, 0.99], "mef": [0.15, 0.6, 3.0]})
    d = MeanExcessDisplay.from_frame(frame, k=1, yscale="log")
    d.figure_.canvas.draw()
    labels = [t.get_text() for t in d.ax_.get_yticklabels() if t.get_text()]
    assert set(labels) >= {"0.2", "0.5", "1", "2"}
    assert all(float(t) > 0 for t in labels)  # plain numbers; "2×10⁻¹" mathtext would not parse
    assert not any(t.get_text() for t in d.ax_.get_yticklabels(minor=True))


def test_argument_messages_name_the_display_and_the_parameter(fitted):
    model, X = fitted
    message = r"JacobianHeatmapDisplay.from_model: n_examples must be an integer >= 1; got 0"
    with pytest.raises(ValueError, match=message):
        JacobianHeatmapDisplay.from_model(model, X, n_examples=0)
    with pytest.raises(TypeError, match=r"n_examples must be an integer >= 1; got True \(of type bool\)"):
        JacobianHeatmapDisplay.from_model(model, X, n_examples=True)
    with pytest.raises(ValueError, match=r"JacobianHeatmapDisplay: n_inputs must be an integer >= 1 or None; got 0"):
        JacobianHeatmapDisplay(None, np.ones((4, 6)), n_inputs=0)
    with pytest.raises(ValueError, match=r"n_inputs must divide the 6 columns; got 4"):
        JacobianHeatmapDisplay(None, np.ones((4, 6)), n_inputs=4)
    with pytest.raises(ValueError, match=r"k must be an integer in \[1, min\(m, n\) = 3\]; got 4"):
        MinorHistogramDisplay.from_model(model, X, k=4)
    with pytest.raises(ValueError, match=r"MinorHistogramDisplay.plot: bins must be an integer >= 1; got 2.5"):
        MinorHistogramDisplay.from_model(model, X, k=1).plot(bins=2.5)
    df = pd.DataFrame({"function": ["xor"], "hidden_units": [4], "pr_k3": [1.0]})
    with pytest.raises(ValueError, match=r"ObservableDisplay.from_frame: error must be one of 'sem', 'std', None"):
        ObservableDisplay.from_frame(df, "hidden_units", "pr_k3", error="ci")
    with pytest.raises(TypeError, match=r"ObservableDisplay.from_frame: frame must be a pandas DataFrame"):
        ObservableDisplay.from_frame(df.to_dict(), "hidden_units", "pr_k3")
    tails = pd.DataFrame({"function": "xor", "k": 1, "model": "trained", "quantile_rank": [0.9], "mef": [1.0]})
    with pytest.raises(ValueError, match=r"MeanExcessDisplay.from_frame: error must be one of 'sem', 'std', None"):
        MeanExcessDisplay.from_frame(tails, error="var")
