"""Checks on a pack's bytes before any library parses them: file-kind sniffing, the safetensors header,
tensor names and shapes against the manifest and the model config, the backbone and the clip protocol."""

from __future__ import annotations

import json
import struct
from typing import Any

from ..errors import VATPError
from .manifest import (
    EXECUTABLE_MAGIC,
    MAX_SAFETENSORS_HEADER,
    PICKLE_MAGIC,
    SAFETENSORS_DTYPES,
    WEIGHTS_NAME,
    ZIP_MAGIC,
    PackError,
    PackManifest,
)
from .tokens import TOKEN_TENSORS, check_token_shapes


def _uses_parseformer(cfg: dict) -> bool:
    return bool(cfg.get("use_pd", True))


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
        if not (
            k.startswith(("model.", "backbone.", "trust."))
            or k in ("phrase_embeddings", "baseline_subactions", *TOKEN_TENSORS)
        ):
            raise PackError(
                f"{src}: unexpected tensor {k!r} (names must start with 'model.', 'backbone.' or 'trust.')."
            )
    trust_keys = [k for k in found if k.startswith("trust.")]
    if trust_keys and not manifest.trust:
        raise PackError(f"{src}: 'trust.*' tensors found but the manifest has no 'trust' entry.")
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
    check_token_shapes(manifest, found, src)
    if bool(cfg.get("use_fusion", False)) != (manifest.phrase_input == "dive_code"):
        raise PackError(f"{src}: a fused model needs phrase_input 'dive_code' in the manifest, and only a fused one.")
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
    from ..features import get_backbone_spec
    from ..protocols import ClipProtocol

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
        from ..model import VATPConfig, VATPNet
    except ImportError:  # model module not available: the manifest's own shape table is the check
        return None
    import torch

    try:
        cfg = VATPConfig.from_dict(model_config)
    except Exception as exc:
        raise PackError(f"{src}: invalid model_config ({exc}).") from None
    try:
        # built on the CPU, not under a meta-device context: that sends every op through
        # __torch_function__ and imports torch._dynamo (seconds of a cold start); the model is small
        with torch.random.fork_rng(devices=[]):
            net = VATPNet(cfg)
    except Exception as exc:
        raise PackError(f"{src}: model_config does not describe a valid VATP-Net ({exc}).") from None
    return {k: list(v.shape) for k, v in net.state_dict().items()}
