import json

from tests.videogen import make_test_video
from vatp_core.cli import main


def test_probe_prints_the_frame_index(tmp_path, capsys):
    video = make_test_video(tmp_path / "clip.mp4", 40, size=(96, 64), fps=25, gop=10)
    assert main(["probe", str(video), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["n_frames"] == 40 and info["fps"] == 25.0 and info["n_keyframes"] == 4 and info["longest_gop"] == 10


def test_probe_refuses_a_text_file(tmp_path, capsys):
    bad = tmp_path / "notes.mp4"
    bad.write_text("not a video")
    assert main(["probe", str(bad)]) == 2
    assert "not a video" in capsys.readouterr().err
