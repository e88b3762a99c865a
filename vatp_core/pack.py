"""Model packs: what a coach loads to score routines.

A pack is a folder (or a ``.zip`` of one) holding ``manifest.json`` and ``weights.safetensors``.
Loading never executes anything from the pack: the manifest is JSON, the tensors are safetensors
(a JSON header and raw bytes), the weights file's SHA-256 is recorded in the manifest and checked,
and any file the manifest does not account for is refused. Tensor names are namespaced:
``model.*`` (VATP-Net state), ``backbone.*`` (backbone state when it ships in the pack),
``phrase_embeddings`` (L × text_dim) and ``baseline_subactions`` (S × d_model).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import struct
import tempfile
import zipfile
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from . import paths
from .atomic import atomic_open, atomic_write
from .errors import VATPError

if TYPE_CHECKING:  # pragma: no cover
    import torch

PACK_FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
WEIGHTS_NAME = "weights.safetensors"
#: Extra files a pack may carry (documentation, a thumbnail), listed in the manifest with their SHA-256.
EXTRA_FILE_SUFFIXES = (".md", ".txt", ".png", ".jpg", ".jpeg", ".csv")
MAX_MANIFEST_BYTES = 4 << 20
MAX_PACK_BYTES = 4 << 30  # refuses zip bombs
MAX_SAFETENSORS_HEADER = 64 << 20
DIFFICULTY_MODES = ("none", "divide")
SAFETENSORS_DTYPES = {"F64", "F32", "F16", "BF16", "I64", "I32", "I16", "I8", "U8", "BOOL"}

PICKLE_MAGIC = (b"\x80\x02", b"\x80\x03", b"\x80\x04", b"\x80\x05")
ZIP_MAGIC = b"PK\x03\x04"
EXECUTABLE_MAGIC = (b"\x7fELF", b"MZ", b"#!", b"\xcf\xfa\xed\xfe", b"\xfe\xed\xfa\xcf", b"\xca\xfe\xba\xbe")


class PackError(VATPError):
    """A model pack that cannot be used; the message says which file and what is wrong."""


@dataclass
class PackManifest:
    """Everything about a pack except its tensors (stored as ``manifest.json``)."""

    name: str
    backbone: str  # "tiny", "swin3d_b", "i3d", …
    protocol: dict[str, Any]  # ClipProtocol.to_dict()
    model_config: dict[str, Any]  # VATPConfig.to_dict()
    score_range: list[float] = field(default_factory=lambda: [0.0, 100.0])
    score_norm: dict[str, float] = field(default_factory=lambda: {"mean": 0.0, "std": 1.0})
    difficulty: str = "none"  # "divide": the model predicts score ÷ difficulty degree (MTL-AQA)
    sport: str = ""
    event: str = ""
    description: str = ""
    not_for_judging: bool = False
    label: str = ""  # shown wherever a score from this pack is shown, e.g. "synthetic demo — not for judging"
    backbone_weights_hash: str = ""
    backbone_in_pack: bool = False
    subaction_names: list[str] = field(default_factory=list)
    phrases: list[str] = field(default_factory=list)
    training: dict[str, Any] = field(default_factory=dict)  # data, split, preset, epochs, seed …
    metrics: dict[str, Any] = field(default_factory=dict)
    # Optional, for difficulty "divide": dive code → difficulty degree for the board/platform the pack is for.
    difficulty_table: dict[str, float] = field(default_factory=dict)
    format_version: int = PACK_FORMAT_VERSION
    # Filled by save_pack: checksum of the weights file, tensor shapes, extra files and their checksums.
    weights_sha256: str = ""
    tensors: dict[str, list[int]] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)

    REQUIRED = (
        "format_version",
        "name",
        "backbone",
        "protocol",
        "model_config",
        "score_range",
        "score_norm",
        "difficulty",
        "weights_sha256",
        "tensors",
    )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any, source: str = MANIFEST_NAME) -> "PackManifest":
        """Validate types and values; every problem becomes a PackError naming the field."""
        if not isinstance(data, dict):
            raise PackError(f"{source}: the manifest must be a JSON object.")
        version = data.get("format_version")
        if version is None:
            raise PackError(f"{source}: missing field 'format_version'.")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise PackError(f"{source}: 'format_version' must be a positive integer, not {version!r}.")
        if version > PACK_FORMAT_VERSION:
            raise PackError(
                f"{source}: pack format version {version} is newer than this VATP Studio understands "
                f"(up to {PACK_FORMAT_VERSION}); update VATP Studio to use this pack."
            )
        missing = [k for k in cls.REQUIRED if k not in data]
        if missing:
            raise PackError(
                f"{source}: missing field{'s' if len(missing) > 1 else ''} {', '.join(repr(m) for m in missing)}."
            )
        known = {f.name: f for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}

        def need(key: str, kind: type, what: str) -> None:
            if key in values and not isinstance(values[key], kind):
                raise PackError(f"{source}: field '{key}' must be {what}, not {values[key]!r}.")

        for key in (
            "name",
            "backbone",
            "sport",
            "event",
            "description",
            "label",
            "backbone_weights_hash",
            "difficulty",
            "weights_sha256",
        ):
            need(key, str, "a string")
        for key in (
            "protocol",
            "model_config",
            "score_norm",
            "training",
            "metrics",
            "tensors",
            "files",
            "difficulty_table",
        ):
            need(key, dict, "an object")
        for key in ("subaction_names", "phrases", "score_range"):
            need(key, list, "a list")
        for key in ("not_for_judging", "backbone_in_pack"):
            if key in values and not isinstance(values[key], bool):
                raise PackError(f"{source}: field '{key}' must be true or false, not {values[key]!r}.")
        if not values["name"].strip():
            raise PackError(f"{source}: field 'name' is empty.")
        if values["difficulty"] not in DIFFICULTY_MODES:
            raise PackError(
                f"{source}: field 'difficulty' must be one of {', '.join(DIFFICULTY_MODES)}, not {values['difficulty']!r}."
            )
        rng = values["score_range"]
        if len(rng) != 2 or not all(_is_number(v) for v in rng) or not rng[0] < rng[1]:
            raise PackError(f"{source}: field 'score_range' must be [low, high] with low < high, not {rng!r}.")
        norm = values["score_norm"]
        if not _is_number(norm.get("mean")) or not _is_number(norm.get("std")) or not norm["std"] > 0:
            raise PackError(
                f'{source}: field \'score_norm\' must be {{"mean": number, "std": positive number}}, not {norm!r}.'
            )
        for key in ("subaction_names", "phrases"):
            if not all(isinstance(v, str) for v in values.get(key, [])):
                raise PackError(f"{source}: field '{key}' must be a list of strings.")
        if not re.fullmatch(r"[0-9a-f]{64}", values["weights_sha256"]):
            raise PackError(f"{source}: field 'weights_sha256' must be a SHA-256 hex digest.")
        for key, shape in values["tensors"].items():
            if not isinstance(shape, list) or not all(
                isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape
            ):
                raise PackError(f"{source}: tensor shape of {key!r} must be a list of sizes, not {shape!r}.")
        for name, digest in values.get("files", {}).items():
            _check_extra_name(name, source)
            if not isinstance(digest, str) or not re.fullmatch(r"[0-9a-f]{64}", digest):
                raise PackError(f"{source}: file {name!r} needs a SHA-256 hex digest.")
        table = values.get("difficulty_table", {})
        if not all(_is_number(v) and v > 0 for v in table.values()):
            raise PackError(f"{source}: field 'difficulty_table' must map dive codes to positive numbers.")
        values["difficulty_table"] = {str(k).upper(): float(v) for k, v in table.items()}
        values["score_range"] = [float(v) for v in rng]
        values["score_norm"] = {"mean": float(norm["mean"]), "std": float(norm["std"])}
        return cls(**values)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and v == v and abs(v) != float("inf")


def _check_extra_name(name: str, source: str) -> None:
    p = PurePosixPath(name)
    if name in (MANIFEST_NAME, WEIGHTS_NAME) or len(p.parts) != 1 or p.suffix.lower() not in EXTRA_FILE_SUFFIXES:
        raise PackError(
            f"{source}: extra file {name!r} is not allowed (only plain files named *{', *'.join(EXTRA_FILE_SUFFIXES)} "
            "at the top of the pack)."
        )


# ----------------------------------------------------------------------------------------- loaded pack
@dataclass
class ModelPack:
    """A validated pack: manifest, where it came from and its tensors (torch, CPU)."""

    manifest: PackManifest
    path: Path
    tensors: dict[str, "torch.Tensor"]

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

    def model_config(self):
        from .model import VATPConfig

        return VATPConfig.from_dict(self.manifest.model_config)

    def protocol(self):
        from .protocols import ClipProtocol

        return ClipProtocol.from_dict(self.manifest.protocol)

    def build_model(self, device: "str | torch.device" = "cpu"):
        """A VATPNet with the pack's weights, in eval mode, on ``device``."""
        from .model import VATPNet

        dev = _resolve(device)
        model = VATPNet(self.model_config())
        model.load_state_dict(self.model_state(), strict=True)
        return model.to(dev).eval()

    def load_backbone(self, device: "str | torch.device" = "auto"):
        """The backbone the pack was trained with: from the pack, or the installed weights (features module)."""
        from .features import load_backbone
        from .features.weights import preferred_weights_id

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
    from .devices import resolve_device

    return resolve_device(device)


