"""Video I/O: one frame index shared by the player and the model."""

from .formats import VIDEO_EXTENSIONS, is_video_filename

__all__ = ["VIDEO_EXTENSIONS", "is_video_filename"]
