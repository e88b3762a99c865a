"""Drawings a coach puts on a video's frames (line, arrow, angle, circle, text, freehand) and where they are kept."""

from .model import DRAWING_KINDS, Drawing, DrawingSet, angle_degrees
from .store import DrawingStore, drawings_folder

__all__ = ["DRAWING_KINDS", "Drawing", "DrawingSet", "DrawingStore", "angle_degrees", "drawings_folder"]