# ----------------------------------------------------------------------------------------------- save
def save_pack(
    path: str | os.PathLike,
    manifest: PackManifest,
    model,
    *,
    phrase_embeddings=None,
    baseline_subactions=None,
    backbone_state: dict | None = None,
    extra_files: dict[str, bytes | str] | None = None,
    zip: bool = False,
) -> Path:
    """Write a pack (a folder, or a .zip when ``zip`` or the path ends in .zip) and return its path.

    ``manifest`` is copied: tensor shapes, the weights checksum and ``backbone_in_pack`` are filled in.
    ``baseline_subactions`` defaults to zeros; packs made by training should pass the mean sub-action
    vectors over the training set.
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

    blob = st_save(tensors, metadata={"format": "pt", "vatp_pack": str(PACK_FORMAT_VERSION)})
    m = PackManifest.from_dict({**manifest.to_dict(), "weights_sha256": "0" * 64, "tensors": {}})  # validates fields
    m.weights_sha256 = hashlib.sha256(blob).hexdigest()
    m.tensors = {k: list(v.shape) for k, v in tensors.items()}
    m.backbone_in_pack = bool(backbone_state)
    if backbone_state and not m.backbone_weights_hash:
        from .features import state_dict_hash

        m.backbone_weights_hash = state_dict_hash(backbone_state)
    extras: dict[str, bytes] = {}
    for name, content in (extra_files or {}).items():
        _check_extra_name(name, "save_pack")
        extras[name] = content.encode("utf-8") if isinstance(content, str) else bytes(content)
    m.files = {name: hashlib.sha256(data).hexdigest() for name, data in extras.items()}
    _validate_tensors(m, {k: (list(v.shape), _st_dtype(v)) for k, v in tensors.items()}, "save_pack")
    try:
        manifest_bytes = json.dumps(m.to_dict(), indent=2, default=_json_default, allow_nan=False).encode("utf-8")
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


def _json_default(value: Any) -> Any:
    """numpy/torch scalars and arrays and paths in training summaries become plain JSON values."""
    if isinstance(value, os.PathLike):
        return str(value)
    tolist = getattr(value, "tolist", None)
    if tolist is not None:
        return tolist()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


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


def _uses_parseformer(cfg: dict) -> bool:
    return bool(cfg.get("use_pd", True))


# ----------------------------------------------------------------------------------------------- load
def load_pack(path: str | os.PathLike) -> ModelPack:
    """Read and validate a pack folder or zip; raise PackError with a clear message when it is unusable."""
    from safetensors.torch import load as st_load

    path = Path(path)
    files = _read_pack_files(path)
    src = str(path)
    if MANIFEST_NAME not in files:
        raise PackError(f"{src}: not a model pack (no {MANIFEST_NAME}).")
    if WEIGHTS_NAME not in files:
        raise PackError(f"{src}: the pack has no {WEIGHTS_NAME}.")
    manifest_bytes = files[MANIFEST_NAME]()
    if len(manifest_bytes) > MAX_MANIFEST_BYTES:
        raise PackError(f"{src}: {MANIFEST_NAME} is implausibly large ({len(manifest_bytes)} bytes).")
    try:
        data = json.loads(manifest_bytes.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        kind = _sniff(manifest_bytes)
        raise PackError(f"{src}: {MANIFEST_NAME} is not JSON{f' (it is {kind})' if kind else ''}: {exc}.") from None
    manifest = PackManifest.from_dict(data, source=f"{src}/{MANIFEST_NAME}")

    expected = {MANIFEST_NAME, WEIGHTS_NAME, *manifest.files}
    unexpected = sorted(set(files) - expected)
    if unexpected:
        name = unexpected[0]
        kind = _sniff(files[name]()[:16])
        raise PackError(
            f"{src}: unexpected file {name!r} in the pack{f' ({kind})' if kind else ''}; a pack holds only "
            f"{MANIFEST_NAME}, {WEIGHTS_NAME} and the files its manifest lists."
        )
    for name, digest in manifest.files.items():
        if name not in files:
            raise PackError(f"{src}: the manifest lists {name!r} but the pack does not contain it.")
        content = files[name]()
        if hashlib.sha256(content).hexdigest() != digest:
            raise PackError(f"{src}: {name!r} does not match the checksum in the manifest (modified or corrupt).")
        kind = _sniff(content[:16])
        if kind and kind not in ("a PNG image", "a JPEG image"):
            raise PackError(f"{src}: {name!r} is {kind}, not a plain document.")

    blob = files[WEIGHTS_NAME]()
    _check_safetensors_bytes(blob, f"{src}/{WEIGHTS_NAME}")
    if hashlib.sha256(blob).hexdigest() != manifest.weights_sha256:
        raise PackError(
            f"{src}: {WEIGHTS_NAME} does not match the checksum in the manifest (modified or corrupt download)."
        )
    _validate_backbone_and_protocol(manifest, src)
    header = _safetensors_header(blob, f"{src}/{WEIGHTS_NAME}")
    _validate_tensors(manifest, {k: (v["shape"], v["dtype"]) for k, v in header.items() if k != "__metadata__"}, src)
    try:
        tensors = st_load(blob)
    except Exception as exc:  # safetensors raises its own error types
        raise PackError(f"{src}/{WEIGHTS_NAME}: unreadable safetensors file ({exc}).") from None
    return ModelPack(manifest=manifest, path=path, tensors=tensors)


def _sniff(head: bytes) -> str:
    """Name a file kind that must never be inside a pack (or an image), from its first bytes."""
    if head[:2] in PICKLE_MAGIC:
        return "a Python pickle"
    if head.startswith(ZIP_MAGIC):
        return "a zip archive (e.g. a torch.save checkpoint, which is a pickle)"
    if any(head.startswith(m) for m in EXECUTABLE_MAGIC):
        return "an executable or script"
    if head.startswith(b"\x89PNG"):
        return "a PNG image"
    if head.startswith(b"\xff\xd8\xff"):
        return "a JPEG image"
    return ""


def _check_safetensors_bytes(blob: bytes, src: str) -> None:
    kind = _sniff(blob[:16])
    if kind:
        raise PackError(f"{src}: is {kind}, not a safetensors file; packs never hold pickles or code.")
    _safetensors_header(blob, src)


def _safetensors_header(blob: bytes, src: str) -> dict[str, Any]:
    """Parse and check the safetensors header ourselves, before any library sees the bytes."""
    if len(blob) < 8:
        raise PackError(f"{src}: not a safetensors file (too short).")
    (n,) = struct.unpack("<Q", blob[:8])
    if n < 2 or n > MAX_SAFETENSORS_HEADER or 8 + n > len(blob):
        raise PackError(f"{src}: not a safetensors file (bad header length).")
    try:
        header = json.loads(blob[8 : 8 + n].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise PackError(f"{src}: not a safetensors file (header is not JSON).") from None
    if not isinstance(header, dict):
        raise PackError(f"{src}: not a safetensors file (header is not an object).")
    end = 0
    for key, info in header.items():
        if key == "__metadata__":
            continue
        if (
            not isinstance(info, dict)
            or info.get("dtype") not in SAFETENSORS_DTYPES
            or not isinstance(info.get("shape"), list)
            or not isinstance(info.get("data_offsets"), list)
            or len(info["data_offsets"]) != 2
        ):
            raise PackError(f"{src}: tensor {key!r} has a malformed safetensors entry.")
        end = max(end, int(info["data_offsets"][1]))
    if 8 + n + end != len(blob):
        raise PackError(f"{src}: safetensors data size does not match its header (truncated or padded file).")
    return header


def _validate_tensors(manifest: PackManifest, found: dict[str, tuple[list[int], str]], src: str) -> None:
    """Check the tensors against the manifest's shape table and its model_config."""
    listed = manifest.tensors
    if listed:
        missing = sorted(set(listed) - set(found))
        extra = sorted(set(found) - set(listed))
        if missing:
            raise PackError(f"{src}: tensor {missing[0]!r} listed in the manifest is missing from {WEIGHTS_NAME}.")
        if extra:
            raise PackError(f"{src}: tensor {extra[0]!r} in {WEIGHTS_NAME} is not listed in the manifest.")
        for k, (shape, _) in found.items():
            if list(shape) != list(listed[k]):
                raise PackError(f"{src}: tensor {k!r} has shape {list(shape)} but the manifest says {listed[k]}.")
    for k, (_, _dtype) in found.items():
        if not (k.startswith(("model.", "backbone.")) or k in ("phrase_embeddings", "baseline_subactions")):
            raise PackError(f"{src}: unexpected tensor {k!r} (names must start with 'model.' or 'backbone.').")
    backbone_keys = [k for k in found if k.startswith("backbone.")]
    if manifest.backbone_in_pack and not backbone_keys:
        raise PackError(
            f"{src}: the manifest says the backbone ships in the pack but there are no 'backbone.*' tensors."
        )
    if backbone_keys and not manifest.backbone_in_pack:
        raise PackError(f"{src}: 'backbone.*' tensors found but the manifest says backbone_in_pack is false.")

    expected = _expected_model_shapes(manifest.model_config, src)
    model_found = {k[len("model.") :]: list(s) for k, (s, _) in found.items() if k.startswith("model.")}
    if expected is not None:
        missing = sorted(set(expected) - set(model_found))
        extra = sorted(set(model_found) - set(expected))
        if missing:
            raise PackError(
                f"{src}: model weight 'model.{missing[0]}' is missing for the manifest's model_config ({len(missing)} missing)."
            )
        if extra:
            raise PackError(f"{src}: model weight 'model.{extra[0]}' does not belong to the manifest's model_config.")
        for k, shape in model_found.items():
            if shape != expected[k]:
                raise PackError(
                    f"{src}: shape mismatch: 'model.{k}' is {shape} but the manifest's model_config needs {expected[k]}."
                )
    cfg = manifest.model_config
    d_model = int(cfg.get("d_model", 128))
    text_dim = int(cfg.get("text_dim", 768))
    if "phrase_embeddings" in found:
        shape = list(found["phrase_embeddings"][0])
        want = [len(manifest.phrases), text_dim]
        if shape != want:
            raise PackError(
                f"{src}: shape mismatch: phrase_embeddings is {shape}, expected {want} "
                f"({len(manifest.phrases)} phrases × text_dim {text_dim})."
            )
    elif manifest.phrases and cfg.get("use_text", False):
        raise PackError(f"{src}: the manifest lists phrases but {WEIGHTS_NAME} has no 'phrase_embeddings'.")
    if "baseline_subactions" in found:
        shape = list(found["baseline_subactions"][0])
        want = [int(cfg.get("n_queries", 4)), d_model]
        if shape != want:
            raise PackError(
                f"{src}: shape mismatch: baseline_subactions is {shape}, expected {want} (n_queries × d_model)."
            )
    if (
        manifest.subaction_names
        and _uses_parseformer(cfg)
        and len(manifest.subaction_names) != int(cfg.get("n_queries", 4))
    ):
        raise PackError(
            f"{src}: {len(manifest.subaction_names)} subaction_names for {cfg.get('n_queries')} sub-action queries."
        )


