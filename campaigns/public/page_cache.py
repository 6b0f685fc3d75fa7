"""Rendered campaign pages, kept per worker process.

A campaign page is the hottest page of the site and changes mostly when money arrives.
Each request still asks the database one small question (the totals' version and the
stock held), so a gift shows at once; staff edits to the story, options or reports show
within ``PAGE_CACHE_SECONDS``. The per-visitor CSRF token is put back on every hit.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from threading import Lock

# Stands in for the visitor's CSRF token in a stored page.
TOKEN_PLACEHOLDER = "\x00csrf\x00"  # noqa: S105 - a marker, not a secret


class PageCache:
    """A small LRU of rendered pages with an expiry per entry; thread-safe."""

    def __init__(self, max_entries: int = 256):
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple, tuple[float, str]] = OrderedDict()
        self._lock = Lock()

    def get(self, key: tuple, token: str) -> str | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[0] < time.monotonic():
                return None
            self._entries.move_to_end(key)
        return entry[1].replace(TOKEN_PLACEHOLDER, token)

    def put(self, key: tuple, html: str, token: str, seconds: float) -> None:
        stored = html.replace(token, TOKEN_PLACEHOLDER)
        with self._lock:
            self._entries[key] = (time.monotonic() + seconds, stored)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
