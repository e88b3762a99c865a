"""A loaded pack (manifest + tensors) and ``save_pack``, which writes one as a folder or a zip."""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..atomic import atomic_open, atomic_write
from ..jsonable import json_default
from .manifest import MANIFEST_NAME, PACK_FORMAT_VERSION, WEIGHTS_NAME, PackError, PackManifest, _check_extra_name
from .verify import _uses_parseformer, _validate_tensors

if TYPE_CHECKING:  # pragma: no cover
    import torch


@dataclass
class ModelPack:
    """A validated pack: manifest, where it came from and its tensors (torch, CPU)."""

    manifest: PackManifest
    path: Path
    tensors: dict[str, "torch.Tensor"]
    _trust: Any = field(default=None, repr=False, compare=False)

    @property
    def name(self) -> str:
        return self.manifest.name

    @property
    def phrase_embeddings(self) -> "torch.Tensor | None":
        return self.tensors.get("phrase_embeddings")

    @property
    def baseline_subactions(self) -> "torch.Tensor | None":
        return self.tensors.get("baseline_subactions")

    def model_state(self) -> dict[str, "torch.Tensor"]:
        return {k[len("model.") :]: v for k, v in self.tensors.items() if k.startswith("model.")}

    def backbone_state(self) -> dict[str, "torch.Tensor"] | None:
        state = {k[len("backbone.") :]: v for k, v in self.tensors.items() if k.startswith("backbone.")}
        return state or None

    @property
    def trust(self):
        """The pack's `vatp_core.trust.TrustStats` (empty for packs made before calibration existed)."""
        if self._trust is None:
            from ..trust import TrustStats

            self._trust = TrustStats.from_stored(self.manifest.trust or None, self.tensors)
        return self._trust

    @property
    def calibrated(self) -> bool:
        return self.trust.calibration is not None

    def model_config(self):
        from ..model import VATPConfig

        return VATPConfig.from_dict(self.manifest.model_config)

    def protocol(self):
        from ..protocols import ClipProtocol

        return ClipProtocol.from_dict(self.manifest.protocol)

    def build_model(self, device: "str | torch.device" = "cpu"):
        """A VATPNet with the pack's weights, in eval mode, on ``device``."""
        from ..model import VATPNet

        dev = _resolve(device)
        model = VATPNet(self.model_config())
        model.load_state_dict(self.model_state(), strict=True)
        return model.to(dev).eval()

    def load_backbone(self, device: "str | torch.device" = "auto"):
        """The backbone the pack was trained with: from the pack, or the installed weights (features module)."""
        from ..features import load_backbone
        from ..features.known_weights import preferred_weights_id

        return load_backbone(
            self.manifest.backbone,
            weights=self.backbone_state(),
            device=device,
            weights_hash=self.manifest.backbone_weights_hash or None,
            # a pack trained on public features records no hash: use the weights those features were made with
            prefer_weights=preferred_weights_id(self.manifest.backbone, self.manifest.protocol.get("name")),
        )

    def info(self) -> dict[str, Any]:
        """The plain pack description a ScoreResult carries."""
        m = self.manifest
        return {
            "name": m.name,
            "sport": m.sport,
            "event": m.event,
            "label": m.label,
            "not_for_judging": m.not_for_judging,
            "backbone": m.backbone,
            "protocol": dict(m.protocol),
            "score_range": list(m.score_range),
            "difficulty": m.difficulty,
            "path": str(self.path),
            "weights_sha256": m.weights_sha256,
        }


def _resolve(device):
    from ..devices import resolve_device

    return resolve_device(device)


