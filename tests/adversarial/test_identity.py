"""Content identity under hostile input: same-size edits, named pipes, old sampled hashes, unwritable cache."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np
import pytest

from tests.core.test_batch import FakeScorer
from tests.videogen import make_test_video
from vatp_core import identity
from vatp_core.batch import BatchStore, run_batch
from vatp_core.features.cache import FeatureCache, feature_cache_key


@pytest.fixture(autouse=True)
def _fresh_memo():
    identity.forget()
    yield
    identity.forget()


def _big(tmp_path: Path, name: str, data: bytes) -> Path:
    p = tmp_path / name
    p.write_bytes(data)
    return p


def test_same_size_file_with_a_zeroed_stretch_has_another_identity(tmp_path):
    """Issue 16 item 4: the old sampled hash missed 400 KB zeroed between its three 1 MiB samples."""
    data = bytearray(np.random.default_rng(0).integers(0, 256, 8 << 20, dtype=np.uint8).tobytes())
    clean = _big(tmp_path, "clean.mp4", bytes(data))
    data[(2 << 20) : (2 << 20) + 400_000] = bytes(400_000)
    damaged = _big(tmp_path, "damaged.mp4", bytes(data))
    assert identity.legacy_sampled_id(clean) == identity.legacy_sampled_id(damaged)  # the old weakness
    assert identity.content_id(clean) != identity.content_id(damaged)
    assert identity.content_id(clean).startswith("sha256-full:") and len(identity.content_id(clean)) == 12 + 64
    assert identity.verify(identity.legacy_sampled_id(clean), damaged) is identity.Match.LEGACY  # recognised only
    assert identity.verify(identity.content_id(clean), damaged) is identity.Match.DIFFERENT


def test_identity_is_remembered_on_disk_and_follows_changes(tmp_path, monkeypatch):
    p = _big(tmp_path, "a.mp4", os.urandom(1 << 16))
    first = identity.content_id(p)
    identity.forget()
    opened = []
    real_open = open

    def spy(file, *a, **k):
        opened.append(str(file))
        return real_open(file, *a, **k)

    monkeypatch.setattr("builtins.open", spy)
    assert identity.content_id(p) == first  # from the on-disk memo: the video is not read again
    assert str(p) not in opened
    monkeypatch.undo()
    p.write_bytes(os.urandom(1 << 16))
    os.utime(p, ns=(1, 2))
    assert identity.content_id(p) != first


def test_unwritable_cache_folder_degrades_to_no_memo(tmp_path, monkeypatch):
    """Simulated with a cache_dir that raises PermissionError (root ignores chmod)."""

    def refuse():
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("vatp_core.paths.cache_dir", refuse)
    p = _big(tmp_path, "a.mp4", b"x" * 1000)
    assert identity.content_id(p).startswith("sha256-full:")


def test_named_pipe_is_refused_without_opening(tmp_path):
    fifo = tmp_path / "pipe.mp4"
    os.mkfifo(fifo)
    with pytest.raises(identity.NotARegularFileError, match="named pipe"):
        identity.content_id(fifo)
    with pytest.raises(identity.NotARegularFileError, match="folder"):
        identity.content_id(tmp_path)


def test_batch_on_a_folder_with_a_named_pipe_finishes(tmp_path):
    """Issue 16 item 9: the batch hung forever opening the FIFO to hash it."""
    folder = tmp_path / "videos"
    folder.mkdir()
    make_test_video(folder / "a.mp4", n_frames=24)
    os.mkfifo(folder / "pipe.mp4")
    out = tmp_path / "out.csv"
    done = {}
    t = threading.Thread(
        target=lambda: done.update(s=run_batch(folder, FakeScorer(), out_csv=out, pack_id="p1")), daemon=True
    )
    t.start()
    t.join(60)
    assert not t.is_alive(), "batch hung on the named pipe"
    rows = {r.file: r for r in BatchStore(out).rows.values()}
    assert rows["a.mp4"].status == "ok"
    assert rows["pipe.mp4"].status == "error" and "named pipe" in rows["pipe.mp4"].error


def test_batch_row_with_the_old_sampled_hash_is_recognised_and_upgraded(tmp_path):
    folder = tmp_path / "videos"
    folder.mkdir()
    video = make_test_video(folder / "a.mp4", n_frames=24)
    out = tmp_path / "out.csv"
    scorer = FakeScorer()
    run_batch(folder, scorer, out_csv=out, pack_id="p1")
    store = BatchStore(out)
    store.rows["a.mp4"].content_hash = identity.legacy_sampled_id(video)  # as an older version wrote it
    store.write()
    again = FakeScorer()
    run_batch(folder, again, out_csv=out, pack_id="p1")
    assert again.calls == []  # not rescored
    assert BatchStore(out).rows["a.mp4"].content_hash == identity.content_id(video)


def test_feature_cache_entry_under_the_old_hash_is_adopted_only_when_it_proves_the_content(tmp_path):
    cache = FeatureCache(tmp_path / "cache", max_bytes=0)

    def make_key(ident: str) -> str:
        return feature_cache_key(ident, "tiny", "w", {"name": "generic"})

    small = _big(tmp_path, "small.mp4", os.urandom(1 << 16))
    cache.put(make_key(identity.legacy_sampled_id(small)), np.ones((2, 4), np.float32), [(0, 1), (2, 3)])
    hit = cache.get_or_adopt_legacy(make_key(identity.content_id(small)), small, make_key)
    assert hit is not None and hit.clip_ranges == [(0, 1), (2, 3)]
    assert cache.get(make_key(identity.legacy_sampled_id(small))) is None  # moved, not copied

    large = _big(tmp_path, "large.mp4", os.urandom(4 << 20))
    cache.put(make_key(identity.legacy_sampled_id(large)), np.ones((2, 4), np.float32), [(0, 1), (2, 3)])
    assert cache.get_or_adopt_legacy(make_key(identity.content_id(large)), large, make_key) is None
