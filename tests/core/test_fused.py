"""The fused variant (Table V, "fusing the two sets of features"): the head reads the CD's output, the pack
carries the token table of its whole lexicon, and scoring takes the dive code (CLI, batch labels, sidecar)."""

from __future__ import annotations

import csv
import json
import shutil

import numpy as np
import pytest
import torch

from tests.core.fused_pack import build_fused_pack, fused_config
from tests.videogen import make_test_video
from vatp_core.cli import main
from vatp_core.model import VATPNet, count_parameters
from vatp_core.pack import NEEDS_DIVE_CODE, DiveCodeRequired, PackError, load_pack
from vatp_core.phrases import dive_code_lexicon, dive_code_phrases, embed_tokens, token_table
from vatp_core.result import ScoreResult


@pytest.fixture(scope="module")
def assets(tmp_path_factory):
    root = tmp_path_factory.mktemp("fused")
    video = make_test_video(root / "dive.mp4", 80, size=(96, 72))
    return {"root": root, "video": video, "pack": build_fused_pack(root / "pack")}


def _text(code: str) -> torch.Tensor:
    return torch.from_numpy(embed_tokens(dive_code_phrases(code)))[None]


@pytest.mark.parametrize("preset", ["vatp", "vatp-fused"])
def test_only_the_fused_head_scores_differently_when_the_phrases_change(preset):
    torch.manual_seed(0)
    model = VATPNet(fused_config(preset)).eval()
    x = torch.randn(1, 6, 256)
    with torch.no_grad():
        a, b = model(x, phrases=_text("407C")).mu, model(x, phrases=_text("5253B")).mu
    if preset == "vatp":
        assert torch.equal(a, b)  # the plain head reads the video only
    else:
        assert not torch.allclose(a, b, atol=1e-6)
        with pytest.raises(ValueError, match="needs the phrases"):
            model(x)


def test_fused_preset_counts_one_extra_square_in_the_head():
    from vatp_core.cli.model import model_info
    from vatp_core.model import VATPConfig

    fused = count_parameters(VATPNet(VATPConfig.preset("vatp-fused")))
    assert fused["total"] == 1_808_451 + 128 * 128 and fused["score_head"] == 24_898 + 128 * 128
    info = model_info("vatp-fused")
    assert info["total"] == 1_824_835 and info["details"]["score_head.fusion"] == 16_384


def test_token_table_rows_are_the_routines_tokens():
    names, rows, counts = token_table(dive_code_lexicon())
    assert len(names) == len(counts) == 45 and rows.shape == (int(counts.sum()), 768)
    assert {"Inward", "3.5 Soms.Tuck", "0 Twist", "Entry", "Arm.Back", "4.5 Twists"} <= set(names)
    ends = np.cumsum(counts)
    table = {n: rows[e - c : e] for n, e, c in zip(names, ends, counts)}
    phrases = dive_code_phrases("407C")
    assert np.allclose(np.concatenate([table[p] for p in phrases]), embed_tokens(phrases))


def test_fused_pack_round_trips_with_its_token_table(assets, tmp_path):
    pack = load_pack(assets["pack"])
    m = pack.manifest
    assert pack.needs_dive_code and m.phrase_input == "dive_code" and m.format_version == 3
    names, rows, counts = token_table(dive_code_lexicon())
    assert m.token_phrases == names
    assert torch.equal(pack.tensors["phrase_tokens"], torch.from_numpy(rows))
    assert pack.tensors["phrase_token_counts"].tolist() == counts.tolist()
    text = pack.routine_text("407c")
    assert text.dive_code == "407C" and text.phrases == tuple(dive_code_phrases("407C"))
    assert torch.equal(text.tokens, torch.from_numpy(embed_tokens(dive_code_phrases("407C"))))
    with pytest.raises(DiveCodeRequired, match="needs the dive code"):
        pack.routine_text("")
    with pytest.raises(DiveCodeRequired, match="not a dive code"):
        pack.routine_text("hello")
    # a plain pack is still written as format 2 (older versions read it)
    from tests.core.test_pack import make_pack

    plain, _ = make_pack(tmp_path)
    assert json.loads((plain / "manifest.json").read_text())["format_version"] == 2


def _retable(folder, change_tokens=None, change_counts=None, change_manifest=None):
    """Rewrite a pack folder's token table (and its checksum and shape table), as a tamperer would."""
    import hashlib

    from safetensors.torch import load_file, save_file

    weights = folder / "weights.safetensors"
    tensors = load_file(weights)
    if change_tokens:
        tensors["phrase_tokens"] = change_tokens(tensors["phrase_tokens"])
    if change_counts:
        tensors["phrase_token_counts"] = change_counts(tensors["phrase_token_counts"])
    save_file(tensors, weights)
    data = json.loads((folder / "manifest.json").read_text())
    data["weights_sha256"] = hashlib.sha256(weights.read_bytes()).hexdigest()
    data["tensors"] = {k: list(v.shape) for k, v in tensors.items()}
    if change_manifest:
        change_manifest(data)
    (folder / "manifest.json").write_text(json.dumps(data))


