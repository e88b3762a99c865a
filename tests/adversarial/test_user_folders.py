"""A read-only or full user folder and a settings file with wrong value types never stop scoring (issue 16)."""

from __future__ import annotations

import json
import logging

import numpy as np
import pytest

from tests.adversarial.helpers import REPO, disk_full_after, run_cli
from vatp_core.features.cache import FeatureCache
from vatp_core.settings import Settings, load_settings


def test_settings_with_wrong_types_fall_back_one_warning_each(tmp_path, caplog):
    """Issue 16 item 10."""
    f = tmp_path / "settings.json"
    bad = {"version": 1, "device": 5, "cache_size_mb": "big", "default_pack": 123, "frame_cache_mb": "x"}
    f.write_text(json.dumps({**bad, "recent_files": ["/a.mp4", 7], "shortcuts": {"play_pause": "P", "x": 1}}))
    with caplog.at_level(logging.WARNING, logger="vatp_core.settings"):
        s = load_settings(f)
    d = Settings()
    assert (s.device, s.cache_size_mb, s.default_pack, s.frame_cache_mb) == (
        d.device,
        d.cache_size_mb,
        d.default_pack,
        d.frame_cache_mb,
    )
    assert s.recent_files == ["/a.mp4"] and s.shortcuts["play_pause"] == "P"
    assert len([r for r in caplog.records if "not a valid value" in r.message]) == 4
    f.write_text(json.dumps({"version": "2", "device": "tpu"}))
    assert load_settings(f).device == "auto"


def _blocked_home(tmp_path):
    """A user folder that cannot be created, even by root: a plain file stands where the folder should be."""
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    return {"VATP_HOME": str(blocker / "home")}


def test_cli_works_when_the_user_folder_cannot_be_created(tmp_path, monkeypatch, capsys):
    """Issue 16 item 5: `vatp info` / `vatp score` / `vatp packs list` died with a traceback."""
    from tests.videogen import make_test_video
    from vatp_core.cli import main

    for key, value in _blocked_home(tmp_path).items():
        monkeypatch.setenv(key, value)
    assert main(["info"]) == 0
    video = make_test_video(tmp_path / "v.mp4", n_frames=48)
    assert main(["score", str(video), "-q", "--pack", str(REPO / "resources" / "demo" / "demo_pack")]) == 0
    out = capsys.readouterr()
    assert "v.mp4:" in out.out and "Traceback" not in out.err


@pytest.mark.slow
def test_full_cache_folder_scores_without_caching(tmp_path):
    """Simulated full disk (RLIMIT_FSIZE) in a child: the feature cache warns and the score is printed."""
    from tests.videogen import make_test_video

    video = make_test_video(tmp_path / "v.mp4", n_frames=48)
    proc = run_cli(
        "score",
        str(video),
        "-q",
        "--pack",
        str(REPO / "resources" / "demo" / "demo_pack"),
        env={"VATP_HOME": str(tmp_path / "home")},
        preexec=disk_full_after(2048),
    )
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr and "v.mp4:" in proc.stdout


def test_feature_cache_in_an_unusable_folder_is_a_no_op(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    cache = FeatureCache(blocker / "cache", max_bytes=0)
    assert cache.get("ab" * 20) is None
    assert cache.put("ab" * 20, np.ones((1, 2), np.float32), [(0, 1)]) is None
