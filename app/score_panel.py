"""The side panel of a scored routine: the score with its calibrated interval, the predicted distribution (the
interval drawn on it), contribution bars, the pack. The result's warnings (unlike the training videos, off the
score range, a damaged video) are shown once, by the Review tab's banner above the player."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from vatp_core import palette
from vatp_core.charts import Chart, distribution_chart

from .chart_view import plot_chart
from .colors import NEGATIVE, POSITIVE


class ScorePanel(QWidget):
    subaction_clicked = Signal(int)  # index into result.subaction_names: a click on its contribution bar

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumWidth(280)
        self.result = None
        self.score_label = QLabel("–")
        self.score_label.setObjectName("scoreLabel")
        self.score_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.score_label.setStyleSheet("font-size: 34pt; font-weight: bold;")
        self.interval_label = QLabel("")
        self.interval_label.setObjectName("intervalLabel")
        self.interval_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.interval_label.setWordWrap(True)
        self.interval_label.setStyleSheet("font-size: 13pt;")
        self.detail_label = QLabel("Not scored yet. Choose a model pack and press Score.")
        self.detail_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.detail_label.setWordWrap(True)
        self.pack_label = QLabel("")
        self.pack_label.setObjectName("packLabel")
        self.pack_label.setWordWrap(True)
        self.warning_label = QLabel("")
        self.warning_label.setObjectName("notForJudgingLabel")
        self.warning_label.setWordWrap(True)
        self.warning_label.setStyleSheet("color: #B35C00; font-weight: bold;")
        self.warning_label.hide()

        self.dist_plot = pg.PlotWidget(background=None)
        self.dist_plot.setMinimumHeight(120)  # its title is a label above it
        self.dist_plot.setMenuEnabled(False)
        self.dist_plot.hideButtons()
        self.dist_plot.setMouseEnabled(x=False, y=False)
        self.dist_plot.getAxis("left").setStyle(showValues=False)
        self.dist_chart: Chart | None = None  # what the plot shows: vatp_core.charts' chart, as the PDF draws it

        self.contrib_plot = pg.PlotWidget(background=None)
        self.contrib_plot.setMinimumHeight(140)
        self.contrib_plot.setMenuEnabled(False)
        self.contrib_plot.hideButtons()
        self.contrib_plot.setMouseEnabled(x=False, y=False)
        self.contrib_plot.getViewBox().invertY(True)
        self.contrib_plot.addItem(pg.InfiniteLine(pos=0, angle=90, pen=pg.mkPen("#808080")))
        self.contrib_bars: pg.BarGraphItem | None = None
        self.contrib_plot.scene().sigMouseClicked.connect(self._on_contrib_clicked)
        for plot in (self.dist_plot, self.contrib_plot):
            plot.getAxis("bottom").enableAutoSIPrefix(False)

        # the plots' titles are labels that wrap: a pyqtgraph title wider than this narrow panel would widen
        # its plot past the panel and cut the right of the chart off
        self.dist_title = _plot_title("Predicted score distribution")
        self.contrib_title = _plot_title("Contribution per sub-action")

        layout = QVBoxLayout(self)
        layout.addWidget(self.score_label)
        layout.addWidget(self.interval_label)
        layout.addWidget(self.detail_label)
        layout.addWidget(self.dist_title)
        layout.addWidget(self.dist_plot, 1)
        layout.addWidget(self.contrib_title)
        layout.addWidget(self.contrib_plot, 1)
        layout.addWidget(self.pack_label)
        layout.addWidget(self.warning_label)

    def _draw_distribution(self, chart: Chart | None) -> None:
        """The density, μ and the interval band (±σ when uncalibrated): the chart the PDF report draws."""
        self.dist_chart = chart
        self.dist_plot.clear()
        if chart is not None:
            self.dist_title.setText(chart.title)
            plot_chart(self.dist_plot, chart, title=False)

    @Slot(object)
    def _on_contrib_clicked(self, event) -> None:
        if self.result is None or event.button() != Qt.MouseButton.LeftButton:
            return
        y = self.contrib_plot.getViewBox().mapSceneToView(event.scenePos()).y()
        self.click_row(y)

    def click_row(self, y: float) -> None:
        """The sub-action whose bar is at row ``y`` (bars sit at 0, 1, …) was clicked."""
        index = int(round(y))
        if self.result is not None and 0 <= index < len(self.result.contributions):
            self.subaction_clicked.emit(index)

    def set_result(self, result) -> None:
        """Show a ScoreResult (None: back to 'not scored')."""
        self.result = result
        if self.contrib_bars is not None:
            self.contrib_plot.removeItem(self.contrib_bars)
            self.contrib_bars = None
        if result is None:
            self.score_label.setText("–")
            self.interval_label.setText("")
            self.detail_label.setText("Not scored yet. Choose a model pack and press Score.")
            self._draw_distribution(None)
            self.pack_label.setText("")
            self.warning_label.hide()
            return
        self.score_label.setText(f"{result.mean:.1f}")
        self.interval_label.setText(result.interval_text())
        lines = [f"model σ {result.std:.2f} (the paper's, not an interval)"]
        rng = result.pack.score_range
        if rng:
            lines.append(f"score range {rng[0]:g}–{rng[1]:g}")
        if result.difficulty is not None:
            lines.append(f"difficulty {result.difficulty:g} × {result.raw_mean:.2f}")
        lines.append(f"baseline {result.baseline_mean:.2f}")
        self.detail_label.setText(" · ".join(lines))

        self._draw_distribution(distribution_chart(result))

        names = list(result.subaction_names)
        values = np.asarray(result.contributions, float)
        if len(values):
            brushes = [POSITIVE if v >= 0 else NEGATIVE for v in values]
            y = np.arange(len(values))
            self.contrib_bars = pg.BarGraphItem(
                x0=np.minimum(values, 0),
                y=y,
                height=0.6,
                width=np.abs(values),
                brushes=brushes,
                pens=[None] * len(values),
            )
            self.contrib_plot.addItem(self.contrib_bars)
            ticks = [(i, f"{n} {v:+.2f}") for i, (n, v) in enumerate(zip(names, values))]
            self.contrib_plot.getAxis("left").setTicks([ticks, []])
            span = max(float(np.abs(values).max()), 1e-3) * 1.15
            self.contrib_plot.setXRange(-span, span, padding=0)
            self.contrib_plot.setYRange(-0.6, len(values) - 0.4, padding=0)

        pack = result.pack
        self.pack_label.setText(
            f"Model pack: <b>{pack.name or '?'}</b>" + (f" ({pack.sport} {pack.event})" if pack.sport else "")
        )
        if pack.not_for_judging:
            self.warning_label.setText(f"⚠ {pack.label or 'not for judging'}")
            self.warning_label.show()
        else:
            self.warning_label.hide()


def _plot_title(text: str) -> QLabel:
    label = QLabel(text)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setWordWrap(True)
    label.setStyleSheet(f"color: {palette.MUTED}; font-size: 11pt;")
    return label