def _validate_backbone_and_protocol(manifest: PackManifest, src: str) -> None:
    """The backbone must be one VATP Studio knows, give the model's feature size, and the protocol must be valid."""
    from .features import get_backbone_spec
    from .protocols import ClipProtocol

    try:
        spec = get_backbone_spec(manifest.backbone)
    except VATPError as exc:
        raise PackError(f"{src}: {exc}") from None
    in_dim = manifest.model_config.get("in_dim")
    if isinstance(in_dim, int) and in_dim != spec.feature_dim:
        raise PackError(
            f"{src}: the {spec.name} backbone gives {spec.feature_dim}-d features but model_config "
            f"expects in_dim {in_dim}."
        )
    try:
        ClipProtocol.from_dict(manifest.protocol)
    except (VATPError, KeyError, TypeError, ValueError) as exc:
        raise PackError(f"{src}: invalid clip protocol {manifest.protocol!r} ({exc}).") from None


def _expected_model_shapes(model_config: dict, src: str) -> dict[str, list[int]] | None:
    """Parameter shapes of the VATPNet the config describes (built on the meta device: no memory, no code from the pack)."""
    try:
        from .model import VATPConfig, VATPNet
    except ImportError:  # model module not available: the manifest's own shape table is the check
        return None
    import torch

    try:
        cfg = VATPConfig.from_dict(model_config)
    except Exception as exc:
        raise PackError(f"{src}: invalid model_config ({exc}).") from None
    try:
        with torch.device("meta"):
            net = VATPNet(cfg)
    except Exception as exc:
        raise PackError(f"{src}: model_config does not describe a valid VATP-Net ({exc}).") from None
    return {k: list(v.shape) for k, v in net.state_dict().items()}


