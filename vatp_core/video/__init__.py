"""Video I/O: one frame index shared by the player and the model.

``formats`` is imported eagerly (cheap, used at app start-up); everything that needs PyAV loads on first use.
"""

from .formats import VIDEO_EXTENSIONS, is_video_filename

__all__ = [
    "VIDEO_EXTENSIONS",
    "is_video_filename",
    "open_video",
    "VideoReader",
    "VideoInfo",
    "Resize",
    "FrameCache",
    "iter_clips",
    "DecodeOptions",
    "DecodePlan",
    "VideoError",
    "VideoNotFoundError",
    "NotAVideoError",
    "NoVideoStreamError",
    "CorruptVideoError",
    "NoFramesError",
    "VideoTooShortError",
]

_LAZY = {
    "open_video": "reader",
    "VideoReader": "reader",
    "VideoInfo": "index",
    "Resize": "convert",
    "FrameCache": "cache",
    "iter_clips": "clips",
    "DecodeOptions": "decoding",
    "DecodePlan": "decoding",
    "VideoError": "errors",
    "VideoNotFoundError": "errors",
    "NotAVideoError": "errors",
    "NoVideoStreamError": "errors",
    "CorruptVideoError": "errors",
    "NoFramesError": "errors",
    "VideoTooShortError": "errors",
}


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(__all__)
