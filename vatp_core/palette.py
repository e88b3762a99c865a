"""The one palette of VATP Studio, as hex strings: the screen (app/colors.py), the PDF reports and the PNG
plots all read their colours here, so sub-action k and attempt k look the same everywhere.

Qt-free on purpose: each backend converts (QColor in the app, BGR tuples for OpenCV).
"""

from __future__ import annotations

# Sub-actions: distinct, colour-blind-friendly hues (Okabe–Ito order, then a few more).
SUBACTION_COLORS: tuple[str, ...] = (
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
# Compared attempts and the series of a chart (a different cycle from the sub-actions').
ATTEMPT_COLORS: tuple[str, ...] = (
    "#1F77B4",
    "#FF7F0E",
    "#2CA02C",
    "#D62728",
    "#9467BD",
    "#8C564B",
    "#E377C2",
    "#7F7F7F",
)

POSITIVE = "#2E9D4A"  # a contribution that raises the score
NEGATIVE = "#C8413B"  # one that lowers it
INK = "#1B1F24"  # text and frames on paper
MUTED = "#5F6B76"  # axis labels, captions
GRID = "#D5DBE1"  # grid lines, rules
IDENTITY = "#969696"  # the y = x line of a scatter, boundaries between sub-actions
ACCENT = "#1F5FA8"  # headings and the big score of a report
STRIPE = "#F5F7F9"  # every other table row
BAND_BG = "#F3F5F7"  # behind the sub-action band
WARN_BG = "#FFF1E0"  # behind a "not for judging" warning
WARN_FG = "#9A4A00"
PAPER = "#FFFFFF"


def subaction_color(index: int) -> str:
    return SUBACTION_COLORS[index % len(SUBACTION_COLORS)]


def attempt_color(index: int) -> str:
    return ATTEMPT_COLORS[index % len(ATTEMPT_COLORS)]


def rgb(color: str) -> tuple[int, int, int]:
    """``"#RRGGBB"`` → (r, g, b) in 0..255."""
    h = color.lstrip("#")
    if len(h) != 6:
        raise ValueError(f"not a #RRGGBB colour: {color!r}")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def bgr(color: str) -> tuple[int, int, int]:
    """The channel order OpenCV draws with."""
    r, g, b = rgb(color)
    return b, g, r


def text_on(color: str) -> str:
    """INK or white, whichever reads better on a fill of ``color`` (yellow bands need dark text)."""
    r, g, b = rgb(color)
    luminance = 0.299 * r + 0.587 * g + 0.114 * b
    return INK if luminance > 160 else PAPER
