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
