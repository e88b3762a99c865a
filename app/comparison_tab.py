"""Comparison tab: attempts side by side (cumulative-score curves aligned on sub-action boundaries, a table
of per-sub-action differences) and, for a labelled set, the CS curve and the predicted-vs-true scatter."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from vatp_core import metrics
from vatp_core.charts import aligned_comparison_chart, cs_curve_of, scatter_chart
from vatp_core.csv_reader import read_csv
from vatp_core.errors import VATPError

from .chart_view import plot_chart


def contribution_by_name(result) -> dict[str, float]:
    return {name: float(c) for name, c in zip(result.subaction_names, result.contributions)}


@dataclass
class LabelledSet:
    """Predicted and true scores of a labelled set of videos."""

    names: list[str]
    pred: np.ndarray
    true: np.ndarray
    source: str


def read_batch_results(path: Path) -> LabelledSet | None:
    """A batch results CSV (``file, mean, true_score`` columns) → its labelled rows; None if not that format."""
    table = read_csv(path, what="Results table")
    if table.find("mean") is None or table.find("true_score") is None:
        return None
    names, pred, true = [], [], []
    for row in table.rows:
        p, t = row.optional_number("mean"), row.optional_number("true_score")
        if p is None or t is None:
            continue  # error rows and unlabelled videos
        names.append(row.text("file"))
        pred.append(p)
        true.append(t)
    return LabelledSet(names, np.asarray(pred), np.asarray(true), path.name)


def labelled_from_attempts(labels_path: Path, attempts: list) -> LabelledSet:
    """A labels file (``file,score``) matched against the attempts' video names."""
    from vatp_core.batch import match_label, read_labels

    labels = read_labels(labels_path)
    names, pred, true = [], [], []
    for result in attempts:
        label = match_label(labels, result.video_name)
        if label is not None:
            names.append(result.video_name)
            pred.append(result.mean)
            true.append(label.score)
    return LabelledSet(names, np.asarray(pred, float), np.asarray(true, float), labels_path.name)


