"""Donor self-service: the sign-in link by e-mail (same answer for any address), the
donor's own gifts and nobody else's, cancelling a monthly gift, the annual statement."""

from __future__ import annotations

import base64
import io
import re
import time
import unicodedata

import pytest
from flask import current_app
from itsdangerous import URLSafeTimedSerializer
from pypdf import PdfReader
from sqlalchemy import select

from campaigns.extensions import db, limiter
from campaigns.filters import local_today
from campaigns.models import OutboxMessage, Receipt
from campaigns.payments import ProviderError
from campaigns.payments.demo_provider import DemoProvider
from campaigns.services.books.receipts import render_statement
from campaigns.services.giving import refunds
from tests.markup import parse
from tests.payments_fixtures import isolated, reloaded
from tests.statements import statements_sent

LINK = re.compile(r"http://campaigns\.test(/donor/\S+)")


@pytest.fixture(autouse=True)
def _fresh_rate_limits(app):
    """The limiter's memory lives as long as the app; each test starts with none used."""
    limiter.reset()


def csrf_of(html: bytes) -> str:
    inputs = parse(html).find_all("input")
    return next(i.attrs["value"] for i in inputs if i.attrs.get("name") == "csrf_token")


def ask_for_link(client, email: str, **environ):
    page = isolated(client.get, "/donor")
    data = {"csrf_token": csrf_of(page.data), "email": email}
    return isolated(client.post, "/donor", data=data, environ_base=environ)


def sign_in_links() -> list[OutboxMessage]:
    db.session.expire_all()
    query = select(OutboxMessage).where(OutboxMessage.key.startswith("donor-link:"))
    return list(db.session.scalars(query.order_by(OutboxMessage.id)))


def signed_in(client, email: str) -> str:
    """Ask for a link as ``email`` and return its path, as read from the e-mail."""
    assert ask_for_link(client, email).status_code == 303
    return LINK.search(sign_in_links()[-1].body_text).group(1)


def text(response) -> str:
    return parse(response.data).find("main").text


def receipt_of(donation) -> Receipt:
    return db.session.scalars(select(Receipt).where(Receipt.donation_id == donation.id)).one()


def test_known_and_unknown_addresses_get_the_same_answer(client, give):
    give(email="ayse@example.org")

    unknown = ask_for_link(client, "nobody@example.org")
    known = ask_for_link(client, "ayse@example.org")

    assert (unknown.status_code, unknown.location) == (known.status_code, known.location)
    assert unknown.data == known.data
    page = isolated(client.get, known.location)
    assert "If we have gifts under that address, we have e-mailed you a link" in text(page)
    to_nobody, to_ayse = sign_in_links()
    assert to_ayse.to == "ayse@example.org"
    assert "It works for one hour" in to_ayse.body_text
    assert LINK.search(to_ayse.body_text)
    # Only the mailbox learns that it has no gifts here; it gets no link.
    assert to_nobody.to == "nobody@example.org"
    assert to_nobody.subject == "We have no gifts under this e-mail address"
    assert "We have no gifts under it." in to_nobody.body_text
    assert not LINK.search(to_nobody.body_text)


def statements_of(client, email: str) -> list[str]:
    """The SQL a sign-in link request for ``email`` runs, without its parameters."""
    with statements_sent() as statements:
        assert ask_for_link(client, email).status_code == 303
    return statements


def test_known_and_unknown_addresses_cost_the_same_work(client, give, monkeypatch):
    give(email="ayse@example.org")
    minutes = iter(range(0, 3600, 60))

    class MinuteApart:
        @staticmethod
        def time() -> float:
            return time.time() + next(minutes)

    monkeypatch.setattr("itsdangerous.timed.time", MinuteApart)

    for _ in range(2):
        unknown = statements_of(client, "nobody@example.org")
        known = statements_of(client, "ayse@example.org")

        # The same queries, the same insert of one e-mail: the timing tells nothing.
        assert unknown == known
        assert sum(s.lstrip().upper().startswith("INSERT") for s in known) == 1
    # Each insert wrote its e-mail, asked again or not (none was a duplicate doing less).
    assert [m.to for m in sign_in_links()] == ["nobody@example.org", "ayse@example.org"] * 2


