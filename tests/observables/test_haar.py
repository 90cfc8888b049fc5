"""Haar constants c(m, r) (exact cases, shipped table, disk cache) and the per-example frames of
the exact ("haar") rotation ratio for k < min(m, n)."""

import itertools
import json
import math
import threading
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

from sklearn_ka._utils import InvalidParameterError
from sklearn_ka.exterior import compound_chain
from sklearn_ka.observables import RotationReference, _disk_cache, _haar, haar_max_minor_constant, rotation_ratio
from sklearn_ka.observables._frame_minors import ColumnFrames, max_frame_minors, normalized_columns
from sklearn_ka.observables._haar import example_rotations, monte_carlo_seed, shipped_constants, sphere_constant

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    """A private, empty disk cache, and no in-process memo of the constants."""
    monkeypatch.setenv(_disk_cache.CACHE_ENV, str(tmp_path / "cache"))
    _haar._constant.cache_clear()
    yield tmp_path / "cache"
    _haar._constant.cache_clear()


def _max_minor_mc(m, r, n, seed):
    """Independent Monte Carlo of E max_I |det V[I]| (numpy QR, every r-subset by itertools)."""
    rng = np.random.default_rng(seed)
    subsets = np.array(list(itertools.combinations(range(m), r)))
    V = np.linalg.qr(rng.standard_normal((n, m, r)))[0]
    x = np.abs(np.linalg.det(V[:, subsets])).max(axis=1)
    return x.mean(), x.std(ddof=1) / math.sqrt(n)


# ------------------------------------------------------------------ constants c(m, r)


def test_exact_cases():
    assert haar_max_minor_constant(5, 5) == (1.0, 0.0, 0)
    c, err, n = haar_max_minor_constant(2, 1)
    assert n == 0 and err < 1e-12
    assert c == pytest.approx(2 * math.sqrt(2) / math.pi, abs=1e-13)  # E max(|cos t|, |sin t|)
    # complementary minors: c(m, r) = c(m, m - r)
    assert haar_max_minor_constant(9, 8) == haar_max_minor_constant(9, 1)
    assert haar_max_minor_constant(12, 9) == haar_max_minor_constant(12, 3)


@pytest.mark.parametrize("m", [3, 6, 40])
def test_sphere_constant_against_monte_carlo(m):
    c, err = sphere_constant(m)
    v = np.random.default_rng(m).standard_normal((200_000, m))
    x = np.abs(v).max(axis=1) / np.linalg.norm(v, axis=1)
    assert err < 1e-10
    assert abs(x.mean() - c) < 4 * x.std() / math.sqrt(x.size)


def test_complementary_identity_by_monte_carlo():
    # c(6, 4), computed from 4-subsets directly, equals the constant of c(6, 2)
    mean, se = _max_minor_mc(6, 4, 60_000, seed=1)
    c, se_c, _ = haar_max_minor_constant(6, 4)
    assert abs(mean - c) < 4 * math.hypot(se, se_c)


def test_shipped_table_is_valid_and_covers_the_documented_grid():
    table = shipped_constants()
    widths = [*range(4, 129), *range(136, 257, 8), *range(288, 513, 32), *range(576, 1025, 64)]
    grid = {(m, r) for m in widths for r in (2, 3) if 2 * r <= m} | {(m, 4) for m in range(8, 65)}
    assert set(table) == grid
    for c, se, n in table.values():
        assert 0 < c <= 1 and 0 < se <= 1e-3 * c and n >= 16384
    # for fixed r the constant falls with m (a larger m spreads the mass over more subsets)
    for r in (2, 3):
        cs = [table[m, r][0] for m in widths if 2 * r <= m]
        assert all(a > b for a, b in zip(cs, cs[1:]))
    with np.load(_haar.TABLE_PATH, allow_pickle=False) as data:
        meta = json.loads(str(data["meta"]))
    assert meta["rel_se_target"] == 1e-3 and meta["batch"] == 8192


