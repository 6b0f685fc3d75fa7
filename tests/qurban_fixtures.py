"""A Qurban campaign with sheep and cow shares, and gifts of shares paid through the demo
checkout as donors make them (proxy box ticked, one name per share)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from flask import current_app

from campaigns.extensions import db
from campaigns.filters import local_today
from campaigns.models import Donation
from campaigns.services.giving.donations import GiftForm, start_donation, validate_gift
from campaigns.services.giving.settlement import fulfill_checkout
from tests.payments_fixtures import thank_you_urls


@pytest.fixture
def qurban(make_campaign, make_option):
    """Sheep (1 share an animal) and cow shares (7 an animal), both needing the proxy."""
    campaign = make_campaign("qurban", title="Qurban 2026", currency="TRY")
    sheep = make_option(
        campaign,
        "One sheep",
        unit_price=8_500_00,
        needs_on_behalf=True,
        needs_proxy=True,
        shares_per_animal=1,
    )
    cow = make_option(
        campaign,
        "Cow share",
        unit_price=7_000_00,
        needs_on_behalf=True,
        needs_proxy=True,
        shares_per_animal=7,
        position=1,
    )
    return SimpleNamespace(campaign=campaign, sheep=sheep, cow=cow)


def start_shares(option, names, *, email="ayse@example.org", locale="en") -> Donation:
    """A pending gift of ``len(names)`` shares of ``option``, proxy given."""
    form = GiftForm(
        option=str(option.id),
        quantity=str(len(names)),
        name="Ayşe Yılmaz",
        email=email,
        on_behalf=list(names),
        proxy=True,
    )
    campaign = option.campaign
    gift = validate_gift(db.session, campaign, form, locale=locale, today=local_today())
    donation, _url = start_donation(
        db.session,
        current_app.extensions["payment_provider"],
        current_app.extensions["settings"],
        campaign,
        gift,
        thank_you_urls,
        commit=db.session.commit,
    )
    return donation


def pay(donation: Donation) -> Donation:
    """The donor pays at the demo checkout and the app settles it."""
    provider = current_app.extensions["payment_provider"]
    provider.pay(donation.provider_session_id)
    fulfill_checkout(
        db.session, provider, current_app.extensions["settings"], donation.provider_session_id
    )
    db.session.commit()
    return donation


def give_shares(option, names, **kwargs) -> Donation:
    """A paid gift of one share per name."""
    return pay(start_shares(option, names, **kwargs))


def line_numbers(text: str, names: list[str]) -> list[int]:
    """The line of ``text`` (a PDF's, as pypdf reads it) holding each name, -1 if none.

    A line matches when it has the same letters as the name: pypdf reads the glyph run
    that ends a right-to-left line out of place ("ينمحمد الأم" for "محمد الأمين"), though
    the page shows the name as written."""

    def letters(line: str) -> list[str]:
        return sorted(line.replace(" ", ""))

    lines = [letters(line) for line in text.splitlines()]
    return [next((i for i, line in enumerate(lines) if line == letters(n)), -1) for n in names]
