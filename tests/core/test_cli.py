import json
import subprocess
import sys
from pathlib import Path

from vatp_core import __version__
from vatp_core.cli import main


def test_version_and_help(capsys):
    for argv, needle in ((["--version"], __version__), (["--help"], "usage: vatp")):
        try:
            main(argv)
        except SystemExit as exc:
            assert exc.code == 0
        assert needle in capsys.readouterr().out


def test_info_json(capsys, vatp_home):
    assert main(["info", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["vatp-studio"] == __version__
    assert info["config"].startswith(str(vatp_home))


def test_console_scripts_run():
    out = subprocess.run(
        [sys.executable, "-m", "vatp_core.cli", "--version"], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0 and __version__ in out.stdout
    out = subprocess.run(
        [sys.executable, str(Path(__file__).parents[2] / "main.py"), "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0 and "vatp-studio" in out.stdout
