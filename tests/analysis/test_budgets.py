"""Nothing runaway: every allocation that grows with a parameter is refused at once beyond its budget."""

import time

import numpy as np
import pytest

from sklearn_ka import KAGeometryAnalyzer, ShallowMLPRegressor
from sklearn_ka._utils import MemoryBudgetError
from sklearn_ka.analysis import SampledKAGeometryAnalyzer
from sklearn_ka.exterior import MinorBudgetError


def _forbid(monkeypatch, *targets):
    def computed(*args, **kwargs):
        raise AssertionError("work started before the budget was checked")

    for target in targets:
        monkeypatch.setattr(target, computed)


def test_absurd_rotation_counts_are_refused_before_any_work(monkeypatch):
    _forbid(monkeypatch, "sklearn_ka.analysis._analyzer.initial_thresholds",
            "sklearn_ka.observables._rotation._haar_orthonormal", "sklearn_ka.observables._rotation.haar_rotations")
    J0 = np.random.default_rng(0).normal(size=(10, 8, 3))
    for method in ("haar", "sampled"):
        start = time.perf_counter()
        with pytest.raises(MemoryBudgetError, match=r"KAGeometryAnalyzer: the rotation ratio's reference of "
                                                    r"n_rotations=1000000000 .* over the memory budget of 4 GiB\. "
                                                    r"Alternatives: fewer rotations \(n_rotations"):
            KAGeometryAnalyzer(n_rotations=10**9, rotation_method=method).fit(J0)
        assert time.perf_counter() - start < 1.0


def test_minor_budget_error_is_a_memory_budget_error_naming_the_parameter():
    assert issubclass(MinorBudgetError, MemoryBudgetError) and issubclass(MinorBudgetError, ValueError)
    with pytest.raises(MinorBudgetError) as info:
        KAGeometryAnalyzer().fit(np.zeros((2, 2000, 3)))
    message = str(info.value)
    assert message.startswith("KAGeometryAnalyzer: the size-3 minors of one 2000x3 Jacobian need about 39.7 GiB")
    assert "max_memory_bytes = 1 GiB, of which 1/3 is for one block of minors" in message
    assert "larger memory budget (max_memory_bytes)" in message and "SampledKAGeometryAnalyzer" in message
    assert "not implemented" not in message and "max_bytes)" not in message


def test_check_memory_budget_answers_before_training(monkeypatch):
    _forbid(monkeypatch, "sklearn_ka.analysis._analyzer.JacobianSource")
    KAGeometryAnalyzer().check_memory_budget(32, 3)  # the published sizes fit
    with pytest.raises(MinorBudgetError, match="size-3 minors of one 2000x3 Jacobian"):
        KAGeometryAnalyzer().check_memory_budget(2000, 3)
    KAGeometryAnalyzer(minor_sizes=(1, 2)).check_memory_budget(300, 3)
    # size-2 minors of 2000 units fit, but the sampled rotations' reference would not (about 51 GB)
    with pytest.raises(MemoryBudgetError, match="reference of n_rotations=400 'sampled' rotations for 2000x3"):
        KAGeometryAnalyzer(minor_sizes=(1, 2), rotation_method="sampled").check_memory_budget(2000, 3)
    with pytest.raises(MemoryBudgetError, match="n_rotations=1000000000"):
        KAGeometryAnalyzer(n_rotations=10**9).check_memory_budget(8, 3)
    with pytest.raises(MinorBudgetError, match="max_memory_bytes"):
        KAGeometryAnalyzer(max_memory_bytes=10_000).check_memory_budget(32, 3)
    # only the analysed inputs count
    KAGeometryAnalyzer(input_columns=[0, 1]).check_memory_budget(2000, 784)
    with pytest.raises(ValueError, match="n_hidden must be an integer >= 1"):
        KAGeometryAnalyzer().check_memory_budget(0, 3)


def test_the_fit_and_the_check_agree():
    # what check_memory_budget accepts, fit accepts (and the other way round), on the boundary
    rng = np.random.default_rng(0)
    big = ShallowMLPRegressor(300, max_epochs=1, random_state=0).fit(rng.uniform(-1, 1, (4, 3)), rng.normal(size=4))
    X = rng.uniform(-1, 1, (3, 3))
    for budget in (10 << 20, 200 << 20):
        ka = KAGeometryAnalyzer(minor_sizes=(3,), n_rotations=5, max_memory_bytes=budget, random_state=0)
        try:
            ka.check_memory_budget(300, 3)
            ok = True
        except MinorBudgetError:
            ok = False
        if ok:
            ka.fit(big.initial_model(), X)
        else:
            with pytest.raises(MinorBudgetError):
                ka.fit(big.initial_model(), X)


def test_sampled_analyzer_refuses_a_grid_that_cannot_fit(monkeypatch):
    _forbid(monkeypatch, "sklearn_ka.analysis._sampled_analyzer.row_partials")
    rng = np.random.default_rng(0)
    D, W = rng.uniform(size=(4, 300)), rng.normal(size=(300, 50))
    with pytest.raises(MinorBudgetError, match=r"SampledKAGeometryAnalyzer: the 80000 x 80000 sampled size-1|"
                                               r"sampled size-\d minors of one 300x50 Jacobian.*max_memory_bytes"):
        SampledKAGeometryAnalyzer(minor_sizes=(2,), n_rows=10_000, n_cols=10_000).fit((D, W))
    # more subsets than there are: capped at all of them, and fits
    D, W = rng.uniform(size=(4, 2000)), rng.normal(size=(2000, 30))
    with pytest.raises(MemoryBudgetError, match=r"MinorSample: 8 replicate\(s\) of 1000000000 row"):
        SampledKAGeometryAnalyzer(minor_sizes=(3,), n_rows=10**9, n_cols=4).fit((D, W))


def test_tail_statistics_refuse_pooled_minors_beyond_the_budget(monkeypatch):
    rng = np.random.default_rng(0)
    J0, J = rng.normal(size=(50, 8, 3)), rng.normal(size=(50, 8, 3))
    ka = KAGeometryAnalyzer(minor_sizes=(2,), n_rotations=5, random_state=0).fit(J0)
    monkeypatch.setenv("SKLEARN_KA_MEMORY_BUDGET", "10000")
    with pytest.raises(MemoryBudgetError, match="the pooled size-2 minors of 50 examples .* over the memory budget"):
        ka.tail_statistics(J)


def test_n_jobs_never_starts_more_workers_than_cpus():
    import os

    J0, J = np.random.default_rng(0).normal(size=(2, 24, 6, 3))
    ka = KAGeometryAnalyzer(minor_sizes=(1,), n_rotations=2, n_jobs=2**40, random_state=0).fit(J0)
    assert ka._n_workers() <= (os.cpu_count() or 1)
    serial = KAGeometryAnalyzer(minor_sizes=(1,), n_rotations=2, random_state=0).fit(J0).score(J)
    assert ka.score(J) == serial
