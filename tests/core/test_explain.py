"""Explanations: Drop-DTW segments (properties + exact block recovery), exact Shapley values, curves."""

import itertools
import math

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vatp_core.explain import (
    build_segments,
    centre_of_mass,
    clip_spans,
    cumulative_curve,
    explain,
    order_subactions,
    segment_clips,
    shapley_values,
)

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def block_attention(lengths, gaps, eps=1e-3):
    """Rows = blocks in time order; each row puts 1-eps of its mass on its block, eps spread elsewhere."""
    t = sum(lengths) + sum(gaps)
    a = np.zeros((len(lengths), t))
    pos = gaps[0]
    blocks = []
    for k, n in enumerate(lengths):
        blocks.append((pos, pos + n - 1))
        a[k, :] = eps / (t - n) if t > n else 0.0
        a[k, pos : pos + n] = (1 - eps if t > n else 1.0) / n
        pos += n + gaps[k + 1]
    return a, blocks


@FAST
@given(
    lengths=st.lists(st.integers(1, 6), min_size=1, max_size=5),
    gap_seed=st.integers(0, 10_000),
    perm_seed=st.integers(0, 10_000),
    clip_len=st.integers(1, 20),
)
def test_block_attention_recovers_blocks_exactly(lengths, gap_seed, perm_seed, clip_len):
    rng = np.random.default_rng(gap_seed)
    gaps = [int(g) for g in rng.integers(0, 3, size=len(lengths) + 1)]
    a, blocks = block_attention(lengths, gaps)
    perm = np.random.default_rng(perm_seed).permutation(len(lengths))
    shuffled = a[perm]  # queries come in any order from the model
    t = a.shape[1]
    clip_ranges = [[i * clip_len, (i + 1) * clip_len - 1] for i in range(t)]
    ex = explain(shuffled, clip_ranges, n_frames=t * clip_len, fps=25.0, mean=5.0)
    assert [perm[q] for q in ex.order] == list(range(len(lengths)))  # time order recovered
    assert len(ex.segments) == len(lengths)
    for k, (seg, (b0, b1)) in enumerate(zip(ex.segments, blocks)):
        assert seg.index == k
        assert (seg.start_frame, seg.end_frame) == (b0 * clip_len, (b1 + 1) * clip_len - 1)
    idle = [x for x in range(t) if not any(b0 <= x <= b1 for b0, b1 in blocks)]
    assert all(ex.clip_labels[x] == -1 for x in idle)


@st.composite
def attention_and_clips(draw):
    s = draw(st.integers(1, 6))
    t = draw(st.integers(1, 24))
    seed = draw(st.integers(0, 2**31 - 1))
    conc = draw(st.sampled_from([0.05, 0.3, 1.0, 5.0]))
    a = np.random.default_rng(seed).dirichlet(np.full(t, conc), size=s)
    clip_len = draw(st.integers(1, 32))
    stride = draw(st.integers(1, 40))
    start = draw(st.integers(0, 10))
    n_frames = start + (t - 1) * stride + clip_len + draw(st.integers(0, 10))
    clip_ranges = [[start + i * stride, start + i * stride + clip_len - 1] for i in range(t)]
    return a, clip_ranges, n_frames


@FAST
@given(attention_and_clips())
def test_segments_are_contiguous_ordered_inside_and_cover_assigned_clips(case):
    a, clip_ranges, n_frames = case
    ex = explain(a, clip_ranges, n_frames, fps=30.0, mean=1.0)
    segs = ex.segments
    s, t = a.shape
    assert len(segs) == min(s, t)  # every sub-action gets a run when there are enough clips
    assert [g.index for g in segs] == sorted(g.index for g in segs)  # ordered like the sub-actions
    for g in segs:
        assert 0 <= g.start_frame <= g.end_frame <= n_frames - 1
        assert g.start_time < g.end_time and 0.0 <= g.confidence <= 1.0 + 1e-9
    for g, h in zip(segs, segs[1:]):
        assert g.end_frame < h.start_frame  # disjoint and in time order
    labels = ex.clip_labels
    for idx in set(l for l in labels if l >= 0):  # each sub-action's clips form one contiguous run
        xs = [x for x, l in enumerate(labels) if l == idx]
        assert xs == list(range(xs[0], xs[-1] + 1))
    spans = clip_spans(clip_ranges, n_frames)
    for x, lab in enumerate(labels):
        if lab >= 0:
            (g,) = [g for g in segs if g.index == lab]
            assert g.start_frame <= spans[x][0] and spans[x][1] <= g.end_frame


