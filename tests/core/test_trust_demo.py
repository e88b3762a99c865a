"""The bundled demo pack carries its calibration and OOD statistics, and they catch unrelated videos."""

import pytest

from tests.ood_videos import KINDS, write_ood_video
from vatp_core import paths
from vatp_core.pack import load_pack
from vatp_core.pipeline import Scorer


@pytest.fixture(scope="module")
def scorer():
    return Scorer(paths.demo_pack_path(), device="cpu")


def test_demo_pack_is_calibrated_with_ood_statistics(scorer):
    pack = load_pack(paths.demo_pack_path())
    assert pack.calibrated and pack.trust.calibration.n >= 100
    assert pack.trust.ood is not None and pack.trust.ood.reference_kind == "held-out"
    assert "seed 4000" in pack.trust.calibration.data  # a seed the demo build never used
    assert pack.manifest.format_version >= 2


def test_unrelated_videos_are_flagged(scorer, tmp_path):
    flagged = []
    for k, kind in enumerate(KINDS):
        video = write_ood_video(tmp_path / f"{kind}.mp4", kind, seed=100 + k, n_frames=32)
        check = scorer.pack.trust.ood.check(scorer.features(video, use_cache=False).features)
        flagged.append(check["flag"])
    assert all(flagged), dict(zip(KINDS, flagged))
