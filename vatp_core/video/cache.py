"""A least-recently-used cache of decoded frames bounded in megabytes (the player's step-back buffer)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable

import numpy as np


class FrameCache:
    """LRU mapping key → ndarray whose total size never exceeds ``max_mb`` megabytes (thread-safe)."""

    def __init__(self, max_mb: float = 256) -> None:
        self.max_bytes = max(0, int(max_mb * 1024 * 1024))
        self._items: OrderedDict[Hashable, np.ndarray] = OrderedDict()
        self.nbytes = 0
        self.hits = 0
        self.misses = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._items

    def get(self, key: Hashable) -> np.ndarray | None:
        with self._lock:
            arr = self._items.get(key)
            if arr is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return arr

    def put(self, key: Hashable, arr: np.ndarray) -> None:
        """Store ``arr`` (made read-only); evict the oldest entries until the budget holds."""
        size = int(arr.nbytes)
        if size > self.max_bytes:
            return
        arr.flags.writeable = False
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self.nbytes -= int(old.nbytes)
            self._items[key] = arr
            self.nbytes += size
            while self.nbytes > self.max_bytes and self._items:
                _, dropped = self._items.popitem(last=False)
                self.nbytes -= int(dropped.nbytes)

    def capacity_for(self, frame_bytes: int) -> int:
        """How many frames of ``frame_bytes`` bytes fit in the budget."""
        return self.max_bytes // max(1, frame_bytes)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.nbytes = 0