@pytest.mark.parametrize(
    ("given", "typed"),
    [
        ("Ümit.Çelik@example.org", "Ümit.Çelik@example.org"),
        ("Ümit.Çelik@example.org", "ümit.çelik@EXAMPLE.org"),
        ("ümit.çelik@example.org", "ÜMİT.ÇELİK@example.org".replace("İ", "I")),
        # The same letters, decomposed (as some keyboards send them).
        ("Ümit.Çelik@example.org", unicodedata.normalize("NFD", "ümit.çelik@example.org")),
    ],
)
def test_non_ascii_capitals_sign_in_on_every_database(client, give, make_campaign, given, typed):
    give(make_campaign("wells", title="Water wells"), email=given)

    page = isolated(client.get, signed_in(client, typed))

    assert page.status_code == 200
    assert "Water wells" in text(page)
    assert sign_in_links()[-1].to == "ümit.çelik@example.org"


def test_the_link_shows_the_donors_gifts_and_receipts(client, give, make_campaign):
    donation = give(make_campaign("wells", title="Water wells"), email="ayse@example.org")
    receipt = receipt_of(donation)

    path = signed_in(client, "AYSE@example.org")
    page = isolated(client.get, path)

    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "private, no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    [row] = parse(page.data).find_all("tr", "gift")
    assert "Water wells" in row.text
    assert "₺250.00" in row.text
    assert "Received" in row.text
    [link] = row.find_all("a")[1:]
    assert link.attrs["href"] == f"/receipts/{receipt.token}.pdf"
    assert link.text == receipt.number


def test_the_link_does_not_carry_the_e_mail_address(client, give):
    give(email="ayse@example.org")

    path = signed_in(client, "ayse@example.org")
    payload = path.removeprefix("/donor/").split(".")[0]
    decoded = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))

    assert "ayse" not in path.lower()
    assert b"@" not in decoded and b"ayse" not in decoded


def test_another_donors_gifts_are_never_shown(client, give, make_campaign):
    give(make_campaign("wells", title="Water wells"), email="ayse@example.org")
    other = give(make_campaign("iftar", title="Iftar tables"), email="omar@example.org")

    page = isolated(client.get, signed_in(client, "ayse@example.org"))

    assert "Water wells" in text(page)
    assert "Iftar tables" not in text(page)
    assert receipt_of(other).number not in page.data.decode()
    assert "omar@example.org" not in page.data.decode()


def test_a_tampered_link_is_refused_with_a_way_to_get_a_new_one(client, give):
    give()
    path = signed_in(client, "ayse@example.org")
    other_purpose = URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="receipt")
    forged = [
        path[:-2] + ("AA" if not path.endswith("AA") else "BB"),
        "/donor/" + other_purpose.dumps(reloaded_id(path)),
        "/donor/not-a-link",
    ]

    for url in forged:
        response = isolated(client.get, url)
        assert response.status_code == 400, url
        assert "This link does not work" in text(response)
        assert parse(response.data).find("form", "donor-sign-in")


def reloaded_id(path: str) -> int:
    """The donation id a genuine link names (to re-sign it for another purpose)."""
    serializer = URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="donor-sign-in")
    return serializer.loads(path.removeprefix("/donor/"))


def test_an_expired_link_is_refused(client, give, monkeypatch):
    give()
    path = signed_in(client, "ayse@example.org")

    class OneHourLater:
        @staticmethod
        def time() -> float:
            return time.time() + 3601

    monkeypatch.setattr("itsdangerous.timed.time", OneHourLater)
    response = isolated(client.get, path)

    assert response.status_code == 410
    assert "This link has expired" in text(response)
    assert "Ayşe" not in response.data.decode()


def test_the_page_shows_reports_of_the_campaigns_they_funded(
    client, give, make_campaign, make_report
):
    wells = make_campaign("wells", title="Water wells")
    iftar = make_campaign("iftar", title="Iftar tables")
    give(wells)
    make_report("ten-wells-dug", campaigns=[wells], title="Ten wells dug in Niger")
    make_report("iftar-in-africa", campaigns=[iftar], title="Iftar tables in Africa")
    make_report("draft", campaigns=[wells], title="Not yet published", published=False)

    page = text(isolated(client.get, signed_in(client, "ayse@example.org")))

    assert "Ten wells dug in Niger" in page
    assert "Iftar tables in Africa" not in page
    assert "Not yet published" not in page


