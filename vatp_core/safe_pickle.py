"""Read the public datasets' pickles without letting them run code.

Only builtins containers and numpy arrays / scalars may be rebuilt; anything else raises
`UnsafePickleError`. Never use plain `pickle.load` on a file a user supplies.
"""

from __future__ import annotations

import io
import pickle
import re
from pathlib import Path
from typing import Any

from .errors import VATPError


class UnsafePickleError(VATPError):
    """The pickle asks for a class that is not on the allow-list."""


_ALLOWED: set[tuple[str, str]] = {
    ("builtins", name)
    for name in (
        "dict",
        "list",
        "tuple",
        "set",
        "frozenset",
        "int",
        "float",
        "complex",
        "str",
        "bytes",
        "bytearray",
        "bool",
        "slice",
        "range",
    )
} | {
    ("collections", "OrderedDict"),
    ("collections", "defaultdict"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy.core.numeric", "_frombuffer"),
    ("numpy._core.numeric", "_frombuffer"),
}


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _ALLOWED:
            return super().find_class(module, name)
        if module == "numpy" and name in ("float64", "float32", "int64", "int32", "bool_", "str_"):
            return super().find_class(module, name)
        raise UnsafePickleError(
            f"refusing to load {module}.{name} from a pickle: only plain data and numpy arrays are allowed"
        )


def safe_loads(data: bytes) -> Any:
    return _RestrictedUnpickler(io.BytesIO(data), encoding="latin1").load()


def safe_load(path: str | Path) -> Any:
    """Load a pickle of plain data and numpy arrays; raises `UnsafePickleError` on anything else."""
    with open(path, "rb") as fh:
        return _RestrictedUnpickler(fh, encoding="latin1").load()


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def torch_load_reason(exc: BaseException) -> str:
    """Why ``torch.load(weights_only=True)`` refused a file, in one line without torch's advice.

    torch suggests re-running with ``weights_only=False`` (which would run the file's code) and may colour its
    text for a terminal; a user of this app must never be told to do that, so only the cause is kept.
    """
    text = _ANSI.sub("", str(exc)).strip()
    if "weights_only" in text or "Weights only load failed" in text:
        cause = re.search(r"WeightsUnpickler error:\s*(.+?)(?:\n\s*\n|$)", text, re.S)
        detail = " ".join(cause.group(1).split()) if cause else ""
        return "not a plain tensor file" + (f" ({detail})" if detail else "")
    first = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    return first or type(exc).__name__
