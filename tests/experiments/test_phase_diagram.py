"""The KA phase diagram: the significance machinery on synthetic cells with known answers, the
emergence ranges, and tiny training runs (the lambda-xor slice equals the interpolation experiment)."""

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sklearn_ka._utils import InvalidParameterError
from sklearn_ka.experiments import (
    EMERGENCE_RULE,
    default_axes,
    goldilocks_ranges,
    interpolation,
    phase_diagram,
    phase_statistics,
)
from sklearn_ka.experiments._phase_statistics import _directional, bh_adjust
from sklearn_ka.observables import induced_false_positive_rate
from sklearn_ka.sweeps import TIMING_COLUMNS

ZERO, PR, ROT = (key for key, _ in EMERGENCE_RULE)
N_SEEDS = 8


# ----------------------------------------------------------------------------- Benjamini-Hochberg
def test_bh_matches_scipy_and_the_hand_computation():
    p = np.array([0.01, 0.04, 0.03, 0.2])
    # sorted 0.01, 0.03, 0.04, 0.2 -> 4p/rank = 0.04, 0.06, 0.0533, 0.2 -> running min from the top
    np.testing.assert_allclose(bh_adjust(p), [0.04, 0.0533333, 0.0533333, 0.2], rtol=1e-6)
    rng = np.random.default_rng(0)
    for n in (1, 5, 60):
        p = rng.uniform(size=n) ** 3
        np.testing.assert_allclose(bh_adjust(p), stats.false_discovery_control(p), rtol=1e-12)


def test_bh_leaves_nan_out_of_the_count():
    q = bh_adjust([0.01, np.nan, 0.02])
    assert np.isnan(q[1])
    np.testing.assert_allclose(q[[0, 2]], bh_adjust([0.01, 0.02]))
    assert np.isnan(bh_adjust([np.nan, np.nan])).all()
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        bh_adjust([0.5, 1.5])


def test_directional_p_values_halve_on_the_asked_side_only():
    p = np.array([0.02, 0.02, 1.0, np.nan, 0.5])
    d = np.array([1.0, -1.0, 0.3, 1.0, 0.0])
    np.testing.assert_allclose(_directional(p, d, "above"), [0.01, 1.0, 1.0, np.nan, 1.0])
    np.testing.assert_allclose(_directional(p, d, "below"), [1.0, 0.01, 1.0, np.nan, 1.0])


# --------------------------------------------------------------------------------- synthetic cells
def _cells_frame(effects, n_seeds=N_SEEDS, m=32, seed=0):
    """One row per (cell, seed): each cell's effect per criterion is +1 (the rule's direction), -1
    (against it) or 0 (none: symmetric noise around the reference)."""
    rng = np.random.default_rng(seed)
    q3 = float(induced_false_positive_rate(0.01, m, 3))
    rows = []
    for lam, (e_zero, e_pr, e_rot) in effects.items():
        for s in range(n_seeds):
            pr0, rot0 = rng.normal(27, 1), rng.normal(1.1, 0.05)
            noise = rng.normal(0, 1, 3) * [0.002, 0.3, 0.01]
            rows.append({"lam": lam, "hidden_units": m, "seed": s, "train_r2": 0.9 + 0.01 * s, "test_r2": 0.85,
                         ZERO: q3 + 0.05 * e_zero + (noise[0] if e_zero == 0 else abs(noise[0]) * e_zero),
                         PR: pr0 - 5 * e_pr + (noise[1] if e_pr == 0 else -abs(noise[1]) * e_pr),
                         "pr_initial_k3": pr0, "pr_normalized_k3": np.nan,
                         ROT: rot0 + 0.2 * e_rot + (noise[2] if e_rot == 0 else abs(noise[2]) * e_rot),
                         "rotation_ratio_initial_k3": rot0})
    df = pd.DataFrame(rows)
    df["pr_normalized_k3"] = df[PR] / df["pr_initial_k3"]
    return df


