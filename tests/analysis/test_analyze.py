"""analyze and KAGeometryResult: any model in one call, the baseline chosen for it, the same numbers as fit/score."""

import math
import re
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_ka import (
    KAGeometryAnalyzer,
    KAGeometryResult,
    SampledKAGeometryAnalyzer,
    ShallowMLPRegressor,
    analyze,
    make_ka_regression,
)
from sklearn_ka._utils import InvalidParameterError
from sklearn_ka.analysis._baseline import sklearn_initialisation
from sklearn_ka.analysis._result import FRAME_COLUMNS
from sklearn_ka.jacobians import inner_jacobian

FAST = {"n_rotations": 20, "random_state": 0}


@pytest.fixture(scope="module")
def data():
    return make_ka_regression("xor", 120, random_state=0)


@pytest.fixture(scope="module")
def mlp(data):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ShallowMLPRegressor(8, max_epochs=40, random_state=0).fit(*data)


def _fit_sklearn(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return est.fit(X, y)


class RecordingMLP(MLPRegressor):
    """Keeps the weights scikit-learn's own initialiser drew (the reference for baseline='initial')."""

    def _initialize(self, y, layer_units, dtype):
        super()._initialize(y, layer_units, dtype)
        self.drawn_ = ([c.copy() for c in self.coefs_], [b.copy() for b in self.intercepts_])


# ------------------------------------------------------------------------ the same numbers
def test_the_result_is_a_view_of_fit_and_score(mlp, data):
    X = data[0]
    result = analyze(mlp, X, **FAST)
    scores = KAGeometryAnalyzer(**FAST).fit(mlp.initial_model(), X).score(mlp, X)
    assert isinstance(result, KAGeometryResult)
    assert result.as_dict() == scores  # identical, key for key
    frame = result.to_frame()
    assert tuple(frame.columns) == FRAME_COLUMNS
    for row in frame.itertuples():
        if row.observable in ("zero_rows", "consistent_zero_rows", "dependent_zero_rows"):
            assert row.value == scores[f"{row.observable}_k{row.k}_q{row.q:g}"]
        else:
            assert math.isnan(row.q)  # q only where the observable has one
            assert row.value == scores[f"{row.observable}_k{row.k}"]
    pr = frame[(frame["observable"] == "pr") & (frame["k"] == 3)].iloc[0]
    assert (pr.baseline, pr.normalized) == (scores["pr_initial_k3"], scores["pr_normalized_k3"])
    zr = frame[(frame["observable"] == "zero_rows") & (frame["k"] == 2) & (frame["q"] == 0.01)].iloc[0]
    an = KAGeometryAnalyzer(**FAST).fit(mlp.initial_model(), X)
    assert zr.baseline == an.false_positive_rates_[2, 0.01]  # the rate the initial model shows by construction
    assert zr.normalized == pytest.approx(zr.value / zr.baseline)
    assert set(frame["kind"]) == {"exact"} and frame["n_examples"].eq(len(X)).all()
    # the per-example values are transform's
    T = an.transform(mlp, X)
    np.testing.assert_array_equal(result.runs[0].per_example[list(an.get_feature_names_out())].to_numpy(), T)


def test_the_sampled_analyzer_gives_the_same_result_type(mlp, data):
    X = data[0]
    params = {"n_rows": 6, "n_cols": None, "n_replicates": 4, "random_state": 0, "minor_sizes": (1, 2)}
    result = analyze(mlp, X, analyzer="sampled", **params)
    direct = SampledKAGeometryAnalyzer(**params).fit(mlp.initial_model(), X)
    assert isinstance(result, KAGeometryResult) and isinstance(direct.result(mlp, X), KAGeometryResult)
    assert result.as_dict() == direct.score(mlp, X)
    frame = result.to_frame()
    assert set(frame["kind"]) <= {"exact", "estimate", "lower_bound"}
    est = direct.estimate(mlp, X)
    row = frame[(frame["observable"] == "pr") & (frame["k"] == 2)].iloc[0]
    assert (row.value_low, row.value_high) == (est["pr_k2"]["low"], est["pr_k2"]["high"])
    assert (row.normalized_low, row.normalized_high) == (est["pr_normalized_k2"]["low"],
                                                         est["pr_normalized_k2"]["high"])


def test_repr_names_the_analysis(mlp, data):
    text = repr(analyze(mlp, data[0], **FAST))
    assert text.startswith("KAGeometryResult(KAGeometryAnalyzer; 1 model; 120 examples; m=8; n=3; baseline='initial')")
    assert "participation ratio, trained / initial" in text


# ------------------------------------------------------------------------ baselines
def test_initial_of_a_sklearn_mlp_is_its_own_initialisation(data):
    X, y = data
    sk = _fit_sklearn(RecordingMLP(hidden_layer_sizes=(6,), max_iter=30, random_state=3), X, y)
    init = sklearn_initialisation(sk, 3)
    for drawn, redrawn in zip(sk.drawn_[0] + sk.drawn_[1], init.coefs_ + init.intercepts_):
        np.testing.assert_array_equal(drawn, redrawn)  # exactly the weights its fit started from
    result = analyze(sk, X, **FAST)
    recorded = sklearn_initialisation(sk, 3)
    recorded.coefs_, recorded.intercepts_ = sk.drawn_
    assert result.as_dict() == KAGeometryAnalyzer(**FAST).fit(recorded, X).score(sk, X)
    pipe = _fit_sklearn(make_pipeline(StandardScaler(), MLPClassifier(hidden_layer_sizes=(5,), max_iter=20,
                                                                      random_state=0)), X, y > 0)
    assert analyze(pipe, X, **FAST).to_frame()["n_examples"].eq(len(X)).all()


def test_initial_is_refused_where_it_cannot_be_known(data):
    X, y = data
    sk = _fit_sklearn(MLPRegressor(hidden_layer_sizes=(6,), max_iter=10, random_state=None), X, y)
    with pytest.raises(InvalidParameterError, match=r"random_state=None, so its initial weights cannot be redrawn.*"
                                                    r"baseline='reinitialized'"):
        analyze(sk, X, **FAST)
    torch.manual_seed(0)
    module = torch.nn.Sequential(torch.nn.Linear(3, 6), torch.nn.GELU())
    with pytest.raises(InvalidParameterError, match=r"Sequential does not remember it.*baseline='reinitialized'"):
        analyze(module, X, **FAST)
    with pytest.raises(InvalidParameterError, match=r"baseline must be 'initial', 'reinitialized', a model, or an "
                                                    r"array of the initial Jacobians; got 'init'"):
        analyze(module, X, baseline="init")


def test_reinitialized_sklearn_mlp_uses_its_own_initialiser(data):
    X, y = data
    sk = _fit_sklearn(MLPRegressor(hidden_layer_sizes=(6,), max_iter=10, random_state=None), X, y)
    result = analyze(sk, X, baseline="reinitialized", **FAST)
    expected = KAGeometryAnalyzer(**FAST).fit(sklearn_initialisation(sk, 0), X).score(sk, X)
    assert result.as_dict() == expected
    seeded = _fit_sklearn(RecordingMLP(hidden_layer_sizes=(6,), max_iter=10, random_state=0), X, y)
    np.testing.assert_array_equal(sklearn_initialisation(seeded, 0).coefs_[0], seeded.drawn_[0][0])


def test_reinitialized_torch_module_resets_its_parameters_under_a_seed(data):
    X = data[0]
    torch.manual_seed(0)
    module = torch.nn.Sequential(torch.nn.Linear(3, 6), torch.nn.GELU(), torch.nn.Linear(6, 1))
    before = [p.detach().clone() for p in module.parameters()]
    state = torch.random.get_rng_state()
    a = analyze(module, X, baseline="reinitialized", **FAST)
    b = analyze(module, X, baseline="reinitialized", **FAST)
    assert a.as_dict() == b.as_dict()  # the same seed, the same re-initialisation
    assert all(torch.equal(p, q) for p, q in zip(before, module.parameters()))  # the module is untouched
    assert torch.equal(state, torch.random.get_rng_state())  # and so is torch's global generator
    c = analyze(module, X, baseline="reinitialized", **{**FAST, "random_state": 1})
    assert a.as_dict()["pr_initial_k2"] != c.as_dict()["pr_initial_k2"]
    torch.manual_seed(0)  # the reference: reset_parameters under torch.manual_seed(random_state)
    ref = torch.nn.Sequential(torch.nn.Linear(3, 6), torch.nn.GELU(), torch.nn.Linear(6, 1))
    ref.load_state_dict(module.state_dict())
    torch.manual_seed(0)
    for sub in ref.modules():
        if hasattr(sub, "reset_parameters"):
            sub.reset_parameters()
    direct = KAGeometryAnalyzer(**FAST).fit(ref, X).score(module, X)
    assert a.as_dict() == direct
    with pytest.raises(InvalidParameterError, match=r"remembers its own initialisation; use baseline='initial'"):
        analyze(ShallowMLPRegressor(4, max_epochs=2, random_state=0).fit(X, X.sum(1)), X, baseline="reinitialized")


def test_a_given_baseline_and_precomputed_jacobians(mlp, data):
    X = data[0]
    J, J0 = inner_jacobian(mlp, X), inner_jacobian(mlp.initial_model(), X)
    result = analyze(J, baseline=J0, **FAST)
    assert result.as_dict() == KAGeometryAnalyzer(**FAST).fit(J0).score(J)
    with pytest.raises(InvalidParameterError, match=r"precomputed Jacobians carry no initialisation"):
        analyze(J, **FAST)
    with pytest.warns(UserWarning, match=r"baseline is a trained ShallowMLPRegressor"):
        analyze(mlp, X, baseline=mlp, **FAST)


# ------------------------------------------------------------------------ layers
def test_a_whole_torch_mlp_is_analysed_at_its_first_hidden_layer(data):
    # the regression: m = 1, a warning, then a KeyError
    X = data[0]
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.GELU(), torch.nn.Linear(8, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = analyze(net, X, baseline="reinitialized", **FAST)
    assert result.info["m"] == 8 and result.minor_sizes == (1, 2, 3)
    by_name = analyze(net, X, baseline="reinitialized", layer="1", **FAST)
    assert by_name.as_dict() == result.as_dict() and by_name.info["layer"] == "1"
    ambiguous = torch.nn.Module()
    ambiguous.a, ambiguous.b = torch.nn.Linear(3, 4), torch.nn.Linear(4, 1)
    with pytest.raises(InvalidParameterError, match=r"ambiguous.*'a' \(Linear 3->4\), 'b' \(Linear 4->1\)"):
        analyze(ambiguous, X, baseline=ambiguous)


# ------------------------------------------------------------------------ several seeds and the summary
def test_several_models_are_seeds_with_a_t_interval(data):
    X, y = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        models = [ShallowMLPRegressor(8, max_epochs=30, random_state=s).fit(X, y) for s in range(3)]
    result = analyze(models, X, **FAST)
    frame = result.to_frame()
    assert sorted(frame["model"].unique()) == [0, 1, 2] and result.n_models == 3
    for i, model in enumerate(models):
        single = analyze(model, X, **FAST).as_dict()
        assert result.as_dict()[i] == single
    summary = result.summary()
    row = summary[(summary["observable"] == "pr") & (summary["k"] == 3)].iloc[0]
    values = frame[(frame["observable"] == "pr") & (frame["k"] == 3)]["normalized"]
    assert row.normalized == pytest.approx(values.mean())
    assert row.low < row.normalized < row.high and "t-interval over 3 models" in row.interval
    with pytest.raises(InvalidParameterError, match="several models need one baseline each"):
        analyze(models, X, baseline=models[0].initial_model())


def test_summary_states_significance_from_a_bootstrap(mlp, data):
    result = analyze(mlp, data[0], **FAST)
    summary = result.summary(n_bootstrap=200, random_state=0)
    assert list(summary.columns) == ["observable", "k", "q", "value", "baseline", "normalized", "low", "high",
                                     "interval", "statement"]
    assert set(summary["observable"]) == {"zero_rows", "pr", "rotation_ratio"} and len(summary) == 9
    assert summary["interval"].str.contains("bootstrap over the 120 examples").all()
    for row in summary.itertuples():
        assert row.low <= row.normalized <= row.high or not np.isfinite(row.normalized)
        away = row.low > 1 or row.high < 1
        assert ("KA-like" in row.statement) == away
        assert ("not distinguishable from 1" in row.statement) == (not away)
    pd.testing.assert_frame_equal(summary, result.summary(n_bootstrap=200, random_state=0))  # seeded
    none = result.summary(n_bootstrap=0)
    assert none["low"].isna().all() and none["statement"].str.contains("no significance statement").all()


# ------------------------------------------------------------------------ dead units
def test_a_relu_network_with_dead_units_has_finite_headline_observables(data):
    X, y = data
    sk = _fit_sklearn(MLPRegressor(hidden_layer_sizes=(6,), activation="relu", max_iter=200, random_state=0), X, y)
    sk.intercepts_[0][:4] = -10.0  # four dead units: at most two units are active anywhere
    active = ((X @ sk.coefs_[0] + sk.intercepts_[0]) > 0).sum(axis=1)
    n_deficient = int(np.count_nonzero(active < 2))  # every size-2 minor is 0 there
    assert n_deficient > 0 and not np.any(active < 1)
    with pytest.warns(RuntimeWarning, match=rf"\(trained model k=2: {n_deficient}\).*excluded from their "
                                            "means") as record:
        result = analyze(sk, X, minor_sizes=(1, 2), **FAST)
    assert len([w for w in record if issubclass(w.category, RuntimeWarning)]) == 1  # once, with the counts
    scores = result.as_dict()
    assert scores["n_rank_deficient_k2"] == n_deficient
    for key in ("pr_k2", "pr_normalized_k2", "rotation_ratio_k2", "rotation_ratio_normalized_k2"):
        assert math.isfinite(scores[key]), key
    frame = result.to_frame()
    pr2 = frame[(frame["observable"] == "pr") & (frame["k"] == 2)].iloc[0]
    assert pr2.n_excluded == n_deficient
    per = result.runs[0].per_example
    assert scores["pr_k2"] == pytest.approx(per["pr_k2"][active >= 2].mean(), rel=1e-12)  # the valid examples


# ------------------------------------------------------------------------ bad input
def test_unknown_analyzer_and_parameters(mlp, data):
    with pytest.raises(InvalidParameterError, match=r"analyzer must be 'exact'.*got 'fast'"):
        analyze(mlp, data[0], analyzer="fast")
    with pytest.raises(InvalidParameterError, match=r"unknown KAGeometryAnalyzer parameter\(s\) \['n_rotation'\]"):
        analyze(mlp, data[0], n_rotation=3)
    with pytest.raises(InvalidParameterError, match="model is an empty list"):
        analyze([], data[0])
    template = KAGeometryAnalyzer(n_rotations=5, minor_sizes=(1,))
    result = analyze(mlp, data[0], analyzer=template, random_state=0)
    assert result.minor_sizes == (1,) and template.random_state is None  # cloned, not changed


def test_plot_returns_a_display(mlp, data):
    import matplotlib

    matplotlib.use("Agg")
    from sklearn_ka.plotting import KAGeometryDisplay

    result = analyze(mlp, data[0], **FAST)
    disp = result.plot()
    assert isinstance(disp, KAGeometryDisplay)
    frame = result.to_frame()
    pr = frame[frame["observable"] == "pr"].sort_values("k")
    np.testing.assert_allclose(disp.lines_["pr"].lines[0].get_ydata(), pr["normalized"])
    assert re.search("participation", disp.axes_[list(disp.lines_).index("pr")].get_ylabel())


def test_a_callable_with_its_baseline(data):
    X = data[0]
    rng = np.random.default_rng(0)
    A0 = torch.tensor(rng.normal(size=(3, 6)))
    A = A0 + torch.tensor(rng.normal(size=(3, 6)))

    def trained(x):
        return torch.tanh(x @ A)

    def initial(x):
        return torch.tanh(x @ A0)

    result = analyze(trained, X, baseline=initial, **FAST)
    assert result.as_dict() == KAGeometryAnalyzer(**FAST).fit(initial, X).score(trained, X)
    with pytest.raises(InvalidParameterError, match="does not remember it"):
        analyze(trained, X)
