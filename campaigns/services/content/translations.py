"""The other languages of what staff write: read by the same text rules as the charity's
own language (``campaigns.text``), stored in a model's ``translations`` column.

A form posts each language's version of a field as ``<language>-<field>`` (``tr-title``,
``ar-summary``); a service gives ``read_translations`` those values grouped by language
(``{"tr": {"title": "..."}}``) and the rules of its fields, and stores what it returns.
Empty fields are left out: the page then shows the source text in its own language.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from campaigns.text import read_text

Typed = Mapping[str, Mapping[str, str]]


@dataclass(frozen=True)
class TextRule:
    """How one translatable field is read: its length limit, one line or several."""

    limit: int
    multiline: bool = False


def read_translations(
    typed: Typed,
    rules: Mapping[str, TextRule],
    languages: Iterable[str],
    errors: dict[str, str],
    prefix: str = "",
) -> dict[str, dict[str, str]]:
    """The versions of the fields in ``rules`` typed for each of ``languages``, read as
    the source fields are; a message per bad field as ``errors["tr-title"]`` (with
    ``prefix``: ``errors["figures-0-tr-label"]``). Empty values are dropped."""
    translations: dict[str, dict[str, str]] = {}
    for lang in languages:
        values = typed.get(lang) or {}
        written = {}
        for name, rule in rules.items():
            text = read_text(
                values.get(name) or "",
                f"{prefix}{lang}-{name}",
                rule.limit,
                errors,
                multiline=rule.multiline,
            )
            if text:
                written[name] = text
        if written:
            translations[lang] = written
    return translations
