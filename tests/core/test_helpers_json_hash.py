"""The one JSON-default hook and the one file-hash helper."""

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from vatp_core.hashing import sha256_file
from vatp_core.jsonable import json_default


def test_sha256_file_matches_hashlib_and_reports_progress(tmp_path):
    f = tmp_path / "x.bin"
    f.write_bytes(b"abc" * 1000)
    seen = []
    assert sha256_file(f, lambda stage, done, total: seen.append((stage, done, total)), chunk=1024) == (
        hashlib.sha256(b"abc" * 1000).hexdigest()
    )
    assert seen[-1] == ("verify", 3000, 3000)


def test_json_default_converts_arrays_paths_and_dataclasses():
    class Obj:
        def to_dict(self):
            return {"a": 1}

    text = json.dumps({"p": Path("/tmp/a"), "v": np.arange(3), "s": np.float32(1.5), "o": Obj()}, default=json_default)
    assert json.loads(text) == {"p": "/tmp/a", "v": [0, 1, 2], "s": 1.5, "o": {"a": 1}}
    with pytest.raises(TypeError):
        json.dumps({"x": object()}, default=json_default)
