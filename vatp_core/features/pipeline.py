"""Clip feature extraction: background decode + resize, pinned batches, normalise and run on the device.

One code path for CUDA and the CPU. A producer thread decodes and resizes frames (PyAV/swscale, which
release the GIL) and packs whole clips into reusable (pinned, on CUDA) uint8 batch buffers; the calling
thread copies each batch to the device without blocking, converts and normalises it there, and runs the
backbone under bf16/fp16 autocast on CUDA. Results come from and go to the feature cache.
"""

from __future__ import annotations

import contextlib
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from ..errors import check_cancel
from ..video.decoding import available_cpus
from .batches import STAGE, run_batches
from .cache import FeatureCache, feature_cache_key, video_content_hash
from .preprocess import PREPROCESS_GDLT, preprocessing_for

if TYPE_CHECKING:
    import torch

    from ..protocols import ClipProtocol
    from ..video import DecodeOptions
    from ..video.index import VideoInfo
    from .backbones import LoadedBackbone

ProgressFn = Callable[[str, int, int], None]
CancelFn = Callable[[], bool]


@dataclass
class ClipFeatures:
    """Per-clip features of one video and where each clip lies in it."""

    features: np.ndarray  # (T, D) float32
    clip_ranges: list[tuple[int, int]]  # (first, last) frame of each clip, inclusive
    video: "VideoInfo"
    from_cache: bool
    timings: dict[str, float] = field(default_factory=dict)
    content_hash: str = ""
    backbone: str = ""
    weights_hash: str = ""
    protocol: dict[str, Any] = field(default_factory=dict)
    first_input: np.ndarray | None = None  # (3, L, H, W) float32 backbone input of clip 0, when asked for
    corrupt_frames: list[int] = field(default_factory=list)  # frames the decoder could not give (skipped)

    @property
    def n_clips(self) -> int:
        return int(self.features.shape[0])


_threads_lock = threading.Lock()
_threads_users = 0
_threads_saved = 0


@contextlib.contextmanager
def _leave_a_core_for_decoding(device: "torch.device"):
    """On the CPU, run torch's intra-op pool on one core fewer while the decode thread works.

    With every core given to torch, its OpenMP workers spin against the decoder: on a 2-core machine a
    tiny-backbone extraction ran 5x slower with 2 torch threads than with 1. Nested / concurrent
    extractions share one saved value, restored when the last one ends.
    """
    global _threads_users, _threads_saved
    import torch

    if device.type != "cpu":
        yield
        return
    with _threads_lock:
        if _threads_users == 0:
            _threads_saved = torch.get_num_threads()
            torch.set_num_threads(max(1, min(_threads_saved, available_cpus() - 1)))
        _threads_users += 1
    try:
        yield
    finally:
        with _threads_lock:
            _threads_users -= 1
            if _threads_users == 0:
                torch.set_num_threads(_threads_saved)


