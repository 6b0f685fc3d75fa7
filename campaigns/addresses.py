"""A donor's e-mail address in the one form in which it is stored and compared.

A donor is an e-mail address, compared without regard to case. Comparing in SQL with
``lower()`` fails on SQLite, whose ``lower()`` changes ASCII letters only (``Ümit`` never
matches ``ümit``), so addresses are normalised in Python before they are stored and
before they are looked up, and SQL compares them as they are (using the column's index).
"""

from __future__ import annotations

import unicodedata


def email_key(address: str) -> str:
    """``address`` without surrounding space, lower-cased (all of it, every script), in
    Unicode NFC, so any spelling a donor types of one address gives the same text.
    Idempotent: ``email_key(email_key(a)) == email_key(a)``."""
    return unicodedata.normalize("NFC", address.strip().lower())
