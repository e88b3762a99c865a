"""The CLI's seam to the Qt-backed app: commands and the PDF renderer come from `vatp_studio.cli` entry points."""

from __future__ import annotations

import os
from importlib import metadata
from pathlib import Path

import pytest

from vatp_core import cli
from vatp_core.cli import extensions as ext_mod

ROOT = Path(__file__).resolve().parents[2]


class FakeEntryPoint:
    def __init__(self, value, target):
        self.value, self._target = value, target

    def load(self):
        if isinstance(self._target, Exception):
            raise self._target
        return self._target


def _use(monkeypatch, *entry_points):
    monkeypatch.setattr(ext_mod, "_loaded", ext_mod.load_extensions(list(entry_points)))


def test_an_extension_adds_a_command_and_the_report_renderer(monkeypatch, capsys):
    calls = []

    def register(sub):
        p = sub.add_parser("hello", help="say hello")
        p.add_argument("name")
        p.set_defaults(func=lambda args: calls.append(args.name) or 0)

    class Renderer:
        def report_maker(self, folder, page_size):
            return lambda row, result: folder / "x.pdf"

        def batch_summary(self, rows, metrics, out, *, page_size, title):
            return out

    def extend(ext):
        ext.add_command(register)
        ext.set_report_renderer(Renderer())

    _use(monkeypatch, FakeEntryPoint("pkg.cli:extend", extend))
    assert cli.main(["hello", "Ana"]) == 0 and calls == ["Ana"]
    assert isinstance(ext_mod.extensions().require_report_renderer(), Renderer)


def test_without_the_qt_part_the_cli_says_so_in_one_line(monkeypatch, capsys, tmp_path):
    _use(monkeypatch, FakeEntryPoint("app.cli:extend", ModuleNotFoundError("No module named 'PySide6'")))
    assert cli.main(["report", "r.json", "--out", "r.pdf"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "unknown command 'report'" in err[0] and "No module named 'PySide6'" in err[0]
    assert cli.main(["batch", str(tmp_path), "--reports", str(tmp_path / "pdf")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "PDF reports need Qt" in err[0]
    _use(monkeypatch)  # nothing registered at all
    assert cli.main(["report", "r.json"]) == 2
    assert "not installed here" in capsys.readouterr().err


def test_core_commands_work_without_extensions(monkeypatch, capsys):
    _use(monkeypatch)
    with pytest.raises(SystemExit) as done:
        cli.main(["--help"])
    assert done.value.code == 0 and "score" in capsys.readouterr().out


def test_pyproject_registers_the_app_extension():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())
    group = meta["project"]["entry-points"][ext_mod.ENTRY_POINT_GROUP]
    assert group == {"app": "app.cli:extend"}
    spec = (ROOT / "packaging" / "vatp_studio.spec").read_text()
    assert 'copy_metadata("vatp-studio")' in spec  # the frozen app finds the same entry points


def test_the_installed_metadata_has_the_entry_point():
    found = [ep.value for ep in metadata.entry_points(group=ext_mod.ENTRY_POINT_GROUP)]
    if "app.cli:extend" not in found:
        message = "the installed vatp-studio predates the vatp_studio.cli entry point: run pip install -e ."
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
