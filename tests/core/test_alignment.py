"""Drop-DTW: exact against an exhaustive search, batched == single, inputs from numpy and torch."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vatp_core.alignment import (
    AlignmentError,
    drop_cost_from_percentile,
    drop_dtw,
    drop_dtw_batch,
    labels_cost,
)


def is_valid_labelling(labels: np.ndarray, k: int) -> bool:
    """The rules of issue 3, checked independently of the DP."""
    matched = [int(v) for v in labels if v >= 0]
    if sorted(set(matched)) != list(range(k)):  # every step matched at least once
        return False
    if any(b < a for a, b in zip(matched, matched[1:])):  # non-decreasing
        return False
    for step in range(k):  # contiguous: no drop between two items of one step
        where = np.nonzero(labels == step)[0]
        if where.size and (where[-1] - where[0] + 1) != where.size:
            return False
    return True


def brute_force(c: np.ndarray, d: np.ndarray) -> float:
    k, n = c.shape
    best = np.inf
    for labels in itertools.product(range(-1, k), repeat=n):
        lab = np.array(labels)
        if is_valid_labelling(lab, k):
            best = min(best, labels_cost(c, d, lab))
    return best


# Small integer grids give many ties; the drop-cost scale ranges from "always drop" to "never drop".
_cases = st.integers(1, 3).flatmap(
    lambda k: st.integers(k, 7).flatmap(
        lambda n: st.tuples(
            st.just(k),
            st.just(n),
            st.lists(st.integers(-3, 3), min_size=k * n, max_size=k * n),
            st.lists(st.integers(-3, 3), min_size=n, max_size=n),
            st.sampled_from([1.0, 0.5, 100.0, -100.0]),
        )
    )
)


@settings(max_examples=150, deadline=None)
@given(_cases)
def test_drop_dtw_equals_exhaustive_search(case):
    k, n, c_flat, d_flat, drop_scale = case
    c = np.array(c_flat, dtype=float).reshape(k, n)
    d = np.array(d_flat, dtype=float) * drop_scale
    cost, labels = drop_dtw(c, d)
    assert labels.shape == (n,)
    assert is_valid_labelling(labels, k), labels
    assert cost == pytest.approx(labels_cost(c, d, labels), abs=1e-9)
    assert cost == pytest.approx(brute_force(c, d), abs=1e-9)


def test_large_drop_costs_match_everything_and_negative_ones_drop_all_they_can():
    rng = np.random.default_rng(0)
    c = rng.random((3, 6))
    _, labels = drop_dtw(c, np.full(6, 1e6))
    assert (labels >= 0).all()
    assert list(labels) == sorted(labels)
    _, labels = drop_dtw(c, np.full(6, -1e6))
    assert (labels >= 0).sum() == 3  # one item per step, the minimum allowed
    assert list(labels[labels >= 0]) == [0, 1, 2]


def test_obvious_alignment_is_found():
    # Step 0 fits items 1-2, step 1 fits items 4-5; items 0, 3 and 6 fit nothing.
    c = np.full((2, 7), 5.0)
    c[0, 1:3] = 0.0
    c[1, 4:6] = 0.0
    cost, labels = drop_dtw(c, np.full(7, 1.0))
    assert list(labels) == [-1, 0, 0, -1, 1, 1, -1]
    assert cost == pytest.approx(3.0)


def test_more_steps_than_items_raises():
    with pytest.raises(AlignmentError, match="3 steps to 2 items"):
        drop_dtw(np.zeros((3, 2)), np.zeros(2))
    with pytest.raises(AlignmentError):
        drop_dtw_batch(np.zeros((2, 3, 4)), np.zeros((2, 4)), k_valid=[3, 3], n_valid=[4, 2])
    assert issubclass(AlignmentError, ValueError)


def test_bad_shapes_and_nan_raise():
    with pytest.raises(AlignmentError):
        drop_dtw(np.zeros((2, 3)), np.zeros(4))
    with pytest.raises(AlignmentError):
        drop_dtw(np.zeros(3), np.zeros(3))
    with pytest.raises(AlignmentError, match="NaN"):
        drop_dtw(np.array([[0.0, np.nan]]), np.zeros(2))


def test_batched_equals_single_with_padding():
    rng = np.random.default_rng(1)
    b, k_max, n_max = 6, 4, 9
    c = rng.normal(size=(b, k_max, n_max))
    d = rng.normal(size=(b, n_max)) * 0.5
    kv = np.array([1, 2, 4, 3, 4, 2])
    nv = np.array([1, 5, 9, 3, 7, 9])
    # garbage (even infinite) in the padding must not matter
    for i in range(b):
        c[i, kv[i] :, :] = np.inf
        c[i, :, nv[i] :] = -np.inf
        d[i, nv[i] :] = -1e9
    costs, labels = drop_dtw_batch(c, d, k_valid=kv, n_valid=nv)
    for i in range(b):
        cost_i, labels_i = drop_dtw(c[i, : kv[i], : nv[i]], d[i, : nv[i]])
        assert costs[i] == pytest.approx(cost_i)
        assert list(labels[i, : nv[i]]) == list(labels_i)
        assert (labels[i, nv[i] :] == -1).all()


def test_torch_inputs_work_and_match_numpy():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    c = rng.normal(size=(3, 8))
    d = rng.normal(size=8)
    ct = torch.tensor(c, dtype=torch.float32, requires_grad=True)
    cost_t, labels_t = drop_dtw(ct, torch.tensor(d, dtype=torch.float32))
    cost_n, labels_n = drop_dtw(c.astype(np.float32), d.astype(np.float32))
    assert cost_t == pytest.approx(cost_n, rel=1e-6)
    assert (labels_t == labels_n).all()
    costs_b, labels_b = drop_dtw_batch(ct[None].expand(2, -1, -1), torch.tensor(d)[None].expand(2, -1))
    assert (labels_b == labels_n[None]).all()


def test_scalar_drop_cost_and_percentile():
    c = np.arange(12, dtype=float).reshape(3, 4)
    assert drop_cost_from_percentile(c, 0.0) == 0.0
    assert drop_cost_from_percentile(c, 1.0) == 11.0
    cost, labels = drop_dtw(c, 100.0)
    assert (labels >= 0).all()
    with pytest.raises(AlignmentError):
        drop_cost_from_percentile(c, 1.5)


def test_zero_steps_drops_everything():
    cost, labels = drop_dtw(np.zeros((0, 3)), np.array([1.0, 2.0, 3.0]))
    assert cost == pytest.approx(6.0)
    assert (labels == -1).all()
