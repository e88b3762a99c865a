"""Shared fixtures of the app tests: generated videos, a small real model pack, hand-made score results."""

from __future__ import annotations

import numpy as np
import pytest

from tests.videogen import make_test_video
from vatp_core import paths

N_FRAMES = 96  # 6 clips of 16 frames with the test pack's protocol
NAMES = ["Approach", "Take-off", "Flight", "Entry"]


@pytest.fixture(autouse=True)
def messages(monkeypatch):
    """Message boxes never block a test: their texts are recorded here instead (tests may assert on them)."""
    from PySide6.QtWidgets import QMessageBox

    shown: list[str] = []

    def record(parent, title, text, *args, **kwargs):
        shown.append(f"{title}: {text}")
        return QMessageBox.StandardButton.Ok

    for name in ("warning", "critical", "information"):
        monkeypatch.setattr(QMessageBox, name, record)
    return shown


@pytest.fixture(scope="session")
def routine_video(tmp_path_factory):
    """A short H.264 video whose frames carry their index in their pixels."""
    return make_test_video(tmp_path_factory.mktemp("videos") / "routine.mp4", N_FRAMES, size=(160, 120))


@pytest.fixture(scope="session")
def small_pack(tmp_path_factory):
    """A real model pack (tiny backbone inside, small VATP-Net) made for these tests; scoring takes ~1 s on a CPU."""
    import torch

    from vatp_core.features import load_backbone
    from vatp_core.model import VATPConfig, VATPNet
    from vatp_core.pack import PackManifest, save_pack

    torch.manual_seed(1)
    cfg = VATPConfig.preset(
        "vatp",
        in_dim=256,
        hidden_dim=64,
        d_model=32,
        n_heads=4,
        ffn_dim=64,
        n_queries=4,
        dropout=0.0,
        n_blocks=1,
        cd_blocks=1,
    )
    backbone = load_backbone("tiny", random_init=True, seed=1, device="cpu")
    manifest = PackManifest(
        name="app-test-pack",
        backbone="tiny",
        protocol={"name": "generic", "clip_len": 16, "stride": 16},
        model_config=cfg.to_dict(),
        score_range=[0.0, 10.0],
        score_norm={"mean": 6.0, "std": 1.5},
        sport="diving",
        event="test",
        label="app test pack — not for judging",
        not_for_judging=True,
        phrases=NAMES,
        subaction_names=NAMES,
    )
    return save_pack(
        tmp_path_factory.mktemp("packs") / "app_test_pack",
        manifest,
        VATPNet(cfg).eval(),
        phrase_embeddings=torch.randn(4, 768),
        baseline_subactions=torch.randn(4, 32) * 0.1,
        backbone_state=backbone.state_dict(),
    )


@pytest.fixture
def demo_assets():
    """The bundled demo video and pack; skipped with the reason until they exist."""
    video, pack = paths.demo_video_path(), paths.demo_pack_path()
    if not video.is_file() or not pack.exists():
        pytest.skip(f"the bundled demo is not built yet ({video} / {pack}); scripts/build_demo.py makes it")
    return video, pack


def make_result(video_path, n_frames: int = N_FRAMES, mean: float = 7.0, contributions=None, bounds=None, names=NAMES):
    """A hand-made ScoreResult for view tests (no model): 4 contiguous segments, clip attention peaked on them."""
    from vatp_core.result import ScoreResult, Segment

    fps = 25.0
    clip_ranges = [[i * 16, i * 16 + 15] for i in range(n_frames // 16)]
    bounds = bounds or [(4, 23), (24, 47), (48, 71), (72, 90)]
    contributions = contributions or [0.4, -0.2, 0.9, 0.1]
    segments = [
        Segment(
            index=k,
            name=names[k],
            start_frame=a,
            end_frame=b,
            start_time=a / fps,
            end_time=(b + 1) / fps,
            confidence=0.8,
            contribution=contributions[k],
        )
        for k, (a, b) in enumerate(bounds)
    ]
    attention = []
    for a, b in bounds:
        row = np.array([1.0 if (c0 <= b and c1 >= a) else 0.05 for c0, c1 in clip_ranges])
        attention.append((row / row.sum()).tolist())
    x = np.linspace(0, 10, 101)
    pdf = np.exp(-0.5 * ((x - mean) / 0.4) ** 2) / (0.4 * np.sqrt(2 * np.pi))
    baseline = mean - sum(contributions)
    frames, scores, running = [0], [baseline], baseline
    for seg in segments:
        running += seg.contribution
        frames.append(seg.end_frame)
        scores.append(running)
    return ScoreResult(
        video={
            "path": str(video_path),
            "name": str(video_path).rsplit("/", 1)[-1],
            "n_frames": n_frames,
            "fps": fps,
            "duration": n_frames / fps,
            "width": 160,
            "height": 120,
            "content_hash": "x",
        },
        pack={
            "name": "hand-made",
            "sport": "diving",
            "event": "test",
            "label": "synthetic — not for judging",
            "not_for_judging": True,
            "backbone": "tiny",
            "protocol": {},
            "score_range": [0, 10],
        },
        mean=mean,
        std=0.4,
        raw_mean=mean,
        distribution={"x": x.tolist(), "pdf": pdf.tolist()},
        clip_ranges=clip_ranges,
        attention=attention,
        subaction_names=list(names),
        segments=segments,
        contributions=list(contributions),
        baseline_mean=baseline,
        cumulative={"frames": frames, "scores": scores},
    )


@pytest.fixture
def opened_window(qtbot, routine_video):
    """A main window showing the generated routine at frame 0 (no score)."""
    from app.main_window import MainWindow

    win = MainWindow(device_check=False)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    assert win.open_video(routine_video)
    qtbot.waitUntil(lambda: win.player.shown == 0, timeout=5000)
    yield win
    win.close()


@pytest.fixture
def app_commands():
    """`vatp report`, `vatp export frame` and the batch PDFs reach the app through its vatp_studio.cli entry point: an install made
    before that entry point existed lacks it (fails in CI, skips elsewhere with what to do)."""
    import os
    from importlib import metadata

    if not any(ep.value == "app.cli:extend" for ep in metadata.entry_points(group="vatp_studio.cli")):
        message = "the installed vatp-studio predates the vatp_studio.cli entry point: run pip install -e ."
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
