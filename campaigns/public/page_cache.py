"""Rendered campaign pages, kept per worker process.

A campaign page is the hottest page of the site and changes mostly when money arrives.
Whether a stored page is still right is one small query (catalog.campaign_version: the
totals' last update, the stock held, the campaign's own ``updated_at``), asked at most once per
``PAGE_VERSION_SECONDS`` per worker: a gift or an edit shows within that (a second by
default). The per-visitor CSRF token is put back into the page on every hit: a page is
kept as its UTF-8 bytes split where the token was, so a hit is one join, with no search
and no encoding of the whole page. When a gift changes the version, one thread of the
worker renders the new page; its other readers meanwhile get the page before it (see
PageCache.page), so a burst of readers at the moment money arrives costs one render.
Parts of the page that only staff change (the campaign's reports) are kept drawn apart
(PageCache.part, keyed by the campaign's ``updated_at``), so a gift redraws the rest only.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from threading import Lock

from campaigns.lru import LruCache


def time_step(last_gift: datetime | None, now: datetime) -> int:
    """Which step of time a page showing "how long ago" gifts came belongs to, as part of
    its cache key: a new minute while the newest gift is under an hour old (its words
    count minutes), a new hour under a day (hours), else one step (the key's day does
    the rest). ``last_gift`` is the totals' last update: no gift is newer than it."""
    if last_gift is None:
        return 0
    age = (now - last_gift).total_seconds()
    if age < 3600:
        return int(now.timestamp() // 60)
    if age < 86400:
        return int(now.timestamp() // 3600)
    return 0


class PageCache:
    """A small LRU of rendered pages with an expiry per entry; thread-safe."""

    def __init__(self, max_entries: int = 256):
        self.max_entries = max_entries
        # key -> (expiry, the page's bytes split where the token goes)
        self._entries = LruCache(max_entries)
        # family -> the entry stored last for it, whatever its version (see page())
        self._latest = LruCache(max_entries)
        self._rendering: set[tuple] = set()  # families a thread is rendering now
        self._versions: dict[str, tuple[float, tuple | None]] = {}
        self._reading: set[str] = set()  # slugs whose version a thread is reading now
        self._parts = LruCache(max_entries)  # key -> a drawn part of a page (see part())
        self._lock = Lock()

    def version(self, slug: str, read: Callable[[], tuple | None], seconds: float):
        """The page's version, read with ``read()`` unless read less than ``seconds`` ago.
        One thread reads it at a time: while it does, the worker's other threads answer
        with the version read before (a gift shows at most that read's time later), rather
        than all asking the database the same question at once."""
        now = time.monotonic()
        known = self._versions.get(slug)
        if known is not None and known[0] > now:
            return known[1]
        with self._lock:
            busy = known is not None and slug in self._reading
            if not busy:
                self._reading.add(slug)
        if busy:
            return known[1]
        try:
            version = read()
        finally:
            with self._lock:
                self._reading.discard(slug)
        if seconds:
            with self._lock:
                if len(self._versions) >= self.max_entries:
                    self._versions.clear()
                self._versions[slug] = (now + seconds, version)
        return version

    def page(
        self, key: tuple, family: tuple, token: str, render: Callable[[], str], seconds: float
    ) -> bytes | str:
        """The page stored under ``key`` with ``token`` in it, else ``render()`` kept for
        ``seconds``. ``key`` extends ``family`` (the same page in the same language on the
        same day) with what changes it. One thread of the worker renders a family at a
        time: while it does, the others answer with the family's page stored last, if it
        has not expired, so a gift arriving while many read the page costs one render, not
        one per waiting reader, and none of them waits for it (the newer page is a render's
        time away). With none stored they render too."""
        entry = self._entries.get(key)
        now = time.monotonic()
        if entry is None or entry[0] < now:
            with self._lock:
                busy = family in self._rendering
                if not busy:
                    self._rendering.add(family)
            entry = self._latest.get(family) if busy else None
            if entry is None or entry[0] < now:
                return self._render(key, family, token, render, seconds, owner=not busy)
        return token.encode().join(entry[1])

    def part(self, key: tuple, render: Callable[[], str]) -> str:
        """A part of a page drawn once per ``key``, which names everything the part shows
        (for a campaign's reports: the campaign's ``updated_at``, which any write to a
        report linked to it bumps, the language and the day). Two threads missing it at
        once both draw it, which is rare and harmless: a part changes only with staff
        edits."""
        html = self._parts.get(key)
        if html is None:
            html = render()
            self._parts.put(key, html)
        return html

    def _render(
        self,
        key: tuple,
        family: tuple,
        token: str,
        render: Callable[[], str],
        seconds: float,
        owner: bool,
    ) -> str:
        try:
            html = render()
            entry = (time.monotonic() + seconds, tuple(html.encode().split(token.encode())))
            self._entries.put(key, entry)
            self._latest.put(family, entry)
            return html
        finally:
            if owner:
                with self._lock:
                    self._rendering.discard(family)

    def clear(self) -> None:
        self._entries.clear()
        self._latest.clear()
        self._parts.clear()
        with self._lock:
            self._versions.clear()
