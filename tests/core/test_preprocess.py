"""``gdlt-v2`` preprocessing equals the GDLT feature script (torchvision transforms on PIL images of the
frames OpenCV decodes), on 16:9, 4:3 and portrait videos, through every path: the CPU per-frame step, the
device function, the extraction pipeline and ``vatp extract --save-input``."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image
from torchvision import transforms as T

from tests.videogen import make_test_video
from vatp_core.features import extract_features, get_backbone_spec, load_backbone
from vatp_core.features.cache import FeatureCache
from vatp_core.features.preprocess import (
    GDLT_MEAN,
    GDLT_STD,
    PreprocessError,
    gdlt_crop_plan,
    gdlt_frame,
    gdlt_frames,
    gdlt_resized_hw,
    normalise,
    preprocess_clip,
    preprocessing_for,
)
from vatp_core.protocols import ClipProtocol, ProtocolError, get_protocol
from vatp_core.video import iter_clips, open_video

cv2 = pytest.importorskip("cv2")

# the GDLT feature script, verbatim in torchvision terms
GDLT_REFERENCE = T.Compose(
    [T.Resize(256), T.CenterCrop((224, 300)), T.Resize((224, 224)), T.ToTensor(), T.Normalize(GDLT_MEAN, GDLT_STD)]
)
SIZES = {"16:9": (640, 360), "4:3": (400, 300), "portrait": (360, 640)}
PROTOCOL = get_protocol("vst-gdlt", clip_len=8, stride=8)  # 8-frame clips keep the tiny backbone quick


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    folder = tmp_path_factory.mktemp("gdlt")
    return {k: make_test_video(folder / f"{k.replace(':', 'x')}.mp4", 20, size=s, noise=6.0) for k, s in SIZES.items()}


@pytest.fixture(scope="module")
def tiny():
    return load_backbone("tiny", random_init=True, device="cpu")


def opencv_frames(path) -> list[np.ndarray]:
    """Every frame as GDLT read it: cv2.VideoCapture (FFmpeg backend), BGR → RGB."""
    cap = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, bgr = cap.read()
        if not ok:
            break
        frames.append(np.ascontiguousarray(bgr[..., ::-1]))
    cap.release()
    assert frames, "OpenCV could not read the test video"
    return frames


def reference_input(frames: list[np.ndarray]) -> torch.Tensor:
    """(3, T, 224, 224) normalised, as the GDLT script feeds Video Swin."""
    return torch.stack([GDLT_REFERENCE(Image.fromarray(f)) for f in frames], dim=1)


def mae_255(a, b) -> float:
    """Mean absolute difference of two normalised inputs in 0-255 grey levels (after un-normalising)."""
    std = torch.tensor(GDLT_STD).view(3, 1, 1, 1)
    return float(((torch.as_tensor(a) - torch.as_tensor(b)) * std).abs().mean() * 255.0)


def to_input(u8: np.ndarray) -> torch.Tensor:
    """(T, H, W, 3) uint8 → normalised (3, T, H, W), as ToTensor + Normalize."""
    x = torch.from_numpy(u8).float() / 255.0
    return ((x - torch.tensor(GDLT_MEAN)) / torch.tensor(GDLT_STD)).permute(3, 0, 1, 2)


def test_geometry_follows_torchvision():
    assert gdlt_resized_hw(1080, 1920) == (256, 455)  # 256 * 1920 / 1080 = 455.1, truncated
    assert gdlt_resized_hw(480, 640) == (256, 341)
    assert gdlt_resized_hw(1920, 1080) == (455, 256)
    landscape = gdlt_crop_plan(256, 455)
    assert landscape.pad == (0, 0, 0, 0) and (landscape.top, landscape.left) == (16, 78)  # round(77.5) = 78
    portrait = gdlt_crop_plan(455, 256)  # narrower than 300: black bands of 22 on each side, as torchvision pads
    assert portrait.pad == (22, 22, 0, 0) and (portrait.top, portrait.left) == (116, 0)


@pytest.mark.parametrize("kind", sorted(SIZES))
def test_cpu_and_device_paths_match_the_pil_reference(videos, kind):
    frames = opencv_frames(videos[kind])[:4]
    ref = reference_input(frames)
    cpu = to_input(np.stack([gdlt_frame(f) for f in frames]))
    dev = preprocess_clip(torch.from_numpy(np.stack(frames)))  # the float path every device runs
    assert cpu.shape == dev.shape == ref.shape == (3, 4, 224, 224) and dev.dtype == torch.float32
    assert mae_255(cpu, ref) <= 0.1  # torch's uint8 kernel: well under a tenth of a grey level
    assert mae_255(dev, ref) <= 1.0
    u8 = gdlt_frames(torch.from_numpy(np.stack(frames)).float()).round().to(torch.uint8).numpy()
    assert mae_255(to_input(u8), ref) <= 1.0


@pytest.mark.parametrize("kind", sorted(SIZES))
def test_extraction_input_matches_the_pil_reference_and_square_crop_does_not(videos, kind, tiny):
    video = videos[kind]
    got = extract_features(video, tiny, PROTOCOL, use_cache=False, keep_first_input=True)
    first, last = got.clip_ranges[0]
    assert (first, last) == (2, 9)  # 20 frames trimmed symmetrically to 16
    ref = reference_input(opencv_frames(video)[first : last + 1])
    assert got.first_input is not None and got.first_input.shape == (3, 8, 224, 224)
    assert mae_255(got.first_input, ref) <= 1.0
    # what Swin-B was fed before: short side 256, square 224 crop, no antialiasing
    old = preprocessing_for("square-v1", get_backbone_spec("swin3d_b"))
    with open_video(video) as reader:
        _, clip = next(iter_clips(reader, PROTOCOL, resize=old.reader_resize))
    assert mae_255(to_input(clip), ref) > 5.0  # far off (≈ 30 grey levels on real video)


def test_cli_save_input(videos, tiny, tmp_path, capsys):
    from vatp_core.cli import main as cli_main

    weights = tmp_path / "tiny.pth"
    torch.save(tiny.state_dict(), weights)
    saved, out = tmp_path / "input.npy", tmp_path / "features"
    args = ["extract", str(videos["16:9"]), "--backbone", "tiny", "--weights", str(weights), "--device", "cpu"]
    args += ["--protocol", "vst-gdlt", "--clip-len", "8", "--stride", "8", "--out", str(out), "-q"]
    assert cli_main([*args, "--save-input", str(saved)]) == 0
    arr = np.load(saved)
    assert arr.shape == (3, 8, 224, 224) and arr.dtype == np.float32
    assert mae_255(arr, reference_input(opencv_frames(videos["16:9"])[2:10])) <= 1.0
    assert np.load(out / "16x9.npy").shape == (2, 256)
    assert "first clip's input (3, 8, 224, 224)" in capsys.readouterr().out


def test_version_is_part_of_the_protocol_and_the_cache_key(videos, tiny):
    gdlt = get_protocol("vst-gdlt")
    assert gdlt.preprocess == "gdlt-v2" and gdlt.to_dict()["preprocess"] == "gdlt-v2"
    assert get_protocol("generic").preprocess == "square-v1" and get_protocol("i3d-mtl").preprocess == "square-v1"
    # a protocol saved before versions existed (an older pack): a preset keeps its own recipe
    old = {k: v for k, v in gdlt.to_dict().items() if k != "preprocess"}
    assert ClipProtocol.from_dict(old).preprocess == "gdlt-v2"
    old_generic = {k: v for k, v in get_protocol("generic").to_dict().items() if k != "preprocess"}
    assert ClipProtocol.from_dict(old_generic).preprocess == "square-v1"
    with pytest.raises(ProtocolError):
        get_protocol("vst-gdlt", preprocess="crop-v0")
    # features made with one recipe are never served for the other
    square = get_protocol("vst-gdlt", clip_len=8, stride=8, preprocess="square-v1")
    extract_features(videos["4:3"], tiny, square)
    assert len(FeatureCache().entries()) == 1
    assert not extract_features(videos["4:3"], tiny, PROTOCOL).from_cache
    assert extract_features(videos["4:3"], tiny, PROTOCOL).from_cache
    assert len(FeatureCache().entries()) == 2


def test_bad_frames_get_a_clear_error():
    with pytest.raises(PreprocessError):
        gdlt_frame(np.zeros((10, 10), np.uint8))
    with pytest.raises(PreprocessError):
        preprocess_clip(torch.zeros(2, 10, 10, 4, dtype=torch.uint8))
    with pytest.raises(PreprocessError):
        preprocess_clip(torch.zeros(2, 10, 10, 3, dtype=torch.uint8), version="square-v1")


@pytest.mark.parametrize("channels_last", [False, True])
def test_normalise_is_bit_for_bit_the_plain_formula(channels_last):
    mean, std = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
    clips = torch.randint(0, 256, (2, 5, 12, 10, 3), dtype=torch.uint8)
    m = torch.tensor(mean).view(1, 3, 1, 1, 1) * 255.0
    s = torch.tensor(std).view(1, 3, 1, 1, 1) * 255.0
    got = normalise(clips, mean, std, channels_last)
    assert torch.equal(got, (clips.permute(0, 4, 1, 2, 3).float() - m) / s)
    assert got.is_contiguous(memory_format=torch.channels_last_3d if channels_last else torch.contiguous_format)