def test_clip_spans_exact_or_split_at_midpoints():
    assert clip_spans([[0, 31], [32, 63]], 64) == [(0, 31), (32, 63)]
    assert clip_spans([[5, 36], [37, 68]], 80) == [(5, 36), (37, 68)]  # symmetric trim keeps the margins out
    # MTL-AQA protocol: 16-frame clips at 0, 10, …, 80 and 87 overlap; spans tile 0..102 without overlap
    starts = list(range(0, 81, 10)) + [87]
    spans = clip_spans([[s, s + 15] for s in starts], 103)
    assert spans[0][0] == 0 and spans[-1][1] == 102
    assert all(b[0] == a[1] + 1 for a, b in zip(spans, spans[1:]))


def test_fewer_clips_than_subactions():
    a = np.array([[0.9, 0.1], [0.5, 0.5], [0.1, 0.9]])
    labels = segment_clips(a)
    assert sorted(set(labels.tolist())) == [0, 2]  # the flattest row is left out
    assert labels.tolist() == sorted(labels.tolist())


def brute_force_shapley(f, x, b):
    s = len(x)
    phi = np.zeros(s)
    for perm in itertools.permutations(range(s)):
        present = np.zeros(s, bool)
        prev = f(np.where(present[None, :, None], x[None], b[None]))[0]
        for i in perm:
            present[i] = True
            cur = f(np.where(present[None, :, None], x[None], b[None]))[0]
            phi[i] += cur - prev
            prev = cur
    return phi / math.factorial(s)


def test_shapley_matches_permutation_definition_and_axioms():
    rng = np.random.default_rng(0)
    w1, w2 = rng.normal(size=(5, 7)), rng.normal(size=7)

    def f(batch):  # nonlinear, interacting players
        return np.tanh(batch.mean(axis=1) @ w1) @ w2 + batch[:, 0, 0] * batch[:, 2, 1]

    x, b = rng.normal(size=(4, 5)), rng.normal(size=(4, 5))
    phi, v_all, v_none = shapley_values(f, x, b)
    np.testing.assert_allclose(phi, brute_force_shapley(f, x, b), atol=1e-12)
    assert abs(phi.sum() - (v_all - v_none)) < 1e-12
    x[3] = b[3]  # a player equal to its baseline is a dummy
    assert abs(shapley_values(f, x, b)[0][3]) < 1e-12
    lin = lambda batch: batch.sum(axis=(1, 2))  # additive game: φ_i = own effect
    np.testing.assert_allclose(shapley_values(lin, x, b)[0], (x - b).sum(axis=1), atol=1e-12)


def test_contributions_of_a_real_head_sum_to_mu_minus_baseline():
    from vatp_core.model import VATPConfig, VATPNet

    torch.manual_seed(0)
    net = VATPNet(
        VATPConfig.preset(
            "te+pd", in_dim=32, hidden_dim=32, d_model=16, n_heads=2, ffn_dim=32, n_queries=4, dropout=0.0
        )
    ).eval()
    feats = torch.randn(1, 9, 32)
    with torch.inference_mode():
        out = net(feats)
    baseline = torch.randn(4, 16).numpy()

    def value_fn(batch):
        with torch.inference_mode():
            return net.head(torch.as_tensor(batch, dtype=torch.float32))[0].double().numpy()

    std, mean_norm, dd = 7.5, 50.0, 3.2
    mean = (float(out.mu[0]) * std + mean_norm) * dd
    ex = explain(
        out.attention[0].numpy(),
        [[i * 8, i * 8 + 7] for i in range(9)],
        72,
        25.0,
        mean=mean,
        subactions=out.subactions[0].numpy(),
        baseline=baseline,
        value_fn=value_fn,
        scale=std * dd,
        offset=mean_norm * dd,
    )
    v_base = float(value_fn(baseline[None])[0])
    assert ex.baseline_mean == pytest.approx((v_base * std + mean_norm) * dd, abs=1e-5)
    assert abs(sum(ex.contributions) - (mean - ex.baseline_mean)) < 1e-5
    curve = ex.cumulative
    assert curve["scores"][0] == ex.baseline_mean and abs(curve["scores"][-1] - mean) < 1e-5
    assert curve["frames"] == sorted(curve["frames"]) and curve["frames"][-1] == 71
    for seg in ex.segments:
        assert seg.contribution == ex.contributions[seg.index]


