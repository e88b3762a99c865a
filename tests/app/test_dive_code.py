"""A fused pack in the app: it asks for the dive code before scoring (validated as the CLI validates it), the
code goes to the worker with the job, the result records it and the video's sidecar remembers it."""

from __future__ import annotations

import json

import pytest
from PySide6.QtWidgets import QDialogButtonBox

from app import scoring
from app.dive_code_dialog import DiveCodeDialog, check_dive_code, pack_needs_dive_code
from tests.core.fused_pack import build_fused_pack

from .test_scoring import open_window, score


@pytest.fixture(scope="module")
def fused_pack(tmp_path_factory):
    return build_fused_pack(tmp_path_factory.mktemp("fused") / "fused_pack", name="app-fused-pack")


def test_the_dialog_accepts_only_a_dive_code_and_shows_its_phrases(qtbot):
    dialog = DiveCodeDialog("p", "hello")
    qtbot.addWidget(dialog)
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert not ok.isEnabled() and "not a dive code" in dialog.phrases.text() and dialog.code() is None
    dialog.edit.setText("407c")
    assert ok.isEnabled() and dialog.code() == "407C"
    assert dialog.phrases.text() == "Inward / 3.5 Soms.Tuck / 0 Twist / Entry"
    assert check_dive_code("  ")[0] is None


def test_a_fused_pack_asks_for_the_code_and_the_sidecar_remembers_it(
    qtbot, routine_video, small_pack, fused_pack, tmp_path, monkeypatch
):
    from app.pack_details import pack_details_text

    assert pack_needs_dive_code(str(fused_pack)) and not pack_needs_dive_code(str(small_pack))
    assert "asks for its dive code" in pack_details_text(str(fused_pack))
    assert "dive code" not in pack_details_text(str(small_pack))
    video = tmp_path / routine_video.name
    video.write_bytes(routine_video.read_bytes())
    win = open_window(qtbot, video)
    offered: list[str] = []
    answers = iter([None, "407C", "5253B"])

    def ask(parent, pack_name, code=""):
        offered.append(code)
        return next(answers)

    monkeypatch.setattr(scoring, "ask_dive_code", ask)
    idx = win.score_bar.pack_combo.findData(str(fused_pack))
    if idx < 0:
        win.score_bar.pack_combo.addItem(fused_pack.name, str(fused_pack))
        idx = win.score_bar.pack_combo.count() - 1
    win.score_bar.pack_combo.setCurrentIndex(idx)
    assert win.score_jobs.start() is None  # cancelled: nothing scored, the app goes on
    assert "needs the dive code" in win.statusBar().currentMessage()

    result = score(qtbot, win, fused_pack)
    assert result.dive_code == "407C" and result.segments[0].name == "Inward"
    sidecar = json.loads((video.parent / (video.name + ".vatp.json")).read_text())
    assert sidecar["dive_code"] == "407C"

    other = score(qtbot, win, fused_pack)  # offered the remembered code; the user changes the dive
    assert offered[-1] == "407C" and other.dive_code == "5253B" and other.mean != result.mean

    plain = score(qtbot, win, small_pack)  # a plain pack asks nothing
    assert plain.dive_code is None and len(offered) == 3


def test_headless_takes_the_dive_code(fused_pack, routine_video, capsys):
    from app.main import main

    args = ["--headless", str(routine_video), "--pack", str(fused_pack), "--device", "cpu"]
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert "needs the dive code" in err[-1] and "Traceback" not in "\n".join(err)
    assert main([*args, "--dive-code", "407C"]) == 0
    assert "dive 407C" in capsys.readouterr().out
