"""The main window: menus, the empty state, drag and drop, recent files."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt, Slot
from PySide6.QtGui import QAction, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import QFileDialog, QLabel, QMainWindow, QMenu, QMessageBox, QStackedWidget

from vatp_core import paths
from vatp_core.settings import Settings, load_settings, save_settings
from vatp_core.video import VIDEO_EXTENSIONS, is_video_filename

from .about import show_about
from .empty_state import EmptyState

VIDEO_FILTER = "Videos ({});;All files (*)".format(" ".join(f"*{ext}" for ext in VIDEO_EXTENSIONS))


class MainWindow(QMainWindow):
    def __init__(self, settings: Settings | None = None) -> None:
        super().__init__()
        self.settings = settings or load_settings()
        self.setWindowTitle("VATP Studio")
        self.setAcceptDrops(True)
        self.resize(1280, 800)

        self.stack = QStackedWidget()
        self.empty_state = EmptyState()
        self.video_placeholder = QLabel()
        self.video_placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.stack.addWidget(self.empty_state)
        self.stack.addWidget(self.video_placeholder)
        self.setCentralWidget(self.stack)

        self._build_menus()
        self.statusBar().showMessage("Ready")
        geometry = self._window_state().value("main_window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)

    @staticmethod
    def _window_state() -> QSettings:
        """Window geometry only; it follows VATP_HOME like every other user file."""
        return QSettings(str(paths.config_dir() / "window.ini"), QSettings.Format.IniFormat)

    # --- menus -------------------------------------------------------------------------------
    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        open_action = QAction("&Open video…", self, shortcut=QKeySequence.StandardKey.Open)
        open_action.triggered.connect(self.choose_video)
        file_menu.addAction(open_action)
        self.recent_menu = QMenu("Open &recent", self)
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        file_menu.addMenu(self.recent_menu)
        file_menu.addSeparator()
        quit_action = QAction("&Quit", self, shortcut=QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)
        self.file_menu = file_menu

        help_menu = self.menuBar().addMenu("&Help")
        about_action = QAction("&About VATP Studio", self)
        about_action.triggered.connect(self.show_about)
        help_menu.addAction(about_action)
        self.help_menu = help_menu

    @Slot()
    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        if not self.settings.recent_files:
            self.recent_menu.addAction("(no recent videos)").setEnabled(False)
            return
        for path in self.settings.recent_files:
            action = self.recent_menu.addAction(Path(path).name)
            action.setToolTip(path)
            action.setData(path)
            action.triggered.connect(self._open_recent)

    @Slot()
    def _open_recent(self) -> None:
        action = self.sender()
        if isinstance(action, QAction):
            self.open_video(action.data())

    @Slot()
    def show_about(self) -> None:
        show_about(self)

    # --- opening videos ----------------------------------------------------------------------
    @Slot()
    def choose_video(self) -> None:
        start = str(Path(self.settings.recent_files[0]).parent) if self.settings.recent_files else ""
        path, _ = QFileDialog.getOpenFileName(self, "Open video", start, VIDEO_FILTER)
        if path:
            self.open_video(path)

    def open_video(self, path: str | Path) -> bool:
        """Show the video; a file that cannot be opened gives a message and changes nothing."""
        path = Path(path)
        if not path.is_file():
            QMessageBox.warning(self, "Cannot open video", f"The file {path} does not exist.")
            return False
        self.video_placeholder.setText(f"<h3>{path.name}</h3>")
        self.stack.setCurrentWidget(self.video_placeholder)
        self.setWindowTitle(f"{path.name} — VATP Studio")
        self.settings.add_recent(path)
        save_settings(self.settings)
        self.statusBar().showMessage(f"Opened {path}")
        return True

    # --- drag and drop -----------------------------------------------------------------------
    @staticmethod
    def _dropped_video(event: QDragEnterEvent | QDropEvent) -> str | None:
        mime = event.mimeData()
        if not mime.hasUrls():
            return None
        for url in mime.urls():
            if url.isLocalFile() and is_video_filename(url.toLocalFile()):
                return url.toLocalFile()
        return None

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self._dropped_video(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        path = self._dropped_video(event)
        if path:
            event.acceptProposedAction()
            self.open_video(path)

    def closeEvent(self, event) -> None:
        self._window_state().setValue("main_window/geometry", self.saveGeometry())
        super().closeEvent(event)
