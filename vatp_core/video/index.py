"""The presentation-timestamp index of a video stream, built by demuxing only (no decoding)."""

from __future__ import annotations

import bisect
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np

from .errors import (
    CorruptVideoError,
    NoFramesError,
    NotAVideoError,
    NoVideoStreamError,
    VideoError,
    VideoNotFoundError,
)

# First bytes of container formats: a file that starts like a video but won't open is damaged, not "not a video".
_MAGIC_AT_4 = (b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip", b"pnot")
_STILL_IMAGE_FORMATS = {
    "image2",
    "png_pipe",
    "jpeg_pipe",
    "bmp_pipe",
    "tiff_pipe",
    "webp_pipe",
    "pgm_pipe",
    "ppm_pipe",
    "pam_pipe",
    "svg_pipe",
    "jpegxl_pipe",
    "qoi_pipe",
    "dds_pipe",
    "exr_pipe",
    "psd_pipe",
    "j2k_pipe",
}


@dataclass
class VideoInfo:
    """What the app shows about a video and what results record; sizes are upright (rotation applied)."""

    path: str
    n_frames: int
    fps: float  # nominal (container) rate
    fps_measured: float  # from the timestamps: (n-1) / (last - first)
    duration: float  # seconds
    width: int
    height: int
    rotation: int  # clockwise degrees applied to show the stored pixels upright
    codec: str
    vfr: bool
    keyframes: list[int] = field(default_factory=list)
    container: str = ""
    truncated: bool = False  # demuxing stopped on a read error before the end of the file

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class FrameIndex:
    """Frame i ↔ presentation timestamp pts[i] (stream time base), in presentation order."""

    pts: np.ndarray  # int64, strictly increasing
    keyframes: np.ndarray  # frame indices of keyframes, increasing
    time_base: Fraction
    ordinal: bool = False  # no timestamps in the file: frames are numbered in decode order
    truncated: bool = False

    def __post_init__(self) -> None:
        self._lookup = {int(p): i for i, p in enumerate(self.pts)}
        deltas = np.diff(self.pts)
        self.median_delta = float(np.median(deltas)) if len(deltas) else 1.0
        self._kf_list = [int(k) for k in self.keyframes] or [0]

    def __len__(self) -> int:
        return len(self.pts)

    def keyframe_before(self, i: int) -> int:
        """Index of the last keyframe at or before frame i (0 when none is known)."""
        j = bisect.bisect_right(self._kf_list, i) - 1
        return self._kf_list[j] if j >= 0 else 0

    def keyframe_before_keyframe(self, k: int) -> int:
        """The keyframe before keyframe ``k`` (to retry a seek that landed too late)."""
        j = bisect.bisect_left(self._kf_list, k) - 1
        return self._kf_list[j] if j >= 0 else 0

    def index_of_pts(self, pts: int | None) -> int | None:
        """Frame index of a decoded timestamp; nearest frame within half a frame when not exact."""
        if pts is None:
            return None
        i = self._lookup.get(int(pts))
        if i is not None:
            return i
        j = int(np.searchsorted(self.pts, pts))
        best = None
        for k in (j - 1, j):
            if 0 <= k < len(self.pts) and abs(int(self.pts[k]) - pts) < self.median_delta / 2:
                best = k
        return best

    def seconds(self, i: int) -> float:
        return float((int(self.pts[i]) - int(self.pts[0])) * self.time_base)


def _looks_like_container(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            head = fh.read(512)
    except OSError:
        return False
    if len(head) < 12:
        return False
    return (
        head[4:8] in _MAGIC_AT_4
        or (head[:4] == b"RIFF" and head[8:11] == b"AVI")
        or head[:4] == b"\x1a\x45\xdf\xa3"  # Matroska / WebM
        or head[:3] == b"FLV"
        or head[:4] == b"\x00\x00\x01\xba"  # MPEG-PS
        or head[:4] == b"\x30\x26\xb2\x75"  # ASF / WMV
        or (head[0] == 0x47 and len(head) > 188 and head[188] == 0x47)  # MPEG-TS
    )


def open_container(path: Path):
    """av.open with every failure turned into a specific `VideoError`; returns (container, video stream)."""
    import av

    if not path.exists():
        raise VideoNotFoundError(
            f"Video file not found: {path}. It may have been moved, renamed or be on a drive that is not connected."
        )
    if path.is_dir():
        raise NotAVideoError(f"{path} is a folder, not a video file.")
    if not path.is_file():  # a pipe or device would block FFmpeg's probe forever
        raise NotAVideoError(f"{path} is not a regular file.")
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise VideoError(f"Cannot read {path}: {exc.strerror or exc}") from exc
    if size == 0:
        raise CorruptVideoError(f"{path.name} is empty (0 bytes). The copy may have failed; copy the video again.")
    try:
        container = av.open(str(path), "r")
    except PermissionError as exc:
        raise VideoError(f"Cannot read {path.name}: permission denied.") from exc
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        if _looks_like_container(path):
            raise CorruptVideoError(
                f"{path.name} looks like a video but is damaged or incomplete ({exc}). If it was copied or "
                "downloaded, copy it again; otherwise re-export it from the camera or editor."
            ) from exc
        raise NotAVideoError(f"{path.name} is not a video file that can be read ({exc}).") from exc
    try:
        fmt = (container.format.name or "").split(",")
        if any(f in _STILL_IMAGE_FORMATS for f in fmt):
            raise NotAVideoError(f"{path.name} is a still image, not a video.")
        streams = [s for s in container.streams.video if not _is_attached_picture(s)]
        if not streams:
            kinds = sorted({s.type for s in container.streams})
            has = f" (it holds {', '.join(kinds)} only)" if kinds else ""
            raise NoVideoStreamError(f"{path.name} has no video picture{has}. Choose the video file itself.")
        return container, streams[0]
    except BaseException:
        container.close()
        raise


def _is_attached_picture(stream) -> bool:
    try:
        import av

        return bool(stream.disposition & av.stream.Disposition.attached_pic)
    except Exception:
        return False


def build_index(container, stream, path: Path) -> FrameIndex:
    """Demux every packet of ``stream`` (no decoding) and sort their timestamps into presentation order."""
    import av

    pts_list: list[int] = []
    key_pts: list[int] = []
    ordinal = False
    truncated = False
    n_packets = 0
    try:
        file_size = path.stat().st_size
    except OSError:
        file_size = None
    demux = container.demux(stream)
    while True:
        try:
            packet = next(demux)
        except StopIteration:
            break
        except av.error.EOFError:
            break
        except av.error.FFmpegError:
            truncated = True
            break
        if packet.size == 0 or packet.is_discard:
            continue
        if (
            packet.is_corrupt
            and file_size is not None
            and packet.pos is not None
            and packet.pos + packet.size > file_size
        ):
            truncated = True  # the file ends inside this packet: it cannot give a frame
            continue
        n_packets += 1
        ts = packet.pts if packet.pts is not None else packet.dts
        if ts is None:
            ordinal = True
            ts = n_packets - 1
        pts_list.append(int(ts))
        if packet.is_keyframe:
            key_pts.append(int(ts))
    declared = int(stream.frames or 0)
    if declared and n_packets < declared and container.format.name.startswith("mov"):
        truncated = True  # the MP4 index lists samples whose data is missing
    if not pts_list:
        raise NoFramesError(f"{path.name} has a video stream but no frames in it.")
    tb = stream.time_base or Fraction(1, 1)
    if ordinal:
        pts = np.arange(n_packets, dtype=np.int64)
        keyframes = np.array([0], dtype=np.int64)
        rate = stream.average_rate or stream.guessed_rate or 25
        tb = Fraction(1, 1) / Fraction(rate)
    else:
        pts = np.unique(np.asarray(pts_list, dtype=np.int64))
        keyframes = np.searchsorted(pts, np.unique(np.asarray(key_pts, dtype=np.int64))).astype(np.int64)
        if len(keyframes) == 0 or keyframes[0] != 0:
            keyframes = np.concatenate([[0], keyframes]).astype(np.int64)
    return FrameIndex(pts=pts, keyframes=keyframes, time_base=Fraction(tb), ordinal=ordinal, truncated=truncated)


def is_vfr(index: FrameIndex) -> bool:
    """True when frame durations vary by more than rounding (10 % of the typical duration and 2 ticks)."""
    if len(index) < 3 or index.ordinal:
        return False
    d = np.diff(index.pts)
    med = float(np.median(d))
    return bool(np.max(np.abs(d - med)) > max(0.1 * med, 2.0))