@pytest.mark.parametrize("m, r", [(5, 2), (7, 3), (8, 4)])
def test_shipped_constants_agree_with_an_independent_estimate(m, r):
    c, se, _ = shipped_constants()[m, r]
    mean, se_mc = _max_minor_mc(m, r, 40_000, seed=m * 10 + r)
    assert abs(mean - c) < 4 * math.hypot(se, se_mc)


def test_shipped_entries_are_what_the_estimator_computes():
    # the table was made by the package's own deterministic estimator: recomputing gives it back
    assert _haar.monte_carlo_constant(8, 2, 1e-3) == shipped_constants()[8, 2]
    assert monte_carlo_seed(8, 2) == 20_240_611 + 8002


def test_repository_table_is_packaged():
    path = _haar.TABLE_PATH
    assert path.is_file() and path.parent.name == "_data" and path.parent.parent == Path(_haar.__file__).parent
    text = (ROOT / "pyproject.toml").read_text()
    assert '"observables/_data/*.npz"' in text
    assert "sklearn_ka/observables/_data/haar_constants.npz" in (ROOT / "build_tools" / "check_wheel.sh").read_text()


def test_unshipped_constant_is_computed_once_and_cached_on_disk(cache_dir, monkeypatch):
    key = (9, 2, 5e-4)  # (9, 2) is shipped at 1e-3; a smaller standard error must be computed
    c, se, n = haar_max_minor_constant(*key)
    assert se <= 5e-4 * c and n > shipped_constants()[9, 2][2]
    (entry,) = (cache_dir / "haar_constant").glob("*.json")
    # a new process (no memo) reads the file and does not recompute
    _haar._constant.cache_clear()
    monkeypatch.setattr(_haar, "monte_carlo_constant", lambda *a: pytest.fail("recomputed a cached constant"))
    assert haar_max_minor_constant(*key) == (c, se, n)
    # a damaged file is never trusted: recomputed and rewritten
    tampered = json.loads(entry.read_text())
    tampered["payload"]["values"]["c"] = c * 1.01  # the checksum no longer matches
    for damage in ('{"payload": ', json.dumps(tampered)):
        entry.write_text(damage)
        _haar._constant.cache_clear()
        calls = []

        def estimate(*args, calls=calls):
            calls.append(args)
            return c, se, n

        monkeypatch.setattr(_haar, "monte_carlo_constant", estimate)
        assert haar_max_minor_constant(*key) == (c, se, n) and len(calls) == 1
        assert _disk_cache.read_entry("haar_constant", {"m": 9, "r": 2, "rel_se": repr(5e-4),
                                                        "seed": monte_carlo_seed(9, 2)}, ("c",)) is not None


