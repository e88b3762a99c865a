"""Losses of Eq. 8–11, 15, 16 against straightforward per-video reference computations."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from vatp_core.alignment import drop_dtw
from vatp_core.losses import (
    alignment_loss,
    alignment_positives,
    compute_losses,
    diversity_loss,
    global_contrastive_loss,
    regression_loss,
)
from vatp_core.model import VATPConfig, VATPOutput

torch.set_num_threads(2)


def _out(b=3, s=4, l=5, d=16, seed=0, with_text=True):
    g = torch.Generator().manual_seed(seed)
    mu = torch.randn(b, generator=g)
    log_var = torch.randn(b, generator=g)
    return VATPOutput(
        mu=mu,
        sigma=torch.exp(0.5 * log_var),
        log_var=log_var,
        sample=mu + 0.1,
        subactions=torch.randn(b, s, d, generator=g, requires_grad=True),
        attention=None,
        text=torch.randn(b, l, d, generator=g, requires_grad=True) if with_text else None,
    )


def test_regression_is_mse_of_the_sample():
    out = _out()
    target = torch.tensor([0.0, 1.0, 2.0])
    assert torch.allclose(regression_loss(out.sample, target), ((out.sample - target) ** 2).mean())
    assert torch.allclose(regression_loss(out.sample, target[:, None]), ((out.sample - target) ** 2).mean())


def test_diversity_loss_values():
    e = torch.eye(4)[None]  # orthogonal
    assert float(diversity_loss(e)) == pytest.approx(0.0, abs=1e-7)
    same = torch.ones(1, 3, 4)
    assert float(diversity_loss(same)) == pytest.approx(1.0, abs=1e-6)
    opposite = torch.tensor([[[1.0, 0.0], [-1.0, 0.0]]])
    assert float(diversity_loss(opposite)) == pytest.approx(-1.0, abs=1e-6)
    assert float(diversity_loss(torch.randn(2, 1, 4))) == 0.0  # one sub-action: nothing to diversify
    # mean over videos of the per-video mean pairwise cosine
    x = torch.randn(2, 3, 5)
    ref = []
    for v in x:
        pairs = [F.cosine_similarity(v[i], v[j], dim=0) for i in range(3) for j in range(3) if i != j]
        ref.append(torch.stack(pairs).mean())
    assert torch.allclose(diversity_loss(x), torch.stack(ref).mean(), atol=1e-6)


def test_alignment_positives_follow_the_order_and_skip_padding():
    # 3 sub-actions, 5 phrases (2 padded): sub-action i ~ phrase i
    sim = torch.full((1, 3, 5), -0.5)
    for i in range(3):
        sim[0, i, i] = 0.9
    pm = torch.tensor([[True, True, True, False, False]])
    pos = alignment_positives(sim, pm)
    assert pos[0, :, :3].equal(torch.eye(3, dtype=torch.bool))
    assert not pos[0, :, 3:].any()
    # fewer phrases than sub-actions: phrases become the steps; every phrase gets a partner
    sim = torch.full((1, 4, 2), -0.5)
    sim[0, 1, 0] = 0.9
    sim[0, 3, 1] = 0.9
    # drop cost = 20th percentile of the costs (between the good -0.9 and bad 0.5): unmatched sub-actions drop
    pos = alignment_positives(sim, torch.ones(1, 2, dtype=torch.bool), keep_percentile=0.2)
    assert pos[0].any(dim=0).all()
    assert pos[0, 1, 0] and pos[0, 3, 1]
    assert not pos[0, 0].any() and not pos[0, 2].any()  # dropped sub-actions


def _reference_alignment_loss(sub, txt, pmask, gamma, keep=0.3):
    losses = []
    for v, t, m in zip(sub, txt, pmask):
        t = t[m]
        if t.shape[0] == 0:
            continue
        sim = F.normalize(v, dim=-1) @ F.normalize(t, dim=-1).T  # (S, L)
        cost = (-sim).detach().double().numpy()
        s, l = cost.shape
        if s <= l:
            _, lab = drop_dtw(cost, np.full(l, np.quantile(cost, keep)))
            pos = np.zeros((s, l), bool)
            for item, step in enumerate(lab):
                if step >= 0:
                    pos[step, item] = True
        else:
            _, lab = drop_dtw(cost.T, np.full(s, np.quantile(cost, keep)))
            pos = np.zeros((s, l), bool)
            for item, step in enumerate(lab):
                if step >= 0:
                    pos[item, step] = True
        f = sim / gamma
        terms_v = [-(torch.logsumexp(f[i][pos[i]], 0) - torch.logsumexp(f[i], 0)) for i in range(s) if pos[i].any()]
        terms_t = [
            -(torch.logsumexp(f[:, j][pos[:, j]], 0) - torch.logsumexp(f[:, j], 0)) for j in range(l) if pos[:, j].any()
        ]
        losses.append(torch.stack(terms_v).mean() + torch.stack(terms_t).mean())
    return torch.stack(losses).mean()


@pytest.mark.parametrize("s,l", [(4, 5), (4, 4), (4, 2), (2, 6)])
def test_alignment_loss_matches_reference(s, l):
    out = _out(b=3, s=s, l=l, seed=s * 10 + l)
    pm = torch.ones(3, l, dtype=torch.bool)
    pm[1, max(1, l - 2) :] = False  # fewer phrases in one video
    got = alignment_loss(out.subactions, out.text, pm, gamma=0.1)
    ref = _reference_alignment_loss(out.subactions, out.text, pm, gamma=0.1)
    assert torch.allclose(got, ref, atol=1e-5)


def test_alignment_loss_is_low_when_aligned_high_when_not():
    d = 8
    txt = torch.eye(d)[None, :4]  # 4 orthogonal phrases
    aligned = alignment_loss(txt.clone(), txt, torch.ones(1, 4, dtype=torch.bool), gamma=0.1)
    random = alignment_loss(torch.randn(1, 4, d), txt, torch.ones(1, 4, dtype=torch.bool), gamma=0.1)
    assert float(aligned) < 1e-3 < float(random)


def _reference_gc(sub, txt, pmask, gamma, ids):
    b, s, _ = sub.shape
    log_ratios = []
    for i in range(b):
        if not pmask[i].any():
            continue
        for a in range(s):
            v = F.normalize(sub[i, a], dim=0)
            pos, allv = [], []
            for j in range(b):
                if j != i and ids[j] == ids[i]:
                    continue  # same phrase set: neither positive nor negative
                for k in range(txt.shape[1]):
                    if pmask[j, k]:
                        f = torch.dot(v, F.normalize(txt[j, k], dim=0)) / gamma
                        allv.append(f)
                        if j == i:
                            pos.append(f)
            log_ratios.append(torch.logsumexp(torch.stack(pos), 0) - torch.logsumexp(torch.stack(allv), 0))
    lr = torch.stack(log_ratios)
    return -torch.log(torch.exp(lr).mean())


def test_global_contrastive_matches_reference_with_shared_phrase_sets():
    out = _out(b=4, s=3, l=4, seed=5)
    pm = torch.ones(4, 4, dtype=torch.bool)
    pm[2, 2:] = False
    ids = ["407C", "107B", "407C", "5253B"]
    got = global_contrastive_loss(out.subactions, out.text, pm, 0.1, ids)
    assert torch.allclose(got, _reference_gc(out.subactions, out.text, pm, 0.1, ids), atol=1e-5)
    distinct = global_contrastive_loss(out.subactions, out.text, pm, 0.1, None)
    assert torch.allclose(distinct, _reference_gc(out.subactions, out.text, pm, 0.1, [0, 1, 2, 3]), atol=1e-5)
    assert not torch.allclose(got, distinct)
    # tensor ids work the same as a list
    got_t = global_contrastive_loss(out.subactions, out.text, pm, 0.1, torch.tensor([7, 1, 7, 3]))
    assert torch.allclose(got_t, got)


def test_identical_phrase_sets_are_not_negatives():
    out = _out(b=2, s=2, l=3, seed=6)
    pm = torch.ones(2, 3, dtype=torch.bool)
    same = global_contrastive_loss(out.subactions, out.text, pm, 0.1, ["407C", "407C"])
    assert float(same.detach()) == pytest.approx(0.0, abs=1e-6)  # nothing to contrast with
    different = global_contrastive_loss(out.subactions, out.text, pm, 0.1, ["407C", "109B"])
    assert float(different.detach()) > 0.0
    with pytest.raises(ValueError, match="phrase_set_ids"):
        global_contrastive_loss(out.subactions, out.text, pm, 0.1, ["a"])


def test_compute_losses_total_and_switches():
    out = _out(b=3, s=4, l=4, seed=7)
    target = torch.tensor([0.5, -0.5, 1.0])
    cfg = VATPConfig(beta=0.3, gamma=0.2)
    res = compute_losses(out, target, cfg, phrase_set_ids=[1, 2, 3])
    assert torch.allclose(res.total, res.reg + 0.3 * res.div + res.alg + res.gc)
    assert all(float(getattr(res, k).detach()) != 0 for k in ("reg", "div", "alg", "gc"))
    assert set(res.as_floats()) == {"total", "reg", "div", "alg", "gc", "overlap"}
    off = compute_losses(out, target, VATPConfig.preset("te+pd"))
    assert float(off.div) == float(off.alg) == float(off.gc) == 0.0
    assert torch.allclose(off.total, off.reg)
    # without text the text losses are zero even when switched on
    no_text = compute_losses(_out(with_text=False), target, cfg)
    assert float(no_text.alg) == float(no_text.gc) == 0.0 and float(no_text.div.detach()) != 0.0
    # explicit phrases_text overrides out.text
    alt = compute_losses(
        out, target, cfg, phrases_text=out.subactions.detach().clone(), phrase_mask=torch.ones(3, 4, dtype=torch.bool)
    )
    assert float(alt.alg.detach()) != float(res.alg.detach())
    # the optional attention-overlap term joins the total only when its weight is set
    import dataclasses

    out = dataclasses.replace(out, attention=torch.randn(3, 4, 10).softmax(-1))
    res = compute_losses(out, target, cfg, phrase_set_ids=[1, 2, 3])
    with_overlap = compute_losses(
        out, target, VATPConfig(beta=0.3, gamma=0.2, attn_overlap=2.0), phrase_set_ids=[1, 2, 3]
    )
    assert float(with_overlap.overlap.detach()) > 0 and float(res.overlap) == 0.0
    assert torch.allclose(with_overlap.total, res.total + 2.0 * with_overlap.overlap)


def test_videos_without_phrases_give_finite_losses_and_gradients():
    out = _out(b=3, s=4, l=3, seed=8)
    pm = torch.tensor([[True, True, True], [False, False, False], [True, True, False]])
    res = compute_losses(out, torch.zeros(3), VATPConfig(), phrase_mask=pm, phrase_set_ids=None)
    assert math.isfinite(float(res.total.detach()))
    res.total.backward()
    assert torch.isfinite(out.subactions.grad).all() and torch.isfinite(out.text.grad).all()
    assert float(out.text.grad[1].abs().sum()) == 0.0  # padded phrases get no gradient


def test_attention_overlap_term_is_off_in_the_paper_presets_and_separates_rows():
    from vatp_core.losses import attention_overlap_loss

    for name in ("mlp", "te", "pd", "te+pd", "vatp"):
        assert VATPConfig.preset(name).attn_overlap == 0.0
    same = torch.full((1, 3, 6), 1 / 6)
    disjoint = torch.zeros((1, 3, 6))
    for q in range(3):
        disjoint[0, q, 2 * q : 2 * q + 2] = 0.5
    assert attention_overlap_loss(same).item() == pytest.approx(1.0, abs=1e-3)
    assert attention_overlap_loss(disjoint).item() == pytest.approx(0.0, abs=1e-3)
    logits = torch.randn(2, 3, 6, requires_grad=True)
    attention_overlap_loss(logits.softmax(-1)).backward()
    assert torch.isfinite(logits.grad).all() and logits.grad.abs().sum() > 0
