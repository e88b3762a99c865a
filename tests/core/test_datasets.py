"""Dataset loaders against the real annotation/split files, with feature files generated in the published layout."""

from __future__ import annotations

import json
import pickle
import shutil

import numpy as np
import pytest

from vatp_core.datasets import (
    DatasetError,
    FeatureDataset,
    Item,
    dataset_spec,
    load_split,
    read_feature_file,
    read_labels_csv,
)
from vatp_core.datasets.finefs import finefs_split_ids
from vatp_core.datasets.rg import read_rg_split
from vatp_core.safe_pickle import safe_load


def _write_npy(folder, names, dim=8, clips=(3, 6), seed=0):
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for n in names:
        np.save(folder / f"{n}.npy", rng.normal(size=(int(rng.integers(*clips)), dim)).astype(np.float32))


@pytest.fixture(scope="module")
def rg_features(tmp_path_factory, shared_datasets):
    root = tmp_path_factory.mktemp("rg") / "swintx_avg_fps25_clip32"
    names = [r["Video_Name"] for s in ("train", "test") for r in read_rg_split(shared_datasets / "rg" / f"{s}.txt")]
    _write_npy(root, names)
    return root


def test_rg_200_50_per_apparatus(rg_features, shared_datasets):
    ann = shared_datasets / "rg"
    for app in dataset_spec("rg").classes:
        train = load_split("rg", rg_features, app, "train", annotations=ann)
        test = load_split("rg", rg_features, app, "test", annotations=ann)
        assert (len(train), len(test)) == (200, 50)
        assert all(n.startswith(app + "_") for n in train.names + test.names)
        assert not set(train.names) & set(test.names)
        assert train.train_crop == 68 and train.difficulty_mode == "none"
    ball = load_split("rg", rg_features, "ball", "train", annotations=ann)
    assert ball.samples[0].name == "Ball_001" and ball.samples[0].score == pytest.approx(18.80)
    item = ball[0]
    assert isinstance(item, Item)
    feats, score, phrases, set_id = item
    assert feats.dtype == np.float32 and feats.ndim == 2 and feats.shape[1] == 8
    assert score == pytest.approx(18.80) and phrases is None and set_id == -1
    lo, hi = ball.score_range
    assert lo <= ball.scores().min() and hi >= ball.scores().max()


def test_rg_annotations_found_beside_features(rg_features, shared_datasets, tmp_path):
    feats = tmp_path / "feats"
    shutil.copytree(rg_features, feats)
    for s in ("train.txt", "test.txt"):
        shutil.copy(shared_datasets / "rg" / s, tmp_path / s)
    assert len(load_split("rg", feats, "Hoop", "test")) == 50
    (feats / "Hoop_001.npy").unlink()
    with pytest.raises(DatasetError, match="Hoop_001.npy"):
        load_split("rg", feats, "Hoop", "train")
    with pytest.raises(DatasetError, match="choose from"):
        load_split("rg", feats, "Rope", "train")


def test_fisv_400_100_tes_and_pcs(tmp_path, shared_datasets):
    ids = [
        line.split()[0]
        for f in ("train_dataset.txt", "test_dataset.txt")
        for line in (shared_datasets / "fis-v" / f).read_text().splitlines()
        if line.strip()
    ]
    _write_npy(tmp_path / "f", ids)
    tes_train = load_split("fisv", tmp_path / "f", "TES", "train", annotations=shared_datasets / "fis-v")
    pcs_test = load_split("fisv", tmp_path / "f", "PCS", "test", annotations=shared_datasets / "fis-v")
    assert len(tes_train) == 400 and len(pcs_test) == 100
    assert tes_train.samples[0].name == "1" and tes_train.samples[0].score == pytest.approx(28.71)
    pcs_train = load_split("fisv", tmp_path / "f", "PCS", "train", annotations=shared_datasets / "fis-v")
    assert pcs_train.samples[0].score == pytest.approx(29.36)


def _mtl_features(tmp_path, shared_datasets):
    ann = safe_load(shared_datasets / "mtl-aqa" / "final_annotations_dict_with_dive_number.pkl")
    root = tmp_path / "mtl"
    root.mkdir()
    rng = np.random.default_rng(1)
    for v, d in ann:
        np.save(root / f"{v:02d}_{d:02d}.npy", rng.normal(size=(10, 4)).astype(np.float32))
    return root, ann