def _nan(t):
    t = t.clone()
    t[3, 5] = float("nan")
    return t


@pytest.mark.parametrize(
    "tamper, needle",
    [
        (dict(change_tokens=lambda t: t[:, :100].contiguous()), "phrase_tokens is"),
        (dict(change_tokens=_nan), "NaN"),
        (dict(change_tokens=lambda t: t * 1e6), "beyond"),
        (dict(change_tokens=lambda t: torch.zeros(45 * 64 + 1, 768)), "64 tokens a phrase at most"),
        (dict(change_counts=lambda c: c + 1), "add up to"),
        (dict(change_counts=lambda c: torch.where(c == c.max(), 0, c)), "1 to 64 tokens"),
        (dict(change_counts=lambda c: c.int()), "int64 counts"),
        (dict(change_manifest=lambda d: d.update(token_phrases=d["token_phrases"][:-1])), "phrase_token_counts is"),
        (dict(change_manifest=lambda d: d.update(token_phrases=[f"p{i}" for i in range(5000)])), "at most 4096"),
        (dict(change_manifest=lambda d: d.update(phrase_input="none")), "takes no dive code"),
        (dict(change_manifest=lambda d: d.update(phrase_input="phrases")), "'phrase_input' must be"),
    ],
)
def test_a_tampered_token_table_is_refused_with_one_line(assets, tmp_path, tamper, needle):
    folder = tmp_path / "pack"
    shutil.copytree(assets["pack"], folder)
    _retable(folder, **tamper)
    with pytest.raises(PackError, match=needle) as err:
        load_pack(folder)
    assert len(str(err.value).splitlines()) == 1


def test_score_without_a_code_fails_with_one_line_and_with_one_records_it(assets, tmp_path, capsys):
    video, pack = str(assets["video"]), str(assets["pack"])
    assert main(["packs", "show", pack]) == 0
    assert NEEDS_DIVE_CODE in capsys.readouterr().out  # the pack says it needs a dive code
    assert main(["score", video, "--pack", pack, "-q"]) == 2
    err = capsys.readouterr().err.strip()
    assert NEEDS_DIVE_CODE in err and len(err.splitlines()) == 1
    out = tmp_path / "r.json"
    assert main(["score", video, "--pack", pack, "--dive-code", "407C", "--json", str(out), "-q"]) == 0
    assert "dive 407C" in capsys.readouterr().out
    data = json.loads(out.read_text())
    assert data["dive_code"] == "407C" and data["format_version"] == 6
    r = ScoreResult.from_json(out)
    assert r.dive_code == "407C" and [s.name for s in r.segments][0] == "Inward"  # named by the dive's phrases
    assert abs(sum(r.contributions) - (r.mean - r.baseline_mean)) < 1e-5  # Shapley with the text held fixed
    other = tmp_path / "o.json"
    assert main(["score", video, "--pack", pack, "--dive-code", "5253B", "--json", str(other), "-q"]) == 0
    assert ScoreResult.from_json(other).mean != r.mean
    # the code beside the video, as labelled folders and SynthAQA write it
    beside = tmp_path / "dive.mp4"
    shutil.copy(video, beside)
    (tmp_path / "dive.json").write_text(json.dumps({"dive_code": "407c"}))
    again = tmp_path / "again.json"
    assert main(["score", str(beside), "--pack", pack, "--json", str(again), "-q"]) == 0
    assert ScoreResult.from_json(again).mean == pytest.approx(r.mean, abs=1e-6)


def test_batch_reads_the_dive_code_column(assets, tmp_path, capsys):
    folder = tmp_path / "meet"
    folder.mkdir()
    for name in ("a.mp4", "b.mp4", "c.mp4"):
        shutil.copy(assets["video"], folder / name)
    labels = tmp_path / "labels.csv"
    labels.write_text("file,score,dive_code\na.mp4,7.5,407C\nb.mp4,6.0,105B\nc.mp4,5.0,\n")
    out = tmp_path / "results.csv"
    args = ["batch", str(folder), "--pack", str(assets["pack"]), "--labels", str(labels), "--out", str(out)]
    main([*args, "--no-library", "-q"])
    rows = {r["file"]: r for r in json.loads(out.with_suffix(".json").read_text())["rows"]}
    assert rows["a.mp4"]["status"] == rows["b.mp4"]["status"] == "ok"
    assert rows["a.mp4"]["mean"] != rows["b.mp4"]["mean"]
    assert rows["c.mp4"]["status"] == "error" and NEEDS_DIVE_CODE in rows["c.mp4"]["error"]
    with open(out, newline="", encoding="utf-8") as fh:  # the table says which code each video was scored with
        assert {r["file"]: r["dive_code"] for r in csv.DictReader(fh)} == {
            "a.mp4": "407C",
            "b.mp4": "105B",
            "c.mp4": "",
        }
    bad = tmp_path / "bad.csv"
    bad.write_text("file,dive_code\na.mp4,999Z\n")
    assert main([*args[:-4], "--labels", str(bad), "--out", str(tmp_path / "x.csv"), "-q"]) == 2
    assert "bad.csv:2" in capsys.readouterr().err


