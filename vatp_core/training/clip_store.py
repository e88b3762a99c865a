"""Decoded, preprocessed clips of training videos, kept on disk so that epochs after the first do not decode.

Training a backbone end to end reads every video's clips every epoch. They are decoded once exactly as
`vatp extract` decodes them (the protocol's clip selection through `iter_clips`, the protocol's versioned
preprocessing) and kept as one uint8 ``.npy`` per video range, shaped (n_clips, L, H, W, 3) and memory-mapped
when read, so the page cache, not the process, holds what fits in RAM. At MTL-AQA's setting (10 clips of
16 frames at 224 x 224 for I3D) that is 24 MB a dive, about 34 GB for all 1412 dives. The key covers the
video's content identity, the protocol (with its preprocessing version), the frame range and the frame size,
so clips made another way are never reused. Without a folder the clips are decoded each time they are read.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence

import numpy as np

from ..atomic import atomic_open
from ..errors import check_cancel

if TYPE_CHECKING:
    from ..datasets.base import FeatureDataset, Sample
    from ..features.backbones import BackboneSpec
    from ..protocols import ClipProtocol

log = logging.getLogger(__name__)

CLIP_STORE_VERSION = 1


def default_clip_dir() -> Path:
    from ..paths import cache_dir

    return cache_dir() / "clips"


def sample_range(sample: "Sample") -> tuple[int, int | None]:
    """The frames [start, end) of a sample's video that it covers (a dive inside a competition video)."""
    end = sample.meta.get("video_end")
    return int(sample.meta.get("video_start", 0)), None if end is None else int(end)


class ClipStore:
    """Every sample's clips as uint8 arrays, decoded once per video range (and kept in ``root`` when given)."""

    def __init__(self, protocol: "ClipProtocol", spec: "BackboneSpec", root: str | Path | None = None) -> None:
        from ..features.preprocess import preprocessing_for

        self.protocol = protocol
        self.prep = preprocessing_for(protocol.preprocess, spec)
        self.spec = spec
        self.root = Path(root) if root is not None else None
        if self.root is not None:
            try:
                self.root.mkdir(parents=True, exist_ok=True)
            except OSError as exc:  # an optimisation: train without it
                log.warning("clip cache %s unavailable (%s); clips are decoded every epoch", self.root, exc)
                self.root = None
        self.decoded = 0  # how many video ranges this store has decoded (the rest came from its folder)

    def key(self, sample: "Sample") -> str:
        from ..identity import content_id

        assert sample.source is not None
        start, end = sample_range(sample)
        spec = {
            "v": CLIP_STORE_VERSION,
            "video": content_id(sample.source),
            "protocol": self.protocol.to_dict(),
            "start": start,
            "end": end,
            "short_side": self.spec.short_side,
            "input_size": self.spec.input_size,
        }
        return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:40]

    def path_for(self, sample: "Sample") -> Path | None:
        return None if self.root is None else self.root / f"{self.key(sample)}.npy"

    def clips(self, sample: "Sample", cancel: Callable[[], bool] | None = None) -> np.ndarray:
        """(n_clips, L, H, W, 3) uint8: from the folder (memory-mapped) when there, else decoded (and stored)."""
        path = self.path_for(sample)
        if path is not None:
            kept = self._read(path)
            if kept is not None:
                return kept
        clips = self.decode(sample, cancel)
        if path is not None:
            try:
                with atomic_open(path, "wb") as fh:
                    np.save(fh, clips, allow_pickle=False)
            except OSError as exc:
                log.warning("decoded clips not kept (%s)", exc)
        return clips

    def decode(self, sample: "Sample", cancel: Callable[[], bool] | None = None) -> np.ndarray:
        """The clips of `vatp extract` for this sample: its protocol's frames, preprocessed the protocol's way."""
        from ..video import iter_clips, open_video

        assert sample.source is not None
        start, end = sample_range(sample)
        with open_video(sample.source, prefetch=False) as reader:
            clips = [
                clip
                for _, clip in iter_clips(
                    reader,
                    self.protocol,
                    resize=self.prep.reader_resize,
                    start=start,
                    end=end,
                    cancel=cancel,
                    frame_fn=self.prep.frame_fn,
                )
            ]
        self.decoded += 1
        return np.ascontiguousarray(np.stack(clips))

    def prepare(
        self,
        datasets: Sequence["FeatureDataset | None"],
        progress: Callable[[str, int, int], None] | None = None,
        cancel: Callable[[], bool] | None = None,
    ) -> None:
        """Decode now every clip set the folder lacks (the first epoch would otherwise wait on each in turn)."""
        if self.root is None:
            return  # nothing to keep them in: each is decoded when a batch needs it
        samples = [s for ds in datasets if ds is not None for s in ds.samples]
        for i, sample in enumerate(samples):
            check_cancel(cancel)
            path = self.path_for(sample)
            if path is not None and self._read(path) is None:
                self.clips(sample, cancel)
            if progress:
                progress("decode", i + 1, len(samples))

    @staticmethod
    def _read(path: Path) -> np.ndarray | None:
        try:
            arr = np.load(path, mmap_mode="r", allow_pickle=False)
        except FileNotFoundError:
            return None
        except (OSError, ValueError):  # damaged (a killed writer cannot leave one: writes are atomic): decode again
            path.unlink(missing_ok=True)
            return None
        if arr.dtype != np.uint8 or arr.ndim != 5 or arr.shape[-1] != 3:
            path.unlink(missing_ok=True)
            return None
        return arr
