"""Model packs: save/load round trip, every malformed-pack case, installed packs and `vatp packs`."""

import hashlib
import json
import pickle
import zipfile
from pathlib import Path

import pytest
import torch

from vatp_core import paths
from vatp_core.model import VATPConfig, VATPNet
from vatp_core.pack import (
    PackError,
    PackManifest,
    install_pack,
    installed_packs,
    load_pack,
    remove_pack,
    resolve_pack,
    resolve_pack_path,
    save_pack,
)

CFG = dict(in_dim=256, hidden_dim=32, d_model=16, n_heads=2, ffn_dim=32, n_queries=3, text_dim=24, dropout=0.0)
PHRASES = ["Take-off", "Flight", "Entry"]


def tiny_model(preset="vatp", seed=0) -> VATPNet:
    torch.manual_seed(seed)
    return VATPNet(VATPConfig.preset(preset, **CFG)).eval()


def manifest_for(model: VATPNet, **overrides) -> PackManifest:
    values = dict(
        name="test-pack",
        backbone="tiny",
        protocol={"name": "generic", "clip_len": 16, "stride": 16},
        model_config=model.cfg.to_dict(),
        score_range=[0.0, 10.0],
        score_norm={"mean": 5.0, "std": 2.0},
        sport="diving",
        event="3m springboard",
        label="test pack — not for judging",
        not_for_judging=True,
        subaction_names=list(PHRASES),
        phrases=list(PHRASES),
        training={"data": "synthetic", "preset": "vatp", "epochs": 1, "seed": 0},
        metrics={"spearman": 0.5},
    )
    values.update(overrides)
    return PackManifest(**values)


def make_pack(tmp_path, name="pack", zip=False, **kw) -> tuple[Path, VATPNet]:
    model = tiny_model()
    torch.manual_seed(1)
    path = save_pack(
        tmp_path / (name + (".zip" if zip else "")),
        manifest_for(model),
        model,
        phrase_embeddings=torch.randn(3, 24),
        baseline_subactions=torch.randn(3, 16),
        **kw,
    )
    return path, model


def outputs(model, x, phrases):
    with torch.inference_mode():
        out = model(x, phrases=phrases)
    return out.mu, out.log_var, out.attention, out.text


@pytest.mark.parametrize("as_zip", [False, True])
def test_round_trip_gives_identical_outputs(tmp_path, as_zip):
    path, model = make_pack(tmp_path, zip=as_zip, extra_files={"README.md": "# test pack\n"})
    pack = load_pack(path)
    assert pack.manifest.name == "test-pack" and pack.manifest.phrases == PHRASES
    assert pack.manifest.tensors["phrase_embeddings"] == [3, 24]
    loaded = pack.build_model("cpu")
    assert not loaded.training
    torch.manual_seed(3)
    x = torch.randn(2, 7, 256)
    phr = pack.phrase_embeddings[None].expand(2, -1, -1)
    for a, b in zip(outputs(model, x, phr), outputs(loaded, x, phr)):
        assert torch.equal(a, b)
    assert pack.baseline_subactions.shape == (3, 16)
    assert pack.info()["name"] == "test-pack"


def test_backbone_ships_in_pack(tmp_path):
    model = tiny_model()
    backbone = {"conv.weight": torch.randn(4, 3, 3, 3, 3), "conv.bias": torch.zeros(4)}
    path = save_pack(
        tmp_path / "p", manifest_for(model), model, phrase_embeddings=torch.zeros(3, 24), backbone_state=backbone
    )
    pack = load_pack(path)
    from vatp_core.features import state_dict_hash

    assert pack.manifest.backbone_in_pack and pack.manifest.backbone_weights_hash == state_dict_hash(backbone)
    state = pack.backbone_state()
    assert set(state) == set(backbone) and torch.equal(state["conv.weight"], backbone["conv.weight"])
    assert all(not k.startswith("backbone.") for k in pack.model_state())