class ComparisonTab(QWidget):
    attempt_activated = Signal(object)  # a ScoreResult the user wants to review
    side_by_side_requested = Signal(object, object)  # two ScoreResults to watch side by side

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.attempts: list = []
        self.labelled: LabelledSet | None = None

        self.list = QListWidget()
        self.list.itemChanged.connect(self._refresh)
        self.list.itemDoubleClicked.connect(self._activate)
        add_button = QPushButton("Add scored attempt (JSON)…")
        add_button.clicked.connect(self.choose_json)
        remove_button = QPushButton("Remove")
        remove_button.clicked.connect(self.remove_selected)
        labels_button = QPushButton("Labelled set (CSV)…")
        labels_button.setToolTip(
            "A batch results CSV with true scores, or a labels file (file,score) matching the attempts"
        )
        labels_button.clicked.connect(self.choose_labels)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.addWidget(QLabel("<b>Attempts</b> (tick to compare, double-click to review)"))
        left_layout.addWidget(self.list, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(add_button)
        buttons.addWidget(remove_button)
        left_layout.addLayout(buttons)
        self.watch_button = QPushButton("Watch side by side")
        self.watch_button.setToolTip("Play the first two ticked attempts side by side, synced on their sub-actions")
        self.watch_button.clicked.connect(self.watch_side_by_side)
        left_layout.addWidget(self.watch_button)
        left_layout.addWidget(labels_button)

        self.curve_plot = pg.PlotWidget(background=None)
        self.curve_plot.setMenuEnabled(False)
        self.curve_plot.addLegend(offset=(10, 10))
        self.table = QTableWidget()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        attempts_view = QSplitter(Qt.Orientation.Vertical)
        attempts_view.addWidget(self.curve_plot)
        attempts_view.addWidget(self.table)

        self.cs_plot = pg.PlotWidget(background=None)
        self.scatter_plot = pg.PlotWidget(background=None)
        for plot in (self.curve_plot, self.cs_plot, self.scatter_plot):
            for side in ("left", "bottom"):
                plot.getAxis(side).enableAutoSIPrefix(False)  # scores and errors, never "×0.001"
        self.metrics_label = QLabel("Load a labelled set: a batch results CSV with true scores, or a labels file.")
        self.metrics_label.setWordWrap(True)
        labelled_view = QWidget()
        lv = QVBoxLayout(labelled_view)
        plots = QHBoxLayout()
        plots.addWidget(self.cs_plot)
        plots.addWidget(self.scatter_plot)
        lv.addLayout(plots, 1)
        lv.addWidget(self.metrics_label)

        self.views = QTabWidget()
        self.views.addTab(attempts_view, "Attempts")
        self.views.addTab(labelled_view, "Labelled set")
        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(self.views)
        splitter.setStretchFactor(1, 3)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)

    # --- attempts ----------------------------------------------------------------------------
    def add_attempt(self, result) -> None:
        """Add a scored attempt (ticked); the same video scored again replaces nothing, it is a new attempt."""
        self.attempts.append(result)
        item = QListWidgetItem(f"{result.video_name} — {result.score_text()}  ({result.pack.name or '?'})")
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(Qt.CheckState.Checked)
        item.setToolTip(result.video.path)
        self.list.blockSignals(True)
        self.list.addItem(item)
        self.list.blockSignals(False)
        self._refresh()

    def show_only(self, results: list) -> None:
        """Compare exactly these attempts: the others stay in the list, unticked."""
        self.list.blockSignals(True)
        for i in range(self.list.count()):
            self.list.item(i).setCheckState(Qt.CheckState.Unchecked)
        self.list.blockSignals(False)
        for result in results:
            self.add_attempt(result)
        self.views.setCurrentIndex(0)

    def checked(self) -> list:
        return [
            self.attempts[i]
            for i in range(self.list.count())
            if self.list.item(i).checkState() == Qt.CheckState.Checked
        ]

    @Slot()
    def choose_json(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(
            self, "Add scored attempts", "", "Score results (*.json);;All files (*)"
        )
        for path in paths:
            self.add_json(path)

    def add_json(self, path: str | Path) -> bool:
        from vatp_core.result import ScoreResult

        try:
            self.add_attempt(ScoreResult.from_json(Path(path)))
        except (VATPError, ValueError, KeyError, TypeError) as exc:
            QMessageBox.warning(self, "Cannot add attempt", f"{Path(path).name}: {exc}")
            return False
        return True

    @Slot()
    def remove_selected(self) -> None:
        row = self.list.currentRow()
        if row >= 0:
            self.list.takeItem(row)
            del self.attempts[row]
            self._refresh()

    @Slot()
    def watch_side_by_side(self) -> None:
        chosen = self.checked()
        if len(chosen) < 2:
            QMessageBox.information(self, "Watch side by side", "Tick two attempts to watch them side by side.")
            return
        self.side_by_side_requested.emit(chosen[0], chosen[1])

    @Slot(QListWidgetItem)
    def _activate(self, item: QListWidgetItem) -> None:
        self.attempt_activated.emit(self.attempts[self.list.row(item)])

    @Slot()
    def _refresh(self, *args) -> None:
        chosen = self.checked()
        self.curve_plot.clear()
        self.curve_plot.addLegend(offset=(10, 10))
        names = chosen[0].subaction_names if chosen else []
        plot_chart(self.curve_plot, aligned_comparison_chart(chosen))
        self._fill_table(chosen, names)

    def _fill_table(self, chosen: list, names: list[str]) -> None:
        headers = [f"{i + 1}. {r.video_name}" for i, r in enumerate(chosen)]
        if len(chosen) >= 2:
            headers.append(f"Δ ({len(chosen)} − 1)")
        all_names = list(names) + [n for r in chosen[1:] for n in r.subaction_names if n not in names]
        self.table.clear()
        self.table.setColumnCount(len(headers))
        self.table.setHorizontalHeaderLabels(headers)
        self.table.setRowCount(len(all_names) + 1 if chosen else 0)
        self.table.setVerticalHeaderLabels(all_names + ["score μ"])
        contribs = [contribution_by_name(r) for r in chosen]
        for row, name in enumerate(all_names):
            values = [c.get(name) for c in contribs]
            for col, v in enumerate(values):
                self.table.setItem(row, col, QTableWidgetItem("–" if v is None else f"{v:+.2f}"))
            if len(chosen) >= 2:
                first, last = values[0], values[-1]
                delta = "–" if first is None or last is None else f"{last - first:+.2f}"
                self.table.setItem(row, len(chosen), QTableWidgetItem(delta))
        if chosen:
            row = len(all_names)
            for col, r in enumerate(chosen):
                self.table.setItem(row, col, QTableWidgetItem(f"{r.mean:.2f}"))
            if len(chosen) >= 2:
                self.table.setItem(row, len(chosen), QTableWidgetItem(f"{chosen[-1].mean - chosen[0].mean:+.2f}"))
        self.table.resizeColumnsToContents()

    def difference_rows(self) -> dict[str, float]:
        """Per-sub-action difference (last ticked − first ticked) as the table shows it."""
        chosen = self.checked()
        if len(chosen) < 2:
            return {}
        a, b = contribution_by_name(chosen[0]), contribution_by_name(chosen[-1])
        return {n: b[n] - a[n] for n in a if n in b}

    # --- labelled set ------------------------------------------------------------------------
    @Slot()
    def choose_labels(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Labelled set", "", "CSV (*.csv);;All files (*)")
        if path:
            self.load_labelled(path)

    def load_labelled(self, path: str | Path) -> bool:
        path = Path(path)
        try:
            labelled = read_batch_results(path) or labelled_from_attempts(path, self.attempts)
        except (VATPError, OSError, ValueError, KeyError) as exc:
            QMessageBox.warning(self, "Cannot read labelled set", f"{path.name}: {exc}")
            return False
        if len(labelled.pred) == 0:
            QMessageBox.warning(
                self,
                "No labelled videos",
                f"{path.name} has no video with both a predicted and a true score "
                "(for a labels file, add the matching scored attempts first).",
            )
            return False
        self.show_labelled(labelled)
        return True

    def show_labelled(self, labelled: LabelledSet) -> None:
        self.labelled = labelled
        self.cs_plot.clear()
        self.scatter_plot.clear()
        plot_chart(self.cs_plot, cs_curve_of(labelled.pred, labelled.true))
        plot_chart(self.scatter_plot, scatter_chart(labelled.pred, labelled.true))
        text = f"{labelled.source}: {len(labelled.pred)} videos · mean |error| {metrics.mae(labelled.pred, labelled.true):.3f}"
        if len(labelled.pred) >= 3 and np.ptp(labelled.true) > 0 and np.ptp(labelled.pred) > 0:
            text += f" · Spearman ρ {metrics.spearman(labelled.pred, labelled.true):.3f}"
        self.metrics_label.setText(text)
        self.views.setCurrentIndex(1)