def test_known_cells_get_the_known_call():
    effects = {0.5: (0, 0, 0), 0.7: (1, 1, 1), 0.9: (1, 1, 1), 1.1: (1, 1, -1), 1.3: (1, 0, 1), 1.5: (-1, -1, -1)}
    res = phase_statistics(_cells_frame(effects), "lam")
    cells = res.cells.set_index("lam")
    # every seed's difference on the rule's side: the exact sign-flip test gives its smallest p-values
    for lam in (0.7, 0.9):
        assert cells.loc[lam, "emergence_p_value"] == 1 / 2 ** N_SEEDS
        for key in (ZERO, PR, ROT):
            assert cells.loc[lam, f"{key}_p_one_sided"] == 1 / 2 ** N_SEEDS
    assert cells.loc[1.1, f"{ROT}_p_one_sided"] == 1.0 and cells.loc[1.1, "emergence_p_value"] == 1.0
    assert cells.loc[1.5, "emergence_p_value"] == 1.0
    assert cells["emerged"].to_dict() == {0.5: False, 0.7: True, 0.9: True, 1.1: False, 1.3: False, 1.5: False}
    np.testing.assert_allclose(cells["emergence_q_value"], bh_adjust(cells["emergence_p_value"]))
    assert (cells["emergence_min_p_value"] == 1 / 2 ** N_SEEDS).all()
    assert cells.loc[0.7, f"{PR}_difference"] < 0 < cells.loc[0.7, f"{ZERO}_difference"]
    assert (cells["n_seeds"] == N_SEEDS).all()
    assert cells["train_r2_mean"].iloc[0] == pytest.approx(0.9 + 0.01 * np.mean(range(N_SEEDS)))
    assert cells["pr_normalized_k3"].notna().all()


def test_tests_rows_carry_intervals_pvalues_and_adjustment():
    effects = {0.5: (0, 0, 0), 0.7: (1, 1, 1), 0.9: (1, 1, 1)}
    df = _cells_frame(effects)
    res = phase_statistics(df, ["lam"], alpha=0.05)
    t = res.tests
    assert set(t["observable"]) == {ZERO, PR, ROT}
    assert len(t) == 3 * 3
    pr = t[t["observable"] == PR].set_index("lam")
    assert pr.loc[0.7, "p_value"] == pytest.approx(2 / 2 ** N_SEEDS)
    assert pr.loc[0.7, "ci_high"] < 0 and pr.loc[0.7, "ci_low"] <= pr.loc[0.7, "mean_difference"]
    np.testing.assert_allclose(pr["q_value"], bh_adjust(pr["p_value"]))
    assert (pr["significant"] == (pr["q_value"] <= 0.05)).all()
    assert pr.loc[0.7, "significant"] and not pr.loc[0.5, "significant"]
    sub = df[df["lam"] == 0.9]
    assert pr.loc[0.9, "mean_normalized"] == pytest.approx((sub[PR] / sub["pr_initial_k3"]).mean())
    zr = t[t["observable"] == ZERO].set_index("lam")
    q3 = float(induced_false_positive_rate(0.01, 32, 3))
    assert zr.loc[0.9, "mean_normalized"] == pytest.approx((sub[ZERO] / q3).mean())


def test_false_discovery_control_across_cells_bites():
    """A lone strong cell among many null ones is not called (p = 1/256 but BH scales it by the cell
    count); the same cell among many strong ones is."""
    null = {round(0.1 * i, 1): (0, 0, 0) for i in range(1, 20)}
    lone = phase_statistics(_cells_frame({**null, 5.0: (1, 1, 1)}), "lam", n_resamples=999).cells.set_index("lam")
    assert lone.loc[5.0, "emergence_p_value"] == 1 / 256
    assert lone.loc[5.0, "emergence_q_value"] == pytest.approx(min(1.0, 20 / 256))
    assert not lone["emerged"].any()
    many = {**{round(0.1 * i, 1): (0, 0, 0) for i in range(1, 11)}, **{5.0 + i: (1, 1, 1) for i in range(10)}}
    crowd = phase_statistics(_cells_frame(many), "lam", n_resamples=999).cells.set_index("lam")
    assert crowd.loc[[5.0 + i for i in range(10)], "emerged"].all()
    assert crowd.loc[crowd.index < 5, "emerged"].sum() <= 1  # FDR 5 %: at most a stray false discovery


def test_too_few_seeds_warn_that_no_cell_can_emerge():
    with pytest.warns(UserWarning, match="no cell can be called emerged"):
        res = phase_statistics(_cells_frame({0.7: (1, 1, 1)}, n_seeds=4), "lam")
    assert res.cells["emergence_p_value"].iloc[0] == 1 / 16 and not res.cells["emerged"].iloc[0]


