"""The dual player: boundary k of A shows beside boundary k of B (sub-action sync), one transport steps both,
each view says its own frame, timecode and sub-action; offset and free modes; opened from Compare."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from app.frame_loader import qimage_to_rgb
from app.main_window import MainWindow
from tests.videogen import decode_index, make_test_video
from vatp_core.time_format import timecode

from .conftest import N_FRAMES, NAMES, make_result

BOUNDS_A = [(4, 23), (24, 47), (48, 71), (72, 90)]
BOUNDS_B = [(10, 49), (50, 69), (70, 119), (120, 140)]  # B is slower in some parts, faster in others
N_B = 150


@pytest.fixture(scope="module")
def video_b(tmp_path_factory):
    return make_test_video(tmp_path_factory.mktemp("b") / "last_week.mp4", N_B, size=(120, 160), start=1000)


@pytest.fixture
def window(qtbot):
    win = MainWindow(device_check=False)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    win.activateWindow()
    yield win
    win.close()


def painted(pane) -> int:
    """The index painted in a pane (read from its pixels)."""
    return decode_index(qimage_to_rgb(pane.player.view.image))


def wait_both(qtbot, dual, a, b):
    qtbot.waitUntil(lambda: dual.a.player.shown == a and dual.b.player.shown == b, timeout=5000)


def open_dual(qtbot, window, routine_video, video_b):
    a = make_result(routine_video, bounds=BOUNDS_A)
    b = make_result(video_b, n_frames=N_B, bounds=BOUNDS_B)
    b.video.width, b.video.height = 120, 160
    assert window.open_side_by_side(a, b)
    dual = window.review.dual
    assert window.review.dual_active and dual.sync.mode == "subaction"
    return dual


def test_subaction_sync_puts_boundary_k_of_a_beside_boundary_k_of_b(qtbot, window, routine_video, video_b):
    dual = open_dual(qtbot, window, routine_video, video_b)
    for (a0, a1), (b0, b1) in zip(BOUNDS_A, BOUNDS_B):
        for fa, fb in ((a0, b0), (a1, b1)):
            dual.seek(fa)
            wait_both(qtbot, dual, fa, fb)
            assert painted(dual.a) == fa and painted(dual.b) == 1000 + fb  # frame exact, both views
    # between boundaries time is warped linearly: the middle of Take-off beside the middle of Take-off
    dual.seek(36)
    wait_both(qtbot, dual, 36, round(50 + (36 - 24) * (69 - 50) / (47 - 24)))


def test_one_transport_steps_both_and_each_view_says_where_it_is(qtbot, window, routine_video, video_b):
    dual = open_dual(qtbot, window, routine_video, video_b)
    dual.seek(24)
    wait_both(qtbot, dual, 24, 50)
    qtbot.keyClick(window, Qt.Key.Key_Right)
    expected_b = dual.sync.b_for(25)
    wait_both(qtbot, dual, 25, expected_b)
    assert window.player.shown != 25 or not window.player.isVisible()  # the single player did not take the key
    cap_a, cap_b = (" ".join(p.caption.text().split()) for p in (dual.a, dual.b))
    assert "frame 25 / 95" in cap_a and timecode(25 / 25) in cap_a and cap_a.endswith(NAMES[1])
    assert f"frame {expected_b} / {N_B - 1}" in cap_b and cap_b.endswith(NAMES[1])
    qtbot.keyClick(window, Qt.Key.Key_Right, Qt.KeyboardModifier.ControlModifier)  # next sub-action of A
    wait_both(qtbot, dual, 48, 70)


def test_offset_and_free_modes(qtbot, window, routine_video, video_b):
    dual = open_dual(qtbot, window, routine_video, video_b)
    dual.seek(30)
    wait_both(qtbot, dual, 30, dual.sync.b_for(30))
    dual.set_mode("free")
    dual.step(2)  # free: both step by the same amount from where they are
    b_before = dual.sync.b_for  # unused in free mode
    assert b_before(32) is None
    wait_both(qtbot, dual, 32, dual.b.player.target)
    dual.set_mode("offset")  # the offset is taken from where the two are now
    offset = dual.b.player.target - 32
    assert dual.offset_box.value() == offset
    dual.offset_box.setValue(offset + 5)
    wait_both(qtbot, dual, 32, 32 + offset + 5)
    dual.close_button.click()
    assert not window.review.dual_active


def test_watch_side_by_side_from_compare_and_an_unscored_pair(qtbot, window, routine_video, video_b):
    window.comparison.add_attempt(make_result(routine_video, bounds=BOUNDS_A))
    window.comparison.add_attempt(make_result(video_b, n_frames=N_B, bounds=BOUNDS_B))
    window.tabs.setCurrentIndex(1)
    window.comparison.watch_button.click()
    assert window.tabs.currentIndex() == 0 and window.review.dual_active
    wait_both(qtbot, window.review.dual, 0, 10 - 4)  # before A's first boundary B moves frame for frame
    window.review.show_single()
    assert window.open_side_by_side(routine_video, video_b)  # videos without scores: offset sync
    assert window.review.dual.sync.mode == "offset"
    assert not window.open_side_by_side(routine_video, video_b.with_name("missing.mp4"))
    assert N_FRAMES == window.review.dual.a.player.n_frames


def test_the_side_by_side_export_runs_in_the_background(qtbot, window, routine_video, video_b, tmp_path):
    dual = open_dual(qtbot, window, routine_video, video_b)
    dual.seek(30)  # inside A's second sub-action (24–47)
    wait_both(qtbot, dual, 30, dual.sync.b_for(30))
    task = window.side_by_side.export_view(out=tmp_path / "sbs.mp4")
    with qtbot.waitSignal(task.done, timeout=60_000) as done:
        pass
    clip = done.args[0]
    frames = dual.export_range()
    assert clip.n_frames == len(frames) and clip.path.is_file()
    qtbot.waitUntil(lambda: "Side-by-side clip" in window.statusBar().currentMessage(), timeout=5000)
