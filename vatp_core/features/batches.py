"""The overlapped extraction loop: decode thread → bounded queue of pinned uint8 batches → device → backbone.

Decoding (its own threads, see `vatp_core.video.decoding`), the host-to-device copy and the backbone run at
the same time; the queues hold a fixed number of batches, so memory does not grow with the video. On CUDA
the uint8 clips are copied from pinned buffers without blocking; with ``on_device`` preprocessing the
decoder delivers full-size frames and `preprocess_clip` resizes and normalises them on the GPU. Clips that
overlap (the demo's 16 frames every 8) reach a backbone with ``features_of_sequence`` (the tiny one) as one
sequence of their distinct frames, normalised and run through its stem once.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Protocol, runtime_checkable

import numpy as np

from ..errors import Cancelled, check_cancel
from .preprocess import Preprocessing, normalise, preprocess_clip

if TYPE_CHECKING:
    import torch

    from ..video import DecodeOptions

STAGE = "features"
PRECISIONS = ("auto", "fp32", "bf16", "fp16")


@dataclass(frozen=True)
class ExtractionRate:
    """Where feature extraction stands: what a progress display shows beside its bar."""

    frames_done: int
    frames_total: int
    frames_per_s: float
    eta_s: float | None  # None until a rate is known


@runtime_checkable
class RateListener(Protocol):
    """A progress callback that also wants frames/s and the ETA (the GUI's, the CLI's bar)."""

    def __call__(self, stage: str, done: int, total: int) -> None: ...

    def rate(self, info: ExtractionRate) -> None: ...


class _Stop(Exception):
    pass


def autocast_dtype(device: "torch.device", precision: str = "auto"):
    """The autocast dtype for ``precision`` on ``device`` (None: plain fp32)."""
    import torch

    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, not {precision!r}")
    if precision == "fp32" or (precision == "auto" and device.type != "cuda"):
        return None
    if precision == "fp16":
        return torch.float16
    if precision == "bf16" or device.type != "cuda":
        return torch.bfloat16
    return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16


class _StageClock:
    """Seconds per stage of the device loop; CUDA work is timed with events, read once at the end."""

    def __init__(self, cuda: bool) -> None:
        self.cuda = cuda
        self.seconds: dict[str, float] = {}
        self._events: list[tuple[str, Any, Any]] = []
        self._t: dict[str, float] = {}

    def start(self, name: str) -> None:
        if self.cuda:
            import torch

            ev = torch.cuda.Event(enable_timing=True)
            ev.record()
            self._t[name] = ev  # type: ignore[assignment]
        else:
            self._t[name] = time.perf_counter()

    def stop(self, name: str) -> None:
        if self.cuda:
            import torch

            ev = torch.cuda.Event(enable_timing=True)
            ev.record()
            self._events.append((name, self._t.pop(name), ev))
        else:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - self._t.pop(name)

    def totals(self) -> dict[str, float]:
        """Per-stage seconds (call after the device has finished, e.g. after copying the features back)."""
        out = dict(self.seconds)
        for name, a, b in self._events:
            out[name] = out.get(name, 0.0) + a.elapsed_time(b) / 1000.0
        return out


def run_batches(
    reader,
    backbone,
    protocol,
    prep: Preprocessing,
    out_hw: tuple[int, int],
    span: tuple[int, int | None],
    total: int,
    frames_total: int,
    *,
    batch_size: int,
    prefetch: int,
    precision: str,
    on_device: bool,
    decode: "DecodeOptions | None",
    progress: Callable[[str, int, int], None] | None,
    cancel: Callable[[], bool] | None,
    timings: dict[str, float],
    first_input: list[np.ndarray] | None = None,
) -> np.ndarray:
    """(total, D) float32 features of every clip, in order; fills ``timings`` with the stage breakdown."""
    import torch

    from ..video import iter_clips

    device = backbone.device
    spec = backbone.spec
    start, end = span
    L = protocol.clip_len
    h, w = out_hw
    cuda = device.type == "cuda"
    batch_size = max(1, int(batch_size))
    if on_device:  # full-size frames: fewer, bigger buffers
        h, w = reader.info.height, reader.info.width
        batch_size = min(batch_size, 2)
        prefetch = min(prefetch, 2)
    n_buffers = max(2, int(prefetch)) + 2
    free: "queue.Queue[tuple[torch.Tensor, Any]]" = queue.Queue()
    # Normal tensors even when the caller runs under torch.inference_mode() (the app's worker does):
    # the decode thread is not in inference mode and must be allowed to write into them.
    with torch.inference_mode(False):
        for _ in range(n_buffers):
            free.put((torch.empty((batch_size, L, h, w, 3), dtype=torch.uint8, pin_memory=cuda), None))
    ready: "queue.Queue[Any]" = queue.Queue(maxsize=max(1, int(prefetch)))
    stop = threading.Event()
    producer_s = [0.0, 0.0]  # decode thread busy, frame_fn share of it
    frame_fn = None if on_device else prep.frame_fn
    if frame_fn is not None:
        inner = frame_fn

        def frame_fn(arr: np.ndarray) -> np.ndarray:
            t = time.perf_counter()
            try:
                return inner(arr)
            finally:
                producer_s[1] += time.perf_counter() - t

    def producer() -> None:
        try:
            buf, event = None, None
            filled = first_index = 0
            t0 = time.perf_counter()
            for index, clip in iter_clips(
                reader,
                protocol,
                resize=None if on_device else prep.reader_resize,
                start=start,
                end=end,
                cancel=stop.is_set,
                frame_fn=frame_fn,
                decode=decode,
            ):
                if buf is None:
                    producer_s[0] += time.perf_counter() - t0
                    buf, event = _take(free, stop)
                    if event is not None:
                        event.synchronize()  # the previous copy out of this pinned buffer has finished
                    t0 = time.perf_counter()
                    first_index, filled = index, 0
                buf[filled].copy_(torch.from_numpy(clip))
                filled += 1
                if filled == batch_size:
                    producer_s[0] += time.perf_counter() - t0
                    _put(ready, (first_index, filled, buf), stop)
                    t0 = time.perf_counter()
                    buf = None
            if buf is not None and filled:
                producer_s[0] += time.perf_counter() - t0
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
    amp_dtype = autocast_dtype(device, precision)
    clock = _StageClock(cuda)
    outputs: list[torch.Tensor] = []
    done = 0
    wait = 0.0
    rate_fn = progress.rate if isinstance(progress, RateListener) else None
    frames_per_clip = frames_total / max(1, total)
    if cuda:
        torch.backends.cudnn.benchmark = True
    # a backbone built channels-last on the CPU (the tiny one) gets its inputs in that layout too
    channels_last = device.type == "cpu" and bool(getattr(backbone.module, "channels_last_on_cpu", False))
    # overlapping clips of a backbone that can take a frame sequence (the tiny one) go through it as one
    sequence_fn = getattr(backbone.module, "features_of_sequence", None)
    overlap = 0
    if sequence_fn is not None and not on_device and not backbone.module.training and 0 < protocol.stride < L:
        overlap = L - protocol.stride
    t_loop = time.perf_counter()
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
                first_index, n, buf = item
                shared = None
                if overlap:
                    clock.start("normalise")
                    shared = shared_frames(buf[:n], overlap)
                    clock.stop("normalise")
                clock.start("upload")
                x = buf[:n].to(device, non_blocking=True) if shared is None else shared[0].to(device)
                clock.stop("upload")
                event = None
                if cuda and shared is None:
                    event = torch.cuda.Event()
                    event.record()
                clock.start("normalise")
                if on_device:  # resize + normalise of full-size frames on the backbone's device
                    x = torch.stack([preprocess_clip(x[b], prep.version) for b in range(n)])
                elif shared is None:
                    x = normalise(x, prep.mean, prep.std, channels_last)  # (B, 3, L, H, W) float on the device
                else:  # (1, 3, N, H, W): each distinct frame once
                    x = normalise(x[None], prep.mean, prep.std, channels_last)
                clock.stop("normalise")
                free.put((buf, event))  # CPU: x is a new tensor; CUDA: reuse waits for the copy event
                if first_input is not None and not first_input:
                    first_input.append((x[0] if shared is None else x[0, :, :L]).float().cpu().numpy())
                clock.start("backbone")
                with (
                    torch.autocast(device_type=device.type, dtype=amp_dtype)
                    if amp_dtype is not None
                    else contextlib.nullcontext()
                ):
                    y = backbone.module(x) if shared is None or sequence_fn is None else sequence_fn(x, shared[1], L)
                outputs.append(y.float())
                clock.stop("backbone")
                if progress is not None:
                    for _ in range(n):
                        done += 1
                        progress(STAGE, done, total)
                else:
                    done += n
                if rate_fn is not None:
                    elapsed = time.perf_counter() - t_loop
                    frames = min(frames_total, int(round(done * frames_per_clip)))
                    fps = frames / elapsed if elapsed > 0 else 0.0
                    eta = (frames_total - frames) / fps if fps > 0 else None
                    rate_fn(ExtractionRate(frames, frames_total, fps, eta))
            check_cancel(cancel)
            t = time.perf_counter()
            feats = (
                torch.cat(outputs).cpu().numpy().astype(np.float32)
                if outputs
                else np.zeros((0, spec.feature_dim), np.float32)
            )
            timings["copy_back"] = time.perf_counter() - t
    finally:
        stop.set()
        _drain(ready)
        thread.join(timeout=30)
    if feats.shape[0] != total:
        raise RuntimeError(f"extracted {feats.shape[0]} clips, expected {total}")
    stages = clock.totals()
    loop_s = time.perf_counter() - t_loop
    stats = getattr(reader, "decode_timing", None)
    timings["decode_thread"] = producer_s[0]  # wall time the decode thread was busy (decode + resize)
    if stats is not None:
        timings["decode"] = stats["decode"]  # decoder seconds, summed over range workers
        timings["resize"] = stats["convert"] + producer_s[1]  # colour conversion + resize on the CPU
    timings["wait_for_decode"] = wait
    timings["upload"] = stages.get("upload", 0.0)
    timings["normalise"] = stages.get("normalise", 0.0)
    timings["backbone"] = stages.get("backbone", 0.0)
    timings["compute"] = timings["upload"] + timings["normalise"] + timings["backbone"]
    timings["loop"] = loop_s
    timings["frames_per_s"] = frames_total / max(loop_s, 1e-9)
    return feats


def shared_frames(clips: "torch.Tensor", overlap: int) -> "tuple[torch.Tensor, list[int]] | None":
    """(distinct frames, offset of each clip in them) of (B, L, H, W, 3) clips, or None when none overlap.

    A clip continues the sequence when its first ``overlap`` frames equal the previous clip's last ones, value
    for value (so any protocol, a trimmed or resampled one too, is safe: equal inputs give equal outputs);
    otherwise it starts at the end of the sequence.
    """
    import torch

    length = clips.shape[1]
    parts, offsets, n = [clips[0]], [0], length
    for b in range(1, clips.shape[0]):
        if torch.equal(clips[b, :overlap], clips[b - 1, length - overlap :]):
            parts.append(clips[b, overlap:])
            offsets.append(offsets[-1] + length - overlap)
            n += length - overlap
        else:
            parts.append(clips[b])
            offsets.append(n)
            n += length
    if n == clips.shape[0] * length:
        return None
    return torch.cat(parts), offsets


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
