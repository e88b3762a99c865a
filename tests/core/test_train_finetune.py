"""`vatp train --dataset mtl --videos DIR --finetune-backbone`: the backbone trains with VATP-Net from tiny
generated MTL-AQA videos (the tiny backbone, random weights written here), the pack carries it, and scoring
uses it; without the flag the backbone stays as it was."""

from __future__ import annotations

import json
import pickle
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from tests.core.test_mtl_extract import _dive
from tests.videogen import make_test_video
from vatp_core.cli import main
from vatp_core.datasets import load_split
from vatp_core.features import extract_features, load_backbone
from vatp_core.pack import load_pack
from vatp_core.protocols import get_protocol
from vatp_core.training.clip_store import ClipStore
from vatp_core.training.runtime import choose_precision


@pytest.fixture(scope="module")
def mtl(tmp_path_factory):
    """A competition video with three dives, one dive cut out already, and a tiny backbone's random weights."""
    root = tmp_path_factory.mktemp("mtl_ft")
    videos = root / "videos"
    videos.mkdir()
    make_test_video(videos / "01.mp4", 64, size=(64, 48), gop=8)
    make_test_video(videos / "02_01.mp4", 20, size=(64, 48))
    ann = {
        (1, 1): _dive(0, 17, "407C", 60.0, 3.0),
        (1, 3): _dive(30, 49, "201A", 45.0, 1.9),
        (1, 4): _dive(44, 63, "305C", 52.0, 3.0),
        (2, 1): _dive(500, 520, "407C", 66.0, 3.0),  # its own clip: used whole
    }
    ann_dir = root / "ann"
    ann_dir.mkdir()
    with open(ann_dir / "final_annotations_dict_with_dive_number.pkl", "wb") as fh:
        pickle.dump(ann, fh)
    for split, keys in (("train", [(1, 1), (1, 4)]), ("test", [(1, 3), (2, 1)])):
        with open(ann_dir / f"{split}_split_0.pkl", "wb") as fh:
            pickle.dump(keys, fh)
    tiny = load_backbone("tiny", random_init=True, seed=3, device="cpu")
    weights = root / "tiny.pth"
    torch.save(tiny.state_dict(), weights)
    return {"videos": videos, "ann": ann_dir, "weights": weights, "initial": tiny.state_dict(), "root": root}


def _train(mtl, tmp_path, *extra, epochs=1, out="pack"):
    args = ["train", "--dataset", "mtl", "--videos", str(mtl["videos"]), "--annotations", str(mtl["ann"])]
    args += ["--backbone", "tiny", "--backbone-weights", str(mtl["weights"]), "--preset", "te"]
    args += ["--epochs", str(epochs), "--batch-size", "2", "--selection", "last", "--calibration-fraction", "0"]
    args += ["--device", "cpu", "--out", str(tmp_path / out), "--checkpoint", str(tmp_path / "ck"), "-q"]
    args += ["--json", str(tmp_path / f"{out}.json"), *extra]
    return main(args)


def _changed(state: dict, initial: dict) -> list[str]:
    return [k for k, v in initial.items() if v.is_floating_point() and not torch.equal(state[k], v)]


