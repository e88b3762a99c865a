"""Progress of one athlete with one pack: the score over time (with its interval band, or ± σ) and one line
per sub-action contribution. A pack is a score scale, so the chart never puts two packs on one axis."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal, Slot
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from vatp_core.library import Library, ProgressSeries, progress

from ..colors import attempt_color, subaction_color

MAX_MARKED = 150


def _epoch(iso: str) -> float:
    try:
        return datetime.fromisoformat(iso).timestamp()
    except ValueError:
        return 0.0


class ProgressChart(QWidget):
    """Athlete and pack pickers above two plots sharing a date axis: score, then contributions."""

    attempt_clicked = Signal(int)  # attempt id of a clicked point

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.library: Library | None = None
        self.series: ProgressSeries | None = None
        self.athlete = QComboBox()
        self.pack = QComboBox()
        self.athlete.currentIndexChanged.connect(self._athlete_changed)
        self.pack.currentIndexChanged.connect(self._redraw)
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        head = QHBoxLayout()
        head.addWidget(QLabel("Progress of"))
        head.addWidget(self.athlete, 1)
        head.addWidget(QLabel("with pack"))
        head.addWidget(self.pack, 1)

        self.plots = pg.GraphicsLayoutWidget()
        self.plots.setBackground("w")
        self.score_plot = self.plots.addPlot(row=0, col=0, axisItems={"bottom": pg.DateAxisItem()})
        self.contrib_plot = self.plots.addPlot(row=1, col=0, axisItems={"bottom": pg.DateAxisItem()})
        self.contrib_plot.setXLink(self.score_plot)
        self.score_plot.setLabel("left", "Score")
        self.contrib_plot.setLabel("left", "Contribution")
        for plot in (self.score_plot, self.contrib_plot):
            plot.showGrid(x=True, y=True, alpha=0.25)
            plot.setDownsampling(auto=True, mode="peak")  # a long season: draw what the pixels can show
            plot.setClipToView(True)
        self.legend = self.contrib_plot.addLegend(offset=(5, 5))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(head)
        layout.addWidget(self.plots, 1)
        layout.addWidget(self.caption)
        self._quiet = False

    def set_library(self, library: Library | None, athlete: str | None = None) -> None:
        """Refill the athlete list (keeping the current one, or choosing ``athlete``) and redraw."""
        self.library = library
        keep = athlete or self.athlete.currentText()
        self._quiet = True
        self.athlete.clear()
        names = library.athletes() if library is not None else []
        self.athlete.addItems(names)
        if keep in names:
            self.athlete.setCurrentIndex(names.index(keep))
        self._quiet = False
        self._athlete_changed()

    def show_athlete(self, name: str) -> None:
        i = self.athlete.findText(name)
        if i >= 0 and i != self.athlete.currentIndex():
            self.athlete.setCurrentIndex(i)

    @Slot()
    def _athlete_changed(self) -> None:
        if self._quiet:
            return
        keep = self.pack.currentData()
        self._quiet = True
        self.pack.clear()
        name = self.athlete.currentText()
        packs = self.library.packs(name) if self.library is not None and name else []
        for pid, label in packs:
            self.pack.addItem(label, pid)
        i = self.pack.findData(keep)
        self.pack.setCurrentIndex(i if i >= 0 else 0)
        self._quiet = False
        self._redraw()

    @Slot()
    def _redraw(self) -> None:
        if self._quiet:
            return
        self._quiet = True  # a redraw never triggers another one
        try:
            self._draw()
        finally:
            self._quiet = False

    def _draw(self) -> None:
        self.score_plot.clear()
        self.contrib_plot.clear()
        self.legend.clear()
        name, pack_id = self.athlete.currentText(), self.pack.currentData()
        if self.library is None or not name or not pack_id:
            self.series = None
            self.caption.setText("Score attempts with an athlete to see their progress here.")
            return
        self.series = series = progress(self.library, name, pack_id)
        x = np.array([_epoch(t) for t in series.times])
        mean = np.array(series.means, float)
        color = attempt_color(0)
        if series.has_intervals:
            lo = np.array([np.nan if v is None else v for v in series.interval_lo], float)
            hi = np.array([np.nan if v is None else v for v in series.interval_hi], float)
            band_kind = "interval"
        else:
            std = np.array(series.stds, float)
            lo, hi = mean - std, mean + std
            band_kind = "± σ"
        ok = np.isfinite(lo) & np.isfinite(hi)
        fill = QColor(color)
        fill.setAlpha(60)
        if ok.any():
            lower = pg.PlotDataItem(x[ok], lo[ok], pen=pg.mkPen(fill))
            upper = pg.PlotDataItem(x[ok], hi[ok], pen=pg.mkPen(fill))
            self.score_plot.addItem(lower)
            self.score_plot.addItem(upper)
            self.score_plot.addItem(pg.FillBetweenItem(lower, upper, brush=pg.mkBrush(fill)))
        marks = len(x) <= MAX_MARKED  # a dot per attempt while they can be told apart (and cheap to draw)
        dots = {"symbol": "o", "symbolSize": 6, "symbolBrush": color, "symbolPen": None} if marks else {}
        line = self.score_plot.plot(x, mean, pen=pg.mkPen(color, width=2), **dots)
        line.sigPointsClicked.connect(self._points_clicked)
        if series.score_range is not None:
            self.score_plot.setYRange(*_padded(series.score_range, lo[ok], hi[ok], mean), padding=0.02)
        for k, (sub, values) in enumerate(series.contributions.items()):
            y = np.array([np.nan if v is None else v for v in values], float)
            sub_dots = {"symbol": "o", "symbolSize": 4, "symbolBrush": subaction_color(k), "symbolPen": None}
            self.contrib_plot.plot(
                x,
                y,
                pen=pg.mkPen(subaction_color(k), width=2),
                name=sub,
                connect="finite",
                **(sub_dots if marks else {}),
            )
        self.contrib_plot.addLine(y=0, pen=pg.mkPen("#969696", width=1))
        lo_hi = f" (scale {series.score_range[0]:g}–{series.score_range[1]:g})" if series.score_range else ""
        self.caption.setText(
            f"{len(series.means)} attempt(s) of {name} scored with {series.pack_name}{lo_hi}; band: {band_kind}. "
            "Other packs score on other scales and are shown one at a time."
        )

    def _points_clicked(self, item, points, *args) -> None:
        if self.series is None or not len(points):
            return
        x = points[0].pos().x()
        times = [_epoch(t) for t in self.series.times]
        nearest = int(np.argmin([abs(t - x) for t in times]))
        self.attempt_clicked.emit(self.series.attempt_ids[nearest])


def _padded(score_range, lo, hi, mean) -> tuple[float, float]:
    """The visible y range: the data with a margin, inside the pack's score range."""
    values = np.concatenate([np.asarray(v, float).ravel() for v in (lo, hi, mean)])
    values = values[np.isfinite(values)]
    if values.size == 0:
        return float(score_range[0]), float(score_range[1])
    span = max(values.max() - values.min(), 1.0)
    return max(score_range[0], values.min() - 0.1 * span), min(score_range[1], values.max() + 0.1 * span)
