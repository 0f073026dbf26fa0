"""Fetched pages kept for 15 minutes, keyed by URL, so asking about a page again is quick.

One ``PageCache`` lives for a session (``ToolContext.state``); entries older than the time to
live are dropped when looked up or when a new page is stored.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

TTL_SECONDS = 15 * 60
T = TypeVar("T")


@dataclass
class PageCache(Generic[T]):
    """URL → value, each for ``ttl`` seconds after it was stored."""

    ttl: float = TTL_SECONDS
    clock: Callable[[], float] = time.monotonic
    _items: dict[str, tuple[float, T]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, url: str) -> T | None:
        with self._lock:
            found = self._items.get(url)
            if found is None:
                return None
            if self.clock() - found[0] >= self.ttl:
                del self._items[url]
                return None
            return found[1]

    def put(self, url: str, value: T) -> None:
        with self._lock:
            now = self.clock()
            self._items = {k: v for k, v in self._items.items() if now - v[0] < self.ttl}
            self._items[url] = (now, value)
