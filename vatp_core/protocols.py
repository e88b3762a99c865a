"""Clip sampling protocols: which frames form each clip fed to the backbone, and where each clip lies in the video.

A protocol is part of a model pack, so feature extraction, training and scoring sample clips the same way,
and ``clip_ranges`` maps clip i back to frames so timeline segments land on the right frames.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from .errors import VATPError
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
    """

    name: str
    clip_len: int
    stride: int
    trim: str = "none"
    n_samples: int | None = None
    starts: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
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

    def sequence(self, n_frames: int, start: int = 0, end: int | None = None) -> np.ndarray:
        """The frame indices the clips are cut from (after trim or resampling)."""
        start, end = self._span(n_frames, start, end)
        if self.n_samples is not None:
            return np.rint(np.linspace(start, end - 1, int(self.n_samples))).astype(np.int64)
        length = end - start
        if self.trim == "symmetric":
            keep = length - length % self.clip_len
            start += (length - keep) // 2
            length = keep
        return np.arange(start, start + length, dtype=np.int64)

    def clip_indices(self, n_frames: int, start: int = 0, end: int | None = None) -> list[np.ndarray]:
        """Frame indices of each clip (``end`` exclusive; None = the whole video)."""
        seq = self.sequence(n_frames, start, end)
        if self.starts is not None:
            starts = [s for s in self.starts if s + self.clip_len <= len(seq)]
        else:
            starts = list(range(0, len(seq) - self.clip_len + 1, self.stride))
        return [seq[s : s + self.clip_len] for s in starts]

    def clip_ranges(self, n_frames: int, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
        """(first, last) frame of each clip, both inclusive."""
        return [(int(c[0]), int(c[-1])) for c in self.clip_indices(n_frames, start, end)]

    def n_clips(self, n_frames: int, start: int = 0, end: int | None = None) -> int:
        return len(self.clip_indices(n_frames, start, end))

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
            base.update({k: v for k, v in d.items() if v is not None or k in ("n_samples", "starts")})
            d = base
        starts = d.get("starts")
        return cls(
            name=str(name),
            clip_len=int(d["clip_len"]),
            stride=int(d["stride"]),
            trim=str(d.get("trim", "none")),
            n_samples=None if d.get("n_samples") is None else int(d["n_samples"]),
            starts=None if starts is None else tuple(int(s) for s in starts),
        )


_PRESETS: dict[str, ClipProtocol] = {
    "vst-gdlt": ClipProtocol("vst-gdlt", clip_len=32, stride=32, trim="symmetric"),
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
