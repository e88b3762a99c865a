"""Drawing tools on the player's frame (Qt): painting, the editing overlay and its toolbar."""

from .paint import paint_drawings, render_frame_with_drawings

__all__ = ["paint_drawings", "render_frame_with_drawings"]
