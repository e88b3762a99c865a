"""Trainer: determinism, resumption, model selection, batching, text losses, difficulty, packs."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from vatp_core.datasets import load_split
from vatp_core.datasets.synthetic_features import SyntheticSpec, write_synthetic_rg
from vatp_core.errors import Cancelled
from vatp_core.model import VATPConfig
from vatp_core.training import TrainConfig, predict, save_trained_pack, train_model
from vatp_core.training.batching import make_batch
from vatp_core.training.checkpoints import CheckpointError

SMALL = dict(hidden_dim=32, d_model=32, n_heads=4, ffn_dim=64)


@pytest.fixture(scope="module")
def rg_small(tmp_path_factory):
    root = tmp_path_factory.mktemp("rg_small")
    write_synthetic_rg(
        root, classes=("Ball",), n_train=24, n_test=10, spec=SyntheticSpec(dim=32, clips=(14, 22), seed=1)
    )
    return root


def _sets(root):
    return load_split("rg", root, "Ball", "train"), load_split("rg", root, "Ball", "test")


def _tc(**kw):
    base = dict(epochs=3, batch_size=8, seed=0, device="cpu", train_crop=12, num_threads=1)
    base.update(kw)
    return TrainConfig(**base)


def test_same_seed_same_metrics(rg_small):
    train, test = _sets(rg_small)
    cfg = VATPConfig.preset("te+pd", **SMALL)
    a = train_model(train, test, cfg, _tc())
    b = train_model(train, test, cfg, _tc())
    assert [h.loss for h in a.history] == [h.loss for h in b.history]
    assert [h.val_spearman for h in a.history] == [h.val_spearman for h in b.history]
    pa = predict(a.model, test, score_norm=a.score_norm)
    pb = predict(b.model, test, score_norm=b.score_norm)
    np.testing.assert_array_equal(pa.pred, pb.pred)
    c = train_model(train, test, cfg, _tc(seed=1))
    assert [h.loss for h in c.history] != [h.loss for h in a.history]


def test_interrupted_run_resumes_to_the_same_result(rg_small, tmp_path):
    train, test = _sets(rg_small)
    cfg = VATPConfig.preset("te+pd", **SMALL)
    full = train_model(train, test, cfg, _tc(epochs=4, checkpoint_dir=str(tmp_path / "a")))

    stop = {"now": False}

    def after_epoch(e):
        if e.epoch == 2:
            stop["now"] = True

    with pytest.raises(Cancelled):
        train_model(
            train,
            test,
            cfg,
            _tc(epochs=4, checkpoint_dir=str(tmp_path / "b")),
            cancel=lambda: stop["now"],
            on_epoch=after_epoch,
        )
    assert (tmp_path / "b" / "checkpoint.pt").is_file()
    resumed = train_model(train, test, cfg, _tc(epochs=4, checkpoint_dir=str(tmp_path / "b")))
    assert resumed.resumed_from_epoch == 2
    assert [h.loss for h in resumed.history] == [h.loss for h in full.history]
    assert resumed.best_epoch == full.best_epoch
    np.testing.assert_array_equal(
        predict(resumed.model, test, score_norm=resumed.score_norm).pred,
        predict(full.model, test, score_norm=full.score_norm).pred,
    )
    # a checkpoint from another run (different learning rate) is refused, not silently mixed in
    with pytest.raises(CheckpointError, match="different run"):
        train_model(train, test, cfg, _tc(epochs=4, lr=5e-4, checkpoint_dir=str(tmp_path / "b")))
    with pytest.raises(CheckpointError, match="past the 3 epochs"):
        train_model(train, test, cfg, _tc(epochs=3, checkpoint_dir=str(tmp_path / "b")))
    # the checkpoint holds only tensors and plain values: it loads with weights_only=True
    state = torch.load(tmp_path / "b" / "checkpoint.pt", weights_only=True)
    assert state["epoch"] == 4


def test_model_selection_best_and_val(rg_small):
    train, test = _sets(rg_small)
    cfg = VATPConfig.preset("te", **SMALL)
    r = train_model(train, test, cfg, _tc(epochs=4))
    vals = [h.val_spearman for h in r.history]
    assert r.selection == "best_test" and "test set" in r.selection_text
    assert r.best_epoch == 1 + int(np.argmax(vals))
    assert r.val_metrics["spearman"] == pytest.approx(max(vals))
    # the selected weights are the ones restored
    p = predict(r.model, test, score_norm=r.score_norm)
    from vatp_core.metrics import spearman

    assert spearman(p.pred, p.true) == pytest.approx(max(vals))

    tr, va = train.split_validation(0.25, seed=0)
    assert not set(va.names) & set(test.names) and not set(va.names) & set(tr.names)
    rv = train_model(tr, va, cfg, _tc(epochs=2, selection="val"))
    assert "validation" in rv.selection_text
    last = train_model(train, None, cfg, _tc(epochs=2, selection="last"))
    assert last.best_epoch == 2 and last.val_metrics is None
    with pytest.raises(Exception, match="needs a set"):
        train_model(train, None, cfg, _tc(epochs=1, selection="val"))


def test_selection_by_squared_error_keeps_the_epoch_of_least_mse_and_resumes(rg_small, tmp_path):
    """select_by="mse" (what `vatp train` uses) keeps the epoch of least selection-set MSE, not of best Spearman;
    its checkpoint resumes to the same choice, and a checkpoint written before select_by existed still resumes."""
    from vatp_core.training.checkpoints import checkpoint_path, load_checkpoint, save_checkpoint

    train, test = _sets(rg_small)
    cfg = VATPConfig.preset("te", **SMALL)
    by_mse = train_model(train, test, cfg, _tc(epochs=10, lr=1e-2, select_by="mse"))
    by_rho = train_model(train, test, cfg, _tc(epochs=10, lr=1e-2))
    rl2 = [h.val_rl2 for h in by_mse.history]  # R-l2 is the MSE over a constant: the same order
    rho = [h.val_spearman for h in by_rho.history]
    assert by_mse.best_epoch == 1 + int(np.argmin(rl2)) and "least squared error" in by_mse.selection_text
    assert by_rho.best_epoch == 1 + int(np.argmax(rho))
    assert by_mse.best_epoch != by_rho.best_epoch  # the data make the two choices differ: the test sees the switch
    p = predict(by_mse.model, test, score_norm=by_mse.score_norm)
    assert float(np.mean((p.pred - p.true) ** 2)) == pytest.approx(by_mse.val_metrics["mse"], rel=1e-5)

    stop = {"now": False}

    def cancel():
        return stop["now"]

    def after_epoch(e):
        stop["now"] = e.epoch == 5

    folder = tmp_path / "mse"
    with pytest.raises(Cancelled):
        train_model(train, test, cfg, _tc(epochs=10, lr=1e-2, select_by="mse", checkpoint_dir=str(folder)),
                    cancel=cancel, on_epoch=after_epoch)  # fmt: skip
    stop["now"] = False
    resumed = train_model(
        train, test, cfg, _tc(epochs=10, lr=1e-2, select_by="mse", checkpoint_dir=str(folder)), cancel=cancel
    )
    assert resumed.resumed_from_epoch >= 5 and resumed.best_epoch == by_mse.best_epoch
    with pytest.raises(CheckpointError):  # the same folder under the other criterion is another run
        train_model(train, test, cfg, _tc(epochs=10, lr=1e-2, checkpoint_dir=str(folder)))

    old = tmp_path / "old"  # a Spearman run's checkpoint as earlier versions wrote it: no best_value, same fingerprint
    train_model(train, test, cfg, _tc(epochs=3, lr=1e-2, checkpoint_dir=str(old)))
    state = load_checkpoint(checkpoint_path(old))
    del state["best_value"]
    save_checkpoint(checkpoint_path(old), state)
    again = train_model(train, test, cfg, _tc(epochs=10, lr=1e-2, checkpoint_dir=str(old)))
    assert again.resumed_from_epoch == 3 and again.best_epoch == by_rho.best_epoch


def test_batches_pad_mask_and_crop(rg_small):
    train, _ = _sets(rg_small)
    lengths = [train[i].features.shape[0] for i in range(4)]
    b = make_batch(train, range(4))
    assert b.features.shape == (4, max(lengths), 32)
    assert b.mask.sum(dim=1).tolist() == lengths
    for i, n in enumerate(lengths):
        assert torch.all(b.features[i, n:] == 0)
        torch.testing.assert_close(b.features[i, :n], torch.from_numpy(train[i].features))
    g = torch.Generator().manual_seed(0)
    c = make_batch(train, range(4), crop=10, generator=g, norm=(10.0, 2.0))
    assert c.features.shape[1] == 10 and bool(c.mask.all())
    assert c.target[0].item() == pytest.approx((train.target(0) - 10.0) / 2.0)
    # the crop is a contiguous window of the original sequence
    full = torch.from_numpy(train[0].features)
    assert any(torch.equal(full[s : s + 10], c.features[0]) for s in range(full.shape[0] - 9))


def _generic(tmp_path, n=16, dim=32, phrases=True, difficulty=False, seed=0):
    rng = np.random.default_rng(seed)
    rows = ["file,score,difficulty,phrases"]
    for i in range(n):
        t = int(rng.integers(8, 14))
        feats = rng.normal(size=(t, dim)).astype(np.float32)
        q = float(rng.uniform(0, 1))
        feats[: t // 2] += q
        np.save(tmp_path / f"r{i}.npy", feats)
        dd = round(float(rng.uniform(1.5, 3.5)), 1)
        ph = "approach;take-off;flight;entry" if i % 2 else "approach;hurdle;flight;entry"
        rows.append(f"r{i}.npy,{(50 + 30 * q) * (dd if difficulty else 1):.2f},{dd},{ph if phrases else ''}")
    (tmp_path / "labels.csv").write_text("\n".join(rows) + "\n")
    return tmp_path


def test_text_losses_train_with_phrases(tmp_path):
    pytest.importorskip("vatp_core.phrases")
    folder = _generic(tmp_path)
    ds = load_split("generic", folder, None, "all")
    assert ds.has_phrases and ds[1].phrases.shape == (4, 768)
    r = train_model(ds, None, VATPConfig.preset("vatp", **SMALL), _tc(epochs=1, selection="last"))
    assert r.cfg.use_text and r.history[0].alg > 0 and r.history[0].gc > 0
    # without phrases the text branch is switched off, and says so
    (tmp_path / "np").mkdir()
    ds2 = load_split("generic", _generic(tmp_path / "np", phrases=False), None, "all")
    r2 = train_model(ds2, None, VATPConfig.preset("vatp", **SMALL), _tc(epochs=1, selection="last"))
    assert not r2.cfg.use_text and any("no sub-action phrases" in n for n in r2.notes)


def test_difficulty_divide_predicts_score_over_dd(tmp_path):
    folder = _generic(tmp_path, difficulty=True, phrases=False)
    ds = load_split("generic", folder, None, "all", difficulty_mode="divide")
    r = train_model(ds, None, VATPConfig.preset("te", **SMALL), _tc(epochs=1, selection="last"))
    assert r.score_norm["mean"] == pytest.approx(ds.targets().mean())  # normalised on score ÷ DD
    p = predict(r.model, ds, score_norm=r.score_norm)
    raw = predict(r.model, replace_mode(ds), score_norm=r.score_norm)
    np.testing.assert_allclose(p.pred, raw.pred * ds.difficulties())


def replace_mode(ds):
    """The same samples read without difficulty division (the model's raw ÷DD output)."""
    from vatp_core.datasets.base import FeatureDataset

    return FeatureDataset(ds.samples, dataset="generic", cls=ds.cls, split=ds.split, score_range=ds.score_range)


def test_trained_pack_round_trip(tmp_path):
    from vatp_core.pack import PackError, load_pack
    from vatp_core.training import predict_with_pack

    folder = _generic(tmp_path, dim=256, phrases=True)
    ds = load_split("generic", folder, None, "all", backbone="tiny")
    r = train_model(ds, None, VATPConfig.preset("vatp", **SMALL), _tc(epochs=1, selection="last"))
    path = save_trained_pack(
        tmp_path / "pack",
        r,
        ds,
        name="club-test",
        backbone="tiny",
        test_metrics={"spearman": 0.5, "rl2": 1.0, "mse": 2.0, "n": 16},
    )
    pack = load_pack(path)
    m = pack.manifest
    assert m.backbone == "tiny" and m.training["preset"] == "vatp" and m.training["dataset"] == "generic"
    assert m.training["selection"] == "last" and m.training["split"]["n_train"] == 16
    assert m.metrics["test"]["spearman"] == 0.5 and m.score_norm == pytest.approx(r.score_norm)
    # the routine's sub-action names, in routine order (scoring names the k-th sub-action in time with the k-th)
    assert m.subaction_names == ["approach", "hurdle", "flight", "entry"]
    assert m.phrases == ["approach", "hurdle", "flight", "entry"]  # the routine template, in order
    assert pack.phrase_embeddings.shape == (4, 768)
    assert pack.baseline_subactions.shape == (4, 32)
    np.testing.assert_allclose(
        predict_with_pack(pack, ds, device="cpu").pred, predict(r.model, ds, score_norm=r.score_norm).pred, rtol=1e-5
    )
    (tmp_path / "s").mkdir()
    small = load_split("generic", _generic(tmp_path / "s", dim=32), None, "all", backbone="swin3d_b")
    r2 = train_model(small, None, VATPConfig.preset("te", **SMALL), _tc(epochs=1, selection="last"))
    with pytest.raises(PackError, match="1024-d"):
        save_trained_pack(tmp_path / "bad", r2, small)


@pytest.mark.gpu
def test_cuda_mixed_precision_training_and_resume(rg_small, tmp_path):
    train, test = _sets(rg_small)
    cfg = VATPConfig.preset("te+pd", **SMALL)
    r = train_model(train, test, cfg, _tc(device="cuda", epochs=2, checkpoint_dir=str(tmp_path / "c")))
    assert r.device.startswith("cuda") and all(np.isfinite(h.loss) for h in r.history)
    assert next(r.model.parameters()).dtype == torch.float32  # AMP keeps float32 master weights
    r2 = train_model(train, test, cfg, _tc(device="cuda", epochs=3, checkpoint_dir=str(tmp_path / "c")))
    assert r2.resumed_from_epoch == 2 and len(r2.history) == 3


def test_fine_tune_from_a_pack(tmp_path):
    """The paper's RG/Fis-V/FineFS protocol: start from a ParseFormer trained with text, fine-tune without."""
    pytest.importorskip("vatp_core.phrases")
    folder = _generic(tmp_path, dim=256, phrases=True)
    with_text = load_split("generic", folder, None, "all", backbone="tiny")
    src = train_model(with_text, None, VATPConfig.preset("vatp", **SMALL), _tc(epochs=1, selection="last"))
    pack = save_trained_pack(tmp_path / "src", src, with_text, backbone="tiny")
    (tmp_path / "nt").mkdir()
    no_text = load_split(
        "generic", _generic(tmp_path / "nt", dim=256, phrases=False, seed=3), None, "all", backbone="tiny"
    )
    r = train_model(
        no_text,
        None,
        VATPConfig.preset("vatp", **SMALL),
        _tc(epochs=1, selection="last", lr=1e-12, init_from=str(pack)),
    )
    assert any(n.startswith("initialised from pack") and "parseformer" in n for n in r.notes)
    assert not r.cfg.use_text  # fine-tuned without text; the text branch's weights were not needed
    src_state, new_state = src.model.state_dict(), r.model.state_dict()
    keys = [k for k in new_state if k.startswith("parseformer.")]
    assert keys
    for k in keys:
        torch.testing.assert_close(new_state[k], src_state[k], atol=1e-6, rtol=0)
