"""The pack manifest (``manifest.json``): its fields, the format constants and the validation of every field."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, fields
from pathlib import PurePosixPath
from typing import Any

from ..errors import VATPError

# 2: optional 'trust' (calibration + out-of-distribution statistics, trust.* tensors); 3: fused packs, which
# need a dive code (phrase_input, phrase_lexicon, token_phrases and the phrase_tokens table). Packs that need
# nothing new are still written as 2, so older versions of VATP Studio keep reading them.
PACK_FORMAT_VERSION = 3
PLAIN_PACK_FORMAT_VERSION = 2
MANIFEST_NAME = "manifest.json"
WEIGHTS_NAME = "weights.safetensors"
#: Extra files a pack may carry (documentation, a thumbnail), listed in the manifest with their SHA-256.
EXTRA_FILE_SUFFIXES = (".md", ".txt", ".png", ".jpg", ".jpeg", ".csv")
MAX_MANIFEST_BYTES = 4 << 20
MAX_PACK_BYTES = 4 << 30  # refuses zip bombs
MAX_COMPRESSION_RATIO = 50  # float weights compress ~1.1×; a member that shrinks more than this is a bomb
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
    # "dive_code": the model reads the dive's phrases (a fused pack); they come from the token table
    phrase_input: str = "none"
    phrase_lexicon: list[str] = field(default_factory=list)  # names a dive code's phrases snap to ([] = its own)
    token_phrases: list[str] = field(default_factory=list)  # the phrases of the token table, in order
    # Calibration and out-of-distribution statistics (vatp_core.trust.TrustStats.to_manifest); {} = none.
    trust: dict[str, Any] = field(default_factory=dict)
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
            "phrase_input",
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
            "trust",
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
        from .tokens import check_manifest_fields  # (tokens imports this module)

        check_manifest_fields(values, source)
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
