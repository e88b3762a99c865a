"""`vatp extract --mtl-annotations`: 103 frames from start_frame to end_frame inclusive, 10 clips of 16
frames, one <video>_<dive>.npy per dive, read back by the MTL-AQA loader."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch

from tests.videogen import make_test_video
from vatp_core.cli import main
from vatp_core.datasets import load_split
from vatp_core.features import extract_features, load_backbone
from vatp_core.protocols import get_protocol


def _dive(start, end, code="407C", score=60.0, dd=3.0):
    return {
        "start_frame": start,
        "end_frame": end,
        "difficulty": dd,
        "final_score": score,
        "dive_number": code,
        "position": 2,
        "armstand": 0,
        "rotation_type": 2,
        "ss_no": 7,
        "tw_no": 0,
        "judge_scores": [7.0] * 7,
    }


@pytest.fixture(scope="module")
def mtl_videos(tmp_path_factory):
    root = tmp_path_factory.mktemp("mtl")
    videos = root / "videos"
    videos.mkdir()
    make_test_video(videos / "01.mp4", 70, size=(96, 72), gop=10)  # a competition video with three dives
    make_test_video(videos / "02_01.mp4", 30, size=(96, 72))  # one dive cut out already
    ann = {
        (1, 1): _dive(5, 40),
        (1, 2): _dive(41, 69, "105B", 70.0, 2.6),
        (1, 3): _dive(10, 30, "201A", 50.0, 1.9),
        (2, 1): _dive(1000, 1040, "305C", 55.0, 3.0),  # its own clip: used whole
        (3, 1): _dive(0, 20),  # no video
    }
    ann_dir = root / "ann"
    ann_dir.mkdir()
    with open(ann_dir / "final_annotations_dict_with_dive_number.pkl", "wb") as fh:
        pickle.dump(ann, fh)
    for split, keys in (("train", [(1, 1), (1, 2), (2, 1)]), ("test", [(1, 3), (3, 1)])):
        with open(ann_dir / f"{split}_split_0.pkl", "wb") as fh:
            pickle.dump(keys, fh)
    return videos, ann_dir


def test_extract_mtl_dives(mtl_videos, tmp_path, capsys):
    videos, ann_dir = mtl_videos
    tiny = load_backbone("tiny", random_init=True, device="cpu")
    weights = tmp_path / "tiny.pth"
    torch.save(tiny.state_dict(), weights)
    out = tmp_path / "features"
    args = ["extract", str(videos), "--mtl-annotations", str(ann_dir / "final_annotations_dict_with_dive_number.pkl")]
    args += ["--backbone", "tiny", "--weights", str(weights), "--device", "cpu", "--out", str(out), "-q"]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "Extracted 4 videos (40 clips" in text and "protocol i3d-mtl" in text and "1 annotated dives have no" in text
    assert sorted(p.name for p in out.glob("*.npy")) == ["01_01.npy", "01_02.npy", "01_03.npy", "02_01.npy"]
    protocol = get_protocol("i3d-mtl")
    # 103 frames from start_frame to end_frame inclusive: the clips begin at the first and end at the last
    ranges = protocol.clip_ranges(70, 5, 41)
    assert len(ranges) == 10 and ranges[0][0] == 5 and ranges[-1][1] == 40
    ref = extract_features(videos / "01.mp4", tiny, protocol, start=5, end=41, use_cache=False).features
    np.testing.assert_allclose(np.load(out / "01_01.npy"), ref, rtol=1e-4, atol=1e-5)
    whole = extract_features(videos / "02_01.mp4", tiny, protocol, use_cache=False).features
    np.testing.assert_allclose(np.load(out / "02_01.npy"), whole, rtol=1e-4, atol=1e-5)
    train = load_split("mtl", out, None, "train", annotations=ann_dir)
    assert len(train) == 3 and train[0].features.shape == (10, 256)
    assert train.protocol == "i3d-mtl"


def test_extract_mtl_needs_a_folder_and_a_readable_file(mtl_videos, tmp_path, capsys):
    videos, ann_dir = mtl_videos
    base = ["extract", "--backbone", "tiny", "--device", "cpu", "--out", str(tmp_path / "f")]
    assert main([*base[:1], str(videos / "01.mp4"), *base[1:], "--mtl-annotations", str(ann_dir)]) == 2
    assert "folder of the MTL-AQA videos" in capsys.readouterr().err
    assert main([*base[:1], str(videos), *base[1:], "--mtl-annotations", str(tmp_path / "none.pkl")]) == 2
    assert "annotation file not found" in capsys.readouterr().err
