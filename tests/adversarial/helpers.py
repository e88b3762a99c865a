"""Shared by the adversarial tests: running the CLI in a child process under a simulated full disk."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def disk_full_after(limit_bytes: int):
    """A preexec_fn simulating a full disk without a mount: RLIMIT_FSIZE makes writes past the limit fail (EFBIG)."""

    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # else the kernel kills the process instead of failing the write
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))

    return apply


def run_cli(*args: str, cwd: Path | None = None, preexec=None, env: dict | None = None, timeout: float = 300):
    """`python -m vatp_core.cli ARGS` from this checkout; returns the CompletedProcess (text)."""
    full_env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONDONTWRITEBYTECODE": "1", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "vatp_core.cli", *args],
        cwd=cwd or REPO,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=preexec,
    )


def one_line_error(proc) -> str:
    """The CLI's stderr, asserted to be a single line without a traceback."""
    err = proc.stderr.strip()
    assert "Traceback" not in err, err
    assert len(err.splitlines()) == 1, err
    return err
