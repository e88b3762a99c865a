"""SynthAQA: determinism, labels that match what is drawn, scores that follow execution quality, the CLI."""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import json

import numpy as np
import pytest

from vatp_core.synth import (
    IDLE_LABEL,
    Renderer,
    SynthConfig,
    generate_dataset,
    routine_spec,
    score_from_quality,
)
from vatp_core.synth.figure import PLATFORM_EDGE_U, PLATFORM_V, WATER_V, figure_state
from vatp_core.synth.render import SPLASH_RGB


def _figure_mask(renderer: Renderer, img: np.ndarray) -> np.ndarray:
    col = np.array(renderer.spec.scene.figure, np.int32)
    return np.abs(img.astype(np.int32) - col).sum(-1) < 30


def _splash_pixels(renderer: Renderer, img: np.ndarray) -> int:
    """Near-white pixels drawn over the background above the water line (the splash)."""
    wy = renderer.water_y
    changed = np.abs(img[:wy].astype(np.int32) - renderer.background[:wy]).sum(-1) > 30
    white = np.abs(img[:wy].astype(np.int32) - SPLASH_RGB.astype(np.int32)).max(-1) < 60
    return int((changed & white).sum())


def _file_digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_same_seed_same_bytes_any_worker_count(tmp_path):
    cfg = SynthConfig(n=3, seed=11, size=(96, 72))
    a = generate_dataset(tmp_path / "a", cfg, workers=1)
    generate_dataset(tmp_path / "b", cfg, workers=2)
    assert (tmp_path / "a" / "labels.csv").read_bytes() == (tmp_path / "b" / "labels.csv").read_bytes()
    for item in a:
        for suffix in (".mp4", ".json"):
            fa, fb = tmp_path / "a" / (item.name + suffix), tmp_path / "b" / (item.name + suffix)
            assert _file_digest(fa) == _file_digest(fb), fa.name
    # routine i does not depend on how many routines are made
    one = generate_dataset(tmp_path / "c", dataclasses.replace(cfg, n=1), workers=1)
    assert _file_digest(one[0].video) == _file_digest(a[0].video)
    # another seed gives another set
    other = generate_dataset(tmp_path / "d", dataclasses.replace(cfg, n=1, seed=12), workers=1)
    assert other[0].frame_labels != a[0].frame_labels or other[0].score != a[0].score


def test_labels_are_ordered_phases_with_idle_ends():
    for i in range(20):
        spec = routine_spec(SynthConfig(seed=5), i)
        labels = np.array(spec.frame_labels())
        assert len(labels) == spec.n_frames
        changes = [int(labels[0])] + [int(x) for j, x in enumerate(labels[1:], 1) if x != labels[j - 1]]
        core = [c for c in changes if c != IDLE_LABEL]
        assert core == [0, 1, 2, 3]
        assert IDLE_LABEL not in labels[(labels >= 0).argmax() : len(labels) - (labels[::-1] >= 0).argmax()]
        assert 4.0 <= spec.n_frames / spec.fps <= 11.0
        assert [int((labels == k).sum()) for k in range(4)] == list(spec.durations[1:5])


