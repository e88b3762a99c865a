"""Weights manager: verified import round trips, tampered files refused, official Swin-B conversion, offline errors."""

from __future__ import annotations

import hashlib
import http.server
import json
import socket
import threading
import time
from pathlib import Path

import pytest
import torch

from vatp_core import paths
from vatp_core.cli import main as cli_main
from vatp_core.features import checkpoints, known_weights, load_backbone
from vatp_core.features import weights as wm
from vatp_core.features.backbones import build_backbone_module

torch.set_num_threads(2)


def torchvision_style_file(folder: Path, stem: str, state: dict) -> Path:
    """Save like torchvision's hub files: ``<stem>-<first 8 hex of SHA-256>.pth``."""
    tmp = folder / f"{stem}.tmp"
    torch.save(state, tmp)
    digest = hashlib.sha256(tmp.read_bytes()).hexdigest()
    final = folder / f"{stem}-{digest[:8]}.pth"
    tmp.rename(final)
    return final


def full_torchvision_state(name: str, seed: int = 0) -> dict:
    """A state dict as torchvision's file has it (with the classifier head), random weights."""
    from torchvision.models import video as tv_video

    from vatp_core.features.backbones import _recompute_derived_buffers

    torch.manual_seed(seed)
    if name.startswith("swin3d_"):
        # torchvision's own initialisation of a Swin takes seconds; random normal values do as well here
        with torch.device("meta"):
            model = getattr(tv_video, name)(weights=None)
        model = model.to_empty(device="cpu")
        _recompute_derived_buffers(model)
        with torch.no_grad():
            for p in model.parameters():
                p.normal_(0.0, 0.02)
        return model.state_dict()
    return build_backbone_module(name).state_dict()


def _probe(name: str) -> torch.Tensor:
    g = torch.Generator().manual_seed(1)
    shape = {"tiny": (1, 3, 16, 112, 112), "i3d": (1, 3, 16, 64, 64)}.get(name, (1, 3, 4, 64, 64))
    return torch.randn(*shape, generator=g)


@pytest.mark.parametrize("name", ["tiny", "i3d", "swin3d_t"])
def test_import_round_trip_with_verified_hash(name, tmp_path, vatp_home):
    state = full_torchvision_state(name)
    src = torchvision_style_file(tmp_path, name, state)
    item = wm.import_weights(src)
    assert item.backbone == name
    assert item.source_sha256 == hashlib.sha256(src.read_bytes()).hexdigest()
    assert item.path.parent == paths.weights_dir() and item.path.is_file()
    assert item.path.read_bytes() == src.read_bytes()  # a plain copy
    sidecar = json.loads(item.path.with_name(item.path.name + ".json").read_text())
    assert sidecar["state_hash"] == item.state_hash

    loaded = load_backbone(name, device="cpu")  # found by the manager, no path given
    assert loaded.weights_hash == item.state_hash
    reference = build_backbone_module(name, init=False)
    reference.load_state_dict({k: v for k, v in state.items() if not k.startswith("head.")})
    x = _probe(name)
    with torch.inference_mode():
        torch.testing.assert_close(loaded.module(x), reference.eval()(x))
    # the pack route: the same hash asked for explicitly
    assert load_backbone(name, device="cpu", weights_hash=item.state_hash).weights_hash == item.state_hash


@pytest.mark.slow
@pytest.mark.parametrize("name", ["swin3d_s", "swin3d_b"])
def test_import_round_trip_big_swins(name, tmp_path):
    src = torchvision_style_file(tmp_path, name, full_torchvision_state(name))
    item = wm.import_weights(src)
    assert item.backbone == name
    assert load_backbone(name, device="cpu").weights_hash == item.state_hash