def save_pack(
    path: str | os.PathLike,
    manifest: PackManifest,
    model,
    *,
    phrase_embeddings=None,
    baseline_subactions=None,
    backbone_state: dict | None = None,
    trust=None,
    extra_files: dict[str, bytes | str] | None = None,
    zip: bool = False,
) -> Path:
    """Write a pack (a folder, or a .zip when ``zip`` or the path ends in .zip) and return its path.

    ``manifest`` is copied: tensor shapes, the weights checksum and ``backbone_in_pack`` are filled in.
    ``baseline_subactions`` defaults to zeros; packs made by training should pass the mean sub-action
    vectors over the training set. ``trust`` (a `vatp_core.trust.TrustStats`) adds the calibration and
    out-of-distribution statistics: a manifest entry and ``trust.*`` tensors.
    """
    import torch
    from safetensors.torch import save as st_save

    path = Path(path)
    zip = zip or path.suffix.lower() == ".zip"
    tensors: dict[str, torch.Tensor] = {}
    state = model.state_dict() if hasattr(model, "state_dict") else dict(model)
    for k, v in state.items():
        tensors[f"model.{k}"] = v.detach().to("cpu").contiguous()
    if backbone_state:
        for k, v in backbone_state.items():
            tensors[f"backbone.{k}"] = v.detach().to("cpu").contiguous()
    cfg = dict(manifest.model_config)
    if phrase_embeddings is not None:
        tensors["phrase_embeddings"] = torch.as_tensor(phrase_embeddings, dtype=torch.float32).contiguous()
    if baseline_subactions is None and cfg.get("n_queries") and _uses_parseformer(cfg):
        baseline_subactions = torch.zeros(int(cfg["n_queries"]), int(cfg.get("d_model", 128)))
    if baseline_subactions is not None:
        tensors["baseline_subactions"] = torch.as_tensor(baseline_subactions, dtype=torch.float32).contiguous()

    trust_meta: dict[str, Any] = {}
    if trust is not None and (trust.calibration is not None or trust.ood is not None):
        trust_meta = trust.to_manifest()
        for k, v in trust.tensors().items():
            tensors[k] = torch.from_numpy(v).contiguous()

    blob = st_save(tensors, metadata={"format": "pt", "vatp_pack": str(PACK_FORMAT_VERSION)})
    m = PackManifest.from_dict(  # validates fields
        {
            **manifest.to_dict(),
            "format_version": PACK_FORMAT_VERSION,
            "weights_sha256": "0" * 64,
            "tensors": {},
            "trust": trust_meta,
        }
    )
    m.weights_sha256 = hashlib.sha256(blob).hexdigest()
    m.tensors = {k: list(v.shape) for k, v in tensors.items()}
    m.backbone_in_pack = bool(backbone_state)
    if backbone_state and not m.backbone_weights_hash:
        from ..features import state_dict_hash

        m.backbone_weights_hash = state_dict_hash(backbone_state)
    extras: dict[str, bytes] = {}
    for name, content in (extra_files or {}).items():
        _check_extra_name(name, "save_pack")
        extras[name] = content.encode("utf-8") if isinstance(content, str) else bytes(content)
    m.files = {name: hashlib.sha256(data).hexdigest() for name, data in extras.items()}
    _validate_tensors(m, {k: (list(v.shape), _st_dtype(v)) for k, v in tensors.items()}, "save_pack")
    try:
        manifest_bytes = json.dumps(m.to_dict(), indent=2, default=json_default, allow_nan=False).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise PackError(f"save_pack: the manifest cannot be stored as JSON ({exc}).") from None

    members = {MANIFEST_NAME: manifest_bytes, WEIGHTS_NAME: blob, **extras}
    path.parent.mkdir(parents=True, exist_ok=True)
    if zip:
        with atomic_open(path, "wb") as fh, zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for name, data in members.items():
                zf.writestr(name, data)
    else:
        if path.exists() and not path.is_dir():
            raise PackError(f"Cannot write a pack folder at {path}: a file is in the way.")
        path.mkdir(parents=True, exist_ok=True)
        for name, data in members.items():
            atomic_write(path / name, data)
    return path


def _st_dtype(t) -> str:
    import torch

    return {
        torch.float64: "F64",
        torch.float32: "F32",
        torch.float16: "F16",
        torch.bfloat16: "BF16",
        torch.int64: "I64",
        torch.int32: "I32",
        torch.int16: "I16",
        torch.int8: "I8",
        torch.uint8: "U8",
        torch.bool: "BOOL",
    }.get(t.dtype, str(t.dtype))
