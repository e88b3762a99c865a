"""Backbones build without weights, give their stated feature dimension, and load the public layouts."""

from __future__ import annotations

import time

import pytest
import torch

from vatp_core.devices import DeviceError, resolve_device
from vatp_core.features import (
    BACKBONE_NAMES,
    IncompatibleWeightsError,
    MissingWeightsError,
    UnknownBackboneError,
    get_backbone_spec,
    load_backbone,
    state_dict_hash,
)
from vatp_core.features.backbones import build_backbone_module

torch.set_num_threads(2)


def test_resolve_device():
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    assert resolve_device(None).type in ("cuda", "cpu")
    with pytest.raises(DeviceError, match="choose one of"):
        resolve_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(DeviceError, match="CUDA device was requested"):
            resolve_device("cuda")


def test_specs():
    assert set(BACKBONE_NAMES) == {"swin3d_t", "swin3d_s", "swin3d_b", "i3d", "tiny"}
    assert get_backbone_spec("swin3d_b").feature_dim == 1024
    assert get_backbone_spec("i3d").feature_dim == 1024
    tiny = get_backbone_spec("tiny")
    assert (tiny.feature_dim, tiny.clip_len, tiny.input_size, tiny.short_side, tiny.ships_in_pack) == (
        256,
        16,
        112,
        128,
        True,
    )
    with pytest.raises(UnknownBackboneError, match="choose one of"):
        get_backbone_spec("resnet")


def test_tiny_backbone_is_small_trainable_and_256d():
    from vatp_core.features.tiny import TinyBackbone

    m = TinyBackbone()
    n = sum(p.numel() for p in m.parameters())
    assert 100_000 < n < 1_000_000
    x = torch.randn(2, 3, 16, 112, 112)
    y = m.features(x)
    assert y.shape == (2, 256)
    y.sum().backward()  # trainable end to end
    assert m.stem[0].weight.grad is not None and m.stem[0].weight.grad.abs().sum() > 0


@pytest.mark.parametrize("name, shape", [("tiny", (16, 112, 112)), ("i3d", (16, 64, 64))])
def test_backbones_build_without_weights_and_give_their_dimension(name, shape):
    b = load_backbone(name, random_init=True, device="cpu")
    assert not b.module.training
    with torch.inference_mode():
        y = b.module(torch.randn(2, 3, *shape))
    assert y.shape == (2, b.spec.feature_dim)
    assert torch.isfinite(y).all()
    if name == "tiny":
        again = load_backbone(name, random_init=True, device="cpu")
        assert again.weights_hash == b.weights_hash  # seeded: same weights, same hash
        assert load_backbone(name, random_init=True, seed=1, device="cpu").weights_hash != b.weights_hash


@pytest.mark.slow
@pytest.mark.parametrize("name", ["swin3d_s", "swin3d_b"])
def test_big_swins_build_and_give_their_dimension(name):
    b = load_backbone(name, random_init=True, device="cpu")
    with torch.inference_mode():
        y = b.module(torch.randn(1, 3, 4, 64, 64))
    assert y.shape == (1, b.spec.feature_dim)


def test_swin_t_builds_768d_pooled_like_torchvision():
    """Our Swin feature = torchvision's forward without the classifier: mean of the normed last stage."""
    m = build_backbone_module("swin3d_t", init=False)  # torchvision's init takes seconds; random normal will do
    with torch.no_grad():
        for p in m.parameters():
            p.normal_(0.0, 0.02)
    m.eval()
    x = torch.randn(1, 3, 8, 64, 64)
    with torch.inference_mode():
        feats = m(x)
        assert feats.shape == (1, 768)
        stage = m.norm(m.features(m.patch_embed(x)))  # (B, T', H', W', C)
        ref = stage.mean(dim=(1, 2, 3))
    torch.testing.assert_close(feats, ref)


def test_state_dict_input_and_hash():
    src = build_backbone_module("tiny")
    state = src.state_dict()
    b = load_backbone("tiny", weights=state, device="cpu")
    assert b.weights_hash == state_dict_hash(state)
    x = torch.randn(1, 3, 16, 112, 112)
    with torch.inference_mode():
        torch.testing.assert_close(b.module(x), src.eval()(x))
    bad = dict(state)
    bad.pop("stem.0.weight")
    with pytest.raises(IncompatibleWeightsError, match="missing"):
        load_backbone("tiny", weights=bad, device="cpu")
    with pytest.raises(IncompatibleWeightsError, match="hash"):
        load_backbone("tiny", weights=state, device="cpu", weights_hash="0" * 16)


