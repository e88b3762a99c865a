"""The words of a report: times, the clip protocol, the pack's judging label and manifest."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

from vatp_core.result import PackRecord


def fmt_value(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {fmt_value(x)}" for k, x in v.items()) + "}"
    return str(v)


def protocol_text(protocol: Any) -> str:
    if isinstance(protocol, dict):
        name = protocol.get("name", "")
        extra = ", ".join(f"{k} {v}" for k, v in protocol.items() if k != "name" and v not in (None, "", [], {}))
        return f"{name} ({extra})" if extra else str(name)
    return str(protocol or "")


def not_for_judging(pack: PackRecord) -> str:
    label = pack.label
    if pack.not_for_judging:
        return label or "not for judging"
    return label if "judg" in label.lower() else ""


def pack_manifest(pack: PackRecord) -> dict:
    """The pack's manifest.json (description, training data, metrics) when the pack is still where it was."""
    path = Path(pack.path)
    try:
        if path.is_dir() and (path / "manifest.json").is_file():
            return json.loads((path / "manifest.json").read_text(encoding="utf-8"))
        if path.is_file() and zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as zf:
                name = next((n for n in zf.namelist() if n.rsplit("/", 1)[-1] == "manifest.json"), None)
                if name and zf.getinfo(name).file_size < 10_000_000:
                    return json.loads(zf.read(name).decode("utf-8"))
    except (OSError, ValueError, zipfile.BadZipFile):
        pass
    return {}
