import subprocess
import sys

from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
from PySide6.QtGui import QDropEvent

from app.empty_state import EMPTY_STATE_TEXT
from app.main_window import MainWindow
from vatp_core.settings import load_settings


def test_window_shows_empty_state(qtbot, tmp_path):
    window = MainWindow(device_check=False)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assert window.empty_state.hint.text() == EMPTY_STATE_TEXT
    assert window.stack.currentWidget() is window.empty_state
    shot = window.grab()
    assert not shot.isNull() and shot.width() > 100
    shot.save(str(tmp_path / "empty_state.png"))
    menus = [a.text().replace("&", "") for a in window.menuBar().actions()]
    assert menus[:1] == ["File"] and "Help" in menus


def test_drop_video_opens_it_and_updates_recent(qtbot, tmp_path):
    from tests.videogen import make_test_video

    video = make_test_video(tmp_path / "dive_01.mp4", 12)
    window = MainWindow(device_check=False)
    qtbot.addWidget(window)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(video))])
    event = QDropEvent(
        QPoint(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    window.dropEvent(event)
    assert "dive_01.mp4" in window.windowTitle()
    assert window.stack.currentWidget() is window.review
    qtbot.waitUntil(lambda: window.player.shown == 0, timeout=5000)
    assert load_settings().recent_files[0].endswith("dive_01.mp4")


def test_missing_file_keeps_window_as_it_was(qtbot, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: shown.append(a))
    window = MainWindow(device_check=False)
    qtbot.addWidget(window)
    assert window.open_video("/nonexistent/video.mp4") is False
    assert shown and window.stack.currentWidget() is window.empty_state


def test_about_names_versions():
    from app.about import about_text

    text = about_text()
    assert "torch" in text and "Qt" in text and ("CPU" in text or "CUDA" in text)


def test_window_appears_before_torch_is_imported():
    script = (
        "import sys\n"
        "from PySide6.QtWidgets import QApplication\n"
        "from app.main_window import MainWindow\n"
        "app = QApplication([])\n"
        "w = MainWindow(); w.show(); app.processEvents()\n"
        "print('torch' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "False"


def test_device_check_reports_in_the_status_bar(qtbot):
    window = MainWindow()  # the check runs in the worker 1.5 s after the window is up
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.statusBar().currentMessage().startswith(("GPU: ", "No GPU found")), timeout=20_000)


def test_exit_after_show_prints_the_time():
    out = subprocess.run(
        [sys.executable, "-m", "app.main", "--exit-after-show"], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    seconds = float(out.stdout.strip().splitlines()[-1].split()[3])
    assert 0 < seconds < 30


def test_report_and_batch_menus_reach_their_dialogs(qtbot, monkeypatch, tmp_path):
    import app.batch_dialog as batch_dialog
    import app.report as report
    from tests.app.conftest import make_result

    window = MainWindow(device_check=False)
    qtbot.addWidget(window)
    assert not window.report_action.isEnabled()
    calls = []
    monkeypatch.setattr(
        report,
        "export_report_dialog",
        lambda parent, result, video_path=None, reference=None: (
            calls.append(("report", result, reference)) or tmp_path / "r.pdf"
        ),
    )
    first, second = make_result(tmp_path / "a.mp4", mean=6.0), make_result(tmp_path / "b.mp4", mean=7.0)
    window.comparison.add_attempt(first)
    window.comparison.add_attempt(second)
    window.show_result(second)
    assert window.report_action.isEnabled()
    window.report_action.trigger()
    assert calls == [("report", second, first)]

    results = tmp_path / "results.csv"
    results.write_text("file,status,mean,true_score\na.mp4,ok,7.0,7.5\nb.mp4,ok,5.0,4.0\nc.mp4,error,,\n")

    def fake_exec(self):
        calls.append(("batch", self.service))
        self.summary = type("Summary", (), {"out_csv": results})()
        return 0

    monkeypatch.setattr(batch_dialog.BatchDialog, "exec", fake_exec)
    window.open_batch()
    assert calls[-1] == ("batch", window.service)
    assert window.comparison.labelled is not None and list(window.comparison.labelled.true) == [7.5, 4.0]


def test_player_keys_only_act_in_the_review_tab(qtbot):
    window = MainWindow(device_check=False)
    qtbot.addWidget(window)
    action = window.shortcuts.actions["next_frame"]
    assert action.isEnabled()
    window.tabs.setCurrentIndex(1)
    assert not action.isEnabled()
    window.tabs.setCurrentIndex(0)
    assert action.isEnabled()


def test_recent_menu_reopens_a_video(qtbot, tmp_path):
    from tests.videogen import make_test_video

    first = make_test_video(tmp_path / "first.mp4", 8)
    second = make_test_video(tmp_path / "second.mp4", 8)
    window = MainWindow(device_check=False)
    qtbot.addWidget(window)
    assert window.open_video(first) and window.open_video(second)
    window.menus.fill_recent_menu()
    actions = [a for a in window.recent_menu.actions() if a.data()]
    assert [a.text() for a in actions] == ["second.mp4", "first.mp4"]
    actions[1].trigger()
    assert window.player.path == first.resolve() or window.player.path == first
    assert load_settings().recent_files[0].endswith("first.mp4")


def test_empty_state_offers_the_demo_only_when_it_exists(qtbot):
    from vatp_core import paths

    window = MainWindow(device_check=False)
    qtbot.addWidget(window)
    assert window.empty_state.demo_button.isVisibleTo(window) == paths.demo_video_path().is_file()


def test_about_box_does_not_import_torch_on_the_gui_thread():
    script = (
        "import sys\n"
        "from app.about import about_text\n"
        "text = about_text(import_torch=False)\n"
        "print('torch' in sys.modules, 'not loaded yet' in text, 'Qt' in text)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "True", "True"]


def test_a_window_deleted_before_its_deferred_start_runs_leaves_nothing_behind(qtbot):
    """The deferred library opening and device check die with their window (they once ran on a deleted one)."""
    import shiboken6
    from PySide6.QtWidgets import QApplication

    window = MainWindow(device_check=True)
    shiboken6.delete(window)
    QApplication.processEvents()  # a pending call on the deleted window would raise here (pytest-qt fails on it)
    QApplication.processEvents()
