"""Random or hostile weight files give one clean line (issue 16 item 15)."""

from __future__ import annotations

import pytest

from vatp_core.features import checkpoints


def test_random_bytes_pth_never_suggests_weights_only_false(tmp_path):
    """torch's message tells the user to re-run with weights_only=False (running the file's code) in colour."""
    path = tmp_path / "random.pth"
    path.write_bytes(bytes([0x80, 0x02]) + bytes(range(175, 256)) * 60)  # fixed bytes: a pickle with bad opcodes
    with pytest.raises(checkpoints.WeightsVerificationError) as err:
        checkpoints.read_state_file(path)
    message = str(err.value)
    assert "weights_only" not in message and "\x1b[" not in message and "\n" not in message
    assert message.startswith("Refusing random.pth: ") and message.endswith("never code).")


def test_torch_reason_strips_colour_codes():
    from vatp_core.safe_pickle import torch_load_reason

    exc = RuntimeError(
        "\x1b[31mWeights only load failed.\x1b[0m Re-running with `weights_only` set to False...\n"
        "WeightsUnpickler error: Unsupported operand 175\n\nCheck the documentation"
    )
    assert torch_load_reason(exc) == "not a plain tensor file (Unsupported operand 175)"
