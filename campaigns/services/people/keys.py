"""Keys derived from SECRET_KEY, one per purpose, for what is kept secret at rest.

Sign-in and recovery codes are stored as keyed hashes (HMAC-SHA256): a copy of the database
alone cannot test guesses against them. Authenticator secrets are encrypted (Fernet); keys in
SECRET_KEY_FALLBACKS still decrypt, so the key can be rotated without turning off anyone's
two-step sign-in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app


def _derive(secret_key: str | bytes, purpose: str) -> bytes:
    key = secret_key.encode() if isinstance(secret_key, str) else secret_key
    return hmac.new(key, purpose.encode(), hashlib.sha256).digest()


def keyed_hash(purpose: str, text: str) -> str:
    """64 hex characters; the same text and purpose always give the same hash."""
    key = _derive(current_app.config["SECRET_KEY"], purpose)
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def _fernet(purpose: str) -> MultiFernet:
    config = current_app.config
    secrets = [config["SECRET_KEY"], *(config["SECRET_KEY_FALLBACKS"] or ())]
    return MultiFernet(
        [Fernet(base64.urlsafe_b64encode(_derive(secret, purpose))) for secret in secrets]
    )


def encrypt(purpose: str, text: str) -> str:
    return _fernet(purpose).encrypt(text.encode()).decode()


def decrypt(purpose: str, token: str) -> str | None:
    """The text, or None when no current or fallback key opens the token."""
    try:
        return _fernet(purpose).decrypt(token.encode()).decode()
    except InvalidToken:
        return None