def test_randomised_test_reports_its_smallest_p():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = phase_statistics(_cells_frame({0.7: (1, 1, 1)}), "lam", n_resamples=99)
    assert res.cells["emergence_min_p_value"].iloc[0] == pytest.approx(1 / 100)


def test_cells_without_a_finite_test_stay_undecided():
    df = _cells_frame({0.5: (1, 1, 1), 0.7: (1, 1, 1)})
    df.loc[df["lam"] == 0.5, ROT] = np.nan  # e.g. an analysis that could not run
    cells = phase_statistics(df, "lam").cells.set_index("lam")
    assert np.isnan(cells.loc[0.5, "emergence_p_value"]) and not cells.loc[0.5, "emerged"]
    assert cells.loc[0.7, "emergence_q_value"] == 1 / 256  # the NaN cell is not counted by BH


def test_a_custom_rule_and_its_errors():
    df = _cells_frame({0.7: (1, -1, 1)})
    res = phase_statistics(df, "lam", rule=[(PR, "above")])  # PR above initial: the sign it has here
    assert res.cells["emergence_p_value"].iloc[0] == 1 / 256 and res.rule == ((PR, "above"),)
    with pytest.raises(InvalidParameterError, match="direction"):
        phase_statistics(df, "lam", rule=[(PR, "up")])
    with pytest.raises(InvalidParameterError, match="not an observable key"):
        phase_statistics(df, "lam", rule=[("test_r2", "above")])
    with pytest.raises(ValueError, match="no column with an initial-model reference"):
        phase_statistics(df, "lam", rule=[("column_kl_k2", "above")])
    with pytest.raises(InvalidParameterError, match="non-empty sequence"):
        phase_statistics(df, "lam", rule=[])
    with pytest.raises(ValueError, match="no column"):
        phase_statistics(df, "batch_size")
    with pytest.raises(InvalidParameterError, match="alpha"):
        phase_statistics(df, "lam", alpha=1.5)


# --------------------------------------------------------------------------------- ranges
def test_goldilocks_ranges_read_regions_and_learnability():
    cells = pd.DataFrame({
        "lam": [0.5, 0.7, 0.9, 1.1, 1.3] * 3,
        "hidden_units": [8] * 5 + [16] * 5 + [32] * 5,
        "emerged": [False, True, True, False, False, False, False, False, False, False,
                    True, False, True, False, False],
        "test_r2_mean": [1.0, 0.95, 0.92, 0.5, 0.1] * 3,
    })
    r = goldilocks_ranges(cells, "lam", "hidden_units").set_index("hidden_units")
    assert r.loc[8, "region"] == "contiguous" and (r.loc[8, "emerged_low"], r.loc[8, "emerged_high"]) == (0.7, 0.9)
    assert r.loc[16, "region"] == "none" and np.isnan(r.loc[16, "emerged_low"])
    assert r.loc[32, "region"] == "scattered" and r.loc[32, "emerged_values"] == "0.5, 0.9"
    assert (r["learnable_low"] == 0.5).all() and (r["learnable_high"] == 0.9).all()
    assert r.loc[8, "n_emerged_learnable"] == 2 and r.loc[32, "n_emerged"] == 2
    assert goldilocks_ranges(cells, "lam", "hidden_units", r2_level=0.99)["learnable_high"].tolist() == [0.5] * 3
    with pytest.raises(ValueError, match="repeat values"):
        goldilocks_ranges(cells, "lam")
    with pytest.raises(ValueError, match="no column"):
        goldilocks_ranges(cells, "alpha")


def test_default_axes():
    axes = default_axes()
    assert list(axes) == ["lam", "hidden_units", "batch_size"]
    assert axes["lam"][0] == 0.5 and axes["lam"][-1] == 1.5 and len(axes["lam"]) == 11
    assert axes["hidden_units"] == (4, 8, 16, 32, 64) and axes["batch_size"] == (32, 64, 128, 250, 512, 1000)
    assert list(default_axes("xor")) == ["hidden_units", "batch_size"]


# --------------------------------------------------------------------------------- training runs
TINY = dict(n_samples=40, max_epochs=4, patience=3)
AN = {"n_rotations": 8}
LAMS = [0.6, 1.0]