class RecordingProvider(DemoProvider):
    """The demo provider, remembering which subscriptions it was asked to cancel."""

    def __init__(self, fail: bool = False) -> None:
        super().__init__()
        self.cancelled: list[str] = []
        self.fail = fail

    def cancel_subscription(self, subscription_id: str) -> None:
        if self.fail:
            raise ProviderError("unreachable")
        self.cancelled.append(subscription_id)


def cancel_button(page) -> tuple[str, str]:
    [form] = [f for f in parse(page.data).find_all("form") if "/cancel" in f.attrs["action"]]
    return form.attrs["action"], csrf_of(page.data)


def test_cancel_a_monthly_gift(app, client, give, monkeypatch):
    provider = RecordingProvider()
    monthly = give(frequency="monthly")
    monkeypatch.setitem(app.extensions, "payment_provider", provider)
    path = signed_in(client, "ayse@example.org")
    action, token = cancel_button(isolated(client.get, path))

    asked = isolated(client.post, action, data={"csrf_token": token})

    # First a page that asks, changing nothing.
    assert asked.status_code == 200
    assert "Cancel your monthly gift?" in text(asked)
    assert reloaded(monthly).subscription_ended_at is None
    assert provider.cancelled == []
    [form] = [f for f in parse(asked.data).find_all("form") if "/cancel" in f.attrs["action"]]
    assert form.attrs["action"] == action
    [keep] = [a for a in parse(asked.data).find_all("a") if a.text == "No, keep it"]
    assert keep.attrs["href"] == path

    response = isolated(client.post, action, data={"csrf_token": token, "confirm": "yes"})

    assert response.status_code == 303
    assert reloaded(monthly).subscription_ended_at is not None
    assert provider.cancelled == [monthly.provider_subscription_id]
    page = isolated(client.get, response.location)
    assert "Your monthly gift to Earthquake is cancelled" in text(page)
    assert "Ended on" in text(page)
    assert not [f for f in parse(page.data).find_all("form") if "/cancel" in f.attrs["action"]]


def test_cancel_needs_the_csrf_token_and_the_donors_own_gift(app, client, give, monkeypatch):
    provider = RecordingProvider()
    monkeypatch.setitem(app.extensions, "payment_provider", provider)
    give(email="ayse@example.org")
    omars = give(email="omar@example.org", frequency="monthly")
    path = signed_in(client, "ayse@example.org")
    token = csrf_of(isolated(client.get, "/donor").data)  # this browser's valid token

    without_csrf = isolated(client.post, f"{path}/monthly/{omars.token}/cancel")
    not_theirs = isolated(
        client.post, f"{path}/monthly/{omars.token}/cancel", data={"csrf_token": token}
    )

    assert without_csrf.status_code == 400
    assert not_theirs.status_code == 404
    assert provider.cancelled == []
    assert reloaded(omars).subscription_ended_at is None


def test_a_cancel_the_provider_refuses_changes_nothing(app, client, give, monkeypatch):
    monthly = give(frequency="monthly")
    monkeypatch.setitem(app.extensions, "payment_provider", RecordingProvider(fail=True))
    path = signed_in(client, "ayse@example.org")
    action, token = cancel_button(isolated(client.get, path))

    response = isolated(client.post, action, data={"csrf_token": token, "confirm": "yes"})

    assert reloaded(monthly).subscription_ended_at is None
    page = isolated(client.get, response.location)
    assert "We could not reach our payment provider" in text(page)


def test_statement_lists_the_gifts_and_totals_per_currency(client, give, make_campaign):
    wells = make_campaign("wells", title="Water wells", currency="TRY")
    iftar = make_campaign("iftar", title="Iftar tables", currency="USD")
    gifts = [give(wells, amount="250"), give(wells, amount="100"), give(iftar, amount="50")]
    give(wells, email="omar@example.org", amount="999")
    path = signed_in(client, "ayse@example.org")
    today = local_today()

    response = isolated(
        client.get, f"{path}/statement.pdf?start={today.year}-01-01&end={today.isoformat()}"
    )

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Cache-Control"] == "private, no-store"
    pdf = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages)
    for gift in gifts:
        assert receipt_of(gift).number in pdf
    assert "Water wells" in pdf and "Iftar tables" in pdf
    assert "350.00" in pdf  # 250 + 100 TRY
    assert "$50.00" in pdf
    assert "999" not in pdf


