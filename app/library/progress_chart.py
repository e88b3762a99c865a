"""Progress of one athlete with one pack: the score over time (with its interval band, or ± σ) and one line
per sub-action contribution. A pack is a score scale, so the chart never puts two packs on one axis."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from vatp_core.charts import progress_charts
from vatp_core.library import Library, ProgressSeries, progress

from ..chart_view import plot_chart


def _epoch(iso: str) -> float:
    try:
        return datetime.fromisoformat(iso).timestamp()
    except ValueError:
        return 0.0


class ProgressChart(QWidget):
    """Athlete and pack pickers above two plots sharing a date axis: score, then contributions."""

    attempt_clicked = Signal(int)  # attempt id of a clicked point
    drawn = Signal()  # the plots show the current athlete and pack

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
        self.plots.scene().sigMouseClicked.connect(self._clicked)
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
        self.drawn.emit()

    def _draw(self) -> None:
        for plot in (self.score_plot, self.contrib_plot):
            plot.clear()
        self.legend.clear()
        name, pack_id = self.athlete.currentText(), self.pack.currentData()
        if self.library is None or not name or not pack_id:
            self.series = None
            self.caption.setText("Score attempts with an athlete to see their progress here.")
            return
        self.series = series = progress(self.library, name, pack_id)
        score, contributions = progress_charts(series)
        plot_chart(self.score_plot, score, title=False)
        plot_chart(self.contrib_plot, contributions)
        band = "interval" if series.has_intervals else "± σ"
        lo_hi = f" (scale {series.score_range[0]:g}–{series.score_range[1]:g})" if series.score_range else ""
        self.caption.setText(
            f"{len(series.means)} attempt(s) of {name} scored with {series.pack_name}"
            + (f" ({series.pack_label})" if series.pack_label else "")
            + f"{lo_hi}; band: {band}. "
            "Other packs score on other scales and are shown one at a time. Click the chart to pick an attempt."
        )

    def _clicked(self, event) -> None:
        """A click on the score plot selects the attempt nearest in time."""
        if self.series is None or not self.series.times:
            return
        view = self.score_plot.getViewBox()
        if not view.sceneBoundingRect().contains(event.scenePos()):
            return
        x = view.mapSceneToView(event.scenePos()).x()
        times = np.array([_epoch(t) for t in self.series.times])
        self.attempt_clicked.emit(self.series.attempt_ids[int(np.argmin(np.abs(times - x)))])
