"""What the Library tab's buttons do: edit an attempt, import, export, delete an athlete, rebuild.

A mixin of `LibraryTab` (which holds ``library``, ``model``, ``filters`` and the ``status`` signal), kept
apart so each file stays about one thing.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import QApplication, QCheckBox, QFileDialog, QMessageBox

from vatp_core.library import (
    AttemptFilter,
    LibraryError,
    attempt_rows,
    export_athlete,
    export_csv,
    import_path,
    rebuild_library,
    rebuild_path,
    write_back,
)

from .edit_dialog import AttemptEditDialog


class LibraryActions:
    def ask_edit(self, row) -> tuple[str, str, str] | None:
        """The edit dialog; (athlete, notes, tags) or None when cancelled (tests replace this)."""
        dialog = AttemptEditDialog(row, self.library.athletes() if self.library is not None else [], self)
        return dialog.values() if dialog.exec() == AttemptEditDialog.DialogCode.Accepted else None

    @Slot()
    def edit_selected(self) -> None:
        ids = self.selected_ids()
        if len(ids) != 1 or self.library is None:
            return
        row = next(r for r in self.model.rows if r.id == ids[0])
        values = self.ask_edit(row)
        if values is None:
            return
        athlete, notes, tags = values
        try:
            if athlete != row.athlete:
                self.library.set_athlete(row.id, athlete)
            self.library.set_notes_tags(row.id, notes, tags)
            written = write_back(self.library, row.id)
        except LibraryError as exc:
            QMessageBox.warning(self, "Edit attempt", str(exc))
            return
        self.reload()
        self.select_attempt(row.id)
        self.status.emit(f"Saved {row.video_name}" + (f" (and {written.name})" if written else "") + ".")

    # ----------------------------------------------------------------------------- actions
    @Slot()
    def choose_import(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Import sidecars and batch results from")
        if folder:
            self.import_folder(folder)

    def import_folder(self, folder: str | os.PathLike) -> None:
        lib = self.ensure_open()
        if lib is None:
            return
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            summary = import_path(lib, folder)
        except LibraryError as exc:
            QMessageBox.warning(self, "Import", str(exc))
            return
        finally:
            QApplication.restoreOverrideCursor()
        self.reload()
        self.status.emit(f"Import from {folder}: {summary.text()}.")

    @Slot()
    def choose_export_csv(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export the table as CSV", "library.csv", "CSV (*.csv)")
        if path:
            self.export_table(path)

    def export_table(self, path: str | os.PathLike) -> None:
        if self.library is None:
            return
        try:
            n = export_csv(self.library, path, self.filters.current())
        except LibraryError as exc:
            QMessageBox.warning(self, "Export CSV", str(exc))
            return
        self.status.emit(f"Wrote {n} attempt(s) to {path}")

    @Slot()
    def choose_export_athlete(self) -> None:
        name = self._selected_athlete()
        if not name:
            return
        default = f"{name.replace(' ', '_').replace('.', '')}.vatp-athlete.json"
        path, _ = QFileDialog.getSaveFileName(self, f"Export the data of {name}", default, "JSON (*.json)")
        if path:
            self.export_athlete(name, path)

    def export_athlete(self, name: str, path: str | os.PathLike) -> None:
        if self.library is None:
            return
        try:
            n = export_athlete(self.library, name, path)
        except LibraryError as exc:
            QMessageBox.warning(self, "Export athlete", str(exc))
            return
        self.status.emit(f"Wrote {n} attempt(s) of {name} to {path}")

    def confirm_delete(self, name: str, n: int) -> tuple[bool, bool]:
        """Ask before deleting; returns (delete, also delete their sidecar files)."""
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle("Delete athlete")
        box.setText(f"Delete {name} and all {n} of their attempts from the library? This cannot be undone.")
        also = QCheckBox("Also delete their score files (.vatp.json) beside the videos")
        box.setCheckBox(also)
        box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        return box.exec() == QMessageBox.StandardButton.Yes, also.isChecked()

    @Slot()
    def delete_athlete(self) -> None:
        name = self._selected_athlete()
        if not name or self.library is None:
            return
        n = len(attempt_rows(self.library, AttemptFilter(athlete=name)))
        ok, files_too = self.confirm_delete(name, n)
        if not ok:
            return
        try:
            files = self.library.delete_athlete(name)
        except LibraryError as exc:
            QMessageBox.warning(self, "Delete athlete", str(exc))
            return
        removed = 0
        if files_too:
            for file in files:
                try:
                    Path(file).unlink()
                    removed += 1
                except FileNotFoundError:
                    pass
                except OSError as exc:
                    self.status.emit(f"Could not delete {file}: {exc.strerror or exc}")
        self.reload()
        self.status.emit(f"Deleted {name} and {n} attempt(s)" + (f" and {removed} score file(s)." if removed else "."))

    @Slot()
    def rebuild(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Rebuild the library from the sidecars under")
        if folder:
            self.rebuild_from(folder)

    def rebuild_from(self, folder: str | os.PathLike) -> Path | None:
        """Fill a new library file from ``folder``; the damaged one stays as it is. The app then uses the new one."""
        from vatp_core.settings import load_settings, save_settings

        broken = self.broken or self.path
        target = rebuild_path(broken)
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            summary = rebuild_library([folder], target)
        except LibraryError as exc:
            QMessageBox.warning(self, "Rebuild", str(exc))
            return None
        finally:
            QApplication.restoreOverrideCursor()
        settings = load_settings()
        settings.library_path = str(target)
        save_settings(settings)
        self.use_library(target)
        self.ensure_open()
        self.status.emit(f"New library {target}: {summary.text()}. The damaged file {broken} was left as it is.")
        return target