def test_training_summary_with_numpy_values_is_stored_as_plain_json(tmp_path):
    import numpy as np

    model = tiny_model()
    m = manifest_for(
        model,
        training={"epochs": np.int64(3), "loss": np.float32(0.5), "curve": np.arange(3)},
        metrics={"spearman": np.float64(0.9)},
    )
    pack = load_pack(save_pack(tmp_path / "p", m, model, phrase_embeddings=torch.zeros(3, 24)))
    assert pack.manifest.training == {"epochs": 3, "loss": 0.5, "curve": [0, 1, 2]}
    assert pack.manifest.metrics == {"spearman": 0.9}
    with pytest.raises(PackError, match="cannot be stored as JSON"):
        save_pack(
            tmp_path / "q", manifest_for(model, metrics={"x": object()}), model, phrase_embeddings=torch.zeros(3, 24)
        )


def test_mlp_preset_pack_without_subactions(tmp_path):
    model = tiny_model("mlp")
    path = save_pack(tmp_path / "mlp", manifest_for(model, subaction_names=[], phrases=[]), model)
    pack = load_pack(path)
    assert pack.baseline_subactions is None and pack.phrase_embeddings is None
    x = torch.randn(1, 5, 256)
    assert torch.equal(pack.build_model().eval()(x).mu, model(x).mu)


# ------------------------------------------------------------------------------------ malformed packs
def rewrite_manifest(path: Path, change) -> None:
    data = json.loads((path / "manifest.json").read_text())
    change(data)
    (path / "manifest.json").write_text(json.dumps(data))


@pytest.mark.parametrize(
    "change, needle",
    [
        (lambda d: d.pop("backbone"), "missing field 'backbone'"),
        (lambda d: d.pop("model_config"), "missing field 'model_config'"),
        (lambda d: d.pop("format_version"), "missing field 'format_version'"),
        (lambda d: d.update(format_version=7), "format version 7 is newer"),
        (lambda d: d.update(format_version="1"), "positive integer"),
        (lambda d: d.update(difficulty="multiply"), "'difficulty' must be one of"),
        (lambda d: d.update(score_range=[10, 0]), "score_range"),
        (lambda d: d.update(score_norm={"mean": 0, "std": 0}), "score_norm"),
        (lambda d: d.update(name=5), "'name' must be a string"),
        (lambda d: d["model_config"].update(d_model=32), "shape mismatch"),
        (lambda d: d["model_config"].update(n_blocks=3), "missing for the manifest's model_config"),
        (lambda d: d["model_config"].update(n_blocks=1), "does not belong to the manifest's model_config"),
        (lambda d: d["model_config"].update(bogus=1), "invalid model_config"),
        (lambda d: d["tensors"].update({"model.score_head.mu.bias": [2]}), "manifest says"),
        (lambda d: d.update(phrases=["a", "b"]), "phrase_embeddings is [3, 24], expected [2, 24]"),
        (lambda d: d.update(subaction_names=["a"]), "subaction_names"),
        (lambda d: d.update(weights_sha256="0" * 64), "checksum"),
        (lambda d: d.update(backbone_in_pack=True), "backbone ships in the pack"),
        (lambda d: d["files"].update({"notes.txt": "0" * 64}), "does not contain it"),
        (lambda d: d["files"].update({"hook.py": "0" * 64}), "not allowed"),
        (lambda d: d.update(difficulty_table={"407C": -1}), "difficulty_table"),
        (lambda d: d.update(backbone="resnet9000"), "resnet9000"),
        (lambda d: d.update(backbone="i3d"), "gives 1024-d features but model_config expects in_dim 256"),
        (lambda d: d.update(protocol={"name": "generic", "clip_len": 0, "stride": 16}), "invalid clip protocol"),
    ],
)
def test_bad_manifest(tmp_path, change, needle):
    path, _ = make_pack(tmp_path)
    rewrite_manifest(path, change)
    with pytest.raises(PackError, match=_re(needle)):
        load_pack(path)


