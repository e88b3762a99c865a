"""How the model's sequential pass decodes: frame threads sized to the cores, parallel keyframe-aligned
ranges for long files (reassembled in order), and NVDEC through PyAV's hardware acceleration with a clean
fallback to software decoding.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from .index import FrameIndex

log = logging.getLogger(__name__)

HWACCEL_CHOICES = ("none", "auto", "cuda")
#: A range decoded by one worker spans at least this many frames (a worker seeks once per range).
MIN_RANGE_FRAMES = 96
#: Decoded-but-not-yet-consumed frames of all ranges in flight stay under this many megabytes.
RANGE_BUFFER_MB = 512

_hw_unavailable: dict[str, str] = {}  # device type -> why opening it failed (probed once per process)
_hw_lock = threading.Lock()


def available_cpus() -> int:
    """Cores this process may run on (the affinity mask / container limit, not the host's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class DecodeOptions:
    """Decoding of one sequential pass; the defaults size everything to the machine.

    ``threads``: FFmpeg decoder threads in all (0: one per core). ``workers``: decoders working on
    keyframe-aligned ranges at once (0: chosen from the cores and the length; 1: one decoder).
    ``hwaccel``: "none", "cuda" (NVDEC, falling back to software when it cannot be used) or "auto"
    (NVDEC when the bundled FFmpeg has it and a CUDA device opens, else software).
    """

    threads: int = 0
    workers: int = 0
    hwaccel: str = "none"

    def __post_init__(self) -> None:
        if self.hwaccel not in HWACCEL_CHOICES:
            raise ValueError(f"hwaccel must be one of {', '.join(HWACCEL_CHOICES)}, not {self.hwaccel!r}")
        if self.threads < 0 or self.workers < 0:
            raise ValueError("threads and workers must be 0 (automatic) or positive")

    def total_threads(self) -> int:
        return self.threads or available_cpus()


@dataclass(frozen=True)
class DecodePlan:
    """What a pass actually used (reported by benchmarks and kept in the feature timings)."""

    workers: int
    threads_per_worker: int
    ranges: int
    hwaccel: str  # "nvdec" or "software"

    def describe(self) -> str:
        return (
            f"{self.hwaccel}, {self.workers} decoder(s) x {self.threads_per_worker} thread(s), {self.ranges} range(s)"
        )


def hwaccel_for(options: DecodeOptions):
    """An ``av`` HWAccel for NVDEC, or None when not asked for or known to be unusable here."""
    if options.hwaccel == "none":
        return None
    try:
        from av.codec.hwaccel import HWAccel, hwdevices_available
    except ImportError:  # a PyAV without hardware acceleration
        return None
    if "cuda" not in hwdevices_available():
        return None
    with _hw_lock:
        if "cuda" in _hw_unavailable:
            return None
    return HWAccel(device_type="cuda", allow_software_fallback=True)


def note_hw_failure(device_type: str, reason: str) -> None:
    """Remember that a hardware device would not open, so later passes go straight to software."""
    with _hw_lock:
        if device_type not in _hw_unavailable:
            log.info("hardware decoding (%s) unavailable, decoding in software: %s", device_type, reason)
        _hw_unavailable[device_type] = reason


def hw_unavailable_reason(device_type: str = "cuda") -> str | None:
    with _hw_lock:
        return _hw_unavailable.get(device_type)


def plan_ranges(index: FrameIndex, start: int, stop: int, workers: int) -> list[tuple[int, int]]:
    """Split [start, stop) at keyframes into ranges of about 2 x MIN_RANGE_FRAMES (or one GOP when longer)."""
    if workers <= 1 or stop - start < 2 * MIN_RANGE_FRAMES:
        return [(start, stop)]
    target = 2 * MIN_RANGE_FRAMES  # short ranges balance the workers; each ends at a keyframe after this
    bounds = [start]
    for k in index.keyframes:
        k = int(k)
        if k <= bounds[-1] or k >= stop:
            continue
        if k - bounds[-1] >= target and stop - k >= MIN_RANGE_FRAMES // 2:
            bounds.append(k)
    bounds.append(stop)
    return list(zip(bounds[:-1], bounds[1:]))


def choose_workers(options: DecodeOptions, n_frames: int, frame_bytes: int, gop: float) -> int:
    """Decoders to run at once: as asked, else half the cores for long files (each gets two frame threads),
    limited so the frames buffered by ranges in flight stay within RANGE_BUFFER_MB."""
    cores = options.total_threads()
    if options.workers:
        wanted = options.workers
    elif n_frames < 4 * MIN_RANGE_FRAMES:
        wanted = 1
    else:
        wanted = max(1, cores // 2)
    range_frames = max(2 * MIN_RANGE_FRAMES, gop)  # a typical range of plan_ranges
    fit = int(RANGE_BUFFER_MB * 1024 * 1024 // max(1, frame_bytes * range_frames)) - 1
    return max(1, min(wanted, fit, n_frames // MIN_RANGE_FRAMES or 1))


_DONE = object()


def ordered_parallel(
    ranges: list[tuple[int, int]],
    workers: int,
    decode_range: Callable[[int, int, threading.Event], Iterator[tuple[int, np.ndarray]]],
) -> Iterator[tuple[int, np.ndarray]]:
    """Run ``decode_range(a, b, stop)`` for each range on ``workers`` threads; yield the frames in order.

    At most ``workers + 1`` ranges are in flight (decoding or waiting to be consumed), so memory is bounded
    by a few ranges whatever the length. An exception in a worker is raised here, in the consumer.
    """
    stop = threading.Event()
    slots = threading.Semaphore(workers + 1)
    outputs: list[queue.SimpleQueue] = [queue.SimpleQueue() for _ in ranges]
    next_job = [0]
    job_lock = threading.Lock()

    def worker() -> None:
        while not stop.is_set():
            while not slots.acquire(timeout=0.1):
                if stop.is_set():
                    return
            with job_lock:
                j = next_job[0]
                next_job[0] += 1
            if j >= len(ranges):
                slots.release()
                return
            out = outputs[j]
            try:
                for item in decode_range(*ranges[j], stop):
                    if stop.is_set():
                        break
                    out.put(item)
                out.put(_DONE)
            except BaseException as exc:  # noqa: BLE001 - re-raised by the consumer
                out.put(exc)
                return

    threads = [threading.Thread(target=worker, name=f"vatp-decode-range-{k}", daemon=True) for k in range(workers)]
    for t in threads:
        t.start()
    try:
        for out in outputs:
            while True:
                item = out.get()
                if item is _DONE:
                    break
                if isinstance(item, BaseException):
                    raise item
                yield item
            slots.release()  # this range is consumed: another may start
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)
