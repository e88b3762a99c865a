"""Batch → score a folder: choose folder, pack and options, watch a live results table, cancel any time.

The batch runs as one job on the app's inference worker — in its worker process, like single scoring, so
it reuses the loaded model and importing torch never stalls the window; Cancel takes effect at once at any
stage (app.worker_link). Rows arrive as the job posts them (`app.batch_job`), one per video as it is written
to the CSV. A cancelled or interrupted batch resumes where it stopped the next time the same folder and
results file are used.
"""

from __future__ import annotations

import logging
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from vatp_core.batch import spearman_text
from vatp_core.library import default_library_path

from .batch_job import BatchSpec, run_batch_job
from .batch_table import BatchTable
from .report import PAGE_SIZES

log = logging.getLogger(__name__)

STAGE_NAMES = {"index": "indexing", "features": "decoding + features", "model": "model", "explain": "explaining"}


class BatchDialog(QDialog):
    """Folder scoring with a live table; runs on ``worker`` (an InferenceService) or a private one.

    When the batch ends the table sorts by any column (click a header); double-clicking a scored row
    emits ``open_result`` with its ScoreResult JSON, and the main window opens it for review.
    """

    open_result = Signal(str)
    row_added = Signal(object)  # each BatchRow as the running batch posts it
    batch_ended = Signal(str)  # "done", "cancelled" or "failed", once the dialog shows the outcome

    def __init__(self, parent: QWidget | None = None, worker: Any = None, scorer_factory: Any = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Batch score a folder")
        self.resize(900, 600)
        self._own_service = worker is None
        if worker is None:
            from .worker import InferenceService

            worker = InferenceService(scorer_factory=scorer_factory, parent=self)
        self.service = worker
        self.job = None
        self.summary = None
        self.error = ""
        self.out_csv_used = Path(".")

        self.folder_edit = QLineEdit()
        self.folder_edit.setPlaceholderText("folder of routine videos (searched recursively)")
        self.folder_edit.textChanged.connect(self._folder_changed)
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse_folder)
        self.pack_combo = QComboBox()
        self.pack_combo.setEditable(True)
        self._fill_packs()
        pack_browse = QPushButton("Browse…")
        pack_browse.clicked.connect(self._browse_pack)
        self.out_edit = QLineEdit()
        self.out_edit.setPlaceholderText("results CSV (default: FOLDER/results.csv)")
        self.labels_edit = QLineEdit()
        self.labels_edit.setPlaceholderText(
            "optional: CSV with file,score[,difficulty][,athlete] for Spearman / R-ℓ2 and whose each video is"
        )
        self.athlete_check = QCheckBox("The athlete is the video's folder name (Anna/dive3.mp4 → Anna)")
        self.athlete_check.setToolTip("Attempts with an athlete enter the Library as they are scored")
        labels_browse = QPushButton("Browse…")
        labels_browse.clicked.connect(self._browse_labels)
        self.reports_check = QCheckBox("Write a PDF report per video and a summary PDF to")
        self.reports_edit = QLineEdit()
        self.reports_edit.setPlaceholderText("FOLDER/reports")
        self.page_combo = QComboBox()
        self.page_combo.addItems(list(PAGE_SIZES))
        self.device_combo = QComboBox()
        self.device_combo.addItems(["auto", "cuda", "cpu"])

        form = QFormLayout()
        form.addRow("Folder", _row(self.folder_edit, browse))
        form.addRow("Model pack", _row(self.pack_combo, pack_browse))
        form.addRow("Results CSV", self.out_edit)
        form.addRow("Labels", _row(self.labels_edit, labels_browse))
        form.addRow("Athletes", self.athlete_check)
        form.addRow(self.reports_check, _row(self.reports_edit, self.page_combo))
        form.addRow("Device", self.device_combo)

        self.table = BatchTable()
        self.table.cellDoubleClicked.connect(self._row_activated)
        opener = getattr(parent, "open_result_json", None)
        if callable(opener):
            self.open_result.connect(opener)
        self.progress = QProgressBar()
        self.progress.setFormat("%v / %m videos")
        self.stage_label = QLabel("")
        self.summary_label = QLabel("Choose a folder and press Start.")
        self.summary_label.setWordWrap(True)
        self.summary_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.start_button = QPushButton("Start")
        self.start_button.setDefault(True)
        self.start_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.close_button = QPushButton("Close")
        self.close_button.clicked.connect(self.close)
        buttons = QHBoxLayout()
        buttons.addWidget(self.stage_label, 1)
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.close_button)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.progress)
        layout.addWidget(self.summary_label)
        layout.addLayout(buttons)

        self.service.progress.connect(self._on_progress)

    # --- options ---------------------------------------------------------------------------------
    def _fill_packs(self) -> None:
        from .settings_dialog import missing_default_pack

        missing = missing_default_pack()  # never a silent swap: say which pack scores instead
        label = f"Default pack — {missing!r} is not installed: the demo pack scores" if missing else "Default pack"
        self.pack_combo.addItem(label, None)
        try:
            from vatp_core.pack import installed_packs

            for info in installed_packs():
                if info.ok:
                    self.pack_combo.addItem(info.name, info.name)
        except Exception as exc:  # a broken packs folder must not stop the dialog
            log.warning("listing packs failed: %s", exc)
        self.pack_combo.addItem("Demo pack (synthetic, not for judging)", "demo")

    def pack(self) -> str | None:
        """The pack to use: the chosen entry's name, or what was typed (a path or a name); None = default."""
        index = self.pack_combo.currentIndex()
        text = self.pack_combo.currentText().strip()
        if index >= 0 and self.pack_combo.itemText(index) == text:
            return self.pack_combo.itemData(index)
        return text or None

    def folder(self) -> Path:
        return Path(self.folder_edit.text().strip()).expanduser()

    def out_csv(self) -> Path:
        text = self.out_edit.text().strip()
        return Path(text).expanduser() if text else self.folder() / "results.csv"

    def reports_dir(self) -> Path | None:
        if not self.reports_check.isChecked():
            return None
        text = self.reports_edit.text().strip()
        return Path(text).expanduser() if text else self.folder() / "reports"

    @Slot(str)
    def _folder_changed(self, text: str) -> None:
        self.summary_label.setText(
            "Choose a folder and press Start."
            if not text.strip()
            else "Press Start: videos already in the results file are skipped."
        )

    @Slot()
    def _browse_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Folder of videos", self.folder_edit.text())
        if path:
            self.folder_edit.setText(path)

    @Slot()
    def _browse_pack(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Model pack folder")
        if path:
            self.pack_combo.setEditText(path)

    @Slot()
    def _browse_labels(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Labels CSV", "", "CSV (*.csv);;All files (*)")
        if path:
            self.labels_edit.setText(path)

    # --- running -----------------------------------------------------------------------------------
    @Slot()
    def start(self) -> bool:
        """Queue the batch on the worker; False (with a message) when the options are not usable."""
        if self.job is not None:
            return False
        folder = self.folder()
        if not self.folder_edit.text().strip() or not folder.is_dir():
            self.summary_label.setText(
                f"Not a folder: {folder}" if self.folder_edit.text().strip() else "Choose a folder first."
            )
            return False
        labels = self.labels_edit.text().strip() or None
        if labels and not Path(labels).is_file():
            self.summary_label.setText(f"Labels file not found: {labels}")
            return False
        self.table.clear_rows()
        self.out_csv_used = self.out_csv().parent
        self.summary = None
        self.error = ""
        self.progress.setRange(0, 0)
        self.summary_label.setText("Loading the model…")
        spec = BatchSpec(
            folder=folder,
            pack=self.pack(),
            device=self.device_combo.currentText(),
            out_csv=self.out_csv(),
            labels=labels,
            reports=self.reports_dir(),
            page_size=self.page_combo.currentText(),
            athlete_from_folder=self.athlete_check.isChecked(),
            library=default_library_path(),
        )
        self.job = self.service.call(
            partial(run_batch_job, spec),
            process=getattr(self.service, "link", None) is not None,  # the worker process when the service has one
            on_done=self._on_batch_done,
            on_failed=self._on_batch_failed,
            on_cancelled=self._on_batch_cancelled,
            on_post=self._add_row,
        )
        self._set_running(True)
        return True

    @Slot()
    def cancel(self) -> None:
        if self.job is not None:
            self.summary_label.setText("Cancelling…")
            self.service.cancel(self.job)

    def _set_running(self, running: bool) -> None:
        self.start_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        for w in (
            self.folder_edit,
            self.pack_combo,
            self.out_edit,
            self.labels_edit,
            self.athlete_check,
            self.reports_check,
            self.reports_edit,
            self.page_combo,
            self.device_combo,
        ):
            w.setEnabled(not running)

    @property
    def running(self) -> bool:
        return self.job is not None

    @Slot(str, int, int)
    def _on_progress(self, stage: str, done: int, total: int) -> None:
        if self.job is None or getattr(self.service, "current", None) is not self.job:
            return
        if stage == "batch":
            self.progress.setRange(0, max(total, 1))
            self.progress.setValue(done)
            self.stage_label.setText("")
        else:
            pct = f" {100 * done // total}%" if total else ""
            self.stage_label.setText(f"current video: {STAGE_NAMES.get(stage, stage)}{pct}")

    @Slot(object)
    def _add_row(self, row: Any) -> None:
        self.table.put(row, self.out_csv_used)
        self.row_added.emit(row)

    @Slot(int, int)
    def _row_activated(self, r: int, c: int) -> None:
        path = self.table.result_file(r)
        if path is not None:
            self.open_result.emit(str(path))

    def _batch_ended(self) -> None:
        self.job = None
        self._set_running(False)
        self.stage_label.setText("")
        if self.progress.maximum() == 0:
            self.progress.setRange(0, 1)
        self.table.setSortingEnabled(True)

    @Slot(object)
    def _on_batch_done(self, summary: Any) -> None:
        self.summary = summary
        self._show_summary(summary)  # rows go in by index: before the table sorts again
        self._batch_ended()
        self.batch_ended.emit("done")

    @Slot(object)
    def _on_batch_cancelled(self, job: Any) -> None:
        self._batch_ended()
        self.summary_label.setText("Cancelled. The rows written so far are kept; Start again to resume.")
        self.batch_ended.emit("cancelled")

    @Slot(object)
    def _on_batch_failed(self, job: Any) -> None:
        self._batch_ended()
        self.error = job.error
        self.summary_label.setText(f"The batch stopped: {job.error}")
        self.batch_ended.emit("failed")

    def _show_summary(self, s: Any) -> None:
        self.progress.setRange(0, max(s.n_videos, 1))
        self.progress.setValue(s.n_videos)
        for row in s.rows:  # skipped videos (already scored earlier) show up too
            if row.file not in self.table.rows:
                self.table.put(row, self.out_csv_used)
        self.table.keep_only({r.file for r in s.rows})
        text = (
            f"{s.n_videos} video(s): {s.n_scored} scored, {s.n_skipped} already done, {s.n_failed} failed "
            f"in {s.seconds:.1f} s. Results: {s.out_csv}"
        )
        if s.cancelled:
            text = "Cancelled. " + text
        if s.metrics:
            m = s.metrics
            text += f"\nLabels: n={m['n']}, Spearman {spearman_text(m)}, R-ℓ2 {m['rl2']:.3f}, MSE {m['mse']:.3f}"
        if s.library_added:
            text += f"\n{s.library_added} attempt(s) entered into the Library."
        if s.library_error:
            text += f"\nThe Library was not written: {s.library_error}"
        report = getattr(s, "summary_pdf", None)
        if report:
            text += f"\nSummary report: {report}"
        self.summary_label.setText(text)

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt override
        if self.job is not None:
            self.service.cancel(self.job)
        if self._own_service:
            self.service.shutdown()
        super().closeEvent(event)

    def reject(self) -> None:  # Esc: cancel a running batch first, close on a second press
        if self.job is not None:
            self.cancel()
            return
        super().reject()


def _row(*widgets: QWidget) -> QWidget:
    box = QWidget()
    lay = QHBoxLayout(box)
    lay.setContentsMargins(0, 0, 0, 0)
    for k, w in enumerate(widgets):
        lay.addWidget(w, 1 if k == 0 else 0)
    return box
