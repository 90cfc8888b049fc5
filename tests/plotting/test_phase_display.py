"""The phase-diagram Displays: the data behind every drawn element."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from sklearn_ka.plotting import PhaseDiagramDisplay, PhaseSliceDisplay  # noqa: E402
from sklearn_ka.plotting._phase_diagram import _region_edges  # noqa: E402

LAMS = [0.5, 0.75, 1.0, 1.25]
WIDTHS = [4, 8, 16]


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


@pytest.fixture
def frames():
    """Cells over (lam x hidden_units) at two batch sizes, and a tests frame for one observable."""
    rows, tests = [], []
    for b in (250, 1000):
        for i, m in enumerate(WIDTHS):
            for j, lam in enumerate(LAMS):
                emerged = b == 250 and j in (1, 2) and i >= 1
                rows.append({"lam": lam, "hidden_units": m, "batch_size": b, "n_seeds": 8,
                             "test_r2_mean": 1.0 - 0.3 * j + 0.05 * i, "train_r2_mean": 1.0 - 0.25 * j,
                             "emerged": emerged})
                tests.append({"lam": lam, "hidden_units": m, "batch_size": b, "observable": "pr_k3",
                              "mean_difference": -1.0 * (i + j) + (b == 1000), "mean_normalized": 1 - 0.1 * (i + j),
                              "mean_trained": 20.0 + j, "significant": (i + j) % 2 == 0})
    return pd.DataFrame(rows), pd.DataFrame(tests)


def test_heatmap_of_a_cells_column(frames):
    cells, _ = frames
    disp = PhaseDiagramDisplay.from_frame(cells, x="lam", y="hidden_units", quantity="test_r2_mean",
                                          fixed={"batch_size": 250})
    expected = np.array([[1.0 - 0.3 * j + 0.05 * i for j in range(4)] for i in range(3)])
    np.testing.assert_allclose(disp.values, expected)
    np.testing.assert_allclose(np.asarray(disp.image_.get_array()).reshape(3, 4), expected)
    assert disp.x_values == LAMS and disp.y_values == WIDTHS
    assert [t.get_text() for t in disp.ax_.get_xticklabels()] == ["0.5", "0.75", "1", "1.25"]
    assert disp.nonsignificant_ is None  # a cells column carries no test
    assert disp.colorbar_ is not None and disp.center is None


def test_emergence_outline_follows_the_cell_edges(frames):
    cells, _ = frames
    disp = PhaseDiagramDisplay.from_frame(cells, x="lam", y="hidden_units", fixed={"batch_size": 250})
    np.testing.assert_array_equal(disp.emerged, [[False] * 4, [False, True, True, False], [False, True, True, False]])
    segs = disp.emergence_contour_.get_segments()
    assert len(segs) == 8  # a 2 x 2 block: 8 unit edges
    xs = np.concatenate([s[:, 0] for s in segs])
    ys = np.concatenate([s[:, 1] for s in segs])
    assert (xs.min(), xs.max(), ys.min(), ys.max()) == (0.5, 2.5, 0.5, 2.5)
    none = PhaseDiagramDisplay.from_frame(cells, x="lam", y="hidden_units", fixed={"batch_size": 1000})
    assert none.emergence_contour_ is None


def test_region_edges_of_an_l_shape():
    mask = np.array([[True, False], [True, True]])
    assert len(_region_edges(mask)) == 8
    assert len(_region_edges(np.ones((2, 3), dtype=bool))) == 10


def test_r2_contours_at_the_levels(frames):
    cells, _ = frames
    disp = PhaseDiagramDisplay.from_frame(cells, x="lam", y="hidden_units", fixed={"batch_size": 250},
                                          r2_levels=(0.5, 0.9))
    np.testing.assert_allclose(disp.r2_contours_.levels, [0.5, 0.9])
    np.testing.assert_allclose(disp.r2, disp.values)  # the test R² grid itself
    train = PhaseDiagramDisplay.from_frame(cells, x="lam", y="hidden_units", fixed={"batch_size": 250}, r2="train_r2")
    np.testing.assert_allclose(train.r2[0], [1.0, 0.75, 0.5, 0.25])
    off = PhaseDiagramDisplay.from_frame(cells, x="lam", y="hidden_units", fixed={"batch_size": 250}, r2=None)
    assert off.r2_contours_ is None and off.r2 is None


def test_observable_with_non_significant_cells_marked(frames):
    cells, tests = frames
    disp = PhaseDiagramDisplay.from_frame(cells, tests, x="lam", y="hidden_units", quantity="pr_k3",
                                          fixed={"batch_size": 250})
    expected = np.array([[-1.0 * (i + j) for j in range(4)] for i in range(3)])
    np.testing.assert_allclose(disp.values, expected)
    sig = np.array([[(i + j) % 2 == 0 for j in range(4)] for i in range(3)])
    np.testing.assert_array_equal(disp.significant, sig)
    offsets = disp.nonsignificant_.get_offsets()
    marked = {(int(round(x)), int(round(y - 0.3))) for x, y in offsets}
    assert marked == {(j, i) for i in range(3) for j in range(4) if not sig[i, j]}
    assert disp.center == 0.0
    lo, hi = disp.image_.get_clim()
    assert lo == pytest.approx(-hi) and hi == pytest.approx(5.0)  # centred on 0, reaching the largest |value|
    norm = PhaseDiagramDisplay.from_frame(cells, tests, x="lam", y="hidden_units", quantity="pr_k3",
                                          statistic="mean_normalized", fixed={"batch_size": 250})
    assert norm.center == 1.0 and norm.values[2, 3] == pytest.approx(0.5)
    lo, hi = norm.image_.get_clim()  # a log scale symmetric about 1, reaching the largest |log ratio|
    assert lo * hi == pytest.approx(1.0) and lo == pytest.approx(0.5)
    assert type(norm.image_.norm).__name__ == "LogNorm"


def test_heatmap_refuses_ambiguous_or_unknown_requests(frames):
    cells, tests = frames
    with pytest.raises(ValueError, match="fixed="):
        PhaseDiagramDisplay.from_frame(cells, x="lam", y="hidden_units")  # two batch sizes per point
    with pytest.raises(ValueError, match="neither a column of cells nor an observable"):
        PhaseDiagramDisplay.from_frame(cells, tests, x="lam", y="hidden_units", quantity="zero_rows_k3_q0.01",
                                       fixed={"batch_size": 250})
    with pytest.raises(ValueError, match="no row has"):
        PhaseDiagramDisplay.from_frame(cells, x="lam", y="hidden_units", fixed={"batch_size": 64})
    with pytest.raises(ValueError, match="no column"):
        PhaseDiagramDisplay.from_frame(cells, x="alpha", y="hidden_units", fixed={"batch_size": 250})
    with pytest.raises(ValueError, match="statistic"):
        PhaseDiagramDisplay.from_frame(cells, tests, x="lam", y="hidden_units", quantity="pr_k3", statistic="median",
                                       fixed={"batch_size": 250})
    with pytest.raises(ValueError, match="shape"):
        PhaseDiagramDisplay(np.zeros((2, 2)), x_values=[1, 2, 3], y_values=[1, 2], x_name="x", y_name="y", label="")


def test_missing_cells_stay_blank(frames):
    cells, _ = frames
    sub = cells[(cells["batch_size"] == 250) & ~((cells["lam"] == 1.25) & (cells["hidden_units"] == 4))]
    disp = PhaseDiagramDisplay.from_frame(sub, x="lam", y="hidden_units")
    assert np.isnan(disp.values[0, 3]) and np.isfinite(disp.values).sum() == 11


def test_from_result_reads_cells_and_tests(frames):
    cells, tests = frames
    disp = PhaseDiagramDisplay.from_result({"cells": cells, "tests": tests}, "lam", "hidden_units", "pr_k3",
                                           fixed={"batch_size": 1000})
    assert disp.values[0, 0] == pytest.approx(1.0)


# ------------------------------------------------------------------------------------ slices
@pytest.fixture
def models():
    rng = np.random.default_rng(0)
    rows = []
    for m in (8, 32):
        for lam in (0.5, 1.0, 1.5):
            for s in range(4):
                rows.append({"lam": lam, "hidden_units": m, "batch_size": 250, "seed": s,
                             "test_r2": 1.2 - 0.5 * lam + 0.01 * m + rng.normal(0, 0.02)})
    return pd.DataFrame(rows)


def test_slice_means_errors_and_emerged_points(models):
    cells = pd.DataFrame({"lam": [0.5, 1.0, 1.5] * 2, "hidden_units": [8] * 3 + [32] * 3, "batch_size": 250,
                          "emerged": [False, True, False, False, False, False]})
    disp = PhaseSliceDisplay.from_frame(models, "lam", "test_r2", cells=cells, fixed={"hidden_units": 8},
                                        paper_range=(0.7, 1.2))
    sub = models[models["hidden_units"] == 8].groupby("lam")["test_r2"]
    np.testing.assert_allclose(disp.data["y"], sub.mean().to_numpy())
    np.testing.assert_allclose(disp.data["error"], (sub.std(ddof=1) / 2).to_numpy())
    assert disp.data["count"].tolist() == [4, 4, 4]
    assert disp.data["emerged"].tolist() == [False, True, False]
    np.testing.assert_allclose(disp.emerged_markers_.get_offsets(), [[1.0, sub.mean().loc[1.0]]])
    line = disp.lines_[""].lines[0]
    np.testing.assert_allclose(line.get_ydata(), sub.mean().to_numpy())
    band = disp.paper_band_  # a Rectangle (matplotlib >= 3.9) or a Polygon
    xs = [band.get_bbox().x0, band.get_bbox().x1] if hasattr(band, "get_bbox") else np.asarray(band.get_xy())[:, 0]
    assert min(xs) == pytest.approx(0.7) and max(xs) == pytest.approx(1.2)


def test_slice_with_hue_and_paper_points(models):
    points = pd.DataFrame({"x": [0.5, 1.0], "y": [0.9, 0.7], "error": [0.01, 0.02]})
    disp = PhaseSliceDisplay.from_frame(models, "lam", "test_r2", hue="hidden_units", paper_points=points,
                                        error="std", scale=100)
    assert list(disp.lines_) == ["8", "32"]  # numeric order of the hue values
    g = models[models["hidden_units"] == 32].groupby("lam")["test_r2"]
    np.testing.assert_allclose(disp.lines_["32"].lines[0].get_ydata(), 100 * g.mean().to_numpy())
    np.testing.assert_allclose(disp.data[disp.data["hue"] == "32"]["error"], 100 * g.std(ddof=1).to_numpy())
    np.testing.assert_allclose(disp.paper_markers_.lines[0].get_ydata(), [0.9, 0.7])
    assert disp.emerged_markers_ is None and disp.paper_band_ is None


def test_slice_errors(models):
    with pytest.raises(ValueError, match="no column"):
        PhaseSliceDisplay.from_frame(models, "alpha", "test_r2")
    with pytest.raises(ValueError, match="error"):
        PhaseSliceDisplay.from_frame(models, "lam", "test_r2", error="iqr")
    with pytest.raises(ValueError, match="no column"):
        PhaseSliceDisplay.from_frame(models, "lam", "test_r2", cells=pd.DataFrame({"lam": [0.5]}))
