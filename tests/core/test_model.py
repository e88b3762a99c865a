"""VATP-Net: parameter counts of Table IV, presets, masking/padding, determinism, gradients, τ attention."""

from __future__ import annotations

import json

import pytest
import torch

from vatp_core.losses import compute_losses
from vatp_core.model import PRESETS, VATPConfig, VATPNet, VATPOutput, count_parameters

torch.set_num_threads(2)

PAPER_M = {2: 1.81, 4: 2.27, 6: 2.74, 8: 3.20, 10: 3.66}


def _batch(b=3, t=12, in_dim=1024, l=4, seed=0, lengths=None):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(b, t, in_dim, generator=g)
    mask = torch.ones(b, t, dtype=torch.bool)
    for i, n in enumerate(lengths or []):
        mask[i, n:] = False
    phrases = torch.randn(b, l, 768, generator=g)
    return x, mask, phrases


@pytest.mark.parametrize("blocks", sorted(PAPER_M))
def test_parameter_counts_match_table_iv(blocks):
    model = VATPNet(VATPConfig.preset("vatp", n_blocks=blocks))
    total = count_parameters(model)["total"]
    assert abs(total / 1e6 - PAPER_M[blocks]) / PAPER_M[blocks] < 0.01
    assert total == 1_808_451 + (blocks - 2) * 231_680  # the exact reconstruction of the paper's Table IV counts


def test_parameter_breakdown_is_exact_and_complete():
    model = VATPNet(VATPConfig())
    counts = count_parameters(model)
    assert counts == {
        "total": 1_808_451,
        "input_proj": 591_744,
        "temporal_encoder": 165_632,
        "parseformer": 464_129,
        "text_proj": 98_432,
        "context_decoder": 463_616,
        "score_head": 24_898,
    }
    assert sum(p.numel() for p in model.parameters() if p.requires_grad) == counts["total"]
    assert sum(p.numel() for p in model.parseformer.blocks[0].parameters()) == 231_680
    # frozen parameters do not count
    model.score_head.requires_grad_(False)
    assert count_parameters(model)["total"] == 1_808_451 - 24_898


def test_presets_have_the_parts_of_the_ablations():
    parts = {p: set(count_parameters(VATPNet(VATPConfig.preset(p)))) - {"total"} for p in PRESETS}
    assert parts["mlp"] == {"input_proj", "score_head"}
    assert parts["te"] == {"input_proj", "temporal_encoder", "score_head"}
    assert parts["pd"] == {"input_proj", "parseformer", "score_head"}
    assert parts["te+pd"] == {"input_proj", "temporal_encoder", "parseformer", "score_head"}
    assert parts["vatp"] == {
        "input_proj",
        "temporal_encoder",
        "parseformer",
        "text_proj",
        "context_decoder",
        "score_head",
    }
    with pytest.raises(ValueError, match="unknown preset"):
        VATPConfig.preset("full")
    with pytest.raises(ValueError, match="unknown config"):
        VATPConfig.preset("vatp", n_layers=3)


def test_config_round_trip_and_validation():
    cfg = VATPConfig.preset("te+pd", n_queries=5, n_blocks=3, beta=0.2)
    again = VATPConfig.from_dict(json.loads(json.dumps(cfg.to_dict())))
    assert again == cfg
    assert again.preset_name == "te+pd" and not again.use_text and again.n_queries == 5
    default = VATPConfig()
    assert default.preset_name == "vatp"
    assert VATPConfig.from_dict(json.loads(json.dumps(default.to_dict()))) == default
    assert VATPConfig.preset("vatp") == default
    with pytest.raises(ValueError, match="unknown"):
        VATPConfig.from_dict({**cfg.to_dict(), "surprise": 1})
    with pytest.raises(ValueError, match="divisible"):
        VATPConfig(n_heads=7)
    with pytest.raises(ValueError, match="use_pd"):
        VATPConfig.preset("mlp", use_text=True)


@pytest.mark.parametrize("preset", PRESETS)
def test_forward_shapes_for_every_preset(preset):
    cfg = VATPConfig.preset(preset, n_queries=3)
    model = VATPNet(cfg).eval()
    x, mask, phrases = _batch(b=2, t=7, l=5, lengths=[7, 4])
    out = model(x, mask, phrases if cfg.use_text else None)
    assert isinstance(out, VATPOutput)
    for v in (out.mu, out.sigma, out.log_var, out.sample):
        assert v.shape == (2,) and torch.isfinite(v).all()
    assert torch.equal(out.sample, out.mu)  # eval: the mean
    assert torch.allclose(out.sigma, torch.exp(0.5 * out.log_var))
    if cfg.use_pd:
        assert out.subactions.shape == (2, 3, 128)
        assert out.attention.shape == (2, 3, 7)
    else:
        assert out.subactions is None and out.attention is None
    if cfg.use_text:
        assert out.text.shape == (2, 5, 128)
    else:
        assert out.text is None


