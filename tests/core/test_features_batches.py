"""The overlapped extraction loop: precision, device-side preprocessing, decode paths, rate reports, stages."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tests.videogen import make_test_video
from vatp_core.features import extract_features, load_backbone
from vatp_core.features.batches import ExtractionRate, RateListener, autocast_dtype
from vatp_core.protocols import get_protocol
from vatp_core.video import DecodeOptions

PROTOCOL = get_protocol("generic", clip_len=16, stride=8)


@pytest.fixture(scope="module")
def video(tmp_path_factory):
    return make_test_video(tmp_path_factory.mktemp("v") / "r.mp4", 120, size=(160, 120), gop=12)


@pytest.fixture(scope="module")
def tiny():
    return load_backbone("tiny", random_init=True, device="cpu")


def test_stage_breakdown_and_rate_reports(video, tiny):
    class Listener:
        def __init__(self):
            self.calls, self.rates = [], []

        def __call__(self, stage, done, total):
            self.calls.append((stage, done, total))

        def rate(self, info):
            self.rates.append(info)

    listener = Listener()
    assert isinstance(listener, RateListener)
    got = extract_features(video, tiny, PROTOCOL, batch_size=4, use_cache=False, progress=listener)
    assert listener.calls[-1] == ("features", 14, 14)
    r = listener.rates
    assert r and all(isinstance(x, ExtractionRate) for x in r)
    assert [x.frames_done for x in r] == sorted(x.frames_done for x in r)
    assert r[-1].frames_done == r[-1].frames_total == 120 and r[-1].eta_s == 0
    assert all(x.frames_per_s > 0 for x in r)
    for key in ("decode", "resize", "upload", "normalise", "backbone", "wait_for_decode", "frames_per_s"):
        assert got.timings[key] >= 0, key
    assert got.timings["backbone"] > 0 and got.timings["decode"] > 0


def test_parallel_decode_gives_the_same_features(video, tiny, monkeypatch):
    import vatp_core.video.decoding as decoding

    monkeypatch.setattr(decoding, "MIN_RANGE_FRAMES", 8)
    one = extract_features(video, tiny, PROTOCOL, use_cache=False, decode=DecodeOptions(workers=1))
    three = extract_features(video, tiny, PROTOCOL, use_cache=False, decode=DecodeOptions(workers=3))
    np.testing.assert_array_equal(one.features, three.features)
    assert three.timings["decode_workers"] == 3


def test_bf16_autocast_stays_close_to_fp32(video, tiny):
    assert autocast_dtype(torch.device("cpu")) is None and autocast_dtype(torch.device("cpu"), "bf16") is torch.bfloat16
    with pytest.raises(ValueError):
        autocast_dtype(torch.device("cpu"), "int8")
    fp32 = extract_features(video, tiny, PROTOCOL, use_cache=False, precision="fp32").features
    bf16 = extract_features(video, tiny, PROTOCOL, use_cache=False, precision="bf16").features
    assert not np.array_equal(fp32, bf16)  # it really ran in bf16
    cos = (fp32 * bf16).sum(1) / (np.linalg.norm(fp32, axis=1) * np.linalg.norm(bf16, axis=1))
    assert cos.min() > 0.99


def test_device_side_preprocessing_matches_the_decoder_side(video, tiny):
    """gdlt-v2 on full-size frames (the GPU path, run here on the CPU) agrees with the CPU frame path."""
    proto = get_protocol("generic", clip_len=16, stride=16, preprocess="gdlt-v2")
    cpu = extract_features(video, tiny, proto, use_cache=False, preprocess_on_device=False, keep_first_input=True)
    dev = extract_features(video, tiny, proto, use_cache=False, preprocess_on_device=True, keep_first_input=True)
    assert dev.first_input.shape == cpu.first_input.shape == (3, 16, 224, 224)
    assert np.abs(dev.first_input - cpu.first_input).max() < 2.5 / 255 / 0.22  # < ~1 grey level, normalised
    np.testing.assert_allclose(dev.features, cpu.features, rtol=0.05, atol=0.05)
    with pytest.raises(ValueError):
        extract_features(video, tiny, PROTOCOL, use_cache=False, preprocess_on_device=True)
