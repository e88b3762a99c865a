"""The thread that prepares the next video (hash, and decode + features when the scorer splits) ahead."""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable


@dataclass
class Prepared:
    """One video as the prefetch thread hands it to the loop: hash, resume verdict, features or the error."""

    path: Path
    rel: str
    chash: str = ""
    skip: bool = False
    features: Any = None
    error: BaseException | None = None
    seconds: float = 0.0


_DONE = object()


class Prefetcher(threading.Thread):
    """Hashes and (when the scorer splits its work) decodes + extracts features one video ahead."""

    def __init__(self, items: list[tuple[Path, str]], prepare: Callable[[Path, str], Prepared], depth: int = 1):
        super().__init__(name="vatp-batch-prefetch", daemon=True)
        self.items = items
        self.prepare = prepare
        self.out: queue.Queue = queue.Queue(maxsize=max(1, depth))
        self.stop = threading.Event()
        self.failure: BaseException | None = None

    def run(self) -> None:
        try:
            for path, rel in self.items:
                if self.stop.is_set():
                    break
                item = self.prepare(path, rel)
                while not self.stop.is_set():
                    try:
                        self.out.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
        except BaseException as exc:  # handed to the consumer, which raises it in its own thread
            self.failure = exc
        finally:
            while True:  # always deliver the end marker after every prepared item
                try:
                    self.out.put(_DONE, timeout=0.1)
                    break
                except queue.Full:
                    if self.stop.is_set():  # the consumer has gone: make room, nobody reads these items
                        try:
                            self.out.get_nowait()
                        except queue.Empty:
                            pass

    def __iter__(self):
        while True:
            item = self.out.get()
            if item is _DONE:
                if self.failure is not None:
                    raise self.failure
                return
            yield item
