"""One colour per sub-action, shared by the timeline, the score panel and the comparison tab."""

from __future__ import annotations

from PySide6.QtGui import QColor

# Distinct, colour-blind-friendly hues (Okabe–Ito order, then a few more).
_PALETTE = (
    "#E69F00",
    "#56B4E9",
    "#009E73",
    "#F0E442",
    "#0072B2",
    "#D55E00",
    "#CC79A7",
    "#999999",
    "#8C564B",
    "#17BECF",
)
POSITIVE = QColor("#2E9D4A")
NEGATIVE = QColor("#C8413B")


def subaction_color(index: int, alpha: int = 255) -> QColor:
    color = QColor(_PALETTE[index % len(_PALETTE)])
    color.setAlpha(alpha)
    return color


def attempt_color(index: int) -> QColor:
    """Colours of compared attempts (a different cycle from the sub-actions')."""
    return QColor(("#1F77B4", "#FF7F0E", "#2CA02C", "#D62728", "#9467BD", "#8C564B", "#E377C2", "#7F7F7F")[index % 8])