def _re(s: str) -> str:
    import re

    return re.escape(s)


def test_manifest_not_json_or_absent(tmp_path):
    path, _ = make_pack(tmp_path)
    (path / "manifest.json").write_bytes(pickle.dumps({"name": "x"}))
    with pytest.raises(PackError, match="not JSON.*pickle"):
        load_pack(path)
    (path / "manifest.json").unlink()
    with pytest.raises(PackError, match="no manifest.json"):
        load_pack(path)
    with pytest.raises(PackError, match="not found"):
        load_pack(tmp_path / "nowhere")


def _set_weights(path: Path, blob: bytes) -> None:
    (path / "weights.safetensors").write_bytes(blob)
    rewrite_manifest(path, lambda d: d.update(weights_sha256=hashlib.sha256(blob).hexdigest()))


def test_weights_that_are_a_pickle_or_checkpoint_are_refused_without_unpickling(tmp_path):
    path, model = make_pack(tmp_path)

    class Boom:  # would run code if anything unpickled it
        def __reduce__(self):
            return (Path(tmp_path / "pwned").touch, ())

    _set_weights(path, pickle.dumps(Boom()))
    with pytest.raises(PackError, match="pickle"):
        load_pack(path)
    assert not (tmp_path / "pwned").exists()

    torch.save(model.state_dict(), tmp_path / "ckpt.pt")
    _set_weights(path, (tmp_path / "ckpt.pt").read_bytes())
    with pytest.raises(PackError, match="torch.save checkpoint"):
        load_pack(path)

    _set_weights(path, b"\x10\x00\x00\x00\x00\x00\x00\x00not json at all!")
    with pytest.raises(PackError, match="not a safetensors file"):
        load_pack(path)


def test_truncated_or_tampered_weights(tmp_path):
    path, _ = make_pack(tmp_path)
    blob = (path / "weights.safetensors").read_bytes()
    (path / "weights.safetensors").write_bytes(blob[:-4])
    with pytest.raises(PackError, match="truncated"):
        load_pack(path)
    tampered = bytearray(blob)
    tampered[-1] ^= 0xFF
    (path / "weights.safetensors").write_bytes(bytes(tampered))
    with pytest.raises(PackError, match="checksum"):
        load_pack(path)
    (path / "weights.safetensors").unlink()
    with pytest.raises(PackError, match="no weights.safetensors"):
        load_pack(path)


def test_unexpected_files_in_folder(tmp_path):
    path, _ = make_pack(tmp_path)
    (path / "setup.py").write_text("import os\n")
    with pytest.raises(PackError, match="unexpected file 'setup.py'"):
        load_pack(path)
    (path / "setup.py").unlink()
    (path / "extra.pkl").write_bytes(pickle.dumps([1]))
    with pytest.raises(PackError, match="extra.pkl.*pickle"):
        load_pack(path)
    (path / "extra.pkl").unlink()
    (path / "sub").mkdir()
    with pytest.raises(PackError, match="unexpected folder"):
        load_pack(path)
    (path / "sub").rmdir()
    (path / "link.md").symlink_to(path / "manifest.json")
    with pytest.raises(PackError, match="symbolic link"):
        load_pack(path)


def test_listed_extra_file_that_is_really_an_executable(tmp_path):
    model = tiny_model()
    path = save_pack(
        tmp_path / "p",
        manifest_for(model),
        model,
        phrase_embeddings=torch.zeros(3, 24),
        extra_files={"notes.txt": b"\x7fELF\x02\x01\x01 pretend binary"},
    )
    with pytest.raises(PackError, match="executable"):
        load_pack(path)


def _zip_with(path: Path, src: Path, extra: dict[str, bytes], exec_name: str | None = None) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for f in src.iterdir():
            zf.write(f, f.name)
        for name, data in extra.items():
            info = zipfile.ZipInfo(name)
            if name == exec_name:
                info.external_attr = 0o100755 << 16
            zf.writestr(info, data)
    return path


