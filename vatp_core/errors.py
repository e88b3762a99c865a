"""Exceptions shared across vatp_core. Their messages are written for the person using the app."""

from __future__ import annotations


class VATPError(Exception):
    """Base of every error whose message can be shown to a user as it is."""


class Cancelled(VATPError):
    """The user cancelled a running job."""

    def __init__(self, message: str = "Cancelled.") -> None:
        super().__init__(message)


def check_cancel(cancel) -> None:
    """Raise `Cancelled` when the cancel callback (or None) says so; call it between units of work."""
    if cancel is not None and cancel():
        raise Cancelled()
