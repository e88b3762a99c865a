"""Exports a coach takes away: a sub-action as an MP4 clip, two attempts side by side, Kinovea key images."""

from .clip import ClipExport, export_clip, export_side_by_side, pick_encoder
from .kva import kva_document, write_kva

__all__ = ["ClipExport", "export_clip", "export_side_by_side", "kva_document", "pick_encoder", "write_kva"]