def test_cache_can_be_turned_off_and_unwritable_caches_are_skipped(tmp_path, monkeypatch):
    monkeypatch.setenv(_disk_cache.CACHE_ENV, "")
    assert _disk_cache.cache_dir() is None
    assert not _disk_cache.write_entry("x", {"a": 1}, {"v": 1.0})
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    monkeypatch.setenv(_disk_cache.CACHE_ENV, str(blocked))
    assert not _disk_cache.write_entry("x", {"a": 1}, {"v": 1.0})
    monkeypatch.delenv(_disk_cache.CACHE_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert _disk_cache.cache_dir() == tmp_path / "xdg" / "sklearn-ka"


def test_concurrent_writers_leave_one_valid_entry(cache_dir):
    def write(i):
        for _ in range(20):
            assert _disk_cache.write_entry("k", {"m": 3}, {"v": 0.5, "writer": i % 2})

    threads = [threading.Thread(target=write, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert _disk_cache.read_entry("k", {"m": 3}, ("v", "writer"))["v"] == 0.5
    assert [p.name for p in (cache_dir / "k").iterdir()] == ["m3.json"]  # no temporary files left
    assert _disk_cache.read_entry("k", {"m": 4}, ("v",)) is None


def test_damaged_table_warns_once_and_falls_back(monkeypatch, tmp_path, cache_dir):
    bad = tmp_path / "table.npz"
    np.savez(bad, m=np.array([6]), r=np.array([3]), c=np.array([1.5]), se=np.array([0.1]),
             n_samples=np.array([20000]), meta=np.array("{}"))
    monkeypatch.setattr(_haar, "TABLE_PATH", bad)
    shipped_constants.cache_clear()
    try:
        with pytest.warns(RuntimeWarning, match="cannot be used"):
            assert shipped_constants() == {}
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert shipped_constants() == {}  # once per process
    finally:
        shipped_constants.cache_clear()


def test_constant_parameter_errors():
    with pytest.raises(InvalidParameterError, match=r"haar_max_minor_constant: r must be an integer in \[1, 3\]"):
        haar_max_minor_constant(3, 4)
    with pytest.raises(InvalidParameterError, match="haar_max_minor_constant: rel_se must be"):
        haar_max_minor_constant(8, 2, rel_se=0)


# ------------------------------------------------------------------ per-example frames


def test_example_rotations_are_orthogonal_and_depend_only_on_seed_and_index():
    O = example_rotations(7, np.arange(6), 5)
    np.testing.assert_allclose(O @ O.transpose(1, 2), np.broadcast_to(np.eye(5), (6, 5, 5)), atol=1e-12)
    assert torch.equal(example_rotations(7, np.array([3, 4]), 5), O[3:5])
    assert not torch.equal(example_rotations(8, np.array([3]), 5)[0], O[3])
    ref = RotationReference.build(6, 4, (1, 2), "haar", 10, random_state=3)
    assert ref.example_seed == RotationReference.build(6, 4, (1, 2), "haar", 10, random_state=3).example_seed
    assert RotationReference.build(6, 4, (1, 2), "sampled", 10, random_state=3).example_seed is None


def _literal_ratio(J, k, ref, index):
    """M / mean_p max |k-minor of O(x) Q_p P|, listing every minor (P: R factor, positive diagonal)."""
    Jt = torch.from_numpy(J)
    P = torch.linalg.qr(Jt)[1]
    sign = torch.sign(torch.diagonal(P, dim1=-2, dim2=-1))
    P = P * torch.where(sign == 0, 1.0, sign)[..., None]
    O = example_rotations(ref.example_seed, index, J.shape[1])
    A = O[:, None] @ ref.stiefel[None] @ P[:, None]  # (B, N, m, n)
    den = compound_chain(A.flatten(0, 1), k)[-1].abs().amax(dim=(1, 2)).view(len(J), -1).mean(dim=1)
    return (compound_chain(Jt, k)[-1].abs().amax(dim=(1, 2)) / den).numpy()


@pytest.mark.parametrize("m, n, ks", [(9, 3, (1, 2)), (8, 6, (2, 3)), (6, 9, (1, 3, 5)), (12, 11, (2,))])
def test_haar_ratio_is_the_literal_average_over_the_example_frames(m, n, ks):
    rng = np.random.default_rng(m * n)
    J = rng.normal(size=(5, m, n)) * rng.random((5, m, 1)) * rng.random((5, 1, n)) ** 2
    J[0, :, 1] = 3 * J[0, :, 0]  # two parallel columns (nearly dependent subsets)
    J[1, :, 2] = 0.0  # a dead input
    ref = RotationReference.build(m, n, ks, "haar", 30, random_state=1)
    index = np.array([4, 9, 0, 2, 7])
    for k in ks:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            got = rotation_ratio(J, k, ref, example_index=index)
        np.testing.assert_allclose(got, _literal_ratio(J, k, ref, index), rtol=1e-12)


@pytest.mark.parametrize("n, k", [(30, 2), (14, 3)])
def test_frame_search_equals_listing_every_minor_on_wide_inputs(n, k):
    # many column subsets: the column bound prunes most, the rounds of exact values do the rest
    rng = np.random.default_rng(n)
    E, N, m = 3, 25, 16
    J = torch.from_numpy(rng.normal(size=(E, m, n)) * rng.random((E, 1, n)) ** 3)
    P = torch.linalg.qr(J)[1]
    V = _haar._haar_orthonormal(E * N, m, min(m, n), rng).view(E, N, m, min(m, n))
    Pn, norm = normalized_columns(P)
    x = (Pn.transpose(1, 2)[:, None] @ V.transpose(-1, -2)).transpose(1, 2).contiguous()  # (E, n, N, m)
    got = max_frame_minors(x, ColumnFrames.of(Pn, norm, k))
    want = compound_chain((V @ P[:, None]).flatten(0, 1), k)[-1].abs().amax(dim=(1, 2)).view(E, N)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-12)


def test_haar_ratio_does_not_depend_on_chunks():
    rng = np.random.default_rng(2)
    J = rng.normal(size=(9, 7, 4))
    ref = RotationReference.build(7, 4, (1, 2, 3, 4), "haar", 20, random_state=0)
    for k in (1, 2, 3):
        whole = rotation_ratio(J, k, ref, example_index=10)
        parts = [rotation_ratio(J[:4], k, ref, example_index=10), rotation_ratio(J[4:], k, ref, example_index=14)]
        np.testing.assert_array_equal(np.concatenate(parts), whole)
        np.testing.assert_array_equal(rotation_ratio(J[::-1], k, ref, example_index=np.arange(18, 9, -1)),
                                      whole[::-1])
    # the default index is 0..B-1; sampled and k = min(m, n) ignore the index
    np.testing.assert_array_equal(rotation_ratio(J, 2, ref), rotation_ratio(J, 2, ref, example_index=0))
    assert not np.array_equal(rotation_ratio(J, 2, ref), rotation_ratio(J, 2, ref, example_index=1))
    np.testing.assert_array_equal(rotation_ratio(J, 4, ref, example_index=5), rotation_ratio(J, 4, ref))
    sampled = RotationReference.build(7, 4, (2,), "sampled", 5, random_state=0)
    np.testing.assert_array_equal(rotation_ratio(J, 2, sampled, example_index=5), rotation_ratio(J, 2, sampled))


def test_example_frames_decorrelate_the_seed_to_seed_spread(monkeypatch):
    """Shared frames give every example the same Monte Carlo error, so the mean over examples
    keeps it; per-example rotations make the errors independent and it averages out."""
    rng = np.random.default_rng(3)
    J = rng.normal(size=(60, 8, 3)) * np.array([1.0, 0.5, 0.2])

    def spread():
        means = [rotation_ratio(J, 1, RotationReference.build(8, 3, (1,), "haar", 12, random_state=s)).mean()
                 for s in range(8)]
        return np.std(means, ddof=1)

    per_example = spread()
    monkeypatch.setattr("sklearn_ka.observables._rotation.example_rotations",
                        lambda seed, index, m: torch.eye(m, dtype=torch.float64).expand(len(index), m, m))
    shared = spread()
    assert per_example < shared / 3, (per_example, shared)


def test_example_index_errors():
    ref = RotationReference.build(6, 3, (2,), "haar", 4, random_state=0)
    J = np.random.default_rng(0).normal(size=(3, 6, 3))
    for bad, shown in [(-1, "example_index must be an integer >= 0; got -1"),
                       ([0, 1], r"3 non-negative integers \(one per example\); got an array of shape \(2,\)"),
                       ([0.0, 1.0, 2.0], "got an array of shape \\(3,\\) and dtype float64"),
                       ([0, -1, 2], "non-negative integers"), (True, "got True")]:
        with pytest.raises(InvalidParameterError, match=shown):
            rotation_ratio(J, 2, ref, example_index=bad)


def test_reference_memory_estimate_no_longer_grows_with_compound_matrices():
    # the estimate of the old reference held C(m, k) C(r, k) numbers per sample: 1.5 GB here
    wide = RotationReference.nbytes(32, 30, (1, 2), "haar", 400)
    assert wide < 200 << 20
    assert RotationReference.nbytes(32, 64, (1, 2, 3), "haar", 400) < 400 << 20
    ref = RotationReference.build(5, 4, (1, 2), "haar", 3, random_state=0)
    assert ref.stiefel.shape == (3, 5, 4) and ref.constants == {}
