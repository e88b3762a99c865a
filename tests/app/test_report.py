"""PDF reports: read back with poppler (pdftotext, pdftoppm, pdffonts, pdfimages, pdfinfo).

The routine report is checked on a result built here (a generated video gives the key frames) and, end to
end, on a routine scored by the real pipeline (the bundled demo when it is there, else a generated video
and a model pack made in the test).
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.videogen import make_test_video
from vatp_core.result import ScoreResult, Segment

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")

REPO = Path(__file__).resolve().parents[2]
NAMES = ["Approach", "Take-off", "Flight", "Entry"]


def make_result(
    video: Path | None, n_frames: int = 64, fps: float = 25.0, mean: float = 7.4, cumulative_end: float | None = None
) -> ScoreResult:
    """A complete ScoreResult shaped like the pipeline's (4 sub-actions, 8 clips of 8 frames)."""
    T = 8
    att = []
    for s in range(4):
        row = [math.exp(-(((t - 1 - 2 * s) / 1.2) ** 2)) for t in range(T)]
        att.append([v / sum(row) for v in row])
    contrib = [0.3, -0.1, 0.5, 0.2]
    q = n_frames // 4
    segs = [
        Segment(i, NAMES[i], i * q, i * q + q - 1, i * q / fps, (i * q + q) / fps, 0.7, contrib[i]) for i in range(4)
    ]
    xs = [mean - 1.5 + i * 0.03 for i in range(101)]
    pdf = [math.exp(-0.5 * ((x - mean) / 0.3) ** 2) / (0.3 * math.sqrt(2 * math.pi)) for x in xs]
    base = mean - sum(contrib)
    scores = [base]
    for c in contrib:
        scores.append(scores[-1] + c)
    if cumulative_end is not None:
        scores[-1] = cumulative_end
    return ScoreResult(
        video={
            "path": str(video) if video else "/nowhere/routine.mp4",
            "name": "routine.mp4",
            "n_frames": n_frames,
            "fps": fps,
            "duration": n_frames / fps,
            "width": 96,
            "height": 64,
            "content_hash": "0123456789abcdef",
        },
        pack={
            "name": "unit-test-pack",
            "sport": "diving",
            "event": "3m springboard",
            "label": "synthetic demo — not for judging",
            "not_for_judging": True,
            "backbone": "tiny",
            "protocol": {"name": "generic", "clip_len": 8, "stride": 8},
            "score_range": [0, 10],
        },
        mean=mean,
        std=0.3,
        raw_mean=mean,
        distribution={"x": xs, "pdf": pdf},
        clip_ranges=[[t * 8, t * 8 + 7] for t in range(T)],
        attention=att,
        subaction_names=list(NAMES),
        segments=segs,
        contributions=contrib,
        baseline_mean=base,
        cumulative={"frames": [0] + [s.end_frame for s in segs], "scores": scores},
        timings={"features": 0.5, "model": 0.1},
    )


