"""The one way times are written: clock positions, editor timecodes and waiting times."""

from __future__ import annotations

from vatp_core.time_format import clock, duration, timecode


def test_clock_rounds_before_carrying_into_minutes():
    assert clock(0) == "0:00.00"
    assert clock(65.25) == "1:05.25"
    assert clock(59.999) == "1:00.00"
    assert clock(-3) == "0:00.00"
    assert clock(125.04, 1) == "2:05.0"
    assert clock(61.6, 0) == "1:02"


def test_timecode_shows_hours_only_when_there_are_some():
    assert timecode(3 / 25) == "00:00.120"
    assert timecode(3723.5) == "1:02:03.500"


def test_duration_uses_the_coarsest_useful_unit():
    assert [duration(s) for s in (42, 187, 7500)] == ["42s", "3m07s", "2h05m"]
