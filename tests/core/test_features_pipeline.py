"""Feature extraction pipeline: exact features in clip order, batching, progress, cancel, cache, CLI."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch

from tests.videogen import make_test_video
from vatp_core.errors import Cancelled
from vatp_core.features import extract_features, load_backbone
from vatp_core.features.cache import FeatureCache
from vatp_core.protocols import get_protocol
from vatp_core.video import Resize, iter_clips, open_video

torch.set_num_threads(2)


@pytest.fixture(scope="module")
def video(tmp_path_factory):
    return make_test_video(tmp_path_factory.mktemp("v") / "routine.mp4", 72, size=(160, 120), gop=12)


@pytest.fixture(scope="module")
def tiny():
    return load_backbone("tiny", random_init=True, device="cpu")


PROTOCOL = get_protocol("generic", clip_len=16, stride=8)


def reference_features(video, backbone, protocol, start=0, end=None) -> np.ndarray:
    """Clip by clip, without the pipeline: the clip reader, normalise, run the module."""
    spec = backbone.spec
    mean = torch.tensor(spec.mean).view(1, 3, 1, 1, 1)
    std = torch.tensor(spec.std).view(1, 3, 1, 1, 1)
    out = []
    with open_video(video) as reader, torch.inference_mode():
        for _, clip in iter_clips(
            reader, protocol, Resize(short_side=spec.short_side, crop=spec.input_size), start, end
        ):
            x = torch.from_numpy(clip).permute(3, 0, 1, 2).unsqueeze(0).float() / 255.0
            out.append(backbone.module((x - mean) / std)[0].numpy())
    return np.stack(out)


def test_features_match_clip_by_clip_reference(video, tiny):
    events = []
    got = extract_features(
        video, tiny, PROTOCOL, batch_size=3, prefetch=1, use_cache=False, progress=lambda *a: events.append(a)
    )
    ref = reference_features(video, tiny, PROTOCOL)
    assert got.features.shape == (8, 256) and got.features.dtype == np.float32
    np.testing.assert_allclose(got.features, ref, rtol=1e-4, atol=1e-5)
    assert got.clip_ranges == PROTOCOL.clip_ranges(72)
    assert got.video.n_frames == 72 and not got.from_cache
    assert events == [("features", i, 8) for i in range(1, 9)]  # one call per clip
    assert got.timings["total"] > 0 and "compute" in got.timings and "wait_for_decode" in got.timings
    assert not [t for t in threading.enumerate() if t.name == "vatp-decode"]


def test_batch_size_does_not_change_features(video, tiny):
    a = extract_features(video, tiny, PROTOCOL, batch_size=1, use_cache=False)
    b = extract_features(video, tiny, PROTOCOL, batch_size=8, use_cache=False)
    np.testing.assert_allclose(a.features, b.features, rtol=1e-4, atol=1e-5)


def test_extraction_under_callers_inference_mode(video, tiny):
    """The app's worker runs jobs inside torch.inference_mode(); the decode thread must still fill its buffers."""
    plain = extract_features(video, tiny, PROTOCOL, batch_size=2, use_cache=False)
    with torch.inference_mode():
        inside = extract_features(video, tiny, PROTOCOL, batch_size=2, use_cache=False)
    np.testing.assert_allclose(inside.features, plain.features, rtol=1e-5, atol=1e-6)


def test_range_and_i3d_protocol(video, tiny):
    part = extract_features(video, tiny, PROTOCOL, start=20, end=60, use_cache=False)
    assert part.clip_ranges == [(20, 35), (28, 43), (36, 51), (44, 59)]
    np.testing.assert_allclose(part.features, reference_features(video, tiny, PROTOCOL, 20, 60), rtol=1e-4, atol=1e-5)
    mtl = extract_features(video, tiny, get_protocol("i3d-mtl"), start=0, end=72, use_cache=False)
    assert mtl.features.shape == (10, 256)


def test_cancel_between_batches_leaves_no_cache_entry(video, tiny):
    calls = []

    def cancel():
        return len(calls) >= 2

    with pytest.raises(Cancelled):
        extract_features(video, tiny, PROTOCOL, batch_size=2, progress=lambda *a: calls.append(a), cancel=cancel)
    assert len(calls) == 2  # stopped after the first batch of two clips
    assert FeatureCache().entries() == []
    assert not [t for t in threading.enumerate() if t.name == "vatp-decode" and t.is_alive()]


