"""The analyzers' options: observables=, pandas output, progress and the time estimate, the scorer's direction."""

import re
import time
import warnings

import numpy as np
import pandas as pd
import pytest

from sklearn_ka import KAGeometryAnalyzer, SampledKAGeometryAnalyzer, ShallowMLPRegressor, ka_scorer
from sklearn_ka._utils import InvalidParameterError
from sklearn_ka.analysis import _progress

RNG = np.random.default_rng(0)
J0 = RNG.normal(size=(40, 6, 3))
J = J0 * RNG.uniform(0.2, 2.0, size=(40, 6, 1))


# ------------------------------------------------------------------------ observables=
def test_only_the_observables_asked_for_are_computed():
    full = KAGeometryAnalyzer(n_rotations=10, random_state=0).fit(J0).score(J)
    an = KAGeometryAnalyzer(n_rotations=10, random_state=0, observables=("participation_ratio", "zero_rows")).fit(J0)
    assert an.rotation_reference_ is None  # no rotations drawn
    assert an.observables_ == ("zero_rows", "participation_ratio")
    s = an.score(J)
    assert {key.split("_k")[0] for key in s} == {"zero_rows", "pr", "pr_initial", "pr_max", "pr_normalized",
                                                 "n_rank_deficient", "n_rank_deficient_initial"}
    assert all(s[key] == full[key] for key in s)  # the same numbers as the full analysis
    assert list(an.get_feature_names_out()) == [k for k in KAGeometryAnalyzer(n_rotations=10, random_state=0)
                                                .fit(J0).get_feature_names_out() if k in s or k.startswith("pr_")]
    only_ratio = KAGeometryAnalyzer(n_rotations=10, random_state=0, observables="rotation_ratio").fit(J0)
    assert only_ratio.thresholds_ == {}  # no zero-row thresholds recorded
    assert only_ratio.score(J)["rotation_ratio_k3"] == full["rotation_ratio_k3"]
    assert KAGeometryAnalyzer(observables=["pr"]).fit(J0).observables_ == ("participation_ratio",)  # a key's name


def test_dependent_zero_rows_alone_still_use_the_faces():
    full = KAGeometryAnalyzer(n_rotations=5, random_state=0).fit(J0).score(J)
    s = KAGeometryAnalyzer(observables="dependent_zero_rows").fit(J0).score(J)
    assert {k for k in s if k.startswith("dependent")} == {k for k in full if k.startswith("dependent")}
    assert all(s[k] == full[k] for k in s if k.startswith("dependent"))


@pytest.mark.parametrize("cls", [KAGeometryAnalyzer, SampledKAGeometryAnalyzer])
def test_unknown_observables_are_named_with_the_accepted_ones(cls):
    with pytest.raises(InvalidParameterError, match=rf"{cls.__name__}: observables holds 'participation', which is "
                                                    r"not an observable; the observables are 'zero_rows', .*"
                                                    r"Did you mean 'participation_ratio'"):
        cls(observables=("participation",)).fit(J0)
    with pytest.raises(InvalidParameterError, match=r"observables must be None \(every observable\) or a non-empty"):
        cls(observables=()).fit(J0)


def test_sampled_observables_switch_off_the_rotation_ratio():
    an = SampledKAGeometryAnalyzer(n_rows=5, n_cols=None, n_replicates=3, random_state=0,
                                   observables=("zero_rows", "participation_ratio")).fit(J0)
    est = an.estimate(J)
    assert not any("rotation" in key or "max_minor" in key or "column" in key for key in est)
    full = SampledKAGeometryAnalyzer(n_rows=5, n_cols=None, n_replicates=3, random_state=0).fit(J0).estimate(J)
    assert all(est[key] == full[key] for key in est)


# ------------------------------------------------------------------------ pandas output
def test_transform_keeps_the_index_of_X():
    X, y = RNG.uniform(-1, 1, (30, 3)), RNG.normal(size=30)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mlp = ShallowMLPRegressor(5, max_epochs=3, random_state=0).fit(X, y)
    frame = pd.DataFrame(X, index=pd.Index([f"x{i}" for i in range(30)], name="example"), columns=list("abc"))
    an = KAGeometryAnalyzer(minor_sizes=(1, 2), n_rotations=5, random_state=0).set_output(transform="pandas")
    an.fit(mlp.initial_model(), frame)
    out = an.transform(mlp, frame)
    assert isinstance(out, pd.DataFrame) and out.index.equals(frame.index)
    assert list(out.columns) == list(an.get_feature_names_out())
    np.testing.assert_array_equal(out.to_numpy(), KAGeometryAnalyzer(minor_sizes=(1, 2), n_rotations=5,
                                                                      random_state=0).fit(mlp.initial_model(), X)
                                  .transform(mlp, X))
    assert an.transform(mlp).index.equals(frame.index)  # X=None: the examples of fit
    assert an.result(mlp, frame).runs[0].per_example.index.equals(frame.index)


