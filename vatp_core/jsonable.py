"""The one ``json.dumps(default=...)`` hook for what VATP Studio writes: arrays, scalars, paths, dataclasses."""

from __future__ import annotations

import os
from typing import Any


def json_default(value: Any) -> Any:
    """numpy/torch scalars and arrays, paths and objects with ``to_dict`` become plain JSON values."""
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    tolist = getattr(value, "tolist", None)
    if tolist is not None:
        return tolist()
    to_dict = getattr(value, "to_dict", None)
    if to_dict is not None:
        return to_dict()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
