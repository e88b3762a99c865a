"""Writes a SynthAQA set: H.264 videos, a `labels.csv` in the generic layout and a JSON label file per video."""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..atomic import atomic_write
from .render import Renderer
from .routine import SCORE_RANGE, SUBACTION_NAMES, RoutineSpec, routine_rng, sample_routine

DEFAULT_SIZE = (160, 120)
LABELS_FILE = "labels.csv"


@dataclass(frozen=True)
class SynthConfig:
    """What set to make; everything else follows from the seed."""

    n: int = 100
    seed: int = 0
    size: tuple[int, int] = DEFAULT_SIZE  # (width, height), both even
    fps: float = 25.0
    idle: bool = True  # idle frames (label −1) before and after the routine
    crf: int = 23
    prefix: str = "routine"


@dataclass
class SynthItem:
    """One written routine."""

    name: str
    video: Path
    score: float
    phrases: list[str]
    frame_labels: list[int]


def routine_name(cfg: SynthConfig, index: int) -> str:
    return f"{cfg.prefix}_{cfg.seed}_{index:05d}"


def routine_spec(cfg: SynthConfig, index: int) -> RoutineSpec:
    """The spec of routine `index` of a set (the same whatever `n` is)."""
    return sample_routine(routine_rng(cfg.seed, index), fps=cfg.fps, idle=cfg.idle)


def encode_video(frames, path: Path, fps: float, size: tuple[int, int], crf: int = 23) -> None:
    """Encode RGB frames as H.264 (yuv420p) MP4 with reproducible bytes.

    One thread, and no macroblock-tree rate control: x264's mb-tree gave different bytes from run to run.
    """
    from fractions import Fraction

    import av

    path = Path(path)
    tmp = path.with_name(path.name + ".part")
    rate = Fraction(fps).limit_denominator(1001)
    with av.open(str(tmp), mode="w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=rate)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        stream.codec_context.thread_count = 1
        stream.options = {
            "crf": str(crf),
            "preset": "veryfast",
            "threads": "1",
            "g": str(int(round(fps)) * 2),
            "bf": "2",
            "x264-params": "no-mbtree=1:sliced-threads=0",
        }
        for i, img in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(img), format="rgb24")
            frame.pts = i
            frame.time_base = 1 / rate
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    os.replace(tmp, path)


def label_record(spec: RoutineSpec, name: str, video_file: str, cfg: SynthConfig, index: int) -> dict:
    """The content of `<name>.json`: score, phrases and frame labels, plus the hidden truth behind them."""
    return {
        "file": video_file,
        "score": spec.score,
        "score_range": list(SCORE_RANGE),
        "difficulty": None,
        "phrases": spec.phrases,
        "subaction_names": list(SUBACTION_NAMES),
        "frame_labels": spec.frame_labels(),
        "segments": [list(b) for b in spec.boundaries()],
        "quality": dict(zip(SUBACTION_NAMES, spec.quality)),
        "somersaults": spec.somersaults,
        "position": spec.position,
        "fps": spec.fps,
        "n_frames": spec.n_frames,
        "size": list(cfg.size),
        "seed": cfg.seed,
        "index": index,
        "synthetic": True,
    }


def write_routine(cfg: SynthConfig, index: int, out_dir: Path) -> SynthItem:
    """Render, encode and label routine `index` into `out_dir`."""
    spec = routine_spec(cfg, index)
    name = routine_name(cfg, index)
    video = Path(out_dir) / f"{name}.mp4"
    encode_video(Renderer(spec, cfg.size).frames(), video, cfg.fps, cfg.size, cfg.crf)
    record = label_record(spec, name, video.name, cfg, index)
    atomic_write(video.with_suffix(".json"), json.dumps(record))
    return SynthItem(name, video, spec.score, spec.phrases, record["frame_labels"])


def _write_one(args: tuple[SynthConfig, int, str]) -> SynthItem:
    cfg, index, out_dir = args
    return write_routine(cfg, index, Path(out_dir))


def labels_csv_text(items: list[SynthItem]) -> str:
    """`labels.csv` in the generic layout: file, score, difficulty (empty), phrases joined by ';'."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["file", "score", "difficulty", "phrases"])
    for it in items:
        w.writerow([it.video.name, f"{it.score:.2f}", "", ";".join(it.phrases)])
    return buf.getvalue()


def generate_dataset(
    out_dir: str | Path,
    cfg: SynthConfig,
    *,
    workers: int = 2,
    progress: Callable[[str, int, int], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> list[SynthItem]:
    """Write `cfg.n` routines to `out_dir` (in parallel over at most `workers` processes) and `labels.csv`."""
    from ..errors import check_cancel

    if cfg.n < 1:
        raise ValueError("n must be at least 1")
    if cfg.size[0] % 2 or cfg.size[1] % 2:
        raise ValueError(f"frame size must be even for H.264 4:2:0, got {cfg.size}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    jobs = [(cfg, i, str(out)) for i in range(cfg.n)]
    items: list[SynthItem] = []
    workers = max(1, min(int(workers), 2, cfg.n))
    if workers == 1:
        for k, job in enumerate(jobs):
            check_cancel(cancel)
            items.append(_write_one(job))
            if progress:
                progress("synth", k + 1, cfg.n)
    else:
        import multiprocessing as mp

        with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn")) as pool:
            for k, item in enumerate(pool.map(_write_one, jobs, chunksize=4)):
                check_cancel(cancel)
                items.append(item)
                if progress:
                    progress("synth", k + 1, cfg.n)
    atomic_write(out / LABELS_FILE, labels_csv_text(items))
    return items