def test_second_extraction_is_served_from_cache(video, tiny, tmp_path):
    first = extract_features(video, tiny, PROTOCOL)
    assert not first.from_cache and len(FeatureCache().entries()) == 1

    class Exploding(torch.nn.Module):
        def forward(self, x):
            raise AssertionError("the backbone must not run on a cache hit")

    cached_backbone = type(tiny)(spec=tiny.spec, module=Exploding(), weights_hash=tiny.weights_hash)
    events = []
    second = extract_features(video, cached_backbone, PROTOCOL, progress=lambda *a: events.append(a))
    assert second.from_cache and events == [("features", 8, 8)]
    np.testing.assert_array_equal(second.features, first.features)
    assert second.clip_ranges == first.clip_ranges and second.content_hash == first.content_hash

    # same bytes under another name: still a hit (the key is the content, not the path)
    copy = tmp_path / "renamed.mp4"
    copy.write_bytes(video.read_bytes())
    assert extract_features(copy, cached_backbone, PROTOCOL).from_cache

    # other weights, protocol or range: a miss
    other = load_backbone("tiny", random_init=True, seed=7, device="cpu")
    assert not extract_features(video, other, PROTOCOL).from_cache
    assert not extract_features(video, tiny, get_protocol("generic", clip_len=16, stride=16)).from_cache
    assert not extract_features(video, tiny, PROTOCOL, start=8).from_cache
    assert not extract_features(video, tiny, PROTOCOL, use_cache=False).from_cache


def test_damaged_cache_entry_is_recomputed(video, tiny):
    first = extract_features(video, tiny, PROTOCOL)
    (entry,) = FeatureCache().entries()
    entry.write_bytes(entry.read_bytes()[:50])
    again = extract_features(video, tiny, PROTOCOL)
    assert not again.from_cache
    np.testing.assert_allclose(again.features, first.features, rtol=1e-5, atol=1e-6)


def test_cli_extract_writes_npy_per_video(video, tiny, tmp_path, capsys):
    from vatp_core.cli import main as cli_main

    weights = tmp_path / "tiny.pth"
    torch.save(tiny.state_dict(), weights)
    folder = tmp_path / "videos"
    folder.mkdir()
    (folder / "a.mp4").write_bytes(video.read_bytes())
    make_test_video(folder / "b.mp4", 40, size=(120, 160))
    (folder / "notes.txt").write_text("not a video")
    out = tmp_path / "features"
    rc = cli_main(
        [
            "extract",
            str(folder),
            "--backbone",
            "tiny",
            "--weights",
            str(weights),
            "--protocol",
            "generic",
            "--clip-len",
            "16",
            "--stride",
            "8",
            "--out",
            str(out),
            "--device",
            "cpu",
        ]
    )
    assert rc == 0
    a, b = np.load(out / "a.npy"), np.load(out / "b.npy")
    assert a.shape == (8, 256) and b.shape == (4, 256) and a.dtype == np.float32
    np.testing.assert_allclose(a, reference_features(video, tiny, PROTOCOL), rtol=1e-4, atol=1e-5)
    assert sorted(p.name for p in out.iterdir()) == ["a.npy", "b.npy", "extraction.json"]
    text = capsys.readouterr()
    assert "2 videos" in text.out
    # missing weights for a backbone that needs them: a clear error, exit 2, no hang
    rc = cli_main(["extract", str(video), "--backbone", "swin3d_b", "--protocol", "vst-gdlt", "--out", str(out)])
    # (vst-gdlt asks for the official Kinetics-600 model the public features were made with)
    assert rc == 2 and "swin_base_patch244_window877_kinetics600_22k.pth" in capsys.readouterr().err


def test_protocol_resampling_time_uses_frame_timestamps(tmp_path, tiny):
    fast = make_test_video(tmp_path / "fifty.mp4", 100, size=(160, 120), fps=50)
    protocol = get_protocol("generic", clip_len=16, stride=16, fps=25)
    got = extract_features(fast, tiny, protocol, use_cache=False)
    assert got.clip_ranges == [(0, 30), (32, 62), (64, 94)]  # every other frame of a 50 fps video
    np.testing.assert_allclose(got.features, reference_features(fast, tiny, protocol), rtol=1e-4, atol=1e-5)


@pytest.mark.gpu
def test_cuda_extraction_matches_cpu(video, tiny):
    cpu = extract_features(video, tiny, PROTOCOL, use_cache=False)
    gpu_backbone = load_backbone("tiny", weights=tiny.state_dict(), device="cuda")
    gpu = extract_features(video, gpu_backbone, PROTOCOL, batch_size=3, prefetch=1, use_cache=False)
    assert gpu.clip_ranges == cpu.clip_ranges
    # bf16 / fp16 autocast: close, not identical
    cos = (gpu.features * cpu.features).sum(1) / (
        np.linalg.norm(gpu.features, axis=1) * np.linalg.norm(cpu.features, axis=1)
    )
    assert cos.min() > 0.99


def test_cpu_extraction_leaves_a_core_for_decoding(video, tiny):
    from vatp_core.video.decoding import available_cpus

    seen = []

    class Recording(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, x):
            seen.append(torch.get_num_threads())
            return self.inner(x)

    torch.set_num_threads(2)
    wrapped = type(tiny)(spec=tiny.spec, module=Recording(tiny.module), weights_hash=tiny.weights_hash)
    extract_features(video, wrapped, PROTOCOL, use_cache=False)
    assert seen and set(seen) == {max(1, min(2, available_cpus() - 1))}
    assert torch.get_num_threads() == 2  # restored afterwards
