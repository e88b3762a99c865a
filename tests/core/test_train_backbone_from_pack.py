"""`vatp train --init PACK` / `--backbone-weights PACK` take the backbone from a pack that carries it."""

import argparse

import pytest

from tests.core.test_pipeline import build_pack
from vatp_core.cli import CLIError
from vatp_core.cli.data_args import load_kwargs


def _args(**kw):
    base = dict(
        dataset="generic", text_encoder="hash", difficulty=None, backbone=None, backbone_weights=None, init=None
    )
    return argparse.Namespace(**{**base, **kw})


def test_init_pack_brings_its_backbone(tmp_path):
    pack = build_pack(tmp_path / "club")
    kw = load_kwargs(_args(init=str(pack)))
    assert kw["backbone"] == "tiny" and isinstance(kw["backbone_weights"], dict) and kw["backbone_weights"]
    kw = load_kwargs(_args(backbone_weights=str(pack)))
    assert kw["backbone"] == "tiny" and isinstance(kw["backbone_weights"], dict)
    assert load_kwargs(_args(backbone_weights="weights.pt"))["backbone_weights"] == "weights.pt"
    with pytest.raises(CLIError, match="--init"):
        load_kwargs(_args(init=str(tmp_path / "missing")))


def test_missing_tiny_weights_name_the_flag(tmp_path):
    from vatp_core.features.weights import _missing_message

    text = _missing_message("tiny", tmp_path, None, None)
    assert "--init PACK" in text and "--backbone-weights PACK" in text


def test_a_pack_trained_on_extracted_features_scores_with_the_backbone_and_clips_that_made_them(tmp_path, capsys):
    """`vatp extract --pack` → `vatp train --dataset generic --features` → the new pack carries the tiny backbone
    that made the features, records their weights hash and their clip protocol, and scores a video to the same
    features; without the pack that made them, or with other weights, training stops before it starts."""
    import json

    import numpy as np

    from tests.videogen import make_test_video
    from vatp_core.cli import main
    from vatp_core.features.record import RECORD_NAME
    from vatp_core.pipeline import Scorer

    pack = build_pack(tmp_path / "club")  # clips of 16 frames every 16
    videos = tmp_path / "videos"
    videos.mkdir()
    for i in range(8):
        make_test_video(videos / f"r{i}.mp4", 40 + 4 * i, size=(96, 72))
    feats = tmp_path / "feats"
    extract = [
        "extract",
        str(videos),
        "--backbone",
        "tiny",
        "--pack",
        str(pack),
        "--protocol",
        "generic",
        "--clip-len",
        "16",
        "--stride",
        "8",
        "--out",
        str(feats),
        "--device",
        "cpu",
    ]
    assert main(extract) == 0
    record = json.loads((feats / RECORD_NAME).read_text())
    assert record["backbone"] == "tiny" and record["protocol"]["stride"] == 8
    (feats / "labels.csv").write_text("file,score\n" + "".join(f"r{i}.npy,{5 + i * 0.5}\n" for i in range(8)))
    train = ["train", "--dataset", "generic", "--features", str(feats), "--epochs", "1", "--device", "cpu", "-q"]
    capsys.readouterr()

    assert main([*train, "--out", str(tmp_path / "none")]) == 2  # the tiny weights live only in a pack
    assert "come inside a model pack: pass --init PACK" in capsys.readouterr().err
    assert not (tmp_path / "none").exists()

    assert main([*train, "--init", str(pack), "--out", str(tmp_path / "new")]) == 0
    manifest = json.loads((tmp_path / "new" / "manifest.json").read_text())
    assert manifest["backbone"] == "tiny" and manifest["backbone_in_pack"] is True
    assert manifest["backbone_weights_hash"] == record["weights_hash"]
    assert manifest["protocol"]["stride"] == 8 and manifest["protocol"]["clip_len"] == 16  # not the default 16/16
    scored = Scorer(tmp_path / "new", device="cpu").features(videos / "r3.mp4", use_cache=False)
    np.testing.assert_allclose(scored.features, np.load(feats / "r3.npy"), rtol=1e-4, atol=1e-5)

    import torch

    from vatp_core.pack import load_pack

    weights = tmp_path / "tiny.pt"  # the same tiny weights as a file: the pack carries them too
    torch.save(load_pack(pack).backbone_state(), weights)
    assert main([*train, "--backbone-weights", str(weights), "--out", str(tmp_path / "file")]) == 0
    manifest = json.loads((tmp_path / "file" / "manifest.json").read_text())
    assert manifest["backbone_in_pack"] is True and manifest["backbone_weights_hash"] == record["weights_hash"]

    record["weights_hash"] = "0" * 16  # as if other tiny weights had made them
    (feats / RECORD_NAME).write_text(json.dumps(record))
    assert main([*train, "--init", str(pack), "--out", str(tmp_path / "other")]) == 2
    assert "made with other tiny weights (hash 000000000000" in capsys.readouterr().err