# ------------------------------------------------------------------------------------ reading files
def _read_pack_files(path: Path) -> dict[str, Any]:
    """Map member name → a function returning its bytes; checks layout, links and traversal."""
    if not path.exists():
        raise PackError(f"Model pack not found: {path}")
    if path.is_dir():
        out: dict[str, Any] = {}
        for entry in sorted(path.iterdir()):
            name = entry.name
            if name.startswith(".tmp-") or name in (".DS_Store", "__MACOSX"):
                continue
            if entry.is_symlink():
                raise PackError(f"{path}: {name!r} is a symbolic link; packs hold plain files only.")
            if entry.is_dir():
                raise PackError(f"{path}: unexpected folder {name!r} in the pack.")
            out[name] = lambda e=entry: e.read_bytes()
        return out
    if not zipfile.is_zipfile(path):
        with open(path, "rb") as fh:
            kind = _sniff(fh.read(16))
        what = "a damaged or incomplete zip file" if path.suffix.lower() == ".zip" else "not a folder or a .zip"
        raise PackError(f"{path}: not a model pack ({what}{f'; it is {kind}' if kind else ''}).")
    try:
        with zipfile.ZipFile(path) as zf:
            return _read_zip_members(zf, path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise PackError(f"{path}: damaged zip file ({exc}).") from None


def _read_zip_members(zf: zipfile.ZipFile, path: Path) -> dict[str, Any]:
    """Check every member (traversal, links, executables, size) and read the files of the pack."""
    infos = zf.infolist()
    names = [i.filename for i in infos if not i.is_dir()]
    for info in infos:
        name = info.filename
        p = PurePosixPath(name.replace("\\", "/"))
        if p.is_absolute() or ".." in p.parts or re.match(r"^[A-Za-z]:", name) or "\\" in name:
            raise PackError(f"{path}: unsafe path {name!r} in the zip (path traversal); refusing the pack.")
        mode = (info.external_attr >> 16) & 0o170000
        if mode == 0o120000:
            raise PackError(f"{path}: {name!r} is a symbolic link; packs hold plain files only.")
        if (info.external_attr >> 16) & 0o111 and not info.is_dir():
            raise PackError(f"{path}: {name!r} is marked executable; packs hold no executable content.")
    if sum(i.file_size for i in infos) > MAX_PACK_BYTES:
        raise PackError(f"{path}: the zip expands to more than {MAX_PACK_BYTES >> 30} GiB; refusing it.")
    # Allow one top folder (a zipped pack folder) or members at the root.
    prefix = ""
    tops = {n.split("/", 1)[0] for n in names}
    if MANIFEST_NAME not in names and len(tops) == 1 and all("/" in n for n in names):
        prefix = tops.pop() + "/"
    out: dict[str, Any] = {}
    for n in names:
        rel = n[len(prefix) :]
        if "/" in rel:
            raise PackError(f"{path}: unexpected nested file {n!r} in the pack.")
        if rel in (".DS_Store",):
            continue
        if rel in out:
            raise PackError(f"{path}: {rel!r} appears twice in the zip.")
        try:
            data = zf.read(n)
        except (zipfile.BadZipFile, OSError, RuntimeError) as exc:
            raise PackError(f"{path}: cannot read {n!r} from the zip ({exc}).") from None
        out[rel] = lambda data=data: data
    return out


# ------------------------------------------------------------------------------------ installed packs
@dataclass
class PackInfo:
    """An installed pack as listed by `vatp packs list` (the manifest is read, the tensors are not)."""

    name: str
    path: Path
    manifest: PackManifest | None
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.manifest is not None and not self.error


def _safe_folder_name(name: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._+-]+", "_", name.strip()).strip("._")
    return cleaned or "pack"


def installed_packs() -> list[PackInfo]:
    """Packs in the user data folder, sorted by name; a damaged one is listed with its error."""
    out = []
    for entry in sorted(paths.packs_dir().iterdir()):
        if entry.name.startswith("."):
            continue
        try:
            raw = json.loads((entry / MANIFEST_NAME).read_text(encoding="utf-8"))
            manifest = PackManifest.from_dict(raw, source=f"{entry}/{MANIFEST_NAME}")
            out.append(PackInfo(name=manifest.name, path=entry, manifest=manifest))
        except (OSError, ValueError, PackError) as exc:
            out.append(PackInfo(name=entry.name, path=entry, manifest=None, error=str(exc)))
    return out


def install_pack(path: str | os.PathLike, *, replace: bool = False) -> ModelPack:
    """Validate a pack (folder or zip) and copy it into the packs folder under its name."""
    pack = load_pack(path)
    dest = paths.packs_dir() / _safe_folder_name(pack.name)
    if dest.exists():
        if not replace:
            raise PackError(f"A pack named {pack.name!r} is already installed; remove it first or use --replace.")
    tmp = Path(tempfile.mkdtemp(dir=paths.packs_dir(), prefix=".install-"))
    try:
        files = _read_pack_files(Path(path))
        for name in (MANIFEST_NAME, WEIGHTS_NAME, *pack.manifest.files):
            (tmp / name).write_bytes(files[name]())
        installed = load_pack(tmp)  # verify what was written
        if dest.exists():
            shutil.rmtree(dest)
        os.replace(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    installed.path = dest
    return installed


def remove_pack(name: str) -> Path:
    """Delete an installed pack by its name (or folder name)."""
    for info in installed_packs():
        if info.name == name or info.path.name == name:
            shutil.rmtree(info.path)
            return info.path
    raise PackError(
        f"No installed pack named {name!r}. Installed: {', '.join(i.name for i in installed_packs()) or 'none'}."
    )


def find_installed(name: str) -> Path | None:
    for info in installed_packs():
        if info.name == name or info.path.name == name:
            return info.path
    return None


def resolve_pack_path(name_or_path: str | os.PathLike | None = None) -> Path:
    """Where the pack to use lives: a path, an installed name, else settings.default_pack, else the demo pack."""
    if name_or_path is not None and str(name_or_path).strip():
        candidate = Path(name_or_path).expanduser()
        if candidate.exists():
            return candidate
        if str(name_or_path) == "demo":
            return paths.demo_pack_path()
        found = find_installed(str(name_or_path))
        if found is not None:
            return found
        names = [i.name for i in installed_packs()]
        raise PackError(
            f"No model pack {str(name_or_path)!r}: not a file or folder, and not an installed pack "
            f"(installed: {', '.join(names) or 'none'}; `vatp packs install PATH` adds one)."
        )
    from .settings import load_settings

    default = load_settings().default_pack
    if default:
        found = find_installed(default)
        if found is not None:
            return found
        if Path(default).expanduser().exists():
            return Path(default).expanduser()
    demo = paths.demo_pack_path()
    if not demo.exists():
        raise PackError(f"No model pack given, no default pack set and the bundled demo pack is missing ({demo}).")
    return demo


def resolve_pack(name_or_path: str | os.PathLike | None = None) -> ModelPack:
    """Load the pack a user means (see resolve_pack_path)."""
    return load_pack(resolve_pack_path(name_or_path))
