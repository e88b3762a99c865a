"""Clip feature extraction: background decode + resize, pinned batches, normalise and run on the device.

One code path for CUDA and the CPU. A producer thread decodes and resizes frames (PyAV/swscale, which
release the GIL) and packs whole clips into reusable (pinned, on CUDA) uint8 batch buffers; the calling
thread copies each batch to the device without blocking, converts and normalises it there, and runs the
backbone under bf16/fp16 autocast on CUDA. Results come from and go to the feature cache.
"""

from __future__ import annotations

import contextlib
import os
import queue
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from ..errors import Cancelled, check_cancel
from .cache import FeatureCache, feature_cache_key, video_content_hash
from .preprocess import Preprocessing, normalise, preprocessing_for

if TYPE_CHECKING:
    import torch

    from ..protocols import ClipProtocol
    from ..video.index import VideoInfo
    from .backbones import LoadedBackbone

ProgressFn = Callable[[str, int, int], None]
CancelFn = Callable[[], bool]
STAGE = "features"


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

    @property
    def n_clips(self) -> int:
        return int(self.features.shape[0])


class _Stop(Exception):
    pass


_threads_lock = threading.Lock()
_threads_users = 0
_threads_saved = 0


def _available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


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
            torch.set_num_threads(max(1, min(_threads_saved, _available_cpus() - 1)))
        _threads_users += 1
    try:
        yield
    finally:
        with _threads_lock:
            _threads_users -= 1
            if _threads_users == 0:
                torch.set_num_threads(_threads_saved)


def _autocast_dtype(device: "torch.device"):
    import torch

    if device.type != "cuda":
        return None
    return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16


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
) -> ClipFeatures:
    """Features of every clip of `protocol` in frames [start, end) of `video`, served from the cache when present.

    progress("features", clips done, clips total) after each clip; cancel is checked between batches
    (raises Cancelled, leaving nothing in the cache). Memory is bounded by a few batches of clips.
    keep_first_input=True also returns the normalised input of the first clip (and so never reads the cache).
    """
    from ..video import open_video

    t_start = time.perf_counter()
    timings: dict[str, float] = {}
    spec = backbone.spec
    check_cancel(cancel)
    with open_video(video) as reader:
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

        t = time.perf_counter()
        content = video_content_hash(video)

        def key_for(identity: str) -> str:
            return feature_cache_key(identity, spec.name, backbone.weights_hash, protocol.to_dict(), start, end)

        key = key_for(content)
        timings["hash"] = time.perf_counter() - t
        total = len(ranges)
        common = dict(
            video=info,
            content_hash=content,
            backbone=spec.name,
            weights_hash=backbone.weights_hash,
            protocol=protocol.to_dict(),
        )
        if use_cache:
            cache = cache or FeatureCache()
        if use_cache and not keep_first_input:
            assert cache is not None
            hit = cache.get_or_adopt_legacy(key, video, key_for)
            if hit is not None and hit.features.shape == (total, spec.feature_dim) and hit.clip_ranges == ranges:
                if progress is not None:
                    progress(STAGE, total, total)
                timings["total"] = time.perf_counter() - t_start
                return ClipFeatures(hit.features, hit.clip_ranges, from_cache=True, timings=timings, **common)

        device = backbone.device
        prep = preprocessing_for(protocol.preprocess, spec)
        out_h, out_w = prep.output_hw(info.width, info.height)
        first_input: list[np.ndarray] | None = [] if keep_first_input else None
        with _leave_a_core_for_decoding(device):
            feats = _run(
                reader,
                backbone,
                protocol,
                prep,
                (out_h, out_w),
                start,
                end,
                total,
                batch_size,
                prefetch,
                device,
                progress,
                cancel,
                timings,
                first_input,
            )

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
            },
        )
    kept = first_input[0] if first_input else None
    return ClipFeatures(feats, ranges, from_cache=False, timings=timings, first_input=kept, **common)