def pdf_text(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def pdf_pages(path: Path) -> tuple[int, str]:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    size = re.search(r"Page size:\s+(.*)", info).group(1)
    return pages, size


def assert_every_page_renders(path: Path, tmp_path: Path) -> int:
    import numpy as np
    from PySide6.QtGui import QImage

    pages, _ = pdf_pages(path)
    prefix = tmp_path / f"{path.stem}-page"
    subprocess.run(["pdftoppm", "-r", "30", "-png", str(path), str(prefix)], check=True, capture_output=True)
    pngs = sorted(tmp_path.glob(f"{path.stem}-page*.png"))
    assert len(pngs) == pages >= 1
    for png in pngs:
        img = QImage(str(png)).convertToFormat(QImage.Format.Format_Grayscale8)
        arr = np.frombuffer(img.constBits(), np.uint8, img.sizeInBytes()).reshape(img.height(), img.bytesPerLine())
        assert arr.min() < 128 and arr.max() > 200, f"{png.name} is blank"
    return pages


def image_count(path: Path) -> int:
    out = subprocess.run(["pdfimages", "-list", str(path)], capture_output=True, text=True, check=True).stdout
    return max(0, len(out.strip().splitlines()) - 2)


@pytest.fixture
def video(tmp_path) -> Path:
    return make_test_video(tmp_path / "routine.mp4", 64, size=(96, 64))


def test_report_has_score_subactions_pack_and_renders(qapp, tmp_path, video):
    from app.report import ReportFields, render_report

    out = render_report(
        make_result(video),
        tmp_path / "report.pdf",
        fields=ReportFields(athlete="Ana Diver", routine="Final, dive 3", date="2026-11-20"),
    )
    text = pdf_text(out)
    for needle in (
        "7.40",
        "σ 0.30",
        "uncalibrated",
        "Ana Diver",
        "Final, dive 3",
        "2026-11-20",
        "unit-test-pack",
        "not for judging",
        *NAMES,
        "+0.500",
        "-0.100",
        "Key frames",
        "Model pack",
        "diving",
    ):
        assert needle in text, needle
    assert "Key frames not included" not in text
    assert image_count(out) == 4  # one key frame per sub-action; every plot is vector, not an image
    assert assert_every_page_renders(out, tmp_path) >= 1
    assert pdf_pages(out)[1].endswith("(A4)")
    fonts = subprocess.run(["pdffonts", str(out)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    assert fonts and all(line.split()[-5] == "yes" for line in fonts), fonts  # every font embedded


def test_letter_size_and_missing_video_note(qapp, tmp_path):
    from app.report import render_report

    out = render_report(make_result(None), tmp_path / "letter.pdf", page_size="Letter")
    pages, size = pdf_pages(out)
    assert "612 x 792" in size
    text = pdf_text(out)
    assert "Key frames not included" in text and "/nowhere/routine.mp4" in text
    assert image_count(out) == 0
    assert_every_page_renders(out, tmp_path)
    with pytest.raises(ValueError):
        render_report(make_result(None), tmp_path / "x.pdf", page_size="A3")


def test_key_frames_skipped_when_the_video_is_not_the_scored_one(qapp, tmp_path):
    from app.report import render_report

    other = make_test_video(tmp_path / "other.mp4", 40, size=(96, 64))
    text = pdf_text(render_report(make_result(other, n_frames=64), tmp_path / "k.pdf"))
    assert "has 40 frames, the scored video had 64" in " ".join(text.split())
    garbage = tmp_path / "garbage.mp4"
    garbage.write_text("not a video")
    text = pdf_text(render_report(make_result(garbage), tmp_path / "g.pdf"))
    assert "could not be read" in " ".join(text.split())


def test_reference_attempt_adds_the_comparison(qapp, tmp_path, video):
    from app.report import render_report

    result = make_result(video)
    reference = make_result(video, mean=7.0)
    reference.video.name = "last_week.mp4"
    out = render_report(result, tmp_path / "cmp.pdf", reference=reference)
    text = " ".join(pdf_text(out).split())
    assert "comparison with the reference attempt" in text
    assert "last_week.mp4 (7.00)" in text and "+0.40 against the reference" in text
    plain = " ".join(pdf_text(render_report(result, tmp_path / "plain.pdf")).split())
    assert "reference" not in plain.lower()


def test_pack_without_judging_label_and_without_subactions(qapp, tmp_path):
    from app.report import render_report

    result = make_result(None)
    result.pack.label, result.pack.not_for_judging, result.pack.name = "", False, "mtl-aqa-official"
    result.segments, result.attention, result.subaction_names, result.contributions = [], [], [], []
    result.cumulative = {"frames": [], "scores": []}
    out = render_report(result, tmp_path / "mlp.pdf")
    text = pdf_text(out)
    assert "not for judging" not in text and "mtl-aqa-official" in text
    assert "does not parse the routine" in text
    assert_every_page_renders(out, tmp_path)


def test_batch_summary_ranks_routines(qapp, tmp_path):
    from app.report import render_batch_summary
    from vatp_core.batch import BatchRow, label_metrics

    rows = [
        BatchRow(file=f"v{k}.mp4", status="ok", mean=m, std=0.2, true_score=t, pack="pk")
        for k, (m, t) in enumerate([(5.0, 5.5), (8.0, 7.5), (6.5, 6.0)])
    ]
    rows.append(BatchRow(file="broken.mp4", status="error", error="The file is damaged"))
    out = render_batch_summary(rows, label_metrics(rows, (0, 10)), tmp_path / "summary.pdf")
    text = pdf_text(out)
    assert text.index("v1.mp4") < text.index("v2.mp4") < text.index("v0.mp4")  # ranked by score
    assert "Spearman" in text and "broken.mp4: The file is damaged" in text
    assert image_count(out) == 0
    assert_every_page_renders(out, tmp_path)
    many = [BatchRow(file=f"clip_{k:03d}.mp4", status="ok", mean=k / 10, std=0.1) for k in range(120)]
    out2 = render_batch_summary(many, None, tmp_path / "many.pdf", page_size="Letter")
    assert pdf_pages(out2)[0] >= 3
    assert "clip_000.mp4" in pdf_text(out2)


def test_export_report_dialog_writes_the_pdf(qtbot, tmp_path, video, monkeypatch):
    from PySide6.QtWidgets import QDialog, QFileDialog

    from app import report

    result = make_result(video)
    ref_path = tmp_path / "ref.json"
    make_result(video, mean=6.9).to_json(ref_path)
    target = tmp_path / "exported"

    def fake_exec(dlg):
        dlg.athlete_edit.setText("Mia Coach")
        dlg.page_combo.setCurrentText("Letter")
        dlg.reference_edit.setText(str(ref_path))
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(report.ReportOptionsDialog, "exec", fake_exec)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(target), "PDF (*.pdf)")))
    path = report.export_report_dialog(None, result)
    assert path == target.with_suffix(".pdf") and path.is_file()
    text = pdf_text(path)
    assert "Mia Coach" in text and "comparison with the reference" in text
    assert "612 x 792" in pdf_pages(path)[1]
    # the attempt open beside it is offered as the reference, and can be unticked
    other = make_result(video, mean=6.5)
    other.video.name = "open_attempt.mp4"

    def tick(dlg, checked):
        assert "open_attempt.mp4 (6.50)" in dlg.reference_check.text()
        dlg.reference_check.setChecked(checked)
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(report.ReportOptionsDialog, "exec", lambda dlg: tick(dlg, True))
    text = " ".join(pdf_text(report.export_report_dialog(None, result, reference=other)).split())
    assert "open_attempt.mp4 (6.50)" in text and "+0.90 against the reference" in text
    monkeypatch.setattr(report.ReportOptionsDialog, "exec", lambda dlg: tick(dlg, False))
    assert "reference" not in pdf_text(report.export_report_dialog(None, result, reference=other)).lower()
    # cancelling the options dialog writes nothing
    monkeypatch.setattr(report.ReportOptionsDialog, "exec", lambda dlg: QDialog.DialogCode.Rejected)
    assert report.export_report_dialog(None, result) is None


