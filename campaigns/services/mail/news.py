"""News of campaigns for donors who asked for it (``Donation.updates_opt_in``): the
one-click unsubscribe link every such e-mail carries, and what that link does.

The link names the donor's gift and carries a keyed code of it (HMAC-SHA256 under a key
derived from SECRET_KEY, for this purpose only): nobody can make a link for another gift,
and no token needs storing. Following it stops news to the gift's e-mail address, for all
of its gifts; a later gift can ask for news again. The headers follow RFC 8058, so a mail
client's own "Unsubscribe" button works without opening a page.
"""

from __future__ import annotations

import hashlib
import hmac

from sqlalchemy import update
from sqlalchemy.orm import Session

from campaigns.models import Donation
from campaigns.settings import Settings

PURPOSE = b"news-unsubscribe"
CODE_LENGTH = 32  # hex characters: 128 bits


def _code(secret_key: str, donation_id: int) -> str:
    key = hmac.new(secret_key.encode(), PURPOSE, hashlib.sha256).digest()
    return hmac.new(key, str(donation_id).encode(), hashlib.sha256).hexdigest()[:CODE_LENGTH]


def unsubscribe_url(settings: Settings, donation_id: int) -> str:
    """The link that stops news to the e-mail address of gift ``donation_id``."""
    code = _code(settings.secret_keys[0], donation_id)
    return settings.absolute_url("donor.unsubscribe", donation_id=donation_id, code=code)


def news_headers(url: str) -> dict[str, str]:
    """RFC 8058 one-click unsubscribe headers for a news e-mail with link ``url``."""
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def _valid(settings: Settings, donation_id: int, code: str) -> bool:
    """Whether ``code`` was made for this gift with the current or a fallback key."""
    return any(hmac.compare_digest(_code(key, donation_id), code) for key in settings.secret_keys)


def subscribed_gift(session: Session, settings: Settings, donation_id: int, code: str):
    """The gift an unsubscribe link names, or None for a wrong code or no such gift."""
    if not _valid(settings, donation_id, code):
        return None
    return session.get(Donation, donation_id)


def stop_news(session: Session, donation: Donation) -> int:
    """No more news to ``donation``'s e-mail address; returns how many gifts asked for it."""
    result = session.execute(
        update(Donation)
        .where(Donation.donor_email == donation.donor_email, Donation.updates_opt_in)
        .values(updates_opt_in=False)
        .execution_options(synchronize_session="fetch")
    )
    return result.rowcount
