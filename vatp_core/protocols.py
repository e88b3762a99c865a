"""Clip sampling protocols: which frames form each clip fed to the backbone, and where each clip lies in the video.

A protocol is part of a model pack, so feature extraction, training and scoring sample clips the same way,
and ``clip_ranges`` maps clip i back to frames so timeline segments land on the right frames.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from .errors import VATPError
from .features.preprocess import PREPROCESS_GDLT, PREPROCESS_SQUARE, PREPROCESS_VERSIONS
from .video.errors import VideoTooShortError

I3D_MTL_STARTS = (0, 10, 20, 30, 40, 50, 60, 70, 80, 87)


class ProtocolError(VATPError, ValueError):
    """An unknown protocol name or impossible settings."""


@dataclass(frozen=True)
class ClipProtocol:
    """How a frame range [start, end) is cut into clips.

    - ``trim="symmetric"``: drop frames equally at both ends so the range is a multiple of ``clip_len``.
    - ``n_samples``: first resample the range to this many frames, evenly spaced (i3d-mtl: 103).
    - ``starts``: clip starts within the (trimmed / resampled) sequence; default 0, stride, 2·stride, …
      while a whole clip fits.
    - ``fps``: if set, first resample the range in time to this rate (e.g. a 60 fps or variable-rate phone
      video fed to a model trained at 25 fps); needs the frame ``timestamps`` (``iter_clips`` passes the
      reader's). None (the default of every preset) keeps the native frames.
    - ``preprocess``: the versioned frame recipe (``vatp_core.features.preprocess``): ``gdlt-v2`` for
      ``vst-gdlt`` (the public RG / Fis-V features), ``square-v1`` otherwise. It is part of the feature-cache
      key and of every pack, so features made one way are never reused for the other.
    """

    name: str
    clip_len: int
    stride: int
    trim: str = "none"
    n_samples: int | None = None
    starts: tuple[int, ...] | None = None
    fps: float | None = None
    preprocess: str = PREPROCESS_SQUARE

    def __post_init__(self) -> None:
        if self.preprocess not in PREPROCESS_VERSIONS:
            raise ProtocolError(
                f"Unknown preprocessing {self.preprocess!r}; choose one of {', '.join(PREPROCESS_VERSIONS)}."
            )
        if self.fps is not None and not float(self.fps) > 0:
            raise ProtocolError(f"fps must be positive, got {self.fps}")
        if int(self.clip_len) < 1 or int(self.stride) < 1:
            raise ProtocolError(f"clip_len and stride must be ≥ 1 (got {self.clip_len}, {self.stride})")
        if self.trim not in ("none", "symmetric"):
            raise ProtocolError(f"trim must be 'none' or 'symmetric', got {self.trim!r}")
        if self.n_samples is not None and int(self.n_samples) < self.clip_len:
            raise ProtocolError("n_samples must be at least clip_len")
        if self.starts is not None:
            object.__setattr__(self, "starts", tuple(int(s) for s in self.starts))
            limit = self.n_samples
            if any(s < 0 for s in self.starts) or (limit is not None and max(self.starts) + self.clip_len > limit):
                raise ProtocolError("clip starts must lie inside the sampled sequence")

    # ------------------------------------------------------------------
    def _span(self, n_frames: int, start: int, end: int | None) -> tuple[int, int]:
        end = n_frames if end is None else min(int(end), n_frames)
        start = max(0, int(start))
        if end - start < self.clip_len:
            raise VideoTooShortError(
                f"The video{' range' if (start or end != n_frames) else ''} has {max(0, end - start)} frames, "
                f"fewer than one clip of {self.clip_len} frames that the '{self.name}' protocol needs. "
                "Choose a longer video or a wider range."
            )
        return start, end

    def _base(self, n_frames: int, start: int, end: int | None, timestamps) -> np.ndarray:
        """Frame indices of the range, resampled in time when ``fps`` is set."""
        if self.fps is None:
            start, end = self._span(n_frames, start, end)
            return np.arange(start, end, dtype=np.int64)
        if timestamps is None:
            raise ProtocolError(f"protocol '{self.name}' resamples to {self.fps} fps and needs the frame timestamps")
        ts = np.asarray(timestamps, dtype=np.float64)
        end = n_frames if end is None else min(int(end), n_frames)
        start = max(0, int(start))
        if end <= start:
            raise VideoTooShortError(f"The chosen range [{start}, {end}) holds no frames.")
        t0, t1 = ts[start], ts[end - 1]
        grid = t0 + np.arange(int(np.floor((t1 - t0) * self.fps + 1e-6)) + 1) / float(self.fps)
        idx = np.searchsorted(ts[start:end], grid + 1e-6, side="right") - 1 + start
        seq = np.clip(idx, start, end - 1).astype(np.int64)
        if len(seq) < self.clip_len:
            self._span(len(seq), 0, None)  # raises VideoTooShortError with the resampled count
        return seq

    def sequence(self, n_frames: int, start: int = 0, end: int | None = None, timestamps=None) -> np.ndarray:
        """The frame indices the clips are cut from (after time resampling, trim or count resampling)."""
        base = self._base(n_frames, start, end, timestamps)
        self._span(len(base), 0, None)
        if self.n_samples is not None:
            pick = np.rint(np.linspace(0, len(base) - 1, int(self.n_samples))).astype(np.int64)
            return base[pick]
        length = len(base)
        first = 0
        if self.trim == "symmetric":
            keep = length - length % self.clip_len
            first = (length - keep) // 2
            length = keep
        return base[first : first + length]

    def clip_indices(self, n_frames: int, start: int = 0, end: int | None = None, timestamps=None) -> list[np.ndarray]:
        """Frame indices of each clip (``end`` exclusive; None = the whole video)."""
        seq = self.sequence(n_frames, start, end, timestamps)
        if self.starts is not None:
            starts = [s for s in self.starts if s + self.clip_len <= len(seq)]
        else:
            starts = list(range(0, len(seq) - self.clip_len + 1, self.stride))
        return [seq[s : s + self.clip_len] for s in starts]

    def clip_ranges(
        self, n_frames: int, start: int = 0, end: int | None = None, timestamps=None
    ) -> list[tuple[int, int]]:
        """(first, last) frame of each clip, both inclusive."""
        return [(int(c[0]), int(c[-1])) for c in self.clip_indices(n_frames, start, end, timestamps)]

    def n_clips(self, n_frames: int, start: int = 0, end: int | None = None, timestamps=None) -> int:
        return len(self.clip_indices(n_frames, start, end, timestamps))

    def to_dict(self) -> dict:
        d = asdict(self)
        d["starts"] = list(self.starts) if self.starts is not None else None
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "ClipProtocol":
        d = dict(d)
        name = d.get("name", "generic")
        if name in _PRESETS and not {"clip_len", "stride"} <= d.keys():
            base = _PRESETS[name].to_dict()
            base.update({k: v for k, v in d.items() if v is not None or k in ("n_samples", "starts", "fps")})
            d = base
        starts = d.get("starts")
        # a protocol saved before preprocessing had versions: a preset keeps its own recipe (vst-gdlt packs
        # were trained on the public GDLT features), anything else was made the square way
        preprocess = d.get("preprocess") or (_PRESETS[name].preprocess if name in _PRESETS else PREPROCESS_SQUARE)
        return cls(
            name=str(name),
            clip_len=int(d["clip_len"]),
            stride=int(d["stride"]),
            trim=str(d.get("trim", "none")),
            n_samples=None if d.get("n_samples") is None else int(d["n_samples"]),
            starts=None if starts is None else tuple(int(s) for s in starts),
            fps=None if d.get("fps") is None else float(d["fps"]),
            preprocess=str(preprocess),
        )


_PRESETS: dict[str, ClipProtocol] = {
    "vst-gdlt": ClipProtocol("vst-gdlt", clip_len=32, stride=32, trim="symmetric", preprocess=PREPROCESS_GDLT),
    "i3d-mtl": ClipProtocol("i3d-mtl", clip_len=16, stride=10, n_samples=103, starts=I3D_MTL_STARTS),
    "generic": ClipProtocol("generic", clip_len=16, stride=16),
}
PROTOCOL_NAMES = tuple(_PRESETS)


def get_protocol(name: str, **overrides) -> ClipProtocol:
    """A named protocol (``vst-gdlt``, ``i3d-mtl``, ``generic``) with optional field overrides."""
    if name not in _PRESETS:
        raise ProtocolError(f"Unknown clip protocol {name!r}; choose one of {', '.join(PROTOCOL_NAMES)}.")
    d = _PRESETS[name].to_dict()
    unknown = set(overrides) - set(d)
    if unknown:
        raise ProtocolError(f"Unknown protocol setting(s): {', '.join(sorted(unknown))}")
    d.update(overrides)
    if name == "generic" and "stride" not in overrides and "clip_len" in overrides:
        d["stride"] = d["clip_len"]
    return ClipProtocol.from_dict(d)