@pytest.mark.parametrize("name", ["swin3d_b", "swin3d_t", "i3d", "tiny"])
def test_missing_weights_error_is_fast_and_names_file_and_folder(name, vatp_home):
    start = time.monotonic()
    with pytest.raises(MissingWeightsError) as info:
        load_backbone(name, device="cpu")
    assert time.monotonic() - start < 1.0
    message = str(info.value)
    assert str(vatp_home) in message or name == "tiny"
    if name == "swin3d_b":
        assert "swin3d_b_1k-24f7c7c6.pth" in message and info.value.filename == "swin3d_b_1k-24f7c7c6.pth"
    if name == "i3d":
        assert "rgb_imagenet.pt" in message
    if name == "tiny":
        assert "model pack" in message


# The public I3D RGB checkpoints (pytorch-i3d's rgb_imagenet.pt): unit names, conv3d + bn, logits with a bias.
_I3D_MIXED = {
    "Mixed_3b": (192, (64, 96, 128, 16, 32, 32)),
    "Mixed_3c": (256, (128, 128, 192, 32, 96, 64)),
    "Mixed_4b": (480, (192, 96, 208, 16, 48, 64)),
    "Mixed_4c": (512, (160, 112, 224, 24, 64, 64)),
    "Mixed_4d": (512, (128, 128, 256, 24, 64, 64)),
    "Mixed_4e": (512, (112, 144, 288, 32, 64, 64)),
    "Mixed_4f": (528, (256, 160, 320, 32, 128, 128)),
    "Mixed_5b": (832, (256, 160, 320, 32, 128, 128)),
    "Mixed_5c": (832, (384, 192, 384, 48, 128, 128)),
}


def public_i3d_checkpoint(num_classes: int = 400) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(3)
    state: dict[str, torch.Tensor] = {}

    def unit(name, c_in, c_out, k):
        state[f"{name}.conv3d.weight"] = torch.randn(c_out, c_in, k, k, k, generator=g) * 0.05
        state[f"{name}.bn.weight"] = 1 + 0.1 * torch.randn(c_out, generator=g)
        state[f"{name}.bn.bias"] = 0.1 * torch.randn(c_out, generator=g)
        state[f"{name}.bn.running_mean"] = 0.1 * torch.randn(c_out, generator=g)
        state[f"{name}.bn.running_var"] = 1 + torch.rand(c_out, generator=g)

    unit("Conv3d_1a_7x7", 3, 64, 7)
    unit("Conv3d_2b_1x1", 64, 64, 1)
    unit("Conv3d_2c_3x3", 64, 192, 3)
    for mixed, (c_in, (b0, b1a, b1b, b2a, b2b, b3b)) in _I3D_MIXED.items():
        unit(f"{mixed}.b0", c_in, b0, 1)
        unit(f"{mixed}.b1a", c_in, b1a, 1)
        unit(f"{mixed}.b1b", b1a, b1b, 3)
        unit(f"{mixed}.b2a", c_in, b2a, 1)
        unit(f"{mixed}.b2b", b2a, b2b, 3)
        unit(f"{mixed}.b3b", c_in, b3b, 1)
    state["logits.conv3d.weight"] = torch.randn(num_classes, 1024, 1, 1, 1, generator=g) * 0.01
    state["logits.conv3d.bias"] = torch.zeros(num_classes)
    return state


def test_i3d_loads_the_public_checkpoint_layout(tmp_path):
    ckpt = public_i3d_checkpoint()
    path = tmp_path / "rgb_imagenet.pt"
    torch.save(ckpt, path)
    b = load_backbone("i3d", weights=path, device="cpu")
    sd = b.module.state_dict()
    torch.testing.assert_close(sd["Mixed_4c.b1b.conv3d.weight"], ckpt["Mixed_4c.b1b.conv3d.weight"])
    torch.testing.assert_close(sd["Conv3d_1a_7x7.bn.running_var"], ckpt["Conv3d_1a_7x7.bn.running_var"])
    assert not any(k.startswith("logits") for k in sd)
    with torch.inference_mode():
        y = b.module(torch.rand(1, 3, 16, 224, 224) * 2 - 1)
    assert y.shape == (1, 1024) and (y >= 0).all()  # mean of post-ReLU activations


def test_i3d_same_padding_output_sizes():
    from vatp_core.features.i3d import InceptionI3d

    m = InceptionI3d().eval()
    with torch.inference_mode():
        fm = m.feature_map(torch.randn(1, 3, 16, 96, 160))
    assert fm.shape == (1, 1024, 2, 3, 5)  # TF "SAME" padding: ceil(16/8) frames, ceil(96/32) x ceil(160/32)