def test_finetune_trains_the_backbone_and_the_pack_scores_with_it(mtl, tmp_path, capsys):
    cache = tmp_path / "clips"
    assert _train(mtl, tmp_path, "--finetune-backbone", "--clip-cache", str(cache)) == 0
    out = capsys.readouterr().out
    assert "tiny backbone trained end to end" in out and "lr 0.0001" in out
    assert len(list(cache.glob("*.npy"))) == 4  # every dive's clips decoded once (train and test)
    pack = load_pack(tmp_path / "pack")
    m = pack.manifest
    recipe = m.training["backbone_finetune"]
    assert recipe["backbone_lr"] == pytest.approx(1e-4) and recipe["lr"] == pytest.approx(1e-3)
    assert recipe["protocol"] == "i3d-mtl" and recipe["clips_per_video"] == 10 and recipe["frames_per_clip"] == 16
    assert recipe["precision"] == "fp32" and recipe["initial_weights"] == "file:tiny.pth"
    assert m.training["backbone_weights"] == "fine-tuned from file:tiny.pth" and m.backbone_in_pack
    tuned = pack.backbone_state()
    assert tuned is not None
    changed = _changed(tuned, mtl["initial"])
    assert changed and any(k.startswith("stem.") for k in changed)  # gradients reached the first layer
    # scoring with the pack loads the fine-tuned weights
    loaded = pack.load_backbone("cpu")
    assert loaded.weights_hash == m.backbone_weights_hash
    assert all(torch.equal(loaded.state_dict()[k], v) for k, v in tuned.items())
    from vatp_core.pipeline import score_video

    result = score_video(mtl["videos"] / "02_01.mp4", pack, device="cpu", difficulty=3.0)
    assert np.isfinite(result.mean) and result.difficulty == 3.0


def test_without_the_flag_the_backbone_stays_frozen(mtl, tmp_path):
    assert _train(mtl, tmp_path) == 0
    pack = load_pack(tmp_path / "pack")
    assert "backbone_finetune" not in pack.manifest.training
    state = pack.backbone_state()  # the tiny backbone ships in its pack: exactly the weights given
    assert state is not None and not _changed(state, mtl["initial"])


@pytest.fixture(scope="module")
def club(tmp_path_factory, mtl):
    """A labelled folder of one-clip videos: backbone training on it costs little."""
    folder = tmp_path_factory.mktemp("club_ft")
    rows = ["file,score,split"]
    for i in range(6):
        make_test_video(folder / f"attempt{i}.mp4", 16, size=(48, 36))
        rows.append(f"attempt{i}.mp4,{6 + i * 0.5},{'test' if i in (2, 5) else 'train'}")
    (folder / "labels.csv").write_text("\n".join(rows) + "\n")
    return folder


def _train_club(club, mtl, tmp_path, epochs, out):
    args = ["train", "--dataset", "generic", "--features", str(club), "--backbone", "tiny", "--preset", "te"]
    args += ["--backbone-weights", str(mtl["weights"]), "--finetune-backbone", "--clip-cache", str(tmp_path / "c")]
    args += ["--epochs", str(epochs), "--batch-size", "2", "--selection", "last", "--calibration-fraction", "0"]
    args += ["--device", "cpu", "--out", str(tmp_path / out), "--checkpoint", str(tmp_path / "ck"), "-q"]
    return main([*args, "--json", str(tmp_path / f"{out}.json")])


def test_resume_continues_the_finetuning_run(club, mtl, tmp_path):
    assert _train_club(club, mtl, tmp_path, 1, "half") == 0
    assert _train_club(club, mtl, tmp_path, 2, "resumed") == 0
    notes = json.loads((tmp_path / "resumed.json").read_text())["training"]["notes"]
    assert "resumed after epoch 1" in notes
    (tmp_path / "ck").rename(tmp_path / "ck-used")
    assert _train_club(club, mtl, tmp_path, 2, "straight") == 0
    a = load_pack(tmp_path / "resumed").backbone_state()
    b = load_pack(tmp_path / "straight").backbone_state()
    assert a is not None and b is not None and _changed(b, mtl["initial"])
    for k, v in b.items():
        assert torch.allclose(a[k], v, atol=1e-6), k


