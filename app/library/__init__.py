"""The Library tab: every scored attempt, searchable, with progress charts per athlete and pack."""

from .tab import LibraryTab

__all__ = ["LibraryTab"]