def test_zip_path_traversal_and_executables_refused(tmp_path):
    folder, _ = make_pack(tmp_path)
    for name in ("../evil.md", "/etc/evil.md", "..\\evil.md", "C:/evil.md"):
        z = _zip_with(tmp_path / "bad.zip", folder, {name: b"x"})
        with pytest.raises(PackError, match="unsafe path"):
            load_pack(z)
    z = _zip_with(tmp_path / "exec.zip", folder, {"run.md": b"#!/bin/sh\n"}, exec_name="run.md")
    with pytest.raises(PackError, match="executable"):
        load_pack(z)
    z = _zip_with(tmp_path / "extra.zip", folder, {"payload.pkl": pickle.dumps(1)})
    with pytest.raises(PackError, match="unexpected file 'payload.pkl'"):
        load_pack(z)
    (tmp_path / "notzip.zip").write_bytes(pickle.dumps(1))
    with pytest.raises(PackError, match="not a model pack"):
        load_pack(tmp_path / "notzip.zip")


def test_zip_of_a_pack_folder_loads(tmp_path):
    folder, model = make_pack(tmp_path)
    z = tmp_path / "wrapped.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for f in folder.iterdir():
            zf.write(f, f"mypack/{f.name}")
    assert load_pack(z).manifest.weights_sha256 == load_pack(folder).manifest.weights_sha256


# ------------------------------------------------------------------------------------ installed packs
def test_install_list_remove_and_resolve(tmp_path, vatp_home):
    z, _ = make_pack(tmp_path, zip=True)
    pack = install_pack(z)
    assert pack.path.parent == paths.packs_dir() and pack.path.is_dir()
    assert [i.name for i in installed_packs()] == ["test-pack"]
    with pytest.raises(PackError, match="already installed"):
        install_pack(z)
    assert install_pack(z, replace=True).name == "test-pack"
    assert resolve_pack("test-pack").manifest.name == "test-pack"
    assert resolve_pack(str(z)).path == z
    with pytest.raises(PackError, match="installed: test-pack"):
        resolve_pack("nope")
    # default pack from the settings
    from vatp_core.settings import load_settings, save_settings

    s = load_settings()
    s.default_pack = "test-pack"
    save_settings(s)
    assert resolve_pack_path(None) == pack.path
    remove_pack("test-pack")
    assert installed_packs() == []
    with pytest.raises(PackError, match="No installed pack"):
        remove_pack("test-pack")


def test_damaged_install_is_listed_with_its_error(vatp_home):
    bad = paths.packs_dir() / "broken"
    bad.mkdir()
    (bad / "manifest.json").write_text("{}")
    (info,) = installed_packs()
    assert not info.ok and "missing field" in info.error


def test_resolve_none_falls_back_to_demo_pack(tmp_path, monkeypatch):
    folder, _ = make_pack(tmp_path)
    monkeypatch.setattr(paths, "demo_pack_path", lambda: folder)
    assert resolve_pack_path(None) == folder
    assert resolve_pack(None).manifest.name == "test-pack"


def test_packs_cli(tmp_path, capsys):
    from vatp_core.cli import main

    folder, _ = make_pack(tmp_path)
    assert main(["packs", "list"]) == 0
    assert "no packs installed" in capsys.readouterr().out.lower()
    assert main(["packs", "install", str(folder)]) == 0
    assert "test-pack" in capsys.readouterr().out
    assert main(["packs", "list"]) == 0
    out = capsys.readouterr().out
    assert "test-pack" in out and "diving" in out
    assert main(["packs", "show", "test-pack"]) == 0
    assert "weights_sha256" in capsys.readouterr().out
    assert main(["packs", "remove", "test-pack"]) == 0
    assert main(["packs", "remove", "test-pack"]) == 2
    assert "No installed pack" in capsys.readouterr().err
    (tmp_path / "junk.zip").write_bytes(b"junk")
    assert main(["packs", "install", str(tmp_path / "junk.zip")]) == 2
