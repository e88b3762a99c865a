"""Feature cache: content hash, atomic entries under two concurrent writer processes, trimming."""

from __future__ import annotations

import multiprocessing as mp
import os
import time

import numpy as np

from vatp_core.features.cache import FeatureCache, feature_cache_key, video_content_hash


def test_content_hash_follows_bytes_not_names(tmp_path):
    big = bytearray(os.urandom(5 << 20))
    a = tmp_path / "a.mp4"
    a.write_bytes(big)
    b = tmp_path / "sub" / "b.mov"
    b.parent.mkdir()
    b.write_bytes(big)
    assert video_content_hash(a) == video_content_hash(b)
    big[len(big) // 2] ^= 1  # a change in the middle block
    b.write_bytes(big)
    os.utime(b, ns=(time.time_ns(), time.time_ns() + 10**9))
    assert video_content_hash(a) != video_content_hash(b)
    small = tmp_path / "small.mp4"
    small.write_bytes(b"x" * 1000)
    h = video_content_hash(small)
    small.write_bytes(b"x" * 999 + b"y")
    os.utime(small, ns=(time.time_ns(), time.time_ns() + 2 * 10**9))
    assert video_content_hash(small) != h


def test_key_depends_on_everything_that_changes_features():
    base = feature_cache_key("v", "tiny", "w", {"name": "generic", "clip_len": 16}, 0, None)
    assert base == feature_cache_key("v", "tiny", "w", {"clip_len": 16, "name": "generic"}, 0, None)
    others = {
        feature_cache_key("v2", "tiny", "w", {"name": "generic", "clip_len": 16}),
        feature_cache_key("v", "i3d", "w", {"name": "generic", "clip_len": 16}),
        feature_cache_key("v", "tiny", "w2", {"name": "generic", "clip_len": 16}),
        feature_cache_key("v", "tiny", "w", {"name": "generic", "clip_len": 32}),
        feature_cache_key("v", "tiny", "w", {"name": "generic", "clip_len": 16}, 5),
        feature_cache_key("v", "tiny", "w", {"name": "generic", "clip_len": 16}, 0, 50),
    }
    assert base not in others and len(others) == 6


def _writer(root: str, key: str, value: float, rounds: int) -> None:
    cache = FeatureCache(root, max_bytes=0)
    for _ in range(rounds):
        feats = np.full((40, 256), value, dtype=np.float32)
        cache.put(key, feats, [(i, i + 15) for i in range(40)], {"writer": value})


def test_two_processes_writing_the_same_entry(tmp_path):
    root = tmp_path / "cache"
    cache = FeatureCache(root, max_bytes=0)
    key = "ab" + "0" * 38
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(str(root), key, v, 60)) for v in (1.0, 2.0)]
    for p in procs:
        p.start()
    reads = 0
    while any(p.is_alive() for p in procs):
        hit = cache.get(key)
        if hit is not None:
            reads += 1
            # every read is one writer's complete entry, never a mix or a partial file
            assert hit.features.shape == (40, 256)
            value = float(hit.features[0, 0])
            assert value in (1.0, 2.0) and (hit.features == value).all()
            assert hit.meta == {"writer": value} and len(hit.clip_ranges) == 40
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    final = cache.get(key)
    assert final is not None and float(final.features[0, 0]) in (1.0, 2.0)
    assert [p.name for p in root.rglob("*") if p.is_file()] == [f"{key}.npz"]  # no temporaries left
    assert reads > 0


def test_trim_removes_least_recently_used(tmp_path):
    feats = np.zeros((100, 256), dtype=np.float32)  # ~100 KB per entry
    cache = FeatureCache(tmp_path, max_bytes=350_000)
    keys = [f"{i:02d}" + "k" * 38 for i in range(3)]
    for i, k in enumerate(keys):
        cache.put(k, feats, [(0, 1)] * 100)
        os.utime(cache.path_for(k), (1000 + i, 1000 + i))
    assert cache.get(keys[0]) is not None  # touching entry 0 makes it the most recent
    cache.put("03" + "k" * 38, feats, [(0, 1)] * 100)
    assert cache.get(keys[1]) is None  # the least recently used went
    assert cache.get(keys[0]) is not None and cache.get(keys[2]) is not None
    assert cache.size_bytes() <= 350_000
