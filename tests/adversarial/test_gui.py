"""The window stays usable with hostile files on disk (issue 16 items 2, 3, 6 and 15)."""

from __future__ import annotations

import os

import pytest

pytest.importorskip("PySide6")

from tests.app.conftest import messages, routine_video, small_pack  # noqa: F401, E402  (boxes recorded, not shown)


@pytest.fixture
def window(qtbot):
    from app.main_window import MainWindow

    win = MainWindow(device_check=False)
    qtbot.addWidget(win)
    return win


def test_a_named_pipe_or_a_folder_is_named_as_such(window, tmp_path, messages):  # noqa: F811
    """Issue 16 item 15: the window said a FIFO or a folder "does not exist" (a FIFO is never opened)."""
    fifo = tmp_path / "pipe.mp4"
    os.mkfifo(fifo)
    assert not window.open_video(fifo)
    assert not window.open_video(tmp_path)
    assert "named pipe" in messages[0] and "is a folder" in messages[1]
    assert window.player.path is None


def test_unwritable_config_folder_does_not_stop_opening(window, tmp_path, monkeypatch, routine_video):  # noqa: F811
    """Simulated: every settings write raises EROFS (root ignores chmod, so the write itself is made to fail)."""
    import errno

    import vatp_core.settings as settings_module

    def read_only(*a, **k):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(settings_module, "atomic_write", read_only)
    assert window.open_video(routine_video)
    assert window.player.path == routine_video


def _sidecar_for(video, of=None, **changes):
    """Write a sidecar beside ``video`` holding the score of ``of`` (default: the video itself)."""
    import json

    from tests.app.conftest import make_result
    from vatp_core import identity
    from vatp_core.result import ScoreResult

    r = make_result(of or video)
    r.video.content_hash = identity.content_id(of or video)
    data = {**r.to_dict(), **changes}
    path = ScoreResult.sidecar_path(video)
    path.write_text(json.dumps(data))
    return path


def test_another_videos_sidecar_is_not_shown_as_this_ones_score(window, tmp_path):  # noqa: F811
    """Issue 16 item 2."""
    from tests.videogen import make_test_video

    mine = make_test_video(tmp_path / "été 1.mp4", n_frames=96, size=(160, 120))
    other = make_test_video(tmp_path / "other.mp4", n_frames=96, size=(160, 120), start=50)
    sidecar = _sidecar_for(mine, of=other)
    assert window.open_video(mine)
    assert window.result is None and "belongs to another video" in window.statusBar().currentMessage()
    assert sidecar.is_file()  # left alone


@pytest.mark.parametrize("changes", [{"distribution": None}, {"mean": "NaN"}, {"segments": 5}])
def test_corrupt_sidecar_leaves_the_window_usable(window, tmp_path, changes):  # noqa: F811
    """Issue 16 item 6: `"distribution": null` raised AttributeError in the score panel; "NaN" a ValueError."""
    from tests.videogen import make_test_video

    video = make_test_video(tmp_path / "v.mp4", n_frames=96, size=(160, 120))
    _sidecar_for(video, **changes)
    assert window.open_video(video)
    assert window.result is None and "could not be read" in window.statusBar().currentMessage()


def test_a_lone_corrupt_json_is_a_message(window, tmp_path, messages):  # noqa: F811
    f = tmp_path / "lone.json"
    f.write_text('{"video": {}, "pack": {}, "mean": "NaN", "std": 1}')
    assert window.open_result_json(f) is False
    assert "not a readable score result" in messages[-1]


def test_damage_is_shown_once_in_the_window(window, routine_video):  # noqa: F811
    """The banner above the player owns the damage warning (with the OOD and range ones); nothing repeats it."""
    from PySide6.QtWidgets import QLabel

    from tests.app.conftest import make_result
    from vatp_core.result import VideoDamage

    r = make_result(routine_video)
    r.damage = VideoDamage.from_frames([10, 11, 12], truncated=True)
    r.ood = {"flag": True, "distance": 80.0, "percentile": 100.0, "reason": ""}
    window.show()
    assert window.open_video(routine_video)
    window.show_result(r)
    banner = window.findChild(QLabel, "oodBanner")
    assert banner is not None and banner.isVisible()
    assert "3 damaged frame(s)" in banner.text() and "truncated" in banner.text()
    assert banner.text().count(r.damage.message()) == 1 and "unlike the videos" in banner.text()
    showing = [w for w in window.findChildren(QLabel) if w.isVisible() and "damaged frame" in w.text()]
    assert showing == [banner]
    window.show_result(make_result(routine_video))
    assert not banner.isVisible()
    assert not [w for w in window.findChildren(QLabel) if w.isVisible() and "damaged frame" in w.text()]
