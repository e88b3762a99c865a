"""Every way the model's sequential pass can decode, for parametrizing frame-exactness tests.

"one": one software decoder, threads per core; "ranges": three decoders on short keyframe-aligned ranges
(the range minimum is lowered so the small test files split into many); "nvdec": NVDEC, which falls back
to software decoding on a machine without a usable GPU (the fallback is then what is tested).
"""

from __future__ import annotations

import pytest

from vatp_core.video import DecodeOptions

PATHS = {
    "one": DecodeOptions(workers=1),
    "ranges": DecodeOptions(workers=3),
    "nvdec": DecodeOptions(hwaccel="cuda", workers=1),
}


@pytest.fixture(params=list(PATHS))
def decode(request, monkeypatch) -> DecodeOptions:
    if request.param == "ranges":
        import vatp_core.video.decoding as decoding

        monkeypatch.setattr(decoding, "MIN_RANGE_FRAMES", 8)
    return PATHS[request.param]
