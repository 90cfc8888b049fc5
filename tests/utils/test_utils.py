"""The private conventions layer: validation messages, random-state policy, protocol, keys, R²."""

import numpy as np
import pytest
from sklearn.metrics import r2_score

from sklearn_ka._utils import (
    OBSERVABLES,
    PAPER_PROTOCOL,
    Integers,
    InvalidParameterError,
    Options,
    Reals,
    as_generator,
    check_int,
    check_param,
    check_random_state,
    check_real,
    check_sequence,
    draw_seeds,
    observable_key,
    parse_observable_key,
    r2_from_sums,
    validate_params,
)


@pytest.mark.parametrize("value, message", [
    (0, r"ShallowMLPRegressor: hidden_units must be an integer >= 1; got 0 \(of type int\)\."),
    (True, r"must be an integer >= 1; got True \(of type bool\)"),
    (2.5, r"got 2\.5 \(of type float\)"),
    ("8", r"got '8' \(of type str\)"),
])
def test_integer_errors_name_owner_parameter_and_value(value, message):
    with pytest.raises(InvalidParameterError, match=message):
        check_int("hidden_units", value, 1, owner="ShallowMLPRegressor")


def test_invalid_parameter_error_is_both_value_and_type_error():
    for exc in (ValueError, TypeError):
        with pytest.raises(exc):
            check_int("n", -1, 0)


def test_conversion_and_bounds():
    assert type(check_int("n", np.int64(3), 1, 3)) is int
    assert check_real("lr", np.float32(0.5), 0, low_open=True) == 0.5
    with pytest.raises(InvalidParameterError, match=r"in \(0, 1\)"):
        check_real("q", 1.0, 0, 1, low_open=True, high_open=True)
    with pytest.raises(InvalidParameterError, match="finite"):
        check_real("lr", float("inf"))
    with pytest.raises(InvalidParameterError, match=r"an integer in \[1, 3\]"):
        check_int("k", 4, 1, 3)


def test_options_and_none():
    spec = [Options("haar", "sampled"), None]
    assert check_param("method", None, spec) is None
    assert check_param("method", "haar", spec) == "haar"
    with pytest.raises(InvalidParameterError, match="one of 'haar', 'sampled' or None; got 'Haar'"):
        check_param("method", "Haar", spec)
    with pytest.raises(InvalidParameterError):
        check_param("method", np.array(["haar"]), spec)


def test_sequences_refuse_strings_and_duplicates():
    rate = Reals(0, 1, low_open=True, high_open=True)
    assert check_sequence("rates", (0.01, np.float64(0.1)), rate) == [0.01, 0.1]
    with pytest.raises(InvalidParameterError, match="must be a sequence"):
        check_sequence("rates", "0.01", rate)
    with pytest.raises(InvalidParameterError, match=r"rates\[1\] must be"):
        check_sequence("rates", [0.1, 2.0], rate)
    with pytest.raises(InvalidParameterError, match="duplicates"):
        check_sequence("seeds", [1, 1], Integers(0), unique=True)
    with pytest.raises(InvalidParameterError, match="empty"):
        check_sequence("seeds", [], Integers(0))


def test_validate_params_converts_and_passes_others_through():
    def even(name, v):
        if v % 2:
            raise InvalidParameterError(f"{name} must be even; got {v}.")
        return v

    out = validate_params({"a": np.int32(2), "b": "x", "c": 4}, {"a": Integers(0), "c": even}, owner="f")
    assert out == {"a": 2, "b": "x", "c": 4} and type(out["a"]) is int
    with pytest.raises(InvalidParameterError, match="c must be even"):
        validate_params({"c": 3}, {"c": even})


def test_random_state_policy():
    a = check_random_state(7).randint(0, 100, 5)
    b = np.random.RandomState(7).randint(0, 100, 5)
    np.testing.assert_array_equal(a, b)
    rs = np.random.RandomState(3)
    assert check_random_state(rs) is rs
    for bad in (2**40, -1, 1.5, "0"):
        with pytest.raises(InvalidParameterError, match=r"random_state must be None, an integer in \[0, 2\*\*32 - 1\]"):
            check_random_state(bad)
    # draw_seeds reproduces the streams the estimators have always derived
    np.testing.assert_array_equal(draw_seeds(5, 3), np.random.RandomState(5).randint(np.iinfo(np.int32).max, size=3))
    assert 0 <= draw_seeds(None) < 2**31 - 1
    g = as_generator(4)
    assert isinstance(g, np.random.Generator)
    assert as_generator(g) is g
    with pytest.raises(InvalidParameterError):
        as_generator(-2)


def test_protocol_is_the_published_one():
    assert PAPER_PROTOCOL.training() == {"batch_size": 250, "max_epochs": 10000, "patience": 50}
    assert PAPER_PROTOCOL.false_positive_rates == (1e-4, 1e-3, 1e-2)
    with pytest.raises(AttributeError):
        PAPER_PROTOCOL.batch_size = 1  # frozen


@pytest.mark.parametrize("name", sorted(OBSERVABLES))
def test_key_round_trip(name):
    for k in (1, 2, 7):
        qs = (1e-4, 0.001, 0.01, 0.05) if OBSERVABLES[name] else (None,)
        for q in qs:
            key = observable_key(name, k, q)
            parsed = parse_observable_key(key)
            assert (parsed.name, parsed.k, parsed.q) == (name, k, q)
            assert str(parsed) == key


def test_key_format_and_errors():
    assert observable_key("zero_rows", 3, 0.0001) == "zero_rows_k3_q0.0001"
    assert observable_key("pr_normalized", np.int64(2)) == "pr_normalized_k2"
    with pytest.raises(ValueError, match="needs a false-positive rate"):
        observable_key("zero_rows", 1)
    with pytest.raises(ValueError, match="takes no false-positive rate"):
        observable_key("pr", 1, 0.01)
    with pytest.raises(ValueError, match="unknown observable"):
        observable_key("prr", 1)
    with pytest.raises(ValueError, match="Did you mean 'pr_normalized_k3'"):
        parse_observable_key("pr_normalised_k3")
    with pytest.raises(ValueError, match="not an observable key"):
        parse_observable_key("zero_rows_k3")


def test_r2_from_sums_is_scikit_learns():
    rng = np.random.default_rng(0)
    cases = [(rng.normal(size=20), rng.normal(size=20)), (np.ones(5), np.ones(5)), (np.ones(5), np.zeros(5))]
    for y, pred in cases:
        sse = np.sum((y - pred) ** 2)
        sst = np.sum((y - y.mean()) ** 2)
        assert r2_from_sums(sse, sst) == pytest.approx(r2_score(y, pred), abs=1e-12)