def test_mtl_aqa_split_and_difficulty(tmp_path, shared_datasets):
    root, ann = _mtl_features(tmp_path, shared_datasets)
    kw = dict(annotations=shared_datasets / "mtl-aqa", with_phrases=False)
    train = load_split("mtl", root, None, "train", **kw)
    test = load_split("mtl", root, None, "test", **kw)
    assert (len(train), len(test)) == (1059, 353)
    assert len(ann) == 1412
    assert not set(train.names) & set(test.names)
    assert train.difficulty_mode == "divide" and train.protocol == "i3d-mtl"
    i = test.names.index("01_01")  # dive (1, 1) is a test dive
    assert test.samples[i].score == pytest.approx(88.0) and test.samples[i].difficulty == pytest.approx(3.2)
    assert test.target(i) == pytest.approx(88.0 / 3.2)
    # targets map back to judged scores by multiplying the difficulty
    np.testing.assert_allclose(train.to_score(train.targets()), train.scores())
    assert test[i].features.shape == (10, 4)


def test_mtl_aqa_dive_code_phrases(tmp_path, shared_datasets):
    pytest.importorskip("vatp_core.phrases")
    root, _ = _mtl_features(tmp_path, shared_datasets)
    train = load_split("mtl", root, None, "test", annotations=shared_datasets / "mtl-aqa")
    i = train.names.index("01_01")
    assert train.samples[i].meta["dive_number"] == "407C"
    assert list(train.samples[i].phrases) == ["Inward", "3.5 Soms.Tuck", "0 Twist", "Entry"]
    assert all(len(s.phrases) == 4 for s in train.samples)  # including the codes with no somersault ('300B')
    feats, target, phrases, set_id = train[i]
    assert phrases.shape == (4, 768) and phrases.dtype == np.float32
    same = [j for j, s in enumerate(train.samples) if s.meta["dive_number"] == "407C"]
    other = next(j for j, s in enumerate(train.samples) if s.meta["dive_number"] != "407C")
    assert len({train.phrase_set_id(j) for j in same}) == 1
    assert train.phrase_set_id(other) != set_id


def _write_finefs(root, seed=0):
    rng = np.random.default_rng(seed)
    (root / "data" / "annotation").mkdir(parents=True)
    (root / "data" / "video_features").mkdir(parents=True)
    for i in range(1167):
        tes, pcs = float(rng.uniform(20, 110)), float(rng.uniform(20, 90))
        ann = {
            "total_element_score": round(tes, 2),
            "total_program_component_score(factored)": round(pcs, 2),
            "total_deductions": 0,
            "executed_element": {
                "1": {"element": "3Lz+3T", "coordinate": "0:22,0:27"},
                "2": {"element": "CCoSp4", "coordinate": "1:10,1:40"},
            },
        }
        (root / "data" / "annotation" / f"{i}.json").write_text(json.dumps(ann))
        with open(root / "data" / "video_features" / f"{i}.pkl", "wb") as fh:
            pickle.dump(rng.normal(size=(5, 6)).astype(np.float32), fh)
    return root


def test_finefs_published_layout(tmp_path):
    root = _write_finefs(tmp_path / "FineFS")
    sizes = {}
    for cls in dataset_spec("finefs").classes:
        tr = load_split("finefs", root, cls, "train")
        te = load_split("finefs", root, cls, "test")
        sizes[cls] = (len(tr), len(te))
        assert not set(tr.names) & set(te.names)
    assert sizes["SP-TES"] == (583, 146) and sizes["FS-PCS"] == (350, 88)
    sp = load_split("finefs", root / "data" / "video_features", "SP-PCS", "test")
    assert all(0 <= int(n) <= 728 for n in sp.names)
    ann = json.loads((root / "data" / "annotation" / f"{sp.names[0]}.json").read_text())
    assert sp.samples[0].score == pytest.approx(ann["total_program_component_score(factored)"])
    assert sp[0].features.shape == (5, 6)
    assert sp.samples[0].meta["elements"] == ["3Lz+3T", "CCoSp4"]
    assert finefs_split_ids("FS", "train") == finefs_split_ids("FS", "train")  # fixed, seeded


