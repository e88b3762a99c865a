"""The start-up check for the libraries Qt's xcb plugin needs: one line naming packages, non-zero exit."""

from __future__ import annotations

from app import main as app_main
from app import xcb_check


def test_missing_libraries_are_named_as_packages(monkeypatch):
    monkeypatch.setattr(xcb_check.sys, "platform", "linux")
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    problem = xcb_check.xcb_problem(loads=lambda lib: "icccm" not in lib and "keysyms" not in lib)
    assert problem is not None and "libxcb-icccm4 libxcb-keysyms1" in problem and "\n" not in problem
    assert xcb_check.xcb_problem(loads=lambda lib: True) is None
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    assert xcb_check.xcb_problem(loads=lambda lib: False) is None


def test_main_exits_non_zero_before_qt_when_libraries_are_missing(monkeypatch, capsys):
    monkeypatch.setattr(xcb_check.sys, "platform", "linux")
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.setattr(xcb_check, "_loads", lambda lib: "cursor" not in lib)
    monkeypatch.setattr(xcb_check.xcb_problem, "__defaults__", (xcb_check._loads,))
    assert app_main.main([]) == 3
    err = capsys.readouterr().err
    assert "sudo apt install libxcb-cursor0" in err
