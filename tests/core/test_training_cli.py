"""`vatp train`, `vatp eval`, `vatp reproduce` end to end on generated features in the RG layout."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from vatp_core.cli import main
from vatp_core.datasets.synthetic_features import SyntheticSpec, write_synthetic_rg


@pytest.fixture(scope="module")
def rg_tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp("rg_tiny")
    write_synthetic_rg(root, n_train=10, n_test=6, spec=SyntheticSpec(dim=1024, clips=(10, 14), seed=2))
    return root


def test_train_then_eval(rg_tiny, tmp_path, capsys):
    rc = main(
        [
            "train",
            "--dataset",
            "rg",
            "--features",
            str(rg_tiny),
            "--class",
            "Hoop",
            "--epochs",
            "2",
            "--preset",
            "te+pd",
            "--out",
            str(tmp_path / "pack"),
            "--json",
            str(tmp_path / "train.json"),
            "-q",
        ]
    )
    assert rc == 0
    out = capsys.readouterr().out
    assert (
        "test Spearman" in out and "model selection: epoch of least squared error on a held-out validation split" in out
    )
    assert "95% bootstrap CI" in out and "baseline mean-pooled ridge" in out
    assert "uncalibrated: 2 calibration videos, need ≥ 9 for 90%" in out  # 20% of 10 routines is too few
    summary = json.loads((tmp_path / "train.json").read_text())
    manifest = json.loads((tmp_path / "pack" / "manifest.json").read_text())
    assert manifest["training"]["dataset"] == "rg" and manifest["training"]["class"] == "Hoop"
    assert manifest["training"]["preset"] == "te+pd" and manifest["training"]["selection"] == "val"
    assert manifest["training"]["select_by"] == "mse"  # the default of `vatp train`, recorded in the pack
    # 10 training routines: 2 held out for calibration, 2 of the rest for selection, 6 to fit (no refit by default)
    split = manifest["training"]["split"]
    assert split == {"train": "train-minus-cal-minus-val", "n_train": 6, "test": "test", "n_test": 6}
    assert manifest["training"]["refit"]["done"] is False
    assert "baselines" in manifest["metrics"]["test"] and "spearman_ci" in manifest["metrics"]["test"]
    assert manifest["backbone"] == "swin3d_b" and manifest["protocol"]["name"] == "vst-gdlt"
    assert manifest["protocol"]["preprocess"] == "gdlt-v2"  # the pack records the recipe it was trained on
    # public RG features were made with the official Kinetics-600 Swin-B, which scoring will use too
    assert manifest["training"]["backbone_weights"] == "swin3d_b-k600-official"
    assert manifest["metrics"]["test"]["spearman"] == pytest.approx(summary["test"]["spearman"])

    rc = main(
        [
            "eval",
            "--pack",
            str(tmp_path / "pack"),
            "--dataset",
            "rg",
            "--features",
            str(rg_tiny),
            "--json",
            str(tmp_path / "ev" / "eval.json"),
        ]
    )
    assert rc == 0
    report = json.loads((tmp_path / "ev" / "eval.json").read_text())
    for key in ("spearman", "rl2", "mse", "scatter", "cs_curve", "coverage", "interval_width", "spearman_ci"):
        assert key in report
    assert set(report["baselines"]) == {"training_mean", "ridge"}
    assert report["class"] == "Hoop" and len(report["scatter"]["true"]) == 6
    assert report["spearman"] == pytest.approx(summary["test"]["spearman"], abs=1e-9)
    shares = report["cs_curve"]["share"]
    assert shares[-1] == 1.0 and all(a <= b for a, b in zip(shares, shares[1:]))
    for png in report["plots"]:
        img = cv2.imread(png)
        assert img is not None and img.shape[2] == 3 and img.std() > 5  # a drawn picture, not a blank file


def test_eval_several_packs_fisher_z(rg_tiny, tmp_path, capsys):
    for cls in ("Ball", "Ribbon"):
        assert (
            main(
                [
                    "train",
                    "--dataset",
                    "rg",
                    "--features",
                    str(rg_tiny),
                    "--class",
                    cls,
                    "--epochs",
                    "1",
                    "--preset",
                    "te",
                    "--out",
                    str(tmp_path / cls),
                    "-q",
                ]
            )
            == 0
        )
    rc = main(
        [
            "eval",
            "--pack",
            str(tmp_path / "Ball"),
            "--pack",
            str(tmp_path / "Ribbon"),
            "--dataset",
            "rg",
            "--features",
            str(rg_tiny),
            "--json",
            str(tmp_path / "e.json"),
            "--plots",
            str(tmp_path / "plots"),
        ]
    )
    assert rc == 0
    report = json.loads((tmp_path / "e.json").read_text())
    from vatp_core.metrics import fisher_z_mean

    per = report["classes"]
    assert set(per) == {"Ball", "Ribbon"}
    assert report["spearman"] == pytest.approx(fisher_z_mean([per["Ball"]["spearman"], per["Ribbon"]["spearman"]]))
    assert report["rl2"] == pytest.approx(np.mean([per["Ball"]["rl2"], per["Ribbon"]["rl2"]]))
    assert (tmp_path / "plots" / "scatter_Ball.png").is_file() and (tmp_path / "plots" / "cs_curve.png").is_file()
    assert "average" in capsys.readouterr().out


def test_train_resumes_when_run_again(rg_tiny, capsys):
    args = ["train", "--dataset", "rg", "--features", str(rg_tiny), "--class", "Clubs", "--preset", "te", "-q"]
    assert main(args + ["--epochs", "1"]) == 0
    capsys.readouterr()
    assert main(args + ["--epochs", "2"]) == 0  # the checkpoint of epoch 1 is picked up
    out = capsys.readouterr().out
    assert "resumed after epoch 1" in out and "epoch" in out
    from vatp_core.pack import resolve_pack

    assert resolve_pack("rg-clubs-te").manifest.training["epochs"] == 2  # installed in the user's packs folder


def test_train_cli_errors(rg_tiny, tmp_path, capsys):
    assert main(["train", "--dataset", "rg", "--features", str(rg_tiny), "--epochs", "1"]) == 2
    assert "--class" in capsys.readouterr().err
    assert main(["train", "--dataset", "rg", "--features", str(tmp_path), "--class", "Ball"]) == 2
    assert "train.txt" in capsys.readouterr().err


def test_reproduce_rg_prints_full_table(rg_tiny, tmp_path, capsys):
    rc = main(
        [
            "reproduce",
            "rg",
            "--features",
            str(rg_tiny),
            "--epochs",
            "1",
            "--json",
            str(tmp_path / "r.json"),
            "-q",
            "--threads",
            "1",
        ]
    )
    assert rc == 0
    out = capsys.readouterr().out
    for text in (
        "Ball",
        "Clubs",
        "Hoop",
        "Ribbon",
        "Avg.",
        "VST+TE",
        "VST+TE+PD",
        "VATP-Net",
        "GDLT (VST)",
        "model selection: both from one run",
        "'best_test' picks the best test epoch",
        "0.800",
    ):
        assert text in out, text
    for tag in ("best_test", "val"):  # both selections of every row, from the same run, labelled
        lines = [line for line in out.splitlines() if line.split()[:1] == [tag]]
        assert len(lines) == 3
        assert all(len(line.split()) == 6 and "—" not in line for line in lines)  # 4 classes + Fisher-z average
    data = json.loads((tmp_path / "r.json").read_text())
    assert set(data["runs"]) == {"te", "te+pd", "vatp"} and set(data["runs"]["vatp"]) == {
        "Ball",
        "Clubs",
        "Hoop",
        "Ribbon",
    }
    assert data["paper"]["presets"]["vatp"][-1] == 0.800 and data["selection"] == "both"
    for per_class in data["runs"].values():  # one epoch: the validation choice is the best test epoch
        assert all(v["best_test"]["epoch"] == 1 == v["best_epoch"] for v in per_class.values())
        assert all(v["best_test"]["spearman"] == pytest.approx(v["spearman"], abs=1e-6) for v in per_class.values())
    # run again: every run is already trained, so it only reloads its checkpoint and gives the same numbers
    assert (
        main(
            [
                "reproduce",
                "rg",
                "--features",
                str(rg_tiny),
                "--epochs",
                "1",
                "--json",
                str(tmp_path / "r2.json"),
                "-q",
                "--threads",
                "1",
            ]
        )
        == 0
    )
    again = json.loads((tmp_path / "r2.json").read_text())
    assert "some runs resumed from their checkpoints" in again["notes"]
    assert again["runs"]["vatp"]["Hoop"]["spearman"] == data["runs"]["vatp"]["Hoop"]["spearman"]


@pytest.mark.slow
def test_rg_layout_train_eval_reaches_spearman_08(tmp_path, capsys):
    """Done-when: on generated RG features whose score depends on sub-sequence structure, train → eval ρ ≥ 0.8."""
    root = write_synthetic_rg(tmp_path / "rg", classes=("Ball",), spec=SyntheticSpec(dim=1024, seed=5))
    assert (
        main(
            [
                "train",
                "--dataset",
                "rg",
                "--features",
                str(root),
                "--class",
                "Ball",
                "--epochs",
                "12",
                "--selection",
                "val",
                "--out",
                str(tmp_path / "pack"),
                "-q",
            ]
        )
        == 0
    )
    assert (
        main(
            [
                "eval",
                "--pack",
                str(tmp_path / "pack"),
                "--dataset",
                "rg",
                "--features",
                str(root),
                "--json",
                str(tmp_path / "e.json"),
            ]
        )
        == 0
    )
    assert json.loads((tmp_path / "e.json").read_text())["spearman"] >= 0.8


def test_monitored_test_set_gives_best_test_beside_val_without_choosing(rg_tiny):
    """The best test epoch is watched in the same run; the returned model is still the validation choice."""
    from vatp_core.training import TrainConfig, run_class

    tc = TrainConfig(epochs=4, selection="val", device="cpu", num_threads=1)
    plain = run_class("rg", rg_tiny, "Ball", "te", tc)
    watched = run_class("rg", rg_tiny, "Ball", "te", tc, monitor_test=True)
    assert plain.result.monitor_best is None
    assert watched.result.best_epoch == plain.result.best_epoch
    assert watched.test["spearman"] == pytest.approx(plain.test["spearman"], abs=1e-6)
    per_epoch = {h.epoch: h.extra["monitor_spearman"] for h in watched.result.history}
    best = watched.result.monitor_best
    assert best["spearman"] == max(per_epoch.values()) and per_epoch[best["epoch"]] == best["spearman"]
    # the validation choice's test figure is the one watched at that epoch, so best_test can only be higher
    assert per_epoch[watched.result.best_epoch] == pytest.approx(watched.test["spearman"], abs=1e-6)
    assert best["spearman"] >= watched.test["spearman"] - 1e-9


def test_reproduce_default_keeps_the_checkpoints_of_best_test_runs(rg_tiny):
    from vatp_core.paths import data_dir

    args = ["reproduce", "rg", "--features", str(rg_tiny), "--epochs", "1", "--classes", "Ball", "--presets", "te"]
    assert main([*args, "--selection", "best_test", "-q", "--threads", "1"]) == 0
    kept = data_dir() / "checkpoints" / "reproduce-rg" / "Ball-te" / "checkpoint.pt"
    before = kept.read_bytes()
    assert main([*args, "-q", "--threads", "1"]) == 0  # --selection both: its own folder
    assert kept.read_bytes() == before
    assert (data_dir() / "checkpoints" / "reproduce-rg" / "both" / "Ball-te" / "checkpoint.pt").is_file()


def test_pack_mismatch_names_what_differs():
    from vatp_core.features.record import pack_mismatch

    made = {"backbone": "swin3d_b", "weights_hash": "a" * 16}
    assert pack_mismatch(None, "swin3d_b", "b" * 16) is None  # features from elsewhere: nothing to compare
    assert pack_mismatch(made, "swin3d_b", "a" * 16) is None
    assert pack_mismatch(made, "swin3d_b", "") is None  # a pack that records no hash (trained on public features)
    assert "made with the swin3d_b backbone, but the pack's is i3d" in pack_mismatch(made, "i3d")
    assert "other swin3d_b weights" in pack_mismatch(made, "swin3d_b", "b" * 16)


def test_eval_warns_when_the_features_come_from_another_backbone(rg_tiny, tmp_path, capsys):
    import shutil

    from vatp_core.features.record import RECORD_NAME

    feats = tmp_path / "feats"
    shutil.copytree(rg_tiny, feats)
    (feats / RECORD_NAME).write_text(json.dumps({"backbone": "i3d", "weights_hash": "0123456789abcdef"}))
    common = ["--dataset", "rg", "--features", str(feats), "--class", "Ball"]
    assert main(["train", *common, "--epochs", "1", "--preset", "te", "--out", str(tmp_path / "p"), "-q"]) == 0
    capsys.readouterr()
    assert main(["eval", "--pack", str(tmp_path / "p"), *common, "--json", str(tmp_path / "e.json")]) == 0
    assert "warning:" in capsys.readouterr().err and "backbone, but the pack's is" in "".join(
        json.loads((tmp_path / "e.json").read_text())["warnings"]
    )
    (feats / RECORD_NAME).unlink()  # no record: nothing to say
    assert main(["eval", "--pack", str(tmp_path / "p"), *common, "--json", str(tmp_path / "f.json")]) == 0
    assert "warnings" not in json.loads((tmp_path / "f.json").read_text())


def test_train_on_extracted_features_takes_the_backbone_that_made_them(tmp_path, capsys):
    from vatp_core.features.record import RECORD_NAME

    rng = np.random.default_rng(0)
    for i in range(12):
        np.save(tmp_path / f"r{i}.npy", rng.normal(size=(8, 1024)).astype(np.float32))
    (tmp_path / "labels.csv").write_text("file,score\n" + "".join(f"r{i}.npy,{50 + i}\n" for i in range(12)))
    (tmp_path / RECORD_NAME).write_text(json.dumps({"backbone": "i3d", "protocol": {"name": "generic"}}))
    common = ["train", "--dataset", "generic", "--features", str(tmp_path), "--epochs", "1", "-q"]
    assert main([*common, "--backbone", "swin3d_b", "--out", str(tmp_path / "bad")]) == 2
    assert "made with the i3d backbone (extraction.json), not swin3d_b" in capsys.readouterr().err
    assert main([*common, "--out", str(tmp_path / "pack")]) == 0
    assert json.loads((tmp_path / "pack" / "manifest.json").read_text())["backbone"] == "i3d"