def test_cli_report_from_result_json_headless(app_commands, tmp_path, video):
    result_json = tmp_path / "r.json"
    make_result(video).to_json(result_json)
    out = tmp_path / "cli.pdf"
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY")}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "vatp_core.cli",
            "report",
            str(result_json),
            "--out",
            str(out),
            "--athlete",
            "Zoe Flip",
            "--routine",
            "Hoop",
            "--date",
            "2026-01-02",
            "--page-size",
            "Letter",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=REPO,
    )
    assert proc.returncode == 0, proc.stderr
    text = pdf_text(out)
    assert "Zoe Flip" in text and "Hoop" in text and "7.40" in text
    bad = subprocess.run(
        [sys.executable, "-m", "vatp_core.cli", "report", str(tmp_path / "missing.json"), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=REPO,
    )
    assert bad.returncode == 2 and "not found" in bad.stderr


@pytest.fixture(scope="module")
def scored_routine(tmp_path_factory):
    """(video, pack) for an end-to-end report: the bundled demo when present, else made here."""
    from vatp_core import paths

    if paths.demo_video_path().is_file() and paths.demo_pack_path().exists():
        return paths.demo_video_path(), paths.demo_pack_path()
    from tests.core.test_pipeline import build_pack

    root = tmp_path_factory.mktemp("e2e")
    return make_test_video(root / "routine.mp4", 80, size=(96, 72)), build_pack(root / "pack")


def test_vatp_report_of_a_scored_routine(app_commands, qapp, tmp_path, scored_routine):
    """Score with the real pipeline, write the PDF with `vatp report VIDEO`, read it back."""
    from vatp_core.cli import main
    from vatp_core.pipeline import score_video

    video, pack = scored_routine
    out = tmp_path / "routine_report.pdf"
    assert (
        main(
            [
                "report",
                str(video),
                "--pack",
                str(pack),
                "--out",
                str(out),
                "--device",
                "cpu",
                "--athlete",
                "Test Athlete",
            ]
        )
        == 0
    )
    result = score_video(video, pack, device="cpu")
    text = pdf_text(out)
    assert f"{result.mean:.2f}" in text and f"σ {result.std:.2f}" in text and result.interval_text() in text
    assert result.segments, "the pack should parse the routine"
    for seg in result.segments:
        assert seg.name in text
    assert result.pack.name in text and "Test Athlete" in text
    assert image_count(out) == len(result.segments)  # key frames read from the video
    assert assert_every_page_renders(out, tmp_path) >= 1
    # the same result from its JSON, compared with itself as a reference attempt
    rjson = tmp_path / "r.json"
    result.to_json(rjson)
    out2 = tmp_path / "from_json.pdf"
    assert main(["report", str(rjson), "--reference", str(rjson), "--out", str(out2), "--page-size", "Letter"]) == 0
    assert "+0.00 against the reference" in " ".join(pdf_text(out2).split())


def test_vatp_batch_reports_and_summary_pdf(app_commands, qapp, tmp_path, scored_routine, capsys):
    from vatp_core.cli import main

    video, pack = scored_routine
    folder = tmp_path / "competition"
    folder.mkdir()
    shutil.copy(video, folder / "athlete_a.mp4")
    (folder / "athlete_b.mp4").write_text("not a video")
    reports = tmp_path / "reports"
    assert main(["batch", str(folder), "--pack", str(pack), "--reports", str(reports), "--device", "cpu", "-q"]) == 0
    assert (reports / "athlete_a.pdf").is_file()
    summary = pdf_text(reports / "batch_summary.pdf")
    assert "athlete_a.mp4" in summary and "athlete_b.mp4" in summary and "Ranking" in summary
    assert "Key frames not included" not in pdf_text(reports / "athlete_a.pdf")


def test_vatp_batch_labels_give_metrics_and_a_summary_pdf(app_commands, qapp, tmp_path, capsys):
    from tests.core.test_pipeline import build_pack
    from vatp_core.cli import main

    pack = build_pack(tmp_path / "pack")
    root = tmp_path / "videos"
    root.mkdir()
    make_test_video(root / "a.mp4", 48, size=(96, 72))
    make_test_video(root / "c.mp4", 64, size=(96, 72))
    (root / "text.mp4").write_text("hello")
    labels = tmp_path / "labels.csv"
    labels.write_text("file,score\na.mp4,6.0\nc.mp4,7.5\n")
    out = tmp_path / "res" / "results.csv"
    assert (
        main(["batch", str(root), "--pack", str(pack), "--out", str(out), "--labels", str(labels), "--device", "cpu"])
        == 0
    )
    printed = capsys.readouterr().out
    doc = json.loads(out.with_suffix(".json").read_text())
    assert doc["metrics"]["n"] == 2 and "Spearman" in printed
    summary = out.parent / "results_summary.pdf"  # labels → a summary PDF ranking the routines
    text = pdf_text(summary)
    assert "Spearman" in text and "a.mp4" in text and "c.mp4" in text and "text.mp4" in text
    assert_every_page_renders(summary, tmp_path)


def test_key_frames_show_the_coachs_drawings(qapp, video):
    import numpy as np

    from app.frame_loader import qimage_to_rgb
    from app.report import key_frames
    from vatp_core.drawings import Drawing, DrawingStore

    store = DrawingStore()
    drawings = store.load(video)
    drawings.space = (96, 64)
    drawings.put(Drawing("line", [[5, 50], [90, 50]], 20, 22, color="#ff0000", thickness=3))
    store.save(video, drawings)
    frames, note = key_frames(make_result(video), video)
    assert note == "" and [i for _, i, _ in frames] == [7, 20, 39, 55]  # the drawn frame of Take-off (16–31)
    drawn = qimage_to_rgb(frames[1][2])
    assert np.all(drawn[50, 10:85] == [255, 0, 0])
    assert not np.any(np.all(qimage_to_rgb(frames[0][2])[50, 10:85] == [255, 0, 0], axis=1))
