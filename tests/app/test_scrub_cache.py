"""The scrub cache: the sub-action under the playhead is decoded once in the background, then every frame
inside it is painted without asking the decoder; a range that does not fit is held as a window."""

from __future__ import annotations

import pytest

from app.frame_loader import qimage_to_rgb
from app.scrub_cache import ScrubCache, split_budget
from tests.videogen import decode_index

from .conftest import make_result


@pytest.fixture
def window(opened_window):
    return opened_window


def test_frames_of_the_selected_subaction_are_painted_from_ram(qtbot, window, routine_video):
    player = window.player
    said: list[str] = []  # what the status bar was told (its message times out, on a loaded machine before we look)
    window.review.status.connect(said.append)
    window.show_result(make_result(routine_video))  # Take-off is frames 24–47
    player.seek(30)
    qtbot.waitUntil(lambda: player.scrub.complete and player.scrub.range == (24, 47), timeout=10000)
    requests = []
    player.loader.request = requests.append  # any decoder request from now on is recorded, not served
    for i in (47, 24, 40, 31, 25, 46):
        player.seek(i)
        assert player.shown == i  # painted synchronously, from the cache
        assert decode_index(qimage_to_rgb(player.view.image)) == i
    assert requests == []
    assert any(m.startswith("Scrub cache Take-off: 24/24 frames") for m in said)
    player.seek(47)
    player.step(1)  # leaves Take-off: Flight (48–71) is cached next
    assert player.scrub.range == (48, 71) and player.scrub.label == "Flight"


def test_a_range_too_big_for_the_budget_is_a_window_around_the_playhead(qtbot, routine_video):
    from vatp_core.video import open_video

    with open_video(routine_video) as reader:
        cache = ScrubCache(budget_mb=1)
        cache.set_reader(reader)
        size = (160, 120)
        cap = cache.capacity(size)  # 1 MB / (160·3·120) → 18 frames
        assert 10 < cap < 60
        cache.fill(0, 95, size, playhead=50, label="all")
        qtbot.waitUntil(lambda: cache.complete, timeout=10000)
        lo, hi = cache.window
        assert hi - lo + 1 == cap and lo <= 50 <= hi and cache.nbytes <= cache.budget_bytes
        assert "window of frames" in cache.describe() and "do not fit in 1 MB" in cache.describe()
        assert decode_index(qimage_to_rgb(cache.get(50))) == 50
        cache.follow(hi)  # the playhead reached the window's end: the window moves along
        qtbot.waitUntil(lambda: cache.complete and cache.window[0] > lo, timeout=10000)
        assert cache.window[0] <= hi <= cache.window[1]
        cache.clear()


def test_one_frame_budget_is_split_between_reader_and_scrub_cache():
    assert split_budget(1024) == (256, 768)
    assert split_budget(64) == (16, 48)
    assert sum(split_budget(4096)) == 4096