def test_tampered_file_is_refused(tmp_path):
    src = torchvision_style_file(tmp_path, "tiny", full_torchvision_state("tiny"))
    data = bytearray(src.read_bytes())
    data[len(data) // 2] ^= 0xFF
    src.write_bytes(bytes(data))
    with pytest.raises(wm.WeightsVerificationError, match="SHA-256"):
        wm.import_weights(src)
    assert wm.list_installed() == []
    assert not any(paths.weights_dir().iterdir())


def test_known_name_with_other_content_is_refused(tmp_path):
    fake = tmp_path / "swin3d_t-7615ae03.pth"  # torchvision's published name, but not its bytes
    torch.save(full_torchvision_state("tiny"), fake)
    with pytest.raises(wm.WeightsVerificationError, match="7615ae03"):
        wm.import_weights(fake)


class NotATensor:
    def __init__(self):
        self.payload = "anything"


def test_checkpoint_with_objects_is_refused_by_weights_only(tmp_path):
    path = tmp_path / "tiny_custom.pth"
    torch.save({"state_dict": full_torchvision_state("tiny"), "extra": NotATensor()}, path)
    with pytest.raises(wm.WeightsVerificationError, match="not a plain tensor file") as err:
        wm.import_weights(path, backbone="tiny")
    assert "weights_only=False" not in str(err.value)


def test_installed_file_changed_after_import_is_refused(tmp_path):
    item = wm.import_weights(torchvision_style_file(tmp_path, "tiny", full_torchvision_state("tiny")))
    data = bytearray(item.path.read_bytes())
    data[-100] ^= 0x01
    item.path.write_bytes(bytes(data))
    with pytest.raises(wm.WeightsVerificationError, match="changed since"):
        load_backbone("tiny", device="cpu")


def test_wrong_backbone_is_refused_clearly(tmp_path):
    src = torchvision_style_file(tmp_path, "tiny", full_torchvision_state("tiny"))
    with pytest.raises(Exception, match="do not fit the i3d backbone"):
        wm.import_weights(src, backbone="i3d")


# --------------------------------------------------------------------- official Video Swin checkpoints


def official_video_swin(tv_state: dict, depths: tuple[int, ...], n_classes: int = 600) -> dict:
    """Write a torchvision Swin state in the official Video Swin (mmaction2) naming, by the official layout:
    backbone.patch_embed.*, backbone.layers.{i}.blocks.{j}.{norm1, attn.*, norm2, mlp.fc1, mlp.fc2},
    backbone.layers.{i}.downsample.{reduction, norm}, backbone.norm.*, cls_head.fc_cls.*"""
    out = {}
    for part in ("proj.weight", "proj.bias", "norm.weight", "norm.bias"):
        out[f"backbone.patch_embed.{part}"] = tv_state[f"patch_embed.{part}"]
    for i, depth in enumerate(depths):
        for j in range(depth):
            tv = f"features.{2 * i}.{j}"
            off = f"backbone.layers.{i}.blocks.{j}"
            for part in (
                "norm1.weight",
                "norm1.bias",
                "attn.relative_position_bias_table",
                "attn.relative_position_index",
                "attn.qkv.weight",
                "attn.qkv.bias",
                "attn.proj.weight",
                "attn.proj.bias",
                "norm2.weight",
                "norm2.bias",
            ):
                out[f"{off}.{part}"] = tv_state[f"{tv}.{part}"]
            out[f"{off}.mlp.fc1.weight"] = tv_state[f"{tv}.mlp.0.weight"]
            out[f"{off}.mlp.fc1.bias"] = tv_state[f"{tv}.mlp.0.bias"]
            out[f"{off}.mlp.fc2.weight"] = tv_state[f"{tv}.mlp.3.weight"]
            out[f"{off}.mlp.fc2.bias"] = tv_state[f"{tv}.mlp.3.bias"]
        if i < len(depths) - 1:
            for part in ("reduction.weight", "norm.weight", "norm.bias"):
                out[f"backbone.layers.{i}.downsample.{part}"] = tv_state[f"features.{2 * i + 1}.{part}"]
    out["backbone.norm.weight"] = tv_state["norm.weight"]
    out["backbone.norm.bias"] = tv_state["norm.bias"]
    dim = tv_state["norm.weight"].shape[0]
    out["cls_head.fc_cls.weight"] = torch.randn(n_classes, dim) * 0.01
    out["cls_head.fc_cls.bias"] = torch.zeros(n_classes)
    return out


def test_official_key_names_map_to_torchvision():
    fake = {
        k: torch.zeros(1)
        for k in (
            "backbone.patch_embed.proj.weight",
            "backbone.layers.0.blocks.0.attn.relative_position_bias_table",
            "backbone.layers.0.downsample.reduction.weight",
            "backbone.layers.2.blocks.17.mlp.fc2.bias",
            "backbone.layers.3.blocks.1.mlp.fc1.weight",
            "backbone.norm.weight",
            "cls_head.fc_cls.weight",
        )
    }
    converted, rest = checkpoints.convert_official_video_swin(fake)
    assert set(converted) == {
        "patch_embed.proj.weight",
        "features.0.0.attn.relative_position_bias_table",
        "features.1.reduction.weight",
        "features.4.17.mlp.3.bias",
        "features.6.1.mlp.0.weight",
        "norm.weight",
    }
    assert set(rest) == {"cls_head.fc_cls.weight"}


def _check_official_import(name: str, depths: tuple[int, ...], tmp_path: Path, filename: str):
    tv_state = full_torchvision_state(name, seed=5)
    import numpy as np

    ckpt = {
        "meta": {
            "epoch": 30,
            "mmaction_version": "0.x",
            "config": "window_size=(8, 7, 7)",
            "hook_msgs": {"best_score": np.float64(0.81), "history": np.arange(3)},
        },
        "state_dict": official_video_swin(tv_state, depths),
    }
    src = tmp_path / filename
    torch.save(ckpt, src)
    item = wm.import_weights(src)
    assert item.backbone == name
    assert item.path.suffix == ".safetensors" and item.original_name == filename
    loaded = load_backbone(name, device="cpu", weights_hash=item.state_hash)
    got = loaded.module.state_dict()
    for key, value in tv_state.items():
        if not key.startswith("head."):
            torch.testing.assert_close(got[key], value, msg=key)
    return item


def test_official_video_swin_layout_imports_into_torchvision_t(tmp_path):
    """The same conversion on a small (Swin-T sized) checkpoint with official names: fast."""
    _check_official_import("swin3d_t", (2, 2, 6, 2), tmp_path, "swin_tiny_patch244_window877_kinetics400_1k.pth")


@pytest.mark.slow
def test_official_swin_b_k600_checkpoint_imports_into_swin3d_b(tmp_path):
    item = _check_official_import(
        "swin3d_b", (2, 2, 18, 2), tmp_path, "swin_base_patch244_window877_kinetics600_22k.pth"
    )
    assert item.id == "swin3d_b-k600-official"
    assert wm.find_installed("swin3d_b", weights_id="swin3d_b-k600-official").path == item.path


# --------------------------------------------------------------------------- downloads and offline


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_download_offline_fails_fast_with_the_import_route():
    start = time.monotonic()
    with pytest.raises(wm.WeightsDownloadError) as info:
        wm.download_weights("swin3d_t-k400", url=f"http://127.0.0.1:{_closed_port()}/swin3d_t-7615ae03.pth", timeout=2)
    assert time.monotonic() - start < 2.0
    message = str(info.value)
    assert "vatp weights import swin3d_t-7615ae03.pth" in message and str(paths.weights_dir()) in message
    assert not [p for p in paths.weights_dir().rglob("*") if p.is_file()]  # no partial file left


def test_import_only_weights_say_where_to_get_them():
    with pytest.raises(wm.WeightsDownloadError, match="pytorch-i3d"):
        wm.download_weights("i3d-rgb-imagenet")


@pytest.fixture
def http_folder(tmp_path):
    root = tmp_path / "served"
    root.mkdir()

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **k):
            super().__init__(*a, directory=str(root), **k)

        def log_message(self, *a):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_download_verifies_and_installs(http_folder, monkeypatch, capsys):
    root, base = http_folder
    served = torchvision_style_file(root, "tiny", full_torchvision_state("tiny"))
    entry = known_weights.KnownWeights(
        "tiny-test",
        "tiny",
        served.name,
        f"{base}/{served.name}",
        checkpoints.hash_prefix_in_name(served.name),
        "test server",
        "test weights",
    )
    monkeypatch.setitem(known_weights.KNOWN_WEIGHTS, entry.id, entry)
    assert cli_main(["weights", "download", "tiny-test"]) == 0
    assert "SHA-256 verified" in capsys.readouterr().out
    item = wm.find_installed("tiny", weights_id="tiny-test")
    assert item.path.name == served.name and item.path.read_bytes() == served.read_bytes()
    # the server sends other bytes under the same name: refused, nothing new installed
    entry2 = known_weights.KnownWeights(
        "tiny-test2", "tiny", served.name, f"{base}/{served.name}", "00000000", "t", "t"
    )
    monkeypatch.setitem(known_weights.KNOWN_WEIGHTS, entry2.id, entry2)
    assert cli_main(["weights", "download", "tiny-test2", "-q"]) == 2
    assert "Refusing" in capsys.readouterr().err