def test_attention_rows_sum_to_one_over_valid_clips_and_zero_on_padding():
    model = VATPNet(VATPConfig()).eval()
    x, mask, phrases = _batch(b=3, t=10, lengths=[10, 6, 1])
    with torch.no_grad():
        att = model(x, mask, phrases).attention
    assert torch.allclose(att.sum(-1), torch.ones(3, 4), atol=1e-5)
    assert (att[~mask[:, None, :].expand_as(att)] == 0).all()
    assert (att >= 0).all()
    assert torch.allclose(att[2, :, 0], torch.ones(4))  # a one-clip video attends to its only clip


def test_padding_changes_no_video_in_eval():
    torch.manual_seed(0)
    model = VATPNet(VATPConfig())
    # give BatchNorm non-trivial running statistics first
    model.train()
    x, mask, phrases = _batch(b=4, t=9, lengths=[9, 5, 7, 3], seed=1)
    model(x, mask, phrases)
    model.eval()
    with torch.no_grad():
        batched = model(x, mask, phrases)
        for i, n in enumerate([9, 5, 7, 3]):
            alone = model(x[i : i + 1, :n], None, phrases[i : i + 1])
            assert torch.allclose(alone.mu, batched.mu[i : i + 1], atol=1e-5)
            assert torch.allclose(alone.log_var, batched.log_var[i : i + 1], atol=1e-5)
            assert torch.allclose(alone.attention[0], batched.attention[i, :, :n], atol=1e-5)
            assert torch.allclose(alone.text[0], batched.text[i], atol=1e-5)
            # more padding with garbage in it changes nothing either
            big = torch.cat([x[i : i + 1, :n], 1e3 * torch.randn(1, 6, 1024)], dim=1)
            big_mask = torch.zeros(1, n + 6, dtype=torch.bool)
            big_mask[0, :n] = True
            padded = model(big, big_mask, phrases[i : i + 1])
            assert torch.allclose(padded.mu, alone.mu, atol=1e-5)
            assert torch.allclose(padded.attention[0, :, :n], alone.attention[0], atol=1e-5)


def test_masked_batchnorm_training_statistics_ignore_padding():
    torch.manual_seed(0)
    a = VATPNet(VATPConfig.preset("mlp"))
    b = VATPNet(VATPConfig.preset("mlp"))
    b.load_state_dict(a.state_dict())
    a.train(), b.train()
    x, mask, _ = _batch(b=2, t=8, lengths=[8, 3], seed=2)
    x_garbage = x.clone()
    x_garbage[1, 3:] = 1e4
    torch.manual_seed(3)  # same dropout masks in both runs
    out_a = a(x, mask)
    torch.manual_seed(3)
    out_b = b(x_garbage, mask)
    assert torch.allclose(out_a.mu, out_b.mu, atol=1e-5)
    assert torch.allclose(a.input_proj.bn1.running_mean, b.input_proj.bn1.running_mean, atol=1e-6)
    assert torch.allclose(a.input_proj.bn2.running_var, b.input_proj.bn2.running_var, atol=1e-6)


def test_eval_is_deterministic_and_training_samples():
    torch.manual_seed(0)
    model = VATPNet(VATPConfig())
    x, mask, phrases = _batch(b=2, t=6, lengths=[6, 4])
    model.eval()
    with torch.no_grad():
        o1, o2 = model(x, mask, phrases), model(x, mask, phrases)
    for name in ("mu", "sigma", "sample", "subactions", "attention", "text"):
        assert torch.equal(getattr(o1, name), getattr(o2, name))
    model.train()
    out = model(x, mask, phrases)
    assert not torch.equal(out.sample, out.mu)  # μ + ε·σ
    mlp = VATPNet(VATPConfig.preset("mlp")).train()
    out = mlp(x, mask)
    assert torch.equal(out.sample, out.mu)  # the baseline has no re-parameterisation (Table I)


def test_gradients_reach_every_parameter_with_all_losses():
    torch.manual_seed(0)
    cfg = VATPConfig()
    model = VATPNet(cfg).train()
    x, mask, phrases = _batch(b=3, t=8, l=5, lengths=[8, 5, 6])
    pmask = torch.ones(3, 5, dtype=torch.bool)
    pmask[1, 3:] = False
    out = model(x, mask, phrases, pmask)
    losses = compute_losses(out, torch.randn(3), cfg, phrase_set_ids=[1, 2, 3])
    assert all(float(v.detach()) != 0 for v in (losses.reg, losses.div, losses.alg, losses.gc))
    losses.total.backward()
    missing = [
        n
        for n, p in model.named_parameters()
        if p.grad is None or not torch.isfinite(p.grad).all() or float(p.grad.abs().sum()) == 0
    ]
    assert missing == []
    assert float(model.parseformer.tau.grad) != 0


