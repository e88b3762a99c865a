"""The GUI batch enters attempts into the library while the Library tab writes too: nothing is lost."""

from __future__ import annotations

from app.library import LibraryTab
from tests.app.test_batch_dialog import make_dialog  # noqa: F401 - the fixture
from tests.core.test_batch import FakeScorer
from tests.videogen import make_test_video
from vatp_core.library.synthetic import synthetic_result


def test_gui_batch_and_library_tab_writing_at_once(qtbot, make_dialog, tmp_path):  # noqa: F811
    folder = tmp_path / "club"
    for rel in ("Anna/a.mp4", "Anna/b.mp4", "Ben/c.mp4"):
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        make_test_video(folder / rel, 12, size=(32, 24))
    tab = LibraryTab()
    qtbot.addWidget(tab)
    tab.show()
    dlg = make_dialog(FakeScorer(delay=0.2))
    dlg.folder_edit.setText(str(folder))
    dlg.athlete_check.setChecked(True)
    assert dlg.start()
    for i in range(5):  # the coach scores in the window while the batch runs
        assert tab.add_result(synthetic_result(i, athlete="Cara")) is not None
    qtbot.waitUntil(lambda: not dlg.running, timeout=60_000)
    assert dlg.summary.library_added == 3 and "3 attempt(s) entered into the Library" in dlg.summary_label.text()
    tab.hide()
    tab.show()  # written by another connection: read again when shown
    assert tab.model.rowCount() == 8
    assert tab.library.athletes() == ["Anna", "Ben", "Cara"]
    assert tab.library.integrity_check() == "ok"
    tab.close_library()
