"""Batch scoring of a folder: rows and error rows, atomic resumable results, labels metrics, decode-ahead.

Most tests use `FakeScorer`, which really decodes every frame through vatp_core.video (so corrupt and
non-video files fail the way they do with the real model) and builds a real `ScoreResult`; one test runs
the real `Scorer` when a model pack is available.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.videogen import make_test_video
from vatp_core import batch
from vatp_core.batch import BatchRow, BatchStore, find_videos, label_metrics, read_labels, run_batch
from vatp_core.errors import Cancelled, check_cancel
from vatp_core.result import ScoreResult, Segment

REPO = Path(__file__).resolve().parents[2]


class FakeScorer:
    """Decodes the whole video (so bad files fail for real) and 'scores' it from its frame count."""

    def __init__(self, delay: float = 0.0, log: Path | None = None) -> None:
        self.delay = delay
        self.log = log
        self.calls: list[str] = []

    def score(self, video, *, progress=None, cancel=None, difficulty=None) -> ScoreResult:
        from vatp_core.video import open_video

        video = Path(video)
        with open_video(video) as reader:
            n = 0
            for _ in reader:
                n += 1
                check_cancel(cancel)
            fps = reader.fps
        if n == 0:
            raise ValueError("no frames")
        time.sleep(self.delay)
        mean = n / 10.0 * (difficulty or 1.0)
        half = n // 2
        segs = [
            Segment(0, "First", 0, half - 1, 0.0, half / fps, 0.8, 0.25),
            Segment(1, "Second", half, n - 1, half / fps, n / fps, 0.7, -0.05),
        ]
        result = ScoreResult(
            video={"path": str(video), "name": video.name, "n_frames": n, "fps": fps, "duration": n / fps},
            pack={
                "name": "fake-pack",
                "score_range": [0, 10],
                "label": "test pack — not for judging",
                "not_for_judging": True,
            },
            mean=mean,
            std=0.1,
            difficulty=difficulty,
            raw_mean=n / 10.0,
            subaction_names=["First", "Second"],
            segments=segs,
            contributions=[0.25, -0.05],
            baseline_mean=mean - 0.2,
        )
        self.calls.append(video.name)
        if self.log is not None:
            with open(self.log, "a") as fh:
                fh.write(video.name + "\n")
                fh.flush()
                os.fsync(fh.fileno())
        return result


def _make_folder(root: Path, n_good: int = 3, frames=(20, 30, 40, 25, 35, 45, 50, 22)) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    sub = root / "day2"
    sub.mkdir(exist_ok=True)
    for k in range(n_good):
        folder = root if k % 2 == 0 else sub
        make_test_video(folder / f"routine_{k}.mp4", frames[k % len(frames)], size=(64, 48))
    return root


def _add_bad_files(root: Path) -> None:
    good = (root / "routine_0.mp4").read_bytes()
    (root / "corrupt.mp4").write_bytes(good[: len(good) // 3])  # a copy that stopped a third of the way
    (root / "notes.mp4").write_text("this is a text file, not a video\n")
    (root / "readme.txt").write_text("ignored: not a video extension\n")


def _read_csv(path: Path) -> list[dict]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def test_find_videos_is_recursive_sorted_and_skips_hidden(tmp_path):
    root = _make_folder(tmp_path / "videos", n_good=3)
    (root / ".hidden").mkdir()
    make_test_video(root / ".hidden" / "x.mp4", 16, size=(64, 48))
    (root / "a.txt").write_text("x")
    found = [p.relative_to(root).as_posix() for p in find_videos(root)]
    assert found == ["day2/routine_1.mp4", "routine_0.mp4", "routine_2.mp4"]


def test_batch_good_corrupt_and_text_files(tmp_path):
    root = _make_folder(tmp_path / "videos", n_good=3)
    _add_bad_files(root)
    out = tmp_path / "out" / "results.csv"
    seen = []
    summary = run_batch(
        root,
        FakeScorer(),
        pack_id="p1",
        pack_name="fake-pack",
        out_csv=out,
        on_row=lambda row, result: seen.append(row.file),
    )
    assert (summary.n_videos, summary.n_scored, summary.n_failed, summary.n_skipped) == (5, 3, 2, 0)
    rows = {r["file"]: r for r in _read_csv(out)}
    assert set(rows) == {"corrupt.mp4", "notes.mp4", "routine_0.mp4", "day2/routine_1.mp4", "routine_2.mp4"}
    assert sorted(seen) == sorted(rows)
    for name, n in (("routine_0.mp4", 20), ("day2/routine_1.mp4", 30), ("routine_2.mp4", 40)):
        r = rows[name]
        assert r["status"] == "ok" and r["error"] == ""
        assert float(r["mean"]) == pytest.approx(n / 10.0)
        assert int(r["n_frames"]) == n
        assert "First" in r["segments"] and "Second" in r["segments"]
        stored = ScoreResult.from_json(out.parent / r["result_json"])
        assert stored.mean == pytest.approx(n / 10.0) and stored.video.n_frames == n
        assert len(r["content_hash"]) >= 16 and r["pack_id"] == "p1"
    for name in ("corrupt.mp4", "notes.mp4"):
        assert rows[name]["status"] == "error"
        assert rows[name]["error"] and rows[name]["mean"] == ""
    # the JSON holds the same rows
    doc = json.loads(out.with_suffix(".json").read_text())
    assert {r["file"]: r["status"] for r in doc["rows"]} == {k: v["status"] for k, v in rows.items()}
    assert doc["pack_id"] == "p1"


def test_rerun_skips_scored_videos_and_retries_errors(tmp_path):
    root = _make_folder(tmp_path / "videos", n_good=2)
    (root / "notes.mp4").write_text("not a video")
    out = tmp_path / "results.csv"
    run_batch(root, FakeScorer(), pack_id="p1", out_csv=out)
    # fix the bad file, add a new video, touch nothing else
    (root / "notes.mp4").unlink()
    make_test_video(root / "notes.mp4", 18, size=(64, 48))
    make_test_video(root / "new.mp4", 24, size=(64, 48))
    scorer = FakeScorer()
    summary = run_batch(root, scorer, pack_id="p1", out_csv=out)
    assert sorted(scorer.calls) == ["new.mp4", "notes.mp4"]
    assert (summary.n_scored, summary.n_skipped, summary.n_failed) == (2, 2, 0)
    rows = _read_csv(out)
    assert sorted(r["file"] for r in rows) == ["day2/routine_1.mp4", "new.mp4", "notes.mp4", "routine_0.mp4"]
    assert all(r["status"] == "ok" for r in rows)
    # a different pack scores everything again; changed content is rescored too
    scorer = FakeScorer()
    run_batch(root, scorer, pack_id="p2", out_csv=out)
    assert len(scorer.calls) == 4
    make_test_video(root / "new.mp4", 26, size=(64, 48))
    scorer = FakeScorer()
    run_batch(root, scorer, pack_id="p2", out_csv=out)
    assert scorer.calls == ["new.mp4"]
    assert {r["file"]: r["n_frames"] for r in _read_csv(out)}["new.mp4"] == "26"


def test_labels_give_metrics_scatter_and_cs_curve(tmp_path):
    from vatp_core.metrics import relative_l2, spearman

    root = _make_folder(tmp_path / "videos", n_good=4)
    labels = tmp_path / "labels.csv"
    labels.write_text(
        "file,score,difficulty,phrases\nroutine_0.mp4,2.5,,a;b\nroutine_1,2.0,,\n"
        "day2/routine_3.mp4,3.0,,\nroutine_2.mp4,4.5,,\n"
    )
    assert read_labels(labels)["routine_1"].score == 2.0
    out = tmp_path / "results.csv"
    summary = run_batch(root, FakeScorer(), pack_id="p", out_csv=out, labels=labels, score_range=(0.0, 10.0))
    m = summary.metrics
    assert m["n"] == 4
    pred = {r.file: r.mean for r in summary.rows}
    true = {"routine_0.mp4": 2.5, "day2/routine_1.mp4": 2.0, "day2/routine_3.mp4": 3.0, "routine_2.mp4": 4.5}
    files = m["scatter"]["file"]
    assert sorted(files) == sorted(true)
    assert m["spearman"] == pytest.approx(spearman([pred[f] for f in files], [true[f] for f in files]))
    assert m["rl2"] == pytest.approx(relative_l2([pred[f] for f in files], [true[f] for f in files], (0, 10)))
    shares = m["cs_curve"]["share"]
    assert shares[-1] == pytest.approx(1.0) and all(a <= b for a, b in zip(shares, shares[1:]))
    assert json.loads(out.with_suffix(".json").read_text())["metrics"]["n"] == 4
    assert {r["file"]: r["true_score"] for r in _read_csv(out)}["routine_2.mp4"] == "4.5"


def test_label_difficulty_is_passed_to_the_scorer(tmp_path):
    root = _make_folder(tmp_path / "videos", n_good=1)
    labels = tmp_path / "labels.csv"
    labels.write_text("file,score,difficulty\nroutine_0.mp4,6.0,3.0\n")
    summary = run_batch(root, FakeScorer(), pack_id="p", out_csv=tmp_path / "r.csv", labels=labels)
    assert summary.rows[0].mean == pytest.approx(2.0 * 3.0)
    assert summary.rows[0].difficulty == 3.0


def test_bad_labels_file_is_a_clear_error(tmp_path):
    from vatp_core.errors import VATPError

    bad = tmp_path / "labels.csv"
    bad.write_text("video_name,points\na.mp4,3\n")
    with pytest.raises(VATPError, match="'file' column and a 'score', 'athlete' or 'dive_code' column"):
        read_labels(bad)
    bad.write_text("file,score\na.mp4,three\n")
    with pytest.raises(VATPError, match="labels.csv:2: "):
        read_labels(bad)


class SplitScorer(FakeScorer):
    """A scorer with separate feature extraction, recording when each half ran."""

    def __init__(self) -> None:
        super().__init__()
        self.intervals: list[tuple[str, str, float, float]] = []
        self.lock = threading.Lock()

    def features(self, video, *, progress=None, cancel=None):
        if progress is not None:
            progress("features", 0, 1)
        t0 = time.perf_counter()
        time.sleep(0.15)
        result = FakeScorer.score(self, video)
        with self.lock:
            self.intervals.append(("features", Path(video).name, t0, time.perf_counter()))
        return result

    def score_features(self, video, features, *, progress=None, cancel=None, difficulty=None):
        t0 = time.perf_counter()
        time.sleep(0.15)
        with self.lock:
            self.intervals.append(("model", Path(video).name, t0, time.perf_counter()))
        return features


def test_prefetch_overlaps_next_features_with_current_model(tmp_path):
    root = _make_folder(tmp_path / "videos", n_good=4)
    scorer = SplitScorer()
    stages = []
    summary = run_batch(
        root, scorer, pack_id="p", out_csv=tmp_path / "r.csv", progress=lambda stage, done, total: stages.append(stage)
    )
    assert summary.n_scored == 4 and stages.count("features") == 4 and stages.count("batch") == 5
    feats = {name: (a, b) for kind, name, a, b in scorer.intervals if kind == "features"}
    models = [(name, a, b) for kind, name, a, b in scorer.intervals if kind == "model"]
    order = [r.file.rsplit("/", 1)[-1] for r in summary.rows]
    overlaps = 0
    for name, a, b in models:
        nxt = order.index(name) + 1
        if nxt < len(order):
            fa, fb = feats[order[nxt]]
            overlaps += fa < b and fb > a  # the next video's features ran while this one was in the model
    assert overlaps >= 2
    # and the same batch without prefetch runs strictly one after the other
    scorer2 = SplitScorer()
    run_batch(root, scorer2, pack_id="p", out_csv=tmp_path / "r2.csv", prefetch=False)
    assert not [k for k, *_ in scorer2.intervals if k == "features"]  # score() path, no split


def test_cancel_stops_between_videos_and_keeps_rows(tmp_path):
    root = _make_folder(tmp_path / "videos", n_good=4)
    scorer = FakeScorer()
    stop = {"now": False}

    def on_row(row, result):
        stop["now"] = True

    summary = run_batch(
        root, scorer, pack_id="p", out_csv=tmp_path / "r.csv", cancel=lambda: stop["now"], on_row=on_row
    )
    assert summary.cancelled
    assert len(scorer.calls) == 1
    assert len(_read_csv(tmp_path / "r.csv")) == 1


def test_cancelled_exception_from_scorer_is_not_an_error_row(tmp_path):
    root = _make_folder(tmp_path / "videos", n_good=2)

    class CancellingScorer(FakeScorer):
        def score(self, video, **kw):
            raise Cancelled()

    summary = run_batch(root, CancellingScorer(), pack_id="p", out_csv=tmp_path / "r.csv")
    assert summary.cancelled and summary.n_failed == 0
    assert _read_csv(tmp_path / "r.csv") == []


def test_store_writes_are_atomic_and_parse_back(tmp_path):
    store = BatchStore(tmp_path / "r.csv")
    store.put(BatchRow(file='a, "quoted".mp4', status="error", error="line1\nline2, with comma"))
    store.put(BatchRow(file="b.mp4", status="ok", mean=7.25, std=0.5, content_hash="h", pack_id="p"))
    store.write()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    again = BatchStore(tmp_path / "r.csv")
    assert again.rows["b.mp4"].mean == 7.25 and again.is_done("b.mp4", "h", "p")
    assert not again.is_done("b.mp4", "h", "other-pack")
    (tmp_path / "r.json").unlink()  # the CSV alone is enough to resume
    from_csv = BatchStore(tmp_path / "r.csv")
    assert from_csv.rows['a, "quoted".mp4'].error == "line1\nline2, with comma"
    assert from_csv.is_done("b.mp4", "h", "p")


def test_label_metrics_none_without_labels():
    assert label_metrics([BatchRow(file="a", status="ok", mean=1.0)]) is None


_KILL_SCRIPT = r"""
import sys
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from tests.core.test_batch import FakeScorer
from vatp_core.batch import run_batch
scorer = FakeScorer(delay=float(sys.argv[4]), log=Path(sys.argv[5]))
summary = run_batch(sys.argv[2], scorer, pack_id="pk", pack_name="fake", out_csv=sys.argv[3])
print("DONE", summary.n_scored, summary.n_skipped)
"""


def test_sigkill_mid_batch_then_resume_scores_each_video_once(tmp_path):
    root = tmp_path / "videos"
    root.mkdir()
    for k in range(6):
        make_test_video(root / f"clip_{k}.mp4", 16 + k, size=(64, 48))
    out = tmp_path / "res" / "results.csv"
    log = tmp_path / "calls.log"
    cmd = [sys.executable, "-c", _KILL_SCRIPT, str(REPO), str(root), str(out)]
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.Popen(cmd + ["0.4", str(log)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if out.exists() and sum(r["status"] == "ok" for r in _read_csv(out)) >= 2:
                break
            if proc.poll() is not None:
                pytest.fail("batch ended before it could be killed: " + proc.stderr.read().decode())
            time.sleep(0.05)
        else:
            pytest.fail("batch did not write two rows in time")
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    before = {r["file"] for r in _read_csv(out)}  # parses right after the kill
    assert 2 <= len(before) < 6
    done = subprocess.run(cmd + ["0", str(log)], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    rows = _read_csv(out)
    files = [r["file"] for r in rows]
    assert sorted(files) == [f"clip_{k}.mp4" for k in range(6)]  # each exactly once
    assert all(r["status"] == "ok" for r in rows)
    calls = log.read_text().split()
    for name in before:  # what was on disk before the kill was not scored again
        assert calls.count(name) == 1
    assert all(calls.count(f) <= 2 for f in files)
    doc = json.loads(out.with_suffix(".json").read_text())
    assert sorted(r["file"] for r in doc["rows"]) == sorted(files)


def test_content_hash_is_stable_and_content_based(tmp_path):
    a = make_test_video(tmp_path / "a.mp4", 16, size=(64, 48))
    b = tmp_path / "b.mp4"
    b.write_bytes(a.read_bytes())
    assert batch.content_hash(a) == batch.content_hash(b)
    c = make_test_video(tmp_path / "c.mp4", 17, size=(64, 48))
    assert batch.content_hash(c) != batch.content_hash(a)


def test_slow_consumer_still_gets_every_prefetched_video(tmp_path):
    """The prefetch thread finishes first and waits; the last prepared video must not be dropped."""
    root = _make_folder(tmp_path / "videos", n_good=3)
    summary = run_batch(
        root, FakeScorer(), pack_id="p", out_csv=tmp_path / "r.csv", on_row=lambda row, result: time.sleep(0.3)
    )
    assert summary.n_scored == 3 and len(_read_csv(tmp_path / "r.csv")) == 3


def test_prefetch_failure_surfaces_in_the_caller(tmp_path, monkeypatch):
    root = _make_folder(tmp_path / "videos", n_good=2)

    class Fatal(BaseException):
        pass

    def broken_hash(path):
        raise Fatal("the prefetch thread died")

    monkeypatch.setattr(batch.runner, "content_hash", broken_hash)  # where the loop looks it up
    with pytest.raises(Fatal):
        run_batch(root, FakeScorer(), pack_id="p", out_csv=tmp_path / "r.csv")


def test_stale_temp_files_of_a_killed_write_are_removed(tmp_path):
    stale = tmp_path / ".r.csv.123.456.tmp"
    stale.write_text("half a table")
    os.utime(stale, (time.time() - 60, time.time() - 60))
    BatchStore(tmp_path / "r.csv")
    assert not stale.exists()


def test_resume_with_reports_renders_them_from_stored_results(tmp_path):
    root = _make_folder(tmp_path / "videos", n_good=2)
    out = tmp_path / "r.csv"
    run_batch(root, FakeScorer(), pack_id="p", out_csv=out)
    made, seen = [], []

    def make_report(row, result):
        path = tmp_path / "reports" / (row.file.replace("/", "_") + ".txt")
        path.parent.mkdir(exist_ok=True)
        path.write_text(f"{result.mean:.2f}")
        made.append(row.file)
        return path

    scorer = FakeScorer()
    summary = run_batch(
        root,
        scorer,
        pack_id="p",
        out_csv=out,
        make_report=make_report,
        on_row=lambda row, result: seen.append((row.file, result)),
    )
    assert scorer.calls == [] and summary.n_skipped == 2
    assert sorted(made) == ["day2/routine_1.mp4", "routine_0.mp4"]
    assert sorted(seen) == [("day2/routine_1.mp4", None), ("routine_0.mp4", None)]
    rows = {r["file"]: r for r in _read_csv(out)}
    assert (out.parent / rows["routine_0.mp4"]["report"]).read_text() == "2.00"
    made.clear()
    run_batch(root, FakeScorer(), pack_id="p", out_csv=out, make_report=make_report)
    assert made == []  # reports that exist are not made again


def test_vatp_batch_with_the_real_scorer(tmp_path, capsys):
    """`vatp batch` end to end without Qt: real pack (tiny backbone) and pipeline, error rows, then a resume."""
    from tests.core.test_pipeline import build_pack
    from vatp_core.cli import main

    pack = build_pack(tmp_path / "pack")
    root = tmp_path / "videos"
    (root / "b").mkdir(parents=True)
    make_test_video(root / "a.mp4", 48, size=(96, 72))
    make_test_video(root / "b" / "c.mp4", 64, size=(96, 72))
    (root / "broken.mp4").write_bytes((root / "a.mp4").read_bytes()[:800])  # cut short
    (root / "text.mp4").write_text("hello")
    out = tmp_path / "res" / "results.csv"
    args = ["batch", str(root), "--pack", str(pack), "--out", str(out), "--device", "cpu"]
    assert main(args) == 0
    printed = capsys.readouterr().out
    rows = {r["file"]: r for r in _read_csv(out)}
    assert set(rows) == {"a.mp4", "b/c.mp4", "broken.mp4", "text.mp4"}
    assert rows["broken.mp4"]["status"] == rows["text.mp4"]["status"] == "error"
    assert "not a video" in rows["text.mp4"]["error"].lower()
    for name in ("a.mp4", "b/c.mp4"):
        r = rows[name]
        result = ScoreResult.from_json(out.parent / r["result_json"])
        assert r["status"] == "ok" and float(r["mean"]) == pytest.approx(result.mean, rel=1e-5)
        assert r["pack"] == "pipeline-test-vatp" and result.pack.name == "pipeline-test-vatp"
        assert r["content_hash"] == result.video.content_hash
        assert f"{result.mean:.2f}" in printed
    assert "4 video(s): 2 scored, 0 already done, 2 failed" in printed
    assert main(args) == 0  # a second run skips both scored videos and retries the two bad ones
    assert "0 scored, 2 already done, 2 failed" in capsys.readouterr().out


def test_metrics_only_count_videos_still_in_the_folder(tmp_path):
    root = _make_folder(tmp_path / "videos", n_good=3)
    labels = tmp_path / "labels.csv"
    labels.write_text("file,score\nroutine_0.mp4,1\nroutine_1.mp4,2\nroutine_2.mp4,3\n")
    out = tmp_path / "r.csv"
    assert run_batch(root, FakeScorer(), pack_id="p", out_csv=out, labels=labels).metrics["n"] == 3
    (root / "routine_2.mp4").unlink()
    summary = run_batch(root, FakeScorer(), pack_id="p", out_csv=out, labels=labels)
    assert summary.metrics["n"] == 2 and len(summary.rows) == 2
    assert len(_read_csv(out)) == 3  # the moved video's row is kept in the file


class CodeScorer(FakeScorer):
    """FakeScorer that also takes the dive code (as a fused pack's scorer does) and records it in the result."""

    def score(self, video, *, progress=None, cancel=None, difficulty=None, dive_code=None) -> ScoreResult:
        result = super().score(video, progress=progress, cancel=cancel, difficulty=difficulty)
        result.dive_code = dive_code
        return result


def test_a_label_edited_since_the_last_run_is_scored_again(tmp_path):
    """Difficulty and dive code change the score: a resumed batch must not keep a score made from old ones."""
    root = _make_folder(tmp_path / "videos", n_good=2)
    labels = tmp_path / "labels.csv"
    labels.write_text("file,score,difficulty,dive_code\nroutine_0.mp4,7,2.0,407C\nday2/routine_1.mp4,6,3.0,105B\n")
    out = tmp_path / "results.csv"
    run_batch(root, CodeScorer(), pack_id="p", out_csv=out, labels=labels)
    scorer = CodeScorer()
    assert run_batch(root, scorer, pack_id="p", out_csv=out, labels=labels).n_skipped == 2 and not scorer.calls
    labels.write_text("file,score,difficulty,dive_code\nroutine_0.mp4,7,2.5,407C\nday2/routine_1.mp4,6,3.0,205B\n")
    summary = run_batch(root, scorer, pack_id="p", out_csv=out, labels=labels)
    assert sorted(scorer.calls) == ["routine_0.mp4", "routine_1.mp4"] and summary.n_skipped == 0
    rows = {r["file"]: r for r in _read_csv(out)}
    assert (rows["routine_0.mp4"]["difficulty"], rows["day2/routine_1.mp4"]["dive_code"]) == ("2.5", "205B")
    n0 = int(rows["routine_0.mp4"]["n_frames"])
    assert float(rows["routine_0.mp4"]["mean"]) == pytest.approx(n0 / 10.0 * 2.5, rel=1e-5)
