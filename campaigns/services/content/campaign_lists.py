"""A campaign's list-shaped texts: its questions and answers, typed as blocks of lines
and stored as pairs, and the impact lines of its suggested amounts, each language's line
kept beside its amount."""

from __future__ import annotations

import re

from flask_babel import gettext as _

from campaigns.text import LONG_TEXT, read_text

# Suggested amounts a campaign may offer, and the length of each one's impact line.
MAX_SUGGESTIONS = 4
MAX_IMPACT = 120
MAX_FAQ = 20


def faq_text(faq: list[dict[str, str]]) -> str:
    """A campaign's questions and answers as staff type them (see ``read_faq``)."""
    return "\n\n".join(f"{pair['question']}\n{pair['answer']}" for pair in faq)


def read_faq(text: str, errors: dict[str, str], name: str = "faq") -> list[dict[str, str]]:
    """Questions and answers typed as blocks parted by a blank line: the question on the
    block's first line, its answer on the lines below (the field ``name``: "tr-faq" for
    the Turkish ones)."""
    typed = read_text(text, name, LONG_TEXT, errors, multiline=True)
    pairs = []
    for block in re.split(r"\n\s*\n", typed.replace("\r\n", "\n")):
        question, _newline, answer = block.strip().partition("\n")
        if not question:
            continue
        if not answer.strip():
            errors[name] = _("Please write an answer below the question “%(q)s”.", q=question)
        elif len(pairs) == MAX_FAQ:
            errors[name] = _("At most %(n)d questions, please.", n=MAX_FAQ)
        pairs.append({"question": question.strip(), "answer": answer.strip()})
    return pairs[:MAX_FAQ]


def read_translated_faqs(translations: dict[str, dict], errors: dict[str, str]) -> None:
    """Each language's FAQ, read as typed, stored as its list of pairs."""
    for lang, texts in translations.items():
        if "faq" in texts:
            texts["faq"] = read_faq(texts["faq"], errors, f"{lang}-faq")


def move_impact_translations(translations: dict[str, dict], suggested: list[dict]) -> None:
    """The impact lines typed in other languages follow their amount to its place among
    the suggestions (smallest first); one typed beside no amount is dropped."""
    for lang, texts in list(translations.items()):
        typed = {n: texts.pop(f"impact_{n}", "") for n in range(1, MAX_SUGGESTIONS + 1)}
        for place, suggestion in enumerate(suggested, start=1):
            if typed[suggestion["position"]]:
                texts[f"impact_{place}"] = typed[suggestion["position"]]
        if not texts:
            del translations[lang]
