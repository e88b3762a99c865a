"""Stream the clips of a protocol out of a video in one sequential pass, holding only the frames still needed."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from ..errors import check_cancel
from .convert import Resize
from .decoding import DecodeOptions
from .errors import CorruptVideoError


def iter_clips(
    reader,
    protocol,
    resize: Resize | None = None,
    start: int = 0,
    end: int | None = None,
    cancel: Callable[[], bool] | None = None,
    frame_fn: Callable[[np.ndarray], np.ndarray] | None = None,
    decode: DecodeOptions | None = None,
) -> Iterator[tuple[int, np.ndarray]]:
    """Yield (clip index, (L, H, W, 3) uint8) for each clip of ``protocol`` over frames [start, end).

    Frames are decoded once, in order; a frame is dropped as soon as no later clip needs it, so memory is
    bounded by one clip span whatever the video length. An undecodable frame is replaced by the nearest
    earlier decoded one (or the next one at the very start) and counted by the reader.
    ``decode`` chooses how frames are decoded (threads, parallel ranges, NVDEC; see `DecodeOptions`).
    A protocol with ``fps`` set is resampled in time using the reader's timestamps (VFR-safe).
    ``frame_fn`` (a backbone's preprocessing of full-size frames) is applied to each frame as it is decoded.
    Raises `VideoTooShortError` when the range holds less than one clip.
    """
    timestamps = reader.timestamps() if getattr(protocol, "fps", None) else None
    clips = protocol.clip_indices(len(reader), start, end, timestamps)
    if not clips:
        return
    needed = np.unique(np.concatenate(clips))
    needed_set = set(int(i) for i in needed)
    first, last = int(needed[0]), int(needed[-1])
    held: dict[int, np.ndarray] = {}
    last_seen: tuple[int, np.ndarray] | None = None
    next_clip = 0

    def build(c: np.ndarray) -> np.ndarray:
        frames = []
        for i in c:
            i = int(i)
            arr = held.get(i)
            if arr is None:
                arr = _nearest(held, i)
            frames.append(arr)
        return np.stack(frames)

    def drop_before(limit: int) -> None:
        for k in [k for k in held if k < limit]:
            del held[k]

    check_cancel(cancel)
    for idx, arr in reader.stream(first, last + 1, resize=resize, decode=decode):
        if frame_fn is not None:
            arr = frame_fn(arr)
        if idx in needed_set:
            held[idx] = arr
        last_seen = (idx, arr)
        while next_clip < len(clips) and int(clips[next_clip][-1]) <= idx:
            check_cancel(cancel)
            clip = clips[next_clip]
            _fill_missing(held, clip, last_seen)
            yield next_clip, build(clip)
            next_clip += 1
            if next_clip < len(clips):
                drop_before(int(clips[next_clip].min()))
    # frames at the very end could not be decoded: finish the remaining clips with what we have
    while next_clip < len(clips):
        check_cancel(cancel)
        clip = clips[next_clip]
        _fill_missing(held, clip, last_seen)
        if not held:
            raise CorruptVideoError(
                f"{Path(str(reader.info.path)).name}: frames {first}–{last} cannot be decoded (the file is damaged)."
            )
        yield next_clip, build(clip)
        next_clip += 1


def _fill_missing(held: dict[int, np.ndarray], clip: np.ndarray, last_seen) -> None:
    if last_seen is not None and not any(int(i) in held for i in clip):
        held[int(clip[0])] = last_seen[1]


def _nearest(held: dict[int, np.ndarray], i: int) -> np.ndarray:
    earlier = [k for k in held if k <= i]
    if earlier:
        return held[max(earlier)]
    return held[min(held)]
