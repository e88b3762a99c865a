"""Video errors, each with a message a coach can act on; all are `VATPError`s so the app shows them as they are."""

from __future__ import annotations

from ..errors import VATPError


class VideoError(VATPError):
    """Base of every problem with a video file."""


class VideoNotFoundError(VideoError, FileNotFoundError):
    """The path does not exist (moved, renamed, unplugged drive)."""


class NotAVideoError(VideoError):
    """The file is not a video FFmpeg can read (a document, a still image, random bytes)."""


class NoVideoStreamError(VideoError):
    """The file is a valid media file but holds no picture (audio only, subtitles)."""


class CorruptVideoError(VideoError):
    """The file looks like a video but is damaged or incomplete (e.g. a copy that stopped half-way)."""


class NoFramesError(VideoError):
    """The video stream exists but not a single frame can be decoded."""


class VideoTooShortError(VideoError):
    """The video (or the chosen range) has fewer frames than one clip of the model needs."""