# ------------------------------------------------------------------------ progress and time
def test_verbose_shows_progress_and_the_estimate(capsys):
    KAGeometryAnalyzer(n_rotations=5, random_state=0, verbose=1, max_memory_bytes=3 << 20).fit(J0).score(J)
    captured = capsys.readouterr()
    assert "is estimated to take about" in captured.out + captured.err
    assert "block" in captured.err  # the tqdm bar


@pytest.mark.slow
def test_the_time_estimate_is_measured_and_close_to_the_real_time(monkeypatch):
    """The warning's estimate (first block extrapolated) against the time the rest really took."""
    monkeypatch.setattr(_progress, "LONG_ANALYSIS_SECONDS", 0.0)  # announce every pass
    rng = np.random.default_rng(1)
    J0big = rng.normal(size=(600, 14, 6))
    Jbig = J0big * rng.uniform(0.2, 2.0, size=(600, 14, 1))
    an = KAGeometryAnalyzer(minor_sizes=(3,), observables=("participation_ratio", "column_entropy"),
                            random_state=0).fit(J0big)
    assert an._memory.block < 100  # many blocks: the extrapolation matters
    start = time.perf_counter()
    with pytest.warns(UserWarning, match=r"scoring \(600 examples\) is estimated to take about") as record:
        an.score(Jbig)
    elapsed = time.perf_counter() - start
    message = next(str(w.message) for w in record if "estimated" in str(w.message))
    estimate = float(re.search(r"about ([0-9.e+-]+) s", message).group(1))
    assert "SampledKAGeometryAnalyzer" in message and "input_columns" in message  # the cheaper alternatives
    assert elapsed / 10 < estimate < 10 * elapsed, (estimate, elapsed)


def test_a_short_analysis_is_not_announced():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        KAGeometryAnalyzer(n_rotations=5, random_state=0).fit(J0).score(J)


def test_verbose_is_validated():
    with pytest.raises(InvalidParameterError, match=r"verbose must be an integer >= 0; got -1"):
        KAGeometryAnalyzer(verbose=-1).fit(J0)


# ------------------------------------------------------------------------ the scorer's direction
def test_scorer_defaults_to_the_ka_like_direction():
    assert ka_scorer("pr_normalized_k3").greater_is_better is False
    assert ka_scorer("rotation_ratio_normalized_k2").greater_is_better is True
    assert ka_scorer("zero_rows_k2_q0.01").greater_is_better is True
    assert ka_scorer("dependent_zero_rows_k3_q0.001").greater_is_better is True
    assert ka_scorer("column_entropy_k1").greater_is_better is False
    assert ka_scorer("pr_k2", greater_is_better=True).greater_is_better is True  # given explicitly
    for key in ("consistent_zero_rows_k1_q0.01", "column_kl_k2", "pr_initial_k1", "pr_max_k3"):
        with pytest.raises(ValueError, match=rf"'{key}' has no KA-like direction .*pass greater_is_better"):
            ka_scorer(key)
    with pytest.raises(InvalidParameterError, match="greater_is_better must be None or a bool"):
        ka_scorer("pr_k2", greater_is_better="yes")


def test_scorer_sign_follows_the_direction():
    X, y = RNG.uniform(-1, 1, (40, 3)), RNG.normal(size=40)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mlp = ShallowMLPRegressor(6, max_epochs=5, random_state=0).fit(X, y)
    pr = KAGeometryAnalyzer(n_rotations=5, random_state=0).fit(mlp.initial_model(), X).score(mlp, X)["pr_k2"]
    assert ka_scorer("pr_k2", n_rotations=5, random_state=0)(mlp, X) == -pr
    assert ka_scorer("pr_k2", greater_is_better=True, n_rotations=5, random_state=0)(mlp, X) == pr


def test_scorer_unknown_key_suggests_the_closest():
    with pytest.raises(ValueError, match=r"'pr_normalised_k3' is not an observable key.*'pr_normalized_k3'"):
        ka_scorer("pr_normalised_k3")
    with pytest.raises(ValueError, match=r"observables=\('zero_rows',\) do not include it"):
        ka_scorer("pr_k2", observables=("zero_rows",))