def _small_mtl(root, shared, n_train=24, n_test=8):
    """The real MTL-AQA annotations cut to a few dives (same files, same layout), with generated features."""
    import pickle

    from vatp_core.datasets.synthetic_features import write_synthetic_mtl
    from vatp_core.safe_pickle import safe_load

    src = shared / "mtl-aqa"
    ann_dir = root / "ann"
    ann_dir.mkdir()
    train = list(safe_load(src / "train_split_0.pkl"))[:n_train]
    test = list(safe_load(src / "test_split_0.pkl"))[:n_test]
    ann = safe_load(src / "final_annotations_dict_with_dive_number.pkl")
    for name, obj in (
        ("train_split_0.pkl", train),
        ("test_split_0.pkl", test),
        ("final_annotations_dict_with_dive_number.pkl", {k: ann[k] for k in [*train, *test]}),
    ):
        (ann_dir / name).write_bytes(pickle.dumps(obj))
    return write_synthetic_mtl(root / "features", ann_dir, seed=1), ann_dir


def test_tiny_train_of_the_fused_preset_writes_a_pack_that_needs_a_dive_code(tmp_path, shared_datasets):
    feats, ann = _small_mtl(tmp_path, shared_datasets)
    out = tmp_path / "pack"
    args = ["train", "--dataset", "mtl", "--features", str(feats), "--annotations", str(ann), "--preset", "vatp-fused"]
    assert main([*args, "--epochs", "1", "--threads", "1", "--out", str(out), "-q"]) == 0
    pack = load_pack(out)
    assert pack.needs_dive_code and pack.model_config().use_fusion
    assert set(dive_code_lexicon()) <= set(pack.manifest.token_phrases)
    text = pack.routine_text("407C")
    assert text.tokens.shape[1] == 768 and sum(text.counts) == text.tokens.shape[0]
    # evaluating it reads each dive's phrases from the pack's own table, as the run's test figure did
    report = tmp_path / "eval.json"
    ev = ["eval", "--pack", str(out), "--dataset", "mtl", "--features", str(feats), "--annotations", str(ann)]
    assert main([*ev, "--json", str(report)]) == 0
    test = pack.manifest.metrics["test"]
    got = json.loads(report.read_text())
    assert got["spearman"] == pytest.approx(test["spearman"]) and got["mse"] == pytest.approx(test["mse"], rel=1e-4)


def test_table_v_runs_the_fusing_row_with_the_fused_preset(tmp_path, shared_datasets, capsys):
    from vatp_core.training.paper_tables import ABLATION_TABLES

    row = next(r for r in ABLATION_TABLES["V"]["rows"] if r.key == "vatp-reg")
    assert row.preset == "vatp-fused" and row.paper == 0.9522
    feats, ann = _small_mtl(tmp_path, shared_datasets)
    out = tmp_path / "v.json"
    args = ["reproduce", "mtl", "--features", str(feats), "--annotations", str(ann), "--table", "V", "--rows", "5"]
    assert (
        main([*args, "--epochs", "1", "--threads", "1", "--json", str(out), "--packs", str(tmp_path / "p"), "-q"]) == 0
    )
    line = next(t for t in capsys.readouterr().out.splitlines() if row.label in t)
    assert "0.9522" in line
    data = json.loads(out.read_text())
    assert data["rows"]["vatp-reg"]["preset"] == "vatp-fused" and data["rows"]["vatp-reg"]["params"] > 0
    assert load_pack(next((tmp_path / "p").iterdir())).needs_dive_code


def test_stored_results_say_which_dive_code_they_read():
    from pathlib import Path

    samples = Path(__file__).resolve().parents[1] / "data" / "results"
    assert ScoreResult.from_json(samples / "v6" / "score.json").dive_code == "407C"
    assert ScoreResult.from_json(samples / "v5" / "score.json").dive_code is None  # scored before format 6
    with pytest.raises(Exception, match="dive_code"):
        ScoreResult.from_dict({**json.loads((samples / "v6" / "score.json").read_text()), "dive_code": 407})


def test_the_fused_preset_refuses_data_without_dive_codes(tmp_path, capsys):
    from vatp_core.datasets.synthetic_features import SyntheticSpec, write_synthetic_rg

    write_synthetic_rg(
        tmp_path / "rg", classes=("Ball",), n_train=6, n_test=3, spec=SyntheticSpec(dim=1024, clips=(10, 12))
    )
    args = ["train", "--dataset", "rg", "--features", str(tmp_path / "rg"), "--class", "Ball", "--epochs", "1"]
    assert main([*args, "--preset", "vatp-fused", "--out", str(tmp_path / "p"), "-q"]) == 2
    err = capsys.readouterr().err.strip()
    assert "needs the dive's phrases" in err and len(err.splitlines()) == 1