def extract_features(
    video: "str | Path",
    backbone: "LoadedBackbone",
    protocol: "ClipProtocol",
    *,
    batch_size: int = 8,
    progress: ProgressFn | None = None,
    cancel: CancelFn | None = None,
    use_cache: bool = True,
    start: int = 0,
    end: int | None = None,
    cache: FeatureCache | None = None,
    prefetch: int = 3,
    keep_first_input: bool = False,
    precision: str = "auto",
    decode: "DecodeOptions | None" = None,
    preprocess_on_device: bool | None = None,
    reader: Any = None,
) -> ClipFeatures:
    """Features of every clip of `protocol` in frames [start, end) of `video`, served from the cache when present.

    progress("features", clips done, clips total) after each clip; cancel is checked between batches
    (raises Cancelled, leaving nothing in the cache). Memory is bounded by a few batches of clips.
    keep_first_input=True also returns the normalised input of the first clip (and so never reads the cache).
    A progress callback with a ``rate`` method (`RateListener`) also gets frames/s and the ETA per batch.
    precision: "auto" (bf16, or fp16 without bf16, on CUDA; fp32 on the CPU), "fp32", "bf16" or "fp16".
    decode: threads / parallel ranges / NVDEC (default: sized to the machine, software decoding).
    preprocess_on_device: resize + normalise full-size frames on the backbone's device (default: on CUDA
    when the protocol's preprocessing is defined on full-size frames, ``gdlt-v2``).
    reader: `video` already open (a `VideoReader` the caller keeps and closes), so it is not indexed twice.
    """
    from ..video import DecodeOptions, open_video

    t_start = time.perf_counter()
    timings: dict[str, float] = {}
    spec = backbone.spec
    check_cancel(cancel)
    # the file's full-content hash (a read of the whole file) runs beside indexing and, when the cache is
    # not consulted first, beside the whole extraction; hashlib releases the GIL while it works
    hashing = _Background(video_content_hash, video)
    with contextlib.nullcontext(reader) if reader is not None else open_video(video) as reader:
        info = reader.info
        n_frames = len(reader)
        # VideoTooShortError when no clip fits; a protocol that resamples time needs the frame times
        stamps = reader.timestamps() if getattr(protocol, "fps", None) else None
        ranges = (
            protocol.clip_ranges(n_frames, start, end, timestamps=stamps)
            if stamps is not None
            else protocol.clip_ranges(n_frames, start, end)
        )
        timings["open"] = time.perf_counter() - t_start

        def key_for(identity: str) -> str:
            return feature_cache_key(identity, spec.name, backbone.weights_hash, protocol.to_dict(), start, end)

        total = len(ranges)
        common: dict[str, Any] = dict(
            video=info,
            backbone=spec.name,
            weights_hash=backbone.weights_hash,
            protocol=protocol.to_dict(),
        )
        if use_cache:
            cache = cache or FeatureCache()
        if use_cache and not keep_first_input:
            assert cache is not None
            t = time.perf_counter()
            common["content_hash"] = content = hashing.result()
            key = key_for(content)
            timings["hash_wait"] = time.perf_counter() - t
            hit = cache.get_or_adopt_legacy(key, video, key_for)
            # an entry without "corrupt_frames" predates damage reporting: recompute so damage is not hidden
            if (
                hit is not None
                and hit.features.shape == (total, spec.feature_dim)
                and hit.clip_ranges == ranges
                and isinstance(hit.meta.get("corrupt_frames"), list)
            ):
                if progress is not None:
                    progress(STAGE, total, total)
                timings["total"] = time.perf_counter() - t_start
                corrupt = [int(i) for i in hit.meta["corrupt_frames"]]
                return ClipFeatures(
                    hit.features, hit.clip_ranges, from_cache=True, timings=timings, corrupt_frames=corrupt, **common
                )

        device = backbone.device
        prep = preprocessing_for(protocol.preprocess, spec)
        out_h, out_w = prep.output_hw(info.width, info.height)
        first_input: list[np.ndarray] | None = [] if keep_first_input else None
        if preprocess_on_device is None:
            preprocess_on_device = device.type == "cuda" and prep.version == PREPROCESS_GDLT
        if preprocess_on_device and prep.version != PREPROCESS_GDLT:
            raise ValueError(f"preprocessing {prep.version} is done while decoding, not on the device")
        first, last = ranges[0][0], ranges[-1][1]
        with _leave_a_core_for_decoding(device):
            feats = run_batches(
                reader,
                backbone,
                protocol,
                prep,
                (out_h, out_w),
                (start, end),
                total,
                last - first + 1,
                batch_size=batch_size,
                prefetch=prefetch,
                precision=precision,
                on_device=preprocess_on_device,
                decode=decode or DecodeOptions(),
                progress=progress,
                cancel=cancel,
                timings=timings,
                first_input=first_input,
            )
        corrupt = sorted(int(i) for i in reader.corrupt_frames)
        if reader.last_plan is not None:
            timings["decode_workers"] = float(reader.last_plan.workers)
    t = time.perf_counter()
    common["content_hash"] = content = hashing.result()
    key = key_for(content)
    timings["hash_wait"] = timings.get("hash_wait", 0.0) + time.perf_counter() - t

    timings["total"] = time.perf_counter() - t_start
    timings["clips_per_s"] = total / max(timings["total"], 1e-9)
    if use_cache and cache is not None:
        cache.put(
            key,
            feats,
            ranges,
            meta={
                "video": info.path,
                "backbone": spec.name,
                "weights_hash": backbone.weights_hash,
                "protocol": protocol.to_dict(),
                "start": start,
                "end": end,
                "created": time.time(),
                "corrupt_frames": corrupt,
            },
        )
    kept = first_input[0] if first_input else None
    return ClipFeatures(
        feats, ranges, from_cache=False, timings=timings, first_input=kept, corrupt_frames=corrupt, **common
    )


class _Background:
    """``fn(*args)`` on a daemon thread; ``result()`` waits for it and re-raises its exception here."""

    def __init__(self, fn: Callable[..., Any], *args: Any) -> None:
        self._value: Any = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(fn, args), name="vatp-hash", daemon=True)
        self._thread.start()

    def _run(self, fn: Callable[..., Any], args: tuple) -> None:
        try:
            self._value = fn(*args)
        except BaseException as exc:  # noqa: BLE001 - re-raised by result()
            self._error = exc

    def result(self) -> Any:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value
