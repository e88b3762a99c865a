"""Scorer fakes the worker *process* imports by name ("tests.app.worker_fakes:Name"): no Qt here."""

from __future__ import annotations

import os
import signal
import time

from vatp_core.errors import VATPError, check_cancel


class SlowFakeScorer:
    """Stands in for vatp_core.pipeline.Scorer: 40 'clips' of 50 ms, polling cancel between clips."""

    def __init__(self, pack, device):
        self.pack, self.device = pack, device

    def score(self, video, *, progress=None, cancel=None, difficulty=None):
        n = 40
        for i in range(n):
            check_cancel(cancel)
            time.sleep(0.05)  # one simulated clip
            progress("features", i + 1, n)
        return {"video": str(video), "pack": self.pack, "device": self.device, "pid": os.getpid()}


class SlowLoadScorer(SlowFakeScorer):
    """A model load that takes a minute and cannot be interrupted (as torch's import and a pack load)."""

    def __init__(self, pack, device):
        super().__init__(pack, device)
        if pack == "slow-load":
            time.sleep(60)  # one simulated uninterruptible load


class CrashingScorer(SlowFakeScorer):
    """Scoring a video named crash.mp4 kills the process, as an out-of-memory kill or a CUDA crash would."""

    def score(self, video, *, progress=None, cancel=None, difficulty=None):
        if str(video).endswith("crash.mp4"):
            os.kill(os.getpid(), signal.SIGKILL)
        if str(video).endswith("noweights.mp4"):
            from vatp_core.features.checkpoints import MissingWeightsError

            raise MissingWeightsError("Backbone weights swin_b.pth not found in /x.", filename="swin_b.pth")
        if str(video).endswith("bad.mp4"):
            raise VATPError("The video has no frames.")
        return {"video": str(video), "pack": self.pack, "pid": os.getpid()}


def batch_fake(pack, device):
    """The batch tests' FakeScorer (decodes each video); pack "slow-load:FILE" touches FILE and then loads for a
    minute, "slow" takes 0.3 s per video."""
    from pathlib import Path

    from tests.core.test_batch import FakeScorer

    if pack and pack.startswith("slow-load:"):
        Path(pack.split(":", 1)[1]).touch()
        time.sleep(60)  # one simulated uninterruptible load
    return FakeScorer(delay=0.3 if pack == "slow" else 0.0)