def _tiny_diagram(**kw):
    planes = [{"lam": LAMS, "hidden_units": [4, 6], "batch_size": [20]},
              {"lam": LAMS, "hidden_units": [4], "batch_size": [20, 40]}]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # 2 seeds cannot reach significance; 4 epochs do not converge
        return phase_diagram("lambda_xor", planes, seeds=[0, 1], analyzer=AN, n_resamples=99, **TINY, **kw)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return tmp_path_factory.mktemp("phase") / "store"


@pytest.fixture(scope="module")
def tiny(store):
    return _tiny_diagram(store=store)


def test_planes_share_their_cells(tiny):
    cells = tiny.cells
    # (lam, 4, 20) is in both planes and trained once: 2 lambdas x 3 estimator points
    assert len(cells) == 6 and len(tiny.models) == 12
    assert set(map(tuple, cells[["hidden_units", "batch_size"]].values)) == {(4, 20), (6, 20), (4, 40)}
    assert (cells["n_seeds"] == 2).all()
    assert {"emerged", "emergence_q_value", "train_r2_mean", "test_r2_std"} <= set(cells.columns)
    assert set(tiny.tests["observable"]) >= {ZERO, PR, ROT}
    assert tiny.family == "lambda_xor" and tiny.rule == EMERGENCE_RULE


def test_the_lambda_slice_equals_the_interpolation_experiment(tiny):
    """The phase diagram's (m = 4, B = 20) slice and the interpolation experiment at m = 4, B = 20
    give the same per-seed numbers, every column."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        inter = interpolation("lambda_xor", LAMS, hidden_units=4, seeds=[0, 1], batch_size=20, analyzer=AN, **TINY)
    sl = tiny.models[(tiny.models["hidden_units"] == 4) & (tiny.models["batch_size"] == 20)]
    key = ["lam", "seed"]
    a = sl.sort_values(key).reset_index(drop=True)
    b = inter.sort_values(key).reset_index(drop=True)
    cols = [c for c in b.columns if c in a.columns and c not in TIMING_COLUMNS]
    assert len(cols) > 60 and len(a) == len(b) == 4
    pd.testing.assert_frame_equal(a[cols], b[cols], check_exact=True, check_dtype=False)


def test_resumes_from_its_store(tiny, store):
    again = _tiny_diagram(store=store)
    assert tiny.models.attrs["sweep"]["n_computed_tasks"] == 6  # one task per cell
    assert again.models.attrs["sweep"]["n_computed_tasks"] == 0
    assert again.models.attrs["sweep"]["n_loaded_tasks"] == 6
    pd.testing.assert_frame_equal(tiny.cells, again.cells)


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(axes={"lam": [0.5], "batch_size": [20]}, fixed={"batch_size": 20}), InvalidParameterError, "either an axis"),
    (dict(axes={"seed": [0, 1]}), InvalidParameterError, "axis names"),
    (dict(axes={"lam": 0.5}), InvalidParameterError, "list of values"),
    (dict(axes={"lam": [0.5, 0.5]}), InvalidParameterError, "duplicates"),
    (dict(axes={}), InvalidParameterError, "empty"),
    (dict(axes=[{"lam": [0.5]}, {"lam": [1.0]}]), InvalidParameterError, "same target-parameter values"),
    (dict(axes={"lam": [0.5], "hidden_units": [2, 4]}), InvalidParameterError, "widths"),
    (dict(axes={"lam": [0.5]}, analyzer={"minor_sizes": (1, 2)}), InvalidParameterError, "minor_sizes"),
    (dict(axes={"lam": [0.5]}, analyzer={"false_positive_rates": (0.001,)}), InvalidParameterError, "false_positive"),
    (dict(axes={"lam": [0.5]}, analyzer=False), ValueError, "needs an analyzer"),
    (dict(axes={"lam": [0.5]}, alpha=0), InvalidParameterError, "alpha"),
    (dict(axes={"lam": [0.5]}, monitor="val"), InvalidParameterError, "monitor"),
    (dict(axes={"lam": [0.5]}, rule=[("pr_k3", "sideways")]), InvalidParameterError, "direction"),
    (dict(axes={"lam": [0.5], "batch_size": [80]}), ValueError, "batch_size"),
])
def test_bad_arguments_fail_before_training(kwargs, error, match):
    with pytest.raises(error, match=match):
        phase_diagram("lambda_xor", seeds=[0, 1], **{**TINY, **kwargs})