def test_generic_labels_csv_with_features(tmp_path):
    _write_npy(tmp_path, [f"r{i}" for i in range(10)])
    lines = ["file,score,difficulty,phrases"] + [f"r{i}.npy,{50 + i},2.0,run up; jump ;landing" for i in range(10)]
    (tmp_path / "labels.csv").write_text("\n".join(lines) + "\n")
    rows = read_labels_csv(tmp_path / "labels.csv")
    assert rows[0]["phrases"] == ("run up", "jump", "landing") and rows[0]["difficulty"] == 2.0
    train = load_split("generic", tmp_path, None, "train")
    test = load_split("generic", tmp_path, None, "test")
    assert (len(train), len(test)) == (8, 2) and not set(train.names) & set(test.names)
    div = load_split("generic", tmp_path, None, "all", difficulty_mode="divide")
    assert div.target(0) == pytest.approx(25.0)
    # an explicit split column wins
    lines = ["file,score,split"] + [f"r{i}.npy,{i},{'test' if i < 3 else 'train'}" for i in range(10)]
    (tmp_path / "labels.csv").write_text("\n".join(lines) + "\n")
    assert load_split("generic", tmp_path, None, "test").names == ["r0.npy", "r1.npy", "r2.npy"]


def test_generic_errors(tmp_path):
    (tmp_path / "labels.csv").write_text("name,score\na.npy,1\n")
    with pytest.raises(DatasetError, match="'file'"):
        load_split("generic", tmp_path, None, "train")
    (tmp_path / "labels.csv").write_text("file,score\na.npy,high\n")
    with pytest.raises(DatasetError, match="not a number"):
        load_split("generic", tmp_path, None, "train")
    (tmp_path / "labels.csv").write_text("file,score\na.npy,1\nb.npy,2\n")
    with pytest.raises(DatasetError, match="missing"):
        load_split("generic", tmp_path, None, "train")


def test_feature_files_of_every_kind(tmp_path):
    arr = np.arange(12, dtype=np.float32).reshape(3, 4)
    np.save(tmp_path / "a.npy", arr)
    np.savez(tmp_path / "b.npz", features=arr)
    with open(tmp_path / "c.pkl", "wb") as fh:
        pickle.dump({"features": arr.astype(np.float64)}, fh)
    np.save(tmp_path / "d.npy", np.stack([arr, arr + 2], axis=1))  # (T, crops, D) → averaged
    import torch

    torch.save(torch.from_numpy(arr), tmp_path / "e.pkl")  # FineFS-style .pkl written by torch (zip)
    torch.save(torch.from_numpy(arr), tmp_path / "f.pkl", _use_new_zipfile_serialization=False)  # legacy
    with open(tmp_path / "g.pkl", "wb") as fh:
        pickle.dump(3, fh)
    with pytest.raises(DatasetError, match="single number"):
        read_feature_file(tmp_path / "g.pkl")
    for name in ("a.npy", "b.npz", "c.pkl", "e.pkl", "f.pkl"):
        np.testing.assert_array_equal(read_feature_file(tmp_path / name), arr)
    np.testing.assert_array_equal(read_feature_file(tmp_path / "d.npy"), arr + 1)


def test_pickle_that_runs_code_is_refused(tmp_path):
    class Evil:
        def __reduce__(self):
            return (print, ("owned",))

    with open(tmp_path / "x.pkl", "wb") as fh:
        pickle.dump(Evil(), fh)
    with pytest.raises(DatasetError, match="refusing"):
        read_feature_file(tmp_path / "x.pkl")


def test_validation_split_is_seeded_and_disjoint(tmp_path):
    _write_npy(tmp_path, [f"r{i}" for i in range(20)])
    (tmp_path / "labels.csv").write_text("file,score\n" + "".join(f"r{i}.npy,{i}\n" for i in range(20)))
    ds = load_split("generic", tmp_path, None, "all")
    assert isinstance(ds, FeatureDataset)
    tr, va = ds.split_validation(0.25, seed=3)
    tr2, va2 = ds.split_validation(0.25, seed=3)
    assert va.names == va2.names and len(va) == 5 and len(tr) == 15
    assert not set(tr.names) & set(va.names)
