"""The one progress printer: tqdm bars on a terminal, a few milestone lines (or none) anywhere else."""

from __future__ import annotations

import io
from types import SimpleNamespace

from vatp_core.cli.progress_bar import ProgressBar
from vatp_core.cli.train import TrainProgress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_off_a_terminal_milestone_lines_per_stage():
    out = io.StringIO()
    bar = ProgressBar(stream=out, lines=2, label="clip.mp4")
    for done in range(5):
        bar("features", done, 4)
    bar("features", 4, 4)  # a repeated last call adds nothing
    bar("score", 1, 1)
    bar.close()
    assert out.getvalue().splitlines() == [
        "clip.mp4 features: 2/4",
        "clip.mp4 features: 4/4",
        "clip.mp4 score: 1/1",
    ]


def test_lines_zero_is_quiet_off_a_terminal_and_disabled_is_quiet_everywhere():
    for stream, kwargs in ((io.StringIO(), {"lines": 0}), (Terminal(), {"enabled": False})):
        bar = ProgressBar(stream=stream, **kwargs)
        bar("batch", 1, 2)
        bar.close()
        assert stream.getvalue() == ""


def test_on_a_terminal_a_tqdm_bar_per_stage_and_only_the_stages_asked_for():
    term = Terminal()
    bar = ProgressBar(stream=term, stages=("batch",), unit="video")
    bar("batch", 0, 3)
    bar("features", 5, 10)  # the scorer's own stages are not shown
    bar("batch", 3, 3)
    bar.close()
    text = term.getvalue()
    assert "batch" in text and "3/3" in text and "features" not in text
    assert "\r" in text  # redrawn in place


def test_bytes_are_scaled_and_notes_follow_the_counts():
    out = io.StringIO()
    bar = ProgressBar(stream=out, unit="bytes", lines=1, label="swin3d_b")
    bar.note("verifying")
    bar("download", 3 * 1024 * 1024, 3 * 1024 * 1024)
    assert out.getvalue() == "swin3d_b download: 3.00MB/3.00MB  verifying\n"


def test_a_restarted_stage_prints_again():
    out = io.StringIO()
    bar = ProgressBar(stream=out, lines=1)
    for _ in range(2):  # the same stage for the next video
        bar("features", 0, 2)
        bar("features", 2, 2)
    assert out.getvalue().splitlines() == ["features: 2/2", "features: 2/2"]


def test_train_progress_prints_sparse_epoch_lines_off_a_terminal():
    out = io.StringIO()
    progress = TrainProgress(40, label="rg-ball: ", stream=out)
    progress("load", 3, 3)
    for epoch in range(1, 41):
        progress.epoch(SimpleNamespace(epoch=epoch, seconds=0.5, loss=1.0 / epoch, val_spearman=0.5))
    progress.close()
    lines = out.getvalue().splitlines()
    assert lines[0] == "rg-ball: reading features: 3/3"
    assert len(lines) == 21 and lines[-1].startswith("rg-ball: epoch: 40/40  loss 0.0250  val ρ 0.500 (best 0.500 @ 1)")
    assert lines[1].endswith("0.5 s/epoch  ETA 19s")
