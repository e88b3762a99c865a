"""QColor wrappers of vatp_core.palette, shared by the timeline, the score panel and the comparison tab."""

from __future__ import annotations

from PySide6.QtGui import QColor

from vatp_core import palette

POSITIVE = QColor(palette.POSITIVE)
NEGATIVE = QColor(palette.NEGATIVE)


def subaction_color(index: int, alpha: int = 255) -> QColor:
    color = QColor(palette.subaction_color(index))
    color.setAlpha(alpha)
    return color


def attempt_color(index: int) -> QColor:
    """Colours of compared attempts and of a chart's series (a different cycle from the sub-actions')."""
    return QColor(palette.attempt_color(index))
