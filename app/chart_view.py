"""The pyqtgraph backend of `vatp_core.charts`: the screen draws the same Chart the PDF and the PNGs draw."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt

from vatp_core import palette
from vatp_core.charts import Chart


def plot_chart(plot: pg.PlotWidget, chart: Chart, *, title: bool = True) -> None:
    """The pyqtgraph backend of vatp_core.charts: ``chart``'s bands, lines, series, labels and ranges on ``plot``.

    Numeric axes keep pyqtgraph's ticks, which follow the zoom; a categorical axis gets the chart's ticks.
    ``title=False``: the caller shows ``chart.title`` itself (a pyqtgraph title is as wide as its text at least,
    so in a narrow panel it widens the plot past its widget and the right of the chart is cut off).
    """
    plot.setTitle(chart.title if title else None)
    plot.setLabel("bottom", chart.x.label)
    plot.setLabel("left", chart.y.label)
    for axis, side in ((chart.x, "bottom"), (chart.y, "left")):
        ticks = list(zip(axis.ticks, axis.tick_labels))
        plot.getAxis(side).setTicks([ticks, []] if axis.categorical and ticks else None)
    for band in chart.bands:
        r, g, b = palette.rgb(band.color)
        lower = band.lower if band.lower is not None else [0.0] * len(band.x)
        edges = [pg.PlotCurveItem(band.x, ys, pen=pg.mkPen((r, g, b, 90))) for ys in (band.y, lower)]
        for edge in edges:
            plot.addItem(edge)
        plot.addItem(pg.FillBetweenItem(*edges, brush=pg.mkBrush(r, g, b, int(255 * band.alpha))))
    for line in chart.lines:
        pen = pg.mkPen(line.color, style=Qt.PenStyle.DotLine if line.dashed else Qt.PenStyle.SolidLine)
        if line.x0 == line.x1:
            plot.addItem(pg.InfiniteLine(pos=line.x0, angle=90, pen=pen))
        else:
            plot.plot([line.x0, line.x1], [line.y0, line.y1], pen=pen)
    for s in chart.series:
        name = s.label if chart.legend and s.label else None
        if s.style == "points":
            r, g, b = palette.rgb(s.color)
            plot.plot(s.x, s.y, pen=None, symbol="o", symbolSize=7, symbolBrush=(r, g, b, 170), name=name)
        else:
            style = Qt.PenStyle.DashLine if s.dashed else Qt.PenStyle.SolidLine
            plot.plot(*s.path(), pen=pg.mkPen(s.color, width=2, style=style), name=name)
    plot.setXRange(chart.x.lo, chart.x.hi, padding=0)
    plot.setYRange(chart.y.lo, chart.y.hi, padding=0)
