"""The tiny backbone's sequence forward: the features of overlapping clips with each frame through the stem once."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tests.videogen import make_test_video
from vatp_core.features import extract_features, load_backbone
from vatp_core.features.batches import shared_frames
from vatp_core.features.tiny import TinyBackbone
from vatp_core.protocols import get_protocol

L = 16


@pytest.fixture(scope="module")
def net() -> TinyBackbone:
    torch.manual_seed(3)
    m = TinyBackbone()
    for bn in (mod for mod in m.modules() if isinstance(mod, torch.nn.BatchNorm3d)):  # statistics a trained net has
        bn.running_mean.uniform_(-0.5, 0.5)
        bn.running_var.uniform_(0.5, 2.0)
        bn.weight.data.uniform_(0.5, 1.5)
        bn.bias.data.uniform_(-0.2, 0.2)
    return m.eval()


def _clips(frames: torch.Tensor, offsets: list[int]) -> torch.Tensor:
    return torch.stack([frames[0, :, o : o + L] for o in offsets])


@pytest.mark.parametrize(
    "offsets",
    [
        [0, 8, 16, 24],  # the demo's protocol: 16 frames every 8, the last clip ending at the sequence's end
        [4, 12],  # neither first nor last clip at the sequence's ends
        [0, 8, 24, 32],  # a clip that does not continue the previous one (a junction between runs)
        [0, 3, 5],  # overlaps of 13 and 14 frames
    ],
)
def test_sequence_forward_equals_the_clip_forward(net, offsets):
    n = max(offsets) + L
    frames = torch.randn(1, 3, n, 48, 40).contiguous(memory_format=torch.channels_last_3d)
    with torch.inference_mode():
        want = net.features(_clips(frames, offsets))
        got = net.features_of_sequence(frames, offsets, L)
    assert got.shape == want.shape == (len(offsets), net.feature_dim)
    torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-5)


def test_sequence_forward_in_training_mode_is_the_plain_forward():
    torch.manual_seed(1)
    net = TinyBackbone().train()  # batch statistics: no folding, the module's own forward
    frames = torch.randn(1, 3, 24, 32, 32)
    with torch.no_grad():
        got = net.features_of_sequence(frames, [0, 8], L)
        want = net.features(_clips(frames, [0, 8]))
    assert torch.equal(got, want)


def test_clips_outside_the_sequence_are_refused(net):
    with pytest.raises(ValueError, match="do not fit"):
        net.features_of_sequence(torch.zeros(1, 3, 20, 32, 32), [0, 8], L)


def test_shared_frames_keeps_each_frame_once_and_only_when_equal():
    rng = np.random.default_rng(0)
    seq = torch.from_numpy(rng.integers(0, 255, size=(40, 6, 5, 3), dtype=np.uint8))
    clips = torch.stack([seq[o : o + L] for o in (0, 8, 16)])
    frames, offsets = shared_frames(clips, overlap=8)
    assert offsets == [0, 8, 16] and torch.equal(frames, seq[:32])
    other = clips.clone()
    other[2, 0] ^= 1  # one value differs: clip 2 no longer continues clip 1
    frames, offsets = shared_frames(other, overlap=8)
    assert offsets == [0, 8, 24] and frames.shape[0] == 40
    for c, o in zip(other, offsets):
        assert torch.equal(frames[o : o + L], c)
    apart = torch.stack([seq[0:L], seq[20 : 20 + L]])
    assert shared_frames(apart, overlap=8) is None  # nothing shared: the caller keeps the plain clip batch


def test_extraction_takes_the_sequence_path_for_overlapping_clips(tmp_path, monkeypatch):
    video = make_test_video(tmp_path / "v.mp4", 56, size=(96, 80), gop=10)
    tiny = load_backbone("tiny", random_init=True, device="cpu")
    calls: list[list[int]] = []
    real = tiny.module.features_of_sequence

    def spy(frames, offsets, clip_len):
        calls.append(list(offsets))
        return real(frames, offsets, clip_len)

    monkeypatch.setattr(tiny.module, "features_of_sequence", spy)
    overlapping = extract_features(video, tiny, get_protocol("generic", clip_len=16, stride=8), use_cache=False)
    assert calls and calls[0][:2] == [0, 8]
    n_before = len(calls)
    extract_features(video, tiny, get_protocol("generic", clip_len=16, stride=16), use_cache=False)
    assert len(calls) == n_before  # clips that do not overlap keep the plain batch forward
    monkeypatch.setattr(tiny.module, "features_of_sequence", None)
    plain = extract_features(video, tiny, get_protocol("generic", clip_len=16, stride=8), use_cache=False)
    np.testing.assert_allclose(overlapping.features, plain.features, rtol=1e-4, atol=1e-5)
