"""The demo build: backbone supervision targets, a short backbone training run, segment→frame mapping, the shipped demo."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from vatp_core import paths
from vatp_core.result import Segment
from vatp_core.synth import SynthConfig, render_routine, routine_spec
from vatp_core.synth.demo import DEMO_LABEL, frame_labels_from_segments
from vatp_core.synth.training import BackboneTrainConfig, DecodedRoutine, clip_targets, train_tiny_backbone


def test_clip_targets_are_phase_shares_and_clip_quality():
    shares, q, w = clip_targets(np.array([-1, -1, 0, 0, 0, 0, 1, 1]), np.array([0.1, 0.2, 0.3, 0.4]))
    assert shares.tolist() == pytest.approx([0.25, 0.5, 0.25, 0.0, 0.0])
    assert q == pytest.approx((0.5 * 0.1 + 0.25 * 0.2) / 0.75) and w == pytest.approx(0.75)
    assert clip_targets(np.full(16, -1), np.ones(4))[2] == 0.0  # idle clip: no quality to learn


def _decoded(index: int) -> DecodedRoutine:
    spec = routine_spec(SynthConfig(seed=2), index)
    frames = render_routine(spec, (160, 120))[:40]
    small = np.stack([cv2.resize(f, (149, 112))[:, 18:130] for f in frames])
    return DecodedRoutine(
        f"r{index}",
        small,
        np.array(spec.frame_labels()[:40]),
        np.array(spec.quality, np.float32),
        spec.score,
        spec.phrases,
    )


def test_backbone_training_updates_only_unfrozen_layers():
    import torch

    from vatp_core.features.tiny import TinyBackbone

    routines = [_decoded(0), _decoded(1)]
    res = train_tiny_backbone(
        routines, BackboneTrainConfig(epochs=1, batch_size=2, stride=16, seed=3, calib_clips=2, frozen_layers=2)
    )
    torch.manual_seed(3)
    init = TinyBackbone().state_dict()
    assert set(res.state_dict) == set(init)
    assert torch.equal(res.state_dict["stem.0.weight"], init["stem.0.weight"])  # frozen: seeded random init
    assert not torch.equal(res.state_dict["stem.1.running_mean"], init["stem.1.running_mean"])  # calibrated
    assert not torch.equal(res.state_dict["stage3.0.weight"], init["stage3.0.weight"])  # trained
    assert res.steps == 2 and res.history and np.isfinite(res.history[-1]["loss"])
    full = train_tiny_backbone(routines, BackboneTrainConfig(epochs=1, batch_size=2, stride=16, seed=3))
    assert not torch.equal(full.state_dict["stem.0.weight"], init["stem.0.weight"])  # nothing frozen by default
    # the trained weights load into the project's backbone loader and give 256-d clip vectors
    from vatp_core.features import load_backbone
    from vatp_core.protocols import get_protocol
    from vatp_core.synth.training import routine_features

    bb = load_backbone("tiny", weights=res.state_dict, device="cpu")
    feats = routine_features(routines, bb, get_protocol("generic", clip_len=16, stride=16))
    assert [f.shape for f in feats] == [(2, 256), (2, 256)] and np.isfinite(feats[0]).all()


def test_segments_map_to_frame_labels():
    segs = [
        Segment(
            index=0, name="Approach", start_frame=3, end_frame=5, start_time=0, end_time=0, confidence=1, contribution=0
        ),
        Segment(
            index=2, name="Rotation", start_frame=8, end_frame=9, start_time=0, end_time=0, confidence=1, contribution=0
        ),
    ]
    assert frame_labels_from_segments(segs, 11).tolist() == [-1, -1, -1, 0, 0, 0, -1, -1, 2, 2, -1]


def test_shipped_demo_is_labelled_small_and_has_ground_truth():
    from vatp_core.pack import load_pack

    video, pack_dir = paths.demo_video_path(), paths.demo_pack_path()
    total = sum(f.stat().st_size for f in video.parent.rglob("*") if f.is_file())
    assert total < 20e6
    pack = load_pack(pack_dir)
    m = pack.manifest
    assert m.label == DEMO_LABEL and m.not_for_judging and m.backbone == "tiny" and m.backbone_in_pack
    assert pack.backbone_state() is not None
    truth = json.loads(video.with_suffix(".json").read_text())
    from vatp_core.video import open_video

    with open_video(video) as r:
        assert len(r) == len(truth["frame_labels"])
        assert 8.0 <= len(r) / r.fps <= 12.5 and r.size == (640, 360)


@pytest.mark.slow
def test_demo_pack_scores_demo_video_end_to_end():
    from vatp_core.pipeline import score_video

    res = score_video(paths.demo_video_path(), str(paths.demo_pack_path()), device="cpu", use_cache=False)
    truth = json.loads(paths.demo_video_path().with_suffix(".json").read_text())
    assert res.pack.not_for_judging and res.pack.label == DEMO_LABEL
    assert abs(res.mean - truth["score"]) < 25  # a sanity bound: the benchmark measures accuracy properly
    segs = res.segments
    assert 1 <= len(segs) <= 4 and [s.index for s in segs] == sorted(s.index for s in segs)
    assert all(a.end_frame < b.start_frame for a, b in zip(segs, segs[1:]))
    assert {s.name for s in segs} <= set(truth["subaction_names"])
    pred = frame_labels_from_segments(segs, res.video.n_frames)
    assert len(pred) == len(truth["frame_labels"])