def test_cli_import_and_list(tmp_path, capsys):
    src = torchvision_style_file(tmp_path, "i3d", full_torchvision_state("i3d"))
    assert cli_main(["weights", "import", str(src), "-q"]) == 0
    assert "verified" in capsys.readouterr().out
    assert cli_main(["weights", "list", "--json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    assert [w["backbone"] for w in listing["installed"]] == ["i3d"]
    assert {k["id"] for k in listing["known"]} >= {"swin3d_b-k400", "swin3d_b-k600-official", "i3d-rgb-imagenet"}
    assert cli_main(["weights", "list"]) == 0
    text = capsys.readouterr().out
    assert src.name in text and "swin3d_b_1k-24f7c7c6.pth" in text
    assert cli_main(["weights", "import", str(tmp_path / "nope.pth")]) == 2
    assert "No such file" in capsys.readouterr().err


def test_list_says_what_each_installed_pack_needs(tmp_path, capsys):
    from vatp_core.model import VATPConfig, VATPNet
    from vatp_core.pack import PackManifest, install_pack, save_pack

    tiny_state = build_backbone_module("tiny").state_dict()
    for name, backbone, whash, bstate in (
        ("needs-i3d", "i3d", "", None),
        ("needs-swin-k600", "swin3d_b", "abcdef0123456789", None),
        ("ships-tiny", "tiny", "", tiny_state),
    ):
        cfg = VATPConfig.preset(
            "mlp",
            in_dim=256 if backbone == "tiny" else 1024,
            hidden_dim=16,
            d_model=8,
            n_heads=2,
            ffn_dim=16,
            dropout=0.0,
        )
        model = VATPNet(cfg).eval()
        manifest = PackManifest(
            name=name,
            backbone=backbone,
            protocol={"name": "generic", "clip_len": 16, "stride": 16},
            model_config=cfg.to_dict(),
            backbone_weights_hash=whash,
        )
        install_pack(save_pack(tmp_path / name, manifest, model, backbone_state=bstate))
    assert cli_main(["weights", "list", "--json"]) == 0
    packs = {row["pack"]: row["status"] for row in json.loads(capsys.readouterr().out)["packs"]}
    assert packs["ships-tiny"] == "in the pack"
    assert packs["needs-i3d"] == "MISSING: rgb_imagenet.pt"
    assert packs["needs-swin-k600"] == "MISSING: weights hash abcdef0123456789"
    wm.import_weights(torchvision_style_file(tmp_path, "i3d", full_torchvision_state("i3d")))
    assert cli_main(["weights", "list"]) == 0
    text = capsys.readouterr().out
    assert "needs-i3d" in text and "installed (i3d-" in text
