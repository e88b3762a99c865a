"""Sync maps: boundary k of A beside boundary k of B, linear between boundaries; offset and free modes."""

from vatp_core.result import Segment
from vatp_core.sync import SyncMap, boundary_anchors, subaction_sync


def segs(*ranges):
    names = ["Approach", "Take-off", "Rotation", "Entry"]
    return [Segment(i, names[i], a, b, 0.0, 0.0, 0.5, 0.0) for i, (a, b) in enumerate(ranges)]


def test_every_boundary_of_a_shows_beside_the_same_boundary_of_b():
    a = segs((10, 39), (40, 59), (60, 119), (120, 149))
    b = segs((4, 20), (21, 60), (61, 90), (91, 200))
    sync = subaction_sync(a, b, n_frames_b=240)
    for sa, sb in zip(a, b):
        assert sync.b_for(sa.start_frame) == sb.start_frame
        assert sync.b_for(sa.end_frame) == sb.end_frame


def test_time_between_boundaries_is_warped_linearly_and_outside_moves_frame_for_frame():
    a = segs((0, 99))
    b = segs((50, 249))  # B is twice as slow
    sync = subaction_sync(a, b, n_frames_b=400)
    assert sync.b_for(0) == 50 and sync.b_for(99) == 249
    assert abs(sync.b_for(50) - (50 + 199 * 50 / 99)) <= 0.5
    assert sync.b_for(120) == 249 + 21  # after the last boundary: 1 frame of B per frame of A
    assert sync.b_for(10_000) == 399  # clamped to B


def test_boundaries_out_of_order_or_missing_in_b_are_left_out():
    a = segs((0, 9), (10, 19), (20, 29))
    b = [Segment(0, "Approach", 30, 39, 0, 0, 0, 0), Segment(1, "Take-off", 5, 9, 0, 0, 0, 0)]
    anchors = boundary_anchors(a, b)
    assert anchors == [(0, 30), (9, 39)]


def test_offset_and_free_modes_and_the_inverse():
    sync = SyncMap("offset", n_frames_b=100, offset=-7)
    assert sync.b_for(20) == 13 and sync.b_for(3) == 0
    assert sync.a_for(13, n_frames_a=100) == 20
    assert SyncMap("free", 100).b_for(5) is None
    warped = subaction_sync(segs((0, 99)), segs((0, 49)), 50)
    assert warped.a_for(49, n_frames_a=100) == 99