def test_statement_form_defaults_to_last_calendar_year(client, give):
    give()

    page = parse(isolated(client.get, signed_in(client, "ayse@example.org")).data)

    values = {
        i.attrs["name"]: i.attrs["value"]
        for i in page.find_all("input")
        if i.attrs.get("type") == "date"
    }
    last_year = local_today().year - 1
    assert values == {"start": f"{last_year}-01-01", "end": f"{last_year}-12-31"}


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("start=2025-12-31&end=2025-01-01", "The end date is before the start date."),
        ("start=last+year&end=2025-01-01", "Please give a start and an end date"),
        ("start=2025-01-01", "Please give a start and an end date"),
        ("start=1990-01-01&end=2025-01-01", "A statement covers at most ten years"),
    ],
)
def test_a_bad_statement_range_is_explained(client, give, query, message):
    give()
    path = signed_in(client, "ayse@example.org")

    response = isolated(client.get, f"{path}/statement.pdf?{query}")

    assert response.status_code == 400
    assert message in text(response)


def test_an_invalid_address_is_asked_again_and_nothing_is_sent(client, give):
    give()

    response = ask_for_link(client, "not an address")

    assert response.status_code == 400
    assert "Please enter an e-mail address" in text(response)
    assert sign_in_links() == []


def test_links_per_address_are_limited(client, give, monkeypatch):
    give(email="ayse@example.org")
    # A minute between requests (links asked for within the same second are one link).
    minutes = iter(range(0, 3600, 60))

    class MinuteApart:
        @staticmethod
        def time() -> float:
            return time.time() + next(minutes)

    monkeypatch.setattr("itsdangerous.timed.time", MinuteApart)

    answers = [ask_for_link(client, "ayse@example.org").status_code for _ in range(4)]

    assert answers == [303, 303, 303, 429]
    assert len(sign_in_links()) == 3


def test_links_per_client_are_limited(client):
    addresses = [f"donor{n}@example.org" for n in range(11)]

    answers = [ask_for_link(client, a, REMOTE_ADDR="192.0.2.7").status_code for a in addresses]
    other_client = ask_for_link(client, "donor0@example.org", REMOTE_ADDR="192.0.2.8")

    assert answers == [303] * 10 + [429]
    assert other_client.status_code == 303
    limited = ask_for_link(client, "someone@example.org", REMOTE_ADDR="192.0.2.7")
    assert "Too many links requested" in text(limited)


def statement_pdf_text(response) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages)


def test_a_statement_is_rendered_once_until_the_donors_gifts_change(
    client, give, monkeypatch, settings
):
    renders = []

    def counted(*args, **kwargs):
        renders.append(args[2:4])
        return render_statement(*args, **kwargs)

    monkeypatch.setattr("campaigns.donor.views.render_statement", counted)
    first = give(amount="250")
    path = signed_in(client, "ayse@example.org")
    year = local_today().year
    this_year = f"{path}/statement.pdf?start={year}-01-01&end={year}-12-31"

    again = [isolated(client.get, this_year) for _ in range(3)]
    assert len(renders) == 1
    assert again[0].data == again[1].data == again[2].data
    isolated(client.get, f"{path}/statement.pdf?start={year}-01-01&end={year}-06-30")
    assert len(renders) == 2  # another range is another statement

    give(amount="100")  # a new gift
    assert "₺350.00" in statement_pdf_text(isolated(client.get, this_year))
    assert len(renders) == 3
    refunds.post_refund(db.session, settings, reloaded(first), "re_part", 50_00)  # a refund
    db.session.commit()
    assert "₺300.00" in statement_pdf_text(isolated(client.get, this_year))
    assert len(renders) == 4
    isolated(client.get, this_year)
    assert len(renders) == 4


def test_statements_are_rate_limited_per_client(client, give):
    give()
    path = signed_in(client, "ayse@example.org")
    year = local_today().year
    url = f"{path}/statement.pdf?start={year}-01-01&end={year}-12-31"

    answers = [isolated(client.get, url).status_code for _ in range(11)]

    assert answers == [200] * 10 + [429]
    limited = isolated(client.get, url)
    assert "Too many requests" in text(limited)
    assert limited.headers["Cache-Control"] == "private, no-store"
    elsewhere = isolated(client.get, url, environ_base={"REMOTE_ADDR": "192.0.2.8"})
    assert elsewhere.status_code == 200