def test_clips_are_those_extraction_feeds_and_are_decoded_once(mtl, tmp_path):
    kw = {"videos": mtl["videos"], "backbone": "tiny", "backbone_weights": mtl["weights"], "device": "cpu"}
    train = load_split("mtl", mtl["videos"], None, "train", annotations=mtl["ann"], **kw)
    protocol = get_protocol("i3d-mtl")
    spec = train.extractor.backbone.spec
    store = ClipStore(protocol, spec, tmp_path / "clips")
    store.prepare([train])
    assert store.decoded == 2
    again = ClipStore(protocol, spec, tmp_path / "clips")
    clips = again.clips(train.samples[1])
    assert again.decoded == 0 and clips.shape == (10, 16, 112, 112, 3) and clips.dtype == np.uint8
    dive = train.samples[1]
    ref = extract_features(
        dive.source,
        train.extractor.backbone,
        protocol,
        start=dive.meta["video_start"],
        end=dive.meta["video_end"],
        keep_first_input=True,
    ).first_input
    from vatp_core.features.preprocess import normalise

    ours = normalise(torch.from_numpy(np.array(clips[:1])), store.prep.mean, store.prep.std)[0].numpy()
    np.testing.assert_array_equal(ours, ref)


def test_flags_fail_early_with_the_flag_to_change(mtl, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("VATP_HOME", str(tmp_path / "home"))  # no installed weights
    base = ["train", "--dataset", "mtl", "--annotations", str(mtl["ann"]), "--device", "cpu", "-q"]
    assert main([*base, "--videos", str(mtl["videos"]), "--finetune-backbone", "--out", str(tmp_path / "p")]) == 2
    err = capsys.readouterr().err
    assert "No i3d weights" in err and "--backbone-weights FILE" in err and "Traceback" not in err
    assert main([*base, "--features", str(tmp_path), "--finetune-backbone"]) == 2
    assert "--videos DIR" in capsys.readouterr().err
    assert main([*base, "--videos", str(mtl["videos"]), "--backbone-lr", "1e-5"]) == 2
    assert "with --finetune-backbone only" in capsys.readouterr().err


def test_mixed_precision_is_chosen_on_cuda_only():
    cpu, cuda = torch.device("cpu"), torch.device("cuda")
    assert choose_precision(cpu, True).name == "fp32" and choose_precision(cpu, True).grad_scaler() is None
    bf16 = choose_precision(cuda, True, bf16_supported=True)
    assert bf16.name == "bf16" and not bf16.scaled
    fp16 = choose_precision(cuda, True, bf16_supported=False)
    assert fp16.name == "fp16" and fp16.scaled
    assert choose_precision(cuda, False, bf16_supported=True).name == "fp32"


@pytest.mark.gpu
def test_finetune_on_cuda_uses_mixed_precision(mtl, tmp_path):
    args = ["--finetune-backbone", "--clip-cache", str(tmp_path / "clips"), "--device", "cuda"]
    assert _train(mtl, tmp_path, *args) == 0
    recipe = load_pack(tmp_path / "pack").manifest.training["backbone_finetune"]
    assert recipe["precision"] in ("bf16", "fp16")


def test_help_says_a_full_run_needs_a_gpu(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "needs a CUDA GPU" in text and "10 clips x 16 frames" in text and "--finetune-backbone" in text


def test_batches_read_ahead_in_order_and_errors_reach_the_training_thread():
    from vatp_core.training.batching import BatchOptions
    from vatp_core.training.loop import batches_ahead

    made = []

    def make(idx, opts):
        if idx == [9]:
            raise ValueError("unreadable clip file")
        made.append(idx)
        return SimpleNamespace(features=torch.tensor(idx))

    got = [b.features.tolist() for b in batches_ahead(make, [[0, 1], [2], [3, 4]], BatchOptions(), pin=False)]
    assert got == [[0, 1], [2], [3, 4]] == made
    with pytest.raises(ValueError, match="unreadable"):
        list(batches_ahead(make, [[5], [9], [6]], BatchOptions(), pin=False))
    early = batches_ahead(make, [[7], [8], [10], [11]], BatchOptions(), pin=False)
    assert next(early).features.tolist() == [7]
    early.close()  # a stopped epoch: the helper stops instead of making the rest
    assert [8] in made and [11] not in made