def test_tau_sharpens_attention():
    torch.manual_seed(0)
    model = VATPNet(VATPConfig.preset("pd", n_blocks=1)).eval()
    x, mask, _ = _batch(b=1, t=16)

    def entropy():
        with torch.no_grad():
            a = model(x, mask).attention
        return float(-(a * a.clamp_min(1e-12).log()).sum(-1).mean())

    with torch.no_grad():
        model.parseformer.tau.fill_(0.02)
    sharp = entropy()
    with torch.no_grad():
        model.parseformer.tau.fill_(5.0)
    flat = entropy()
    assert sharp < flat
    assert flat == pytest.approx(torch.log(torch.tensor(16.0)).item(), abs=0.05)


def test_head_matches_forward():
    torch.manual_seed(0)
    model = VATPNet(VATPConfig()).eval()
    x, mask, _ = _batch(b=2, t=5)
    with torch.no_grad():
        out = model(x, mask)
        mu, log_var = model.head(out.subactions)
    assert torch.allclose(mu, out.mu) and torch.allclose(log_var, out.log_var)
    # the head averages the S vectors: permuting them does not change μ
    with torch.no_grad():
        mu_perm, _ = model.head(out.subactions[:, [3, 1, 0, 2]])
    assert torch.allclose(mu_perm, mu, atol=1e-6)


def test_bad_inputs_raise_clear_errors():
    model = VATPNet(VATPConfig()).eval()
    with pytest.raises(ValueError, match=r"\(B, T, 1024\)"):
        model(torch.randn(2, 5, 512))
    with pytest.raises(ValueError, match="at least one valid clip"):
        model(torch.randn(2, 5, 1024), torch.tensor([[True] * 5, [False] * 5]))
    with pytest.raises(ValueError, match="mask"):
        model(torch.randn(2, 5, 1024), torch.ones(2, 4, dtype=torch.bool))
    with pytest.raises(ValueError, match="phrases"):
        model(torch.randn(2, 5, 1024), None, torch.randn(2, 3, 100))


@pytest.mark.gpu
def test_cuda_forward_backward_padding_and_autocast():
    dev = torch.device("cuda")
    torch.manual_seed(0)
    cfg = VATPConfig()
    model = VATPNet(cfg).to(dev).train()
    x, mask, phrases = (t.to(dev) for t in _batch(b=3, t=10, lengths=[10, 6, 3]))
    out = model(x, mask, phrases)
    losses = compute_losses(out, torch.randn(3, device=dev), cfg, phrase_set_ids=[0, 0, 1])
    losses.total.backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in model.parameters())
    model.eval()
    with torch.no_grad():
        batched = model(x, mask)
        alone = model(x[1:2, :6])
        assert torch.allclose(alone.mu, batched.mu[1:2], atol=1e-4)
        assert torch.allclose(alone.attention[0], batched.attention[1, :, :6], atol=1e-4)
        with torch.autocast("cuda", dtype=torch.bfloat16):
            amp = model(x, mask, phrases)
        assert torch.isfinite(amp.mu.float()).all()
        assert torch.allclose(amp.attention.float().sum(-1), torch.ones(3, 4, device=dev), atol=1e-2)


@pytest.mark.parametrize("preset", PRESETS)
def test_clip_and_phrase_padding_change_nothing_for_every_preset(preset):
    torch.manual_seed(1)
    cfg = VATPConfig.preset(preset, in_dim=24, hidden_dim=32, d_model=16, n_heads=4, ffn_dim=32, text_dim=12)
    model = VATPNet(cfg)
    x = torch.randn(2, 9, 24)
    mask = torch.ones(2, 9, dtype=torch.bool)
    mask[1, 5:] = False
    phrases = torch.randn(2, 4, 12)
    pmask = torch.ones(2, 4, dtype=torch.bool)
    pmask[1, 2:] = False
    model.train()
    model(x, mask, phrases, pmask)  # non-trivial BatchNorm running statistics
    model.eval()
    with torch.no_grad():
        both = model(x, mask, phrases, pmask)
        alone = model(x[1:, :5], None, phrases[1:, :2])
    assert torch.allclose(both.mu[1], alone.mu[0], atol=1e-5)
    assert torch.allclose(both.sigma[1], alone.sigma[0], atol=1e-5)
    if cfg.use_pd:
        assert torch.allclose(both.attention[1, :, :5], alone.attention[0], atol=1e-5)
        assert torch.allclose(both.subactions[1], alone.subactions[0], atol=1e-5)
    if cfg.use_text:
        assert torch.allclose(both.text[1, :2], alone.text[0], atol=1e-5)
        assert (both.text[1, 2:] == 0).all()
