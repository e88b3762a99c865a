"""`--engine ray` on a private local Ray (2 CPUs, 127.0.0.1 only): the local engine's rows, resume, dead workers."""

from __future__ import annotations

import csv
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from tests.core.test_pipeline import build_pack
from tests.videogen import make_test_video
from vatp_core.cli import main

SAME = (
    *("file", "status", "difficulty", "error", "segments", "n_frames", "duration", "content_hash", "pack", "pack_id"),
    *("interval_level", "ood", "out_of_range", "damage"),
)


@pytest.fixture(scope="session")
def local_ray(tmp_path_factory):
    """One Ray instance for every test here; workers get their own user folder (feature cache)."""
    pytest.importorskip("ray")
    from vatp_core.distributed.ray_runtime import RayOptions, ray_session

    old = os.environ.get("VATP_HOME")
    os.environ["VATP_HOME"] = str(tmp_path_factory.mktemp("ray_workers_home"))
    try:
        session = ray_session(RayOptions(num_cpus=2))
        ray = session.__enter__()
    finally:
        if old is None:
            os.environ.pop("VATP_HOME", None)
        else:
            os.environ["VATP_HOME"] = old
    yield ray
    session.__exit__(None, None, None)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("ray_batch")
    videos = root / "videos"
    videos.mkdir()
    for k in range(3):
        make_test_video(videos / f"routine_{k}.mp4", 40 + 8 * k, size=(96, 72))
    (videos / "notes.mp4").write_bytes(b"not a video at all")
    return {"videos": videos, "pack": build_pack(root / "pack")}


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _batch(folder, out: Path, *extra: str) -> int:
    args = ["batch", str(folder["videos"]), "--pack", str(folder["pack"]), "--device", "cpu", "--out", str(out)]
    return main([*args, "-q", *extra])


def test_ray_engine_writes_the_local_engines_rows(folder, local_ray, tmp_path):
    assert _batch(folder, tmp_path / "local.csv") == 0
    assert _batch(folder, tmp_path / "ray.csv", "--engine", "ray", "--workers", "2") == 0
    local, distributed = _rows(tmp_path / "local.csv"), _rows(tmp_path / "ray.csv")
    assert [r["file"] for r in distributed] == [r["file"] for r in local]
    assert [r["status"] for r in distributed] == ["error", "ok", "ok", "ok"]  # notes.mp4 first
    for a, b in zip(local, distributed):
        assert {k: b[k] for k in SAME} == {k: a[k] for k in SAME}
        if a["status"] == "ok":
            assert abs(float(a["mean"]) - float(b["mean"])) <= 1e-5 and abs(float(a["std"]) - float(b["std"])) <= 1e-5
            assert (tmp_path / b["result_json"]).is_file()


def test_ray_engine_scores_at_the_level_asked(folder, local_ray, tmp_path):
    """--level reaches the actors: the ray rows carry the 80% interval the local engine gives, not 90%
    (and the ray engine's rows carry the interval at all)."""
    from tests.core.test_trust_pipeline import _calibration
    from vatp_core.trust import TrustStats

    pack = build_pack(tmp_path / "calibrated", trust=TrustStats(calibration=_calibration(np.random.default_rng(3))))
    one = tmp_path / "one"
    one.mkdir()
    (one / "routine_0.mp4").write_bytes((folder["videos"] / "routine_0.mp4").read_bytes())

    def run(out: str, *extra: str) -> dict[str, str]:
        args = ["batch", str(one), "--pack", str(pack), "--device", "cpu", "--out", str(tmp_path / out), "-q"]
        assert main([*args, *extra]) == 0
        return _rows(tmp_path / out)[0]

    ray_row = run("ray.csv", "--engine", "ray", "--workers", "1", "--level", "0.8")
    local_row, wide = run("local.csv", "--level", "0.8"), run("wide.csv")
    assert float(ray_row["interval_level"]) == 0.8 and float(wide["interval_level"]) == 0.9
    for key in ("interval_low", "interval_high"):
        assert abs(float(ray_row[key]) - float(local_row[key])) <= 1e-5
    width = float(ray_row["interval_high"]) - float(ray_row["interval_low"])
    assert width < float(wide["interval_high"]) - float(wide["interval_low"])


def test_without_ray_the_flag_says_how_to_install_it(folder, tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray → ImportError
    assert _batch(folder, tmp_path / "r.csv", "--engine", "ray") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and 'pip install -e ".[distributed]"' in err[0]
    assert not (tmp_path / "r.csv").exists()


@dataclass(frozen=True)
class DiesOnce:
    """A worker's Scorer whose process dies (as if killed) the first time it reaches one video."""

    pack: str
    victim: str
    marker: str

    def __call__(self):
        from vatp_core.pipeline import Scorer

        scorer = Scorer(self.pack, device="cpu")
        real_score = scorer.score
        victim, marker = self.victim, Path(self.marker)

        def score(path, **kwargs):
            if Path(path).name == victim and not marker.exists():
                marker.write_text("killed")
                os._exit(1)
            return real_score(path, **kwargs)

        scorer.score = score
        return scorer


@pytest.mark.slow
def test_a_killed_worker_loses_nothing_and_a_rerun_skips_what_is_done(folder, local_ray, tmp_path):
    from vatp_core.distributed.ray_batch import run_ray_batch
    from vatp_core.distributed.ray_runtime import RayOptions

    marker = tmp_path / "killed"
    factory = DiesOnce(str(folder["pack"]), "routine_1.mp4", str(marker))
    out = tmp_path / "ray.csv"
    summary = run_ray_batch(
        folder["videos"], str(folder["pack"]), options=RayOptions(workers=2), out_csv=out, scorer_factory=factory
    )
    assert marker.exists()  # the worker did die
    rows = _rows(out)
    assert [r["file"] for r in rows] == ["notes.mp4", "routine_0.mp4", "routine_1.mp4", "routine_2.mp4"]
    assert [r["status"] for r in rows] == ["error", "ok", "ok", "ok"]
    assert (summary.n_scored, summary.n_failed, summary.n_skipped) == (3, 1, 0)

    again = run_ray_batch(folder["videos"], str(folder["pack"]), options=RayOptions(workers=2), out_csv=out)
    assert (again.n_scored, again.n_skipped, again.n_failed) == (0, 3, 1)  # the error row is tried again
    assert [r["mean"] for r in _rows(out)] == [r["mean"] for r in rows]


@pytest.mark.slow
def test_ray_extraction_writes_the_local_features(folder, local_ray, tmp_path):
    videos = folder["videos"]
    base = ["extract", str(videos), "--backbone", "tiny", "--pack", str(folder["pack"]), "--device", "cpu", "-q"]
    assert main([*base, "--out", str(tmp_path / "local")]) == 1  # notes.mp4 fails in both
    assert main([*base, "--out", str(tmp_path / "ray"), "--engine", "ray", "--workers", "2"]) == 1
    names = sorted(p.name for p in (tmp_path / "ray").glob("*.npy"))
    assert names == ["routine_0.npy", "routine_1.npy", "routine_2.npy"]
    for name in names:
        a = np.load(tmp_path / "local" / name, allow_pickle=False)
        b = np.load(tmp_path / "ray" / name, allow_pickle=False)
        assert a.shape == b.shape and np.allclose(a, b, atol=1e-5)