def test_rendered_pixels_follow_the_labels():
    """What the pixels show in each labelled phase: standing, walking, jumping, turning, entering, calm water."""
    for i in range(4):
        spec = routine_spec(SynthConfig(seed=21), i)
        r = Renderer(spec, (192, 144))
        labels = spec.frame_labels()
        plat_y, water_y, edge_x = r.py(PLATFORM_V), r.py(WATER_V), r.px(PLATFORM_EDGE_U)
        xs, heads = {}, []
        for f, lab in enumerate(labels):
            img = r.frame(f, noise=False)
            assert figure_state(spec, f).label == lab
            mask = _figure_mask(r, img)
            ys, xcols = np.nonzero(mask)
            if lab == IDLE_LABEL and f > spec.durations[0]:  # after the dive: no athlete, no splash
                assert mask.sum() == 0 and _splash_pixels(r, img) == 0
                continue
            if lab == 3:  # entering: touching the water, then disappearing under it
                entry_start = spec.boundaries()[3][0]
                if f == entry_start:
                    first_mask = mask.sum()
                    assert ys.max() >= water_y - 0.12 * r.scale
                elif f > entry_start + spec.durations[4] // 2:
                    assert mask.sum() < first_mask / 2
            else:
                assert mask.sum() > 10, (i, f, lab)
                xs.setdefault(lab, []).append(xcols.mean())
            if lab in (IDLE_LABEL, 0):  # on the platform: feet on its top surface, left of its edge
                assert abs(ys.max() - plat_y) <= 8 and xcols.mean() < edge_x
            if lab == 2:  # in the air, off the platform
                assert xcols.mean() > edge_x - 0.08 * r.scale and ys.max() < water_y + 2
                if f > spec.boundaries()[2][0] + spec.durations[3] // 3:
                    assert xcols.mean() > edge_x and ys.min() > plat_y - 0.5 * r.scale
                st = figure_state(spec, f)
                heads.append(st.joints()["head"][1] - st.hip[1])
            if lab == 3 and f == spec.boundaries()[3][0] + spec.durations[4] // 3:
                assert _splash_pixels(r, img) > 3
        assert np.mean(xs[0][-3:]) > np.mean(xs[0][:3]) + 5  # the approach moves towards the edge
        assert max(heads) > 0 > min(heads)  # the body turns upside down and back during the rotation


def test_score_is_the_weighted_quality_and_quality_shows():
    assert score_from_quality([1, 1, 1, 1]) == 100.0 and score_from_quality([0, 0, 0, 0]) == 0.0
    assert score_from_quality([0.5, 0.2, 0.9, 0.4]) < score_from_quality([0.5, 0.2, 0.9, 0.6])
    base = routine_spec(SynthConfig(seed=3), 0)
    good = dataclasses.replace(base, quality=(1.0, 1.0, 1.0, 1.0))
    bad = dataclasses.replace(base, quality=(0.0, 0.0, 0.0, 0.0))
    assert good.score == 100.0 and bad.score == 0.0
    splash = {}
    for name, spec in (("good", good), ("bad", bad)):
        r = Renderer(spec, (192, 144))
        first, last = spec.boundaries()[3]
        splash[name] = sum(_splash_pixels(r, r.frame(f, noise=False)) for f in range(first, last + 1))
    assert splash["bad"] > 2 * splash["good"]
    # a poor approach wobbles: the torso angle varies far more
    wob = {
        n: np.std([figure_state(s, f).phi for f in range(*s.boundaries()[0])])
        for n, s in (("good", good), ("bad", bad))
    }
    assert wob["bad"] > 3 * wob["good"]
    # a poor take-off jumps lower
    top = {
        n: min(figure_state(s, f).hip[1] for f in range(*s.boundaries()[1])) for n, s in (("good", good), ("bad", bad))
    }
    assert top["good"] < top["bad"] - 0.03


def test_cli_writes_videos_labels_and_json(tmp_path, capsys):
    import av

    from vatp_core.cli import main

    out = tmp_path / "set"
    assert main(["synth", "--out", str(out), "--n", "2", "--seed", "4", "--size", "128x96", "--workers", "1"]) == 0
    assert "wrote 2 routines" in capsys.readouterr().out
    rows = list(csv.DictReader((out / "labels.csv").open()))
    assert [list(r) for r in rows][0] == ["file", "score", "difficulty", "phrases"]
    assert len(rows) == 2
    for row in rows:
        video = out / row["file"]
        meta = json.loads(video.with_suffix(".json").read_text())
        assert float(row["score"]) == pytest.approx(meta["score"]) and 0 <= meta["score"] <= 100
        assert row["phrases"].split(";") == meta["phrases"] and len(meta["phrases"]) == 4
        assert meta["score"] == score_from_quality(list(meta["quality"].values()))
        with av.open(str(video)) as c:
            st = c.streams.video[0]
            n = sum(1 for _ in c.decode(st))
            assert (st.codec_context.name, st.width, st.height) == ("h264", 128, 96)
        assert n == len(meta["frame_labels"]) == meta["n_frames"]
    assert main(["synth", "--out", str(out), "--n", "0"]) == 2
    assert main(["synth", "--out", str(out), "--n", "1", "--size", "129x96"]) == 2