def _run(
    reader,
    backbone,
    protocol,
    prep: Preprocessing,
    out_hw,
    start,
    end,
    total,
    batch_size,
    prefetch,
    device,
    progress,
    cancel,
    timings,
    first_input: list[np.ndarray] | None = None,
) -> np.ndarray:
    import torch

    from ..video import iter_clips

    spec = backbone.spec
    L = protocol.clip_len
    h, w = out_hw
    cuda = device.type == "cuda"
    batch_size = max(1, int(batch_size))
    n_buffers = max(2, int(prefetch)) + 2
    free: "queue.Queue[tuple[torch.Tensor, Any]]" = queue.Queue()
    # Normal tensors even when the caller runs under torch.inference_mode() (the app's worker does):
    # the decode thread is not in inference mode and must be allowed to write into them.
    with torch.inference_mode(False):
        for _ in range(n_buffers):
            buf = torch.empty((batch_size, L, h, w, 3), dtype=torch.uint8, pin_memory=cuda)
            free.put((buf, None))
    ready: "queue.Queue[Any]" = queue.Queue(maxsize=max(1, int(prefetch)))
    stop = threading.Event()
    decode_time = [0.0]

    def producer() -> None:
        try:
            buf, event = None, None
            filled = 0
            first_index = 0
            t0 = time.perf_counter()
            for index, clip in iter_clips(
                reader,
                protocol,
                resize=prep.reader_resize,
                start=start,
                end=end,
                cancel=stop.is_set,
                frame_fn=prep.frame_fn,
            ):
                if buf is None:
                    buf, event = _take(free, stop)
                    if event is not None:
                        event.synchronize()  # the previous copy out of this pinned buffer has finished
                    first_index, filled = index, 0
                buf[filled].copy_(torch.from_numpy(clip))
                filled += 1
                if filled == batch_size:
                    decode_time[0] += time.perf_counter() - t0
                    _put(ready, (first_index, filled, buf), stop)
                    t0 = time.perf_counter()
                    buf = None
            if buf is not None and filled:
                decode_time[0] += time.perf_counter() - t0
                _put(ready, (first_index, filled, buf), stop)
            _put(ready, None, stop)
        except (_Stop, Cancelled):
            pass
        except BaseException as exc:  # handed to the consumer, which raises it in the caller's thread
            try:
                _put(ready, exc, stop)
            except _Stop:
                pass

    thread = threading.Thread(target=producer, name="vatp-decode", daemon=True)
    amp_dtype = _autocast_dtype(device)
    outputs: list[torch.Tensor] = []
    done = 0
    wait = compute = 0.0
    if cuda:
        torch.backends.cudnn.benchmark = True
    thread.start()
    try:
        with torch.inference_mode():
            while True:
                t = time.perf_counter()
                item = ready.get()
                wait += time.perf_counter() - t
                if item is None:
                    break
                if isinstance(item, BaseException):
                    raise item
                check_cancel(cancel)
                t = time.perf_counter()
                first_index, n, buf = item
                x = buf[:n].to(device, non_blocking=True)
                event = None
                if cuda:
                    event = torch.cuda.Event()
                    event.record()
                x = normalise(x, prep.mean, prep.std)  # (B, 3, L, H, W) float on the device
                free.put((buf, event))  # CPU: x is a new tensor; CUDA: reuse waits for the copy event
                if first_input is not None and not first_input:
                    first_input.append(x[0].float().cpu().numpy())
                if amp_dtype is not None:
                    with torch.autocast(device_type="cuda", dtype=amp_dtype):
                        y = backbone.module(x)
                else:
                    y = backbone.module(x)
                outputs.append(y.float())
                compute += time.perf_counter() - t
                if progress is not None:
                    for _ in range(n):
                        done += 1
                        progress(STAGE, done, total)
                else:
                    done += n
            check_cancel(cancel)
            t = time.perf_counter()
            feats = (
                torch.cat(outputs).cpu().numpy().astype(np.float32)
                if outputs
                else np.zeros((0, spec.feature_dim), np.float32)
            )
            compute += time.perf_counter() - t
    finally:
        stop.set()
        _drain(ready)
        thread.join(timeout=30)
    if feats.shape[0] != total:
        raise RuntimeError(f"extracted {feats.shape[0]} clips, expected {total}")
    timings["decode"] = decode_time[0]
    timings["wait_for_decode"] = wait
    timings["compute"] = compute
    return feats


def _take(free: "queue.Queue", stop: threading.Event):
    while True:
        if stop.is_set():
            raise _Stop()
        try:
            return free.get(timeout=0.1)
        except queue.Empty:
            continue


def _put(q: "queue.Queue", item: Any, stop: threading.Event) -> None:
    while True:
        if stop.is_set():
            raise _Stop()
        try:
            q.put(item, timeout=0.1)
            return
        except queue.Full:
            continue


def _drain(q: "queue.Queue") -> None:
    try:
        while True:
            q.get_nowait()
    except queue.Empty:
        pass
