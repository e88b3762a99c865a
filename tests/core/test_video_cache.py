"""The player's frame cache: least-recently-used, bounded in megabytes, read-only entries."""

from __future__ import annotations

import numpy as np
import pytest

from vatp_core.video import FrameCache


def test_lru_eviction_by_bytes():
    c = FrameCache(max_mb=1)  # 1 MiB = 4 frames of 256 KiB
    frames = {i: np.full((256, 256, 4), i, np.uint8) for i in range(6)}
    for i in range(4):
        c.put(i, frames[i])
    assert len(c) == 4 and c.nbytes == 4 * 256 * 1024
    assert c.get(0) is not None  # 0 is now the most recent
    c.put(4, frames[4])
    assert 1 not in c and 0 in c and 4 in c
    assert c.nbytes <= c.max_bytes
    assert c.capacity_for(256 * 1024) == 4


def test_entries_are_read_only_and_too_big_is_not_stored():
    c = FrameCache(max_mb=0.01)
    small = np.zeros((10, 10, 3), np.uint8)
    c.put("a", small)
    with pytest.raises(ValueError):
        c.get("a")[0, 0, 0] = 1
    c.put("big", np.zeros((100, 100, 3), np.uint8))
    assert "big" not in c and "a" in c
    assert c.get("missing") is None and c.misses == 1 and c.hits == 1
    c.clear()
    assert len(c) == 0 and c.nbytes == 0
