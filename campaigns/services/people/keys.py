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

from campaigns.settings import Settings


def _derive(secret_key: str | bytes, purpose: str) -> bytes:
    key = secret_key.encode() if isinstance(secret_key, str) else secret_key
    return hmac.new(key, purpose.encode(), hashlib.sha256).digest()


def keyed_hash(settings: Settings, purpose: str, text: str) -> str:
    """64 hex characters; the same text and purpose always give the same hash (under the
    current SECRET_KEY)."""
    key = _derive(settings.secret_keys[0], purpose)
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def _fernet(settings: Settings, purpose: str) -> MultiFernet:
    return MultiFernet(
        [
            Fernet(base64.urlsafe_b64encode(_derive(secret, purpose)))
            for secret in settings.secret_keys
        ]
    )


def encrypt(settings: Settings, purpose: str, text: str) -> str:
    return _fernet(settings, purpose).encrypt(text.encode()).decode()


def decrypt(settings: Settings, purpose: str, token: str) -> str | None:
    """The text, or None when no current or fallback key opens the token."""
    try:
        return _fernet(settings, purpose).decrypt(token.encode()).decode()
    except InvalidToken:
        return None
