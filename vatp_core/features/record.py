"""``extraction.json``: which backbone, weights and protocol made a folder of features, and whether a pack fits them.

`vatp extract` writes it beside the ``.npy`` files. `vatp train` takes the backbone from it (a pack must score
videos with the backbone that made its training features); `vatp eval` reads it, so a pack whose backbone
differs from the one that made the features (another backbone, or its own fine-tuned copy of it) gets a warning
rather than a Spearman that silently means little.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

RECORD_NAME = "extraction.json"


def write_record(folder: str | Path, identity: dict[str, Any], protocol: Any) -> None:
    """Record the backbone identity (`LoadedBackbone.identity()`) and protocol beside the features."""
    from .. import __version__
    from ..atomic import atomic_write

    record = {**identity, "protocol": protocol.to_dict(), "vatp_version": __version__}
    atomic_write(Path(folder) / RECORD_NAME, json.dumps(record, indent=2))


def read_record(folder: str | Path) -> dict[str, Any] | None:
    """The folder's record, or None (features from elsewhere have none; an unreadable one counts as none)."""
    path = Path(folder) / RECORD_NAME
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def recorded_backbone(folder: str | Path, asked: str | None = None) -> str | None:
    """The backbone the folder's record names (None without one); DatasetError when ``asked`` is another one."""
    from ..datasets.base import DatasetError

    made_with = str((read_record(folder) or {}).get("backbone") or "")
    if made_with and asked and asked != made_with:
        raise DatasetError(
            f"{folder}: these features were made with the {made_with} backbone ({RECORD_NAME}), not {asked}: "
            "drop --backbone or extract them again"
        )
    return made_with or None


def recorded_for_pack(record: dict[str, Any] | None, backbone: str) -> tuple[str, str, dict[str, Any] | None]:
    """(weights hash, weights id, protocol dict) a pack trained on the recorded features must score videos with
    ("", "", None where the record names nothing, or names another backbone). A pack that cut its clips another
    way, or ran other weights, than the features it learned from would score every video off, silently."""
    from ..protocols import ClipProtocol

    if not record or str(record.get("backbone") or "") != backbone:
        return "", "", None
    protocol = None
    if isinstance(record.get("protocol"), dict):
        try:
            protocol = ClipProtocol.from_dict(record["protocol"]).to_dict()
        except (KeyError, TypeError, ValueError):
            protocol = None  # unreadable: the dataset's default, as for features without a record
    weights_id = str(record.get("weights_id") or record.get("weights_source") or "")
    return str(record.get("weights_hash") or ""), weights_id, protocol


def pack_mismatch(record: dict[str, Any] | None, backbone: str, weights_hash: str = "") -> str | None:
    """Why a pack with this backbone (and weights hash, when it records one) does not fit the features, or None."""
    if not record:
        return None
    made_with = str(record.get("backbone") or "")
    if made_with and made_with != backbone:
        return f"these features were made with the {made_with} backbone, but the pack's is {backbone}"
    made_hash = str(record.get("weights_hash") or "")
    if made_hash and weights_hash and made_hash != weights_hash:
        return (
            f"these features were made with other {backbone} weights (hash {made_hash[:12]}) than the pack's "
            f"own (hash {weights_hash[:12]}, e.g. fine-tuned): extract them with `vatp extract --pack PACK`"
        )
    return None
