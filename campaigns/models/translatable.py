"""Text the charity writes, in every language the site speaks.

The charity's own language (the ``CONTENT_LANGUAGE`` setting) stays in a model's ordinary
columns; each other language lives in one JSON column, ``translations``
(``{"tr": {"title": "..."}, "ar": {...}}``), loaded with the row itself, so a page costs
no extra query per translated field. A model names its translatable fields once
(``TRANSLATED``); ``localized`` answers a field in the reader's language, or falls back to
the source text, and says which language it answered in (``Localized.lang``), so a page
can mark a fallback with its own ``lang`` and ``dir``.
"""

from __future__ import annotations

from functools import cache
from typing import ClassVar

from babel import Locale
from sqlalchemy import JSON
from sqlalchemy.orm import Mapped, mapped_column


class Localized(str):
    """A text and the language it is written in (``lang``)."""

    lang: str

    def __new__(cls, text: str, lang: str) -> Localized:
        value = super().__new__(cls, text)
        value.lang = lang
        return value


@cache
def direction(lang: str) -> str:
    """ "rtl" or "ltr": how ``lang`` (a code such as "ar") is written."""
    return "rtl" if Locale.parse(lang).character_order == "right-to-left" else "ltr"


class Translatable:
    """Mixin for a model whose ``TRANSLATED`` fields may be written in other languages."""

    TRANSLATED: ClassVar[tuple[str, ...]] = ()

    # {"tr": {"title": "..."}, "ar": {...}}: only what was written (no empty strings).
    translations: Mapped[dict] = mapped_column(JSON, default=dict, server_default="{}")

    def translation(self, name: str, lang: str) -> str:
        """``name`` as written in ``lang`` (not the source columns), or ""."""
        return ((self.translations or {}).get(lang) or {}).get(name) or ""

    def localized(self, name: str, lang: str, source: str) -> Localized:
        """Field ``name`` in ``lang`` when written, else the ``source`` language's text
        (the columns); either way with the language it is in."""
        if name not in self.TRANSLATED:
            raise KeyError(f"{type(self).__name__}.{name} is not translatable")
        if lang != source:
            text = self.translation(name, lang)
            if text:
                return Localized(text, lang)
        return Localized(getattr(self, name) or "", source)

    def missing(self, lang: str) -> list[str]:
        """The fields written in the source language but not yet in ``lang``."""
        return [
            name
            for name in self.TRANSLATED
            if getattr(self, name) and not self.translation(name, lang)
        ]
