"""Bank-transfer reference codes: ``7QKD-M4XP``, 8 characters a donor types into a
transfer's description.

The alphabet leaves out the characters people confuse (0 and O, 1, I and L): 31 of them,
a prime. The last character is a check: the weighted sum of all eight (weights 1 to 8) is
0 modulo 31, so any one mistyped character, and any two neighbours swapped, give a code
that is recognised as wrong rather than taken for another donor's.
"""

from __future__ import annotations

import re
import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
VALUE = {c: i for i, c in enumerate(ALPHABET)}
BASE = len(ALPHABET)  # 31, prime
LENGTH = 8
# Runs of code characters once spaces and dashes are taken out of a description.
_RUNS = re.compile(f"[{ALPHABET}]{{{LENGTH},}}")


def _check_char(body: str) -> str:
    total = sum((i + 1) * VALUE[c] for i, c in enumerate(body))
    # Find c with total + LENGTH * c = 0 (mod 31); LENGTH is invertible modulo a prime.
    return ALPHABET[(-total * pow(LENGTH, -1, BASE)) % BASE]


def new_code() -> str:
    """A random code (7 random characters and the check): 31^7, some 27 billion."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH - 1))
    return body + _check_char(body)


def is_valid(code: str) -> bool:
    return (
        len(code) == LENGTH
        and all(c in VALUE for c in code)
        and sum((i + 1) * VALUE[c] for i, c in enumerate(code)) % BASE == 0
    )


def printed(code: str) -> str:
    """The code as shown to donors: two groups of four."""
    return f"{code[:4]}-{code[4:]}"


def compact(text: str) -> str:
    """``text`` upper-cased without spaces and dashes, as codes are looked for in it."""
    return re.sub(r"[\s\-‐-―]+", "", text.upper())


def codes_in(text: str) -> list[str]:
    """Every valid code written anywhere in ``text`` (any case, spaces or dashes inside):
    each 8-character window of a run of code characters whose check holds. A mistyped
    code fails its check and is not among them."""
    found: list[str] = []
    for run in _RUNS.findall(compact(text)):
        for start in range(len(run) - LENGTH + 1):
            window = run[start : start + LENGTH]
            if is_valid(window) and window not in found:
                found.append(window)
    return found
