"""The frame-exact player in the main window: keyboard stepping shows exactly the frame it says, playback
runs at real speed with frame dropping, a file that won't open leaves the window as it was."""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QMessageBox

from app.frame_loader import qimage_to_rgb
from app.main_window import MainWindow
from app.transport_bar import timecode
from tests.videogen import decode_index, make_test_video

from .conftest import N_FRAMES


@pytest.fixture
def window(qtbot, routine_video):
    win = MainWindow(device_check=False)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    win.activateWindow()
    assert win.open_video(routine_video)
    qtbot.waitUntil(lambda: win.player.shown == 0, timeout=5000)
    yield win
    win.close()


def shown_frame(win) -> int:
    """The index painted in the picture (read from the pixels) — not what the player believes."""
    return decode_index(qimage_to_rgb(win.player.view.image))


def press(qtbot, win, key, modifier=Qt.KeyboardModifier.NoModifier, expect=None):
    qtbot.keyClick(win, key, modifier)
    if expect is not None:
        qtbot.waitUntil(lambda: win.player.shown == expect, timeout=3000)


def test_keyboard_steps_show_the_exact_frame(qtbot, window):
    t = window.player.transport
    press(qtbot, window, Qt.Key.Key_Right, expect=1)
    press(qtbot, window, Qt.Key.Key_Right, expect=2)
    press(qtbot, window, Qt.Key.Key_Period, expect=3)
    assert shown_frame(window) == 3
    assert t.frame_label.text().split()[1] == "3" and t.time_label.text() == timecode(3 / 25)
    press(qtbot, window, Qt.Key.Key_Comma, expect=2)
    press(qtbot, window, Qt.Key.Key_Left, expect=1)
    assert shown_frame(window) == 1
    press(qtbot, window, Qt.Key.Key_End, expect=N_FRAMES - 1)
    assert shown_frame(window) == N_FRAMES - 1 and t.frame_label.text().endswith(f"{N_FRAMES - 1} / {N_FRAMES - 1}")
    press(qtbot, window, Qt.Key.Key_Home, expect=0)
    press(qtbot, window, Qt.Key.Key_PageDown, expect=round(N_FRAMES * 0.1))
    press(qtbot, window, Qt.Key.Key_PageDown, expect=2 * round(N_FRAMES * 0.1))
    press(qtbot, window, Qt.Key.Key_PageUp, expect=round(N_FRAMES * 0.1))
    assert shown_frame(window) == round(N_FRAMES * 0.1)
    press(qtbot, window, Qt.Key.Key_Left, expect=round(N_FRAMES * 0.1) - 1)
    assert window.timeline.position == round(N_FRAMES * 0.1) - 1  # the playhead follows


def test_random_seeks_are_frame_exact(qtbot, window):
    for index in (57, 3, 88, 40, 41, 12, 95, 0):
        window.player.seek(index)
        qtbot.waitUntil(lambda: window.player.shown == index, timeout=3000)
        assert shown_frame(window) == index


def test_wheel_steps_frames(qtbot, window):
    view = window.player.view
    pos = QPointF(view.width() / 2, view.height() / 2)
    for delta, expect in ((-120, 1), (-240, 3), (120, 2)):
        event = QWheelEvent(
            pos,
            view.mapToGlobal(pos),
            QPoint(0, 0),
            QPoint(0, delta),
            Qt.MouseButton.NoButton,
            Qt.KeyboardModifier.NoModifier,
            Qt.ScrollPhase.NoScrollPhase,
            False,
        )
        view.wheelEvent(event)
        qtbot.waitUntil(lambda: window.player.shown == expect, timeout=3000)


def test_speed_keys_and_real_time_playback(qtbot, window):
    player = window.player
    press(qtbot, window, Qt.Key.Key_Down)
    assert player.speed == 0.75 and player.transport.speed_label.text() == "0.75×"
    for _ in range(10):
        press(qtbot, window, Qt.Key.Key_Down)
    assert player.speed == 0.1
    for _ in range(12):
        press(qtbot, window, Qt.Key.Key_Up)
    assert player.speed == 2.0
    player.set_speed(1.0)
    seen = []
    player.position_changed.connect(seen.append)
    press(qtbot, window, Qt.Key.Key_Space)
    assert player.playing
    t0 = time.perf_counter()
    qtbot.wait(1000)
    press(qtbot, window, Qt.Key.Key_Space)
    elapsed = time.perf_counter() - t0
    assert not player.playing
    # Real speed: 25 fps for ~1 s lands near frame 25 (frames are dropped, never queued up behind).
    assert abs(player.shown - elapsed * 25) <= 6, (player.shown, elapsed)
    assert seen == sorted(seen) and len(seen) >= 5


def test_zoom_fit_and_100(qtbot, window):
    view = window.player.view
    press(qtbot, window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert not view.fit and view.target_rect().width() == 160
    press(qtbot, window, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    assert view.fit and view.target_rect().width() >= 160


def test_corrupt_file_gives_message_and_keeps_the_video(qtbot, window, tmp_path, monkeypatch):
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: shown.append(a[2]))
    window.player.seek(5)
    qtbot.waitUntil(lambda: window.player.shown == 5, timeout=3000)
    before = window.windowTitle()
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40)
    assert window.open_video(bad) is False
    assert shown and "broken.mp4" in shown[0]
    assert window.windowTitle() == before and window.player.path.name == "routine.mp4"
    window.player.seek(6)
    qtbot.waitUntil(lambda: window.player.shown == 6, timeout=3000)
    assert shown_frame(window) == 6  # the player still works


def test_opening_another_video_replaces_the_first(qtbot, window, tmp_path):
    other = make_test_video(tmp_path / "other.mp4", 30, size=(128, 96), start=500)
    assert window.open_video(other)
    qtbot.waitUntil(lambda: window.player.shown == 0 and window.player.n_frames == 30, timeout=5000)
    assert shown_frame(window) == 500
    assert window.timeline.n_frames == 30


class SlowReader:
    """A reader whose frames take 40 ms to decode, recording which ones were decoded."""

    def __init__(self, n=50):
        from tests.videogen import draw_frame

        self.info = type("Info", (), {"path": "slow.mp4"})()
        self.frames = [draw_frame(i, 80, 60) for i in range(n)]
        self.decoded = []

    def frame(self, i):
        time.sleep(0.04)
        self.decoded.append(i)
        return self.frames[i]

    def close(self):
        pass


def test_loader_decodes_only_the_newest_request(qtbot):
    from app.frame_loader import FrameLoader

    reader = SlowReader()
    loader = FrameLoader(reader, cache_mb=16)
    got = []
    loader.frame_ready.connect(lambda i, img: got.append((i, decode_index(qimage_to_rgb(img)))))
    for i in range(20):  # a held arrow key: 20 requests while the decoder is busy
        loader.request(i)
    qtbot.waitUntil(lambda: bool(got) and got[-1][0] == 19, timeout=3000)
    qtbot.wait(100)
    assert all(i == shown for i, shown in got)  # every delivered image is the frame it claims to be
    assert len(reader.decoded) <= 3 and reader.decoded[-1] == 19  # the stale wishes were dropped
    loader.request(19)  # cached: no second decode
    qtbot.waitUntil(lambda: len(got) >= 2 and got[-1][0] == 19, timeout=1000)
    assert reader.decoded.count(19) == 1
    loader.close()
