"""`vatp export frame`: the frame at full size with the drawings of that frame, through the app's CLI seam."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QImage

from app.frame_loader import qimage_to_rgb
from tests.videogen import decode_index
from vatp_core.cli import main
from vatp_core.drawings import Drawing, DrawingStore


def test_export_frame_draws_that_frames_drawings(app_commands, routine_video, tmp_path, capsys):
    store = DrawingStore()
    drawings = store.load(routine_video)
    drawings.space = (160, 120)
    drawings.put(Drawing("line", [[10, 100], [150, 100]], 40, 40, color="#ff0000", thickness=4))
    store.save(routine_video, drawings)

    assert main(["export", "frame", str(routine_video), "--frame", "40", "--out", str(tmp_path / "f40.png")]) == 0
    assert "1 drawing written" in capsys.readouterr().out
    assert main(["export", "frame", str(routine_video), "--frame", "41", "--out", str(tmp_path / "f41.png")]) == 0
    f40 = qimage_to_rgb(QImage(str(tmp_path / "f40.png")))
    f41 = qimage_to_rgb(QImage(str(tmp_path / "f41.png")))
    assert f40.shape == (120, 160, 3) and decode_index(f40) == 40 and decode_index(f41) == 41
    assert np.all(f40[100, 20:140] == [255, 0, 0])  # the line, in its colour, where it was drawn
    assert not np.any(np.all(f41[100, 20:140] == [255, 0, 0], axis=1))


def test_export_frame_outside_the_video_is_one_line(app_commands, routine_video, tmp_path, capsys):
    assert main(["export", "frame", str(routine_video), "--frame", "5000", "--out", str(tmp_path / "x.png")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "outside the video" in err and not (tmp_path / "x.png").exists()