def test_order_by_phrase_alignment_names_segments_by_phrase():
    rng = np.random.default_rng(1)
    phrases = rng.normal(size=(4, 8))
    perm = [2, 0, 3, 1]
    subactions = phrases[perm] + 0.01 * rng.normal(size=(4, 8))  # query q looks like phrase perm[q]
    att = np.full((4, 12), 1 / 12)  # uninformative attention: the phrases decide the order
    order, matched = order_subactions(att, subactions, phrases)
    assert matched == perm and [perm[q] for q in order] == [0, 1, 2, 3]
    names = ["Approach", "Take-off", "Flight", "Entry"]
    ex = explain(
        att,
        [[i, i] for i in range(12)],
        12,
        25.0,
        mean=0.0,
        subactions=subactions,
        phrase_vectors=phrases,
        phrases=names,
    )
    assert ex.subaction_names == names
    # two queries closest to the same phrase still get distinct phrases when S ≤ L
    close = np.stack([phrases[0], phrases[0] + 0.2 * phrases[1], phrases[2], phrases[3]])
    _, matched = order_subactions(att, close, phrases)
    assert sorted(matched) == [0, 1, 2, 3]


def test_without_phrases_segments_take_the_routine_names_in_time_order():
    """Pack names are the routine's order: whichever query comes first in this video is the first sub-action."""
    att = np.zeros((4, 8))
    for q, block in zip([2, 0, 3, 1], range(4)):  # query 2 attends earliest, then 0, 3, 1
        att[q, 2 * block : 2 * block + 2] = 0.5
    names = ["Approach", "Take-off", "Rotation", "Entry"]
    ex = explain(att, [[i, i] for i in range(8)], 8, 25.0, mean=0.0, names=names)
    assert ex.order == [2, 0, 3, 1]
    assert [s.name for s in ex.segments] == names
    assert [(s.start_frame, s.end_frame) for s in ex.segments] == [(0, 1), (2, 3), (4, 5), (6, 7)]


def test_centre_of_mass_and_explain_without_attention():
    np.testing.assert_allclose(centre_of_mass(np.array([[0, 0, 1.0], [1.0, 0, 0], [0, 0, 0]])), [2, 0, 1])
    ex = explain(None, [[0, 9], [10, 19]], 20, 25.0, mean=3.0)
    assert ex.segments == [] and ex.contributions == [] and ex.baseline_mean == 3.0
    assert ex.cumulative == {"frames": [0, 19], "scores": [3.0, 3.0]}


def test_cumulative_curve_adds_unplaced_at_the_end():
    from vatp_core.result import Segment

    seg = Segment(
        index=1, name="b", start_frame=10, end_frame=19, start_time=0.4, end_time=0.8, confidence=1, contribution=2
    )
    c = cumulative_curve([seg], [1.0, 2.0], 10.0, 30)
    assert c == {"frames": [0, 10, 19, 29], "scores": [10.0, 10.0, 12.0, 13.0]}


def test_build_segments_uses_timestamps_when_given():
    segs = build_segments(
        [0, 0, -1, 1],
        np.array([[0.5, 0.5, 0, 0], [0, 0, 0.1, 0.9]]),
        [[0, 1], [2, 3], [4, 5], [6, 7]],
        8,
        25.0,
        ["a", "b"],
        timestamp=lambda f: f * 0.1,
    )
    assert [(s.start_frame, s.end_frame) for s in segs] == [(0, 3), (6, 7)]
    assert segs[0].end_time == pytest.approx(0.4) and segs[1].end_time == pytest.approx(0.8)
