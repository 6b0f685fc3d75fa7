"""The campaign page cache: gifts, stock and staff edits show at once; tokens never leak."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

import campaigns.public.views as views
from campaigns.extensions import db
from campaigns.models import Campaign, Donation, LedgerKind
from campaigns.models.base import utcnow
from campaigns.models.campaign import CampaignStatus
from campaigns.services.audit import record_change
from campaigns.services.books.ledger import post_entry
from campaigns.services.content import campaign_editing, report_editing
from tests.giving import csrf_token, post_gift
from tests.markup import parse
from tests.payments_fixtures import isolated
from tests.statements import statements_sent
from tests.test_units_and_recent_gifts import paid

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def pay_250(campaign: Campaign) -> None:
    """A gift of $250 reaches the books (as a paid checkout posts it), committed."""
    post_entry(
        db.session,
        campaign=campaign,
        kind=LedgerKind.PAYMENT,
        amount=250_00,
        currency="USD",
        reference="pi_1",
        donor_email="a@example.org",
    )
    db.session.commit()


def test_a_gift_shows_at_once_on_a_cached_page(client, make_campaign):
    campaign = make_campaign("wells", currency="USD", goal_amount=1000_00)
    assert "$0" in client.get("/campaigns/wells").get_data(as_text=True)
    pay_250(campaign)
    assert "$250" in client.get("/campaigns/wells").get_data(as_text=True)


def edit_title(app, campaign: Campaign, title: str) -> None:
    """A staff edit, through the service the staff form uses."""
    form = campaign_editing.campaign_form(campaign, "en")
    form.title = title
    campaign_editing.save_campaign(
        db.session,
        form,
        locale="en",
        actor=None,
        folder=app.config["UPLOAD_FOLDER"],
        campaign=campaign,
    )
    db.session.commit()


def test_a_staff_edit_shows_at_once(app, client, make_campaign):
    campaign = make_campaign("wells", title="Old title")
    assert "Old title" in client.get("/campaigns/wells").get_data(as_text=True)
    edit_title(app, campaign, "New title")
    assert "New title" in client.get("/campaigns/wells").get_data(as_text=True)


def test_a_linked_report_published_shows_at_once(client, make_campaign, make_report, settings):
    campaign = make_campaign("wells")
    report = make_report(
        "wells-dug", title="Three wells dug", campaigns=[campaign], published=False
    )
    assert "Three wells dug" not in client.get("/campaigns/wells").get_data(as_text=True)
    report_editing.publish_report(db.session, settings, report, actor=None)
    db.session.commit()
    assert "Three wells dug" in client.get("/campaigns/wells").get_data(as_text=True)


def test_an_edit_of_another_campaign_keeps_this_page(app, client, make_campaign, monkeypatch):
    make_campaign("wells")
    other = make_campaign("food-aid", title="Food")
    client.get("/campaigns/wells")
    edit_title(app, other, "Food parcels")
    record_change(db.session, actor=None, action="staff_user.add", entity_type="staff_user")
    db.session.commit()
    served_from_the_cache_only(monkeypatch)
    assert client.get("/campaigns/wells").status_code == 200


def test_each_visitor_gets_their_own_csrf_token_from_a_cached_page(app):
    # No app context held open here: each request gets its own, as in a real server.
    with app.app_context():
        db.session.add(
            Campaign(
                slug="wells",
                title="Wells",
                currency="USD",
                goal_amount=1000_00,
                status=CampaignStatus.ACTIVE,
            )
        )
        db.session.commit()
    first, second = app.test_client(), app.test_client()
    token_one = TOKEN.search(first.get("/campaigns/wells").get_data(as_text=True)).group(1)
    html_two = second.get("/campaigns/wells").get_data(as_text=True)
    token_two = TOKEN.search(html_two).group(1)
    assert token_one != token_two
    assert token_one not in html_two
    assert "\x00" not in html_two


def test_a_campaign_made_draft_is_gone_from_the_cache(client, make_campaign):
    campaign = make_campaign("wells")
    assert client.get("/campaigns/wells").status_code == 200
    campaign.status = "draft"
    db.session.commit()
    assert client.get("/campaigns/wells").status_code == 404


def test_a_worker_rereads_the_version_once_its_memo_expires(
    app, client, make_campaign, monkeypatch
):
    monkeypatch.setitem(app.config, "PAGE_VERSION_SECONDS", 1.0)
    clock = [1000.0]
    monkeypatch.setattr("campaigns.public.page_cache.time.monotonic", lambda: clock[0])
    campaign = make_campaign("wells", currency="USD", goal_amount=1000_00)
    assert "$0" in client.get("/campaigns/wells").get_data(as_text=True)
    pay_250(campaign)

    clock[0] += 0.5  # within the memo: the stored page is served without asking
    assert "$250" not in client.get("/campaigns/wells").get_data(as_text=True)
    clock[0] += 1.0  # past it: one query finds the new totals
    assert "$250" in client.get("/campaigns/wells").get_data(as_text=True)


def served_from_the_cache_only(monkeypatch) -> None:
    """From here on, rendering a campaign page fails the test."""

    def render_campaign(slug: str):
        raise AssertionError(f"{slug} rendered again instead of served from the cache")

    monkeypatch.setattr("campaigns.public.views.render_campaign", render_campaign)


def test_the_form_of_a_cached_page_posts_with_the_visitors_own_token(
    app, make_campaign, monkeypatch
):
    make_campaign("wells")
    csrf_token(app.test_client(), "wells")  # the first visitor's page is stored
    served_from_the_cache_only(monkeypatch)
    visitor = app.test_client()

    response = post_gift(visitor, "wells", csrf_token(visitor, "wells"), {"amount": "50"})

    assert response.status_code == 303
    assert db.session.scalars(select(Donation.amount)).all() == [50_00]


def test_each_language_has_its_own_cached_page(app, make_campaign, monkeypatch):
    make_campaign("wells")

    def language(**kwargs) -> str:
        """The page's language for a new visitor (no cookies)."""
        response = isolated(app.test_client().get, "/campaigns/wells", **kwargs)
        return parse(response.data).find("html").attrs["lang"]

    visits = [
        {},
        {"headers": {"Accept-Language": "tr-TR,tr;q=0.9"}},
        {"query_string": {"lang": "ar"}},
    ]
    first = [language(**visit) for visit in visits]
    served_from_the_cache_only(monkeypatch)
    again = [language(**visit) for visit in reversed(visits)]

    assert first == ["en", "tr", "ar"]
    assert again == ["ar", "tr", "en"]


def test_a_cached_page_keeps_its_recent_gifts_a_minute(
    client, settings, make_campaign, monkeypatch
):
    """The list is read when the page is drawn, and a page is kept only while its "how
    long ago" words stay true: a new minute while the newest gift is minutes old."""
    campaign = make_campaign("wells", currency="USD", goal_amount=1000_00)
    paid(settings, campaign, 50_00, name="Yusuf Demir")
    first = client.get("/campaigns/wells").get_data(as_text=True)
    assert "Yusuf" in first and "just now" in first and "Demir" not in first

    renders = []
    render = views.render_campaign
    monkeypatch.setattr(views, "render_campaign", lambda slug: renders.append(slug) or render(slug))
    assert "Yusuf" in client.get("/campaigns/wells").get_data(as_text=True)
    assert renders == []  # the same minute: served as stored
    later = utcnow() + timedelta(minutes=2)
    monkeypatch.setattr(views, "utcnow", lambda: later)
    client.get("/campaigns/wells")
    assert renders == ["wells"]  # a new minute: drawn again


def test_a_gift_while_many_read_the_page_costs_one_render_and_no_reader_waits(
    app, make_campaign, monkeypatch
):
    """The first reader after a gift draws the new page; readers arriving while it does
    get the page before it at once, and everyone after it the new one, drawn once."""
    campaign = make_campaign("wells", currency="USD", goal_amount=1000_00)
    page = "/campaigns/wells"

    def read(client=None) -> str:
        return isolated((client or app.test_client()).get, page).get_data(as_text=True)

    assert "$0" in read()
    pay_250(campaign)
    drawing, done = threading.Event(), threading.Event()
    renders = []
    render = views.render_campaign

    def slow_render(slug: str) -> str:
        renders.append(slug)
        drawing.set()
        assert done.wait(10), "the readers never finished"
        return render(slug)

    monkeypatch.setattr(views, "render_campaign", slow_render)
    first: list[str] = []
    drawer = threading.Thread(target=lambda: first.append(read()))
    drawer.start()
    assert drawing.wait(10)
    meanwhile = [read() for _ in range(3)]
    done.set()
    drawer.join(10)
    after = [read() for _ in range(2)]

    assert renders == ["wells"]
    assert all("$0" in html and "$250" not in html for html in meanwhile)
    assert all("$250" in html for html in first + after)
    tokens = {TOKEN.search(html).group(1) for html in meanwhile + after}
    assert len(tokens) == 5  # each reader their own token, stale page or not


def test_after_a_failed_render_the_next_reader_draws_the_new_page(app, make_campaign, monkeypatch):
    """A render that fails (the database gone mid-page) leaves no thread marked as
    drawing: the next reader draws the page again, rather than being handed the old one."""
    campaign = make_campaign("wells", currency="USD", goal_amount=1000_00)
    assert "$0" in isolated(app.test_client().get, "/campaigns/wells").get_data(as_text=True)
    pay_250(campaign)
    render = views.render_campaign
    calls = []

    def failing_once(slug: str) -> str:
        calls.append(slug)
        if len(calls) == 1:
            raise RuntimeError("the database went away mid-render")
        return render(slug)

    monkeypatch.setattr(views, "render_campaign", failing_once)
    with pytest.raises(RuntimeError):
        isolated(app.test_client().get, "/campaigns/wells")
    again = isolated(app.test_client().get, "/campaigns/wells")

    assert again.status_code == 200 and "$250" in again.get_data(as_text=True)
    assert calls == ["wells", "wells"]


def statements_of(client, url: str) -> tuple[str, list[str]]:
    """The page at ``url`` and the SQL statements drawing it ran."""
    db.session.remove()
    with statements_sent() as sent:
        html = client.get(url).get_data(as_text=True)
    return html, sent


def test_a_gift_redraws_the_page_without_reading_its_reports_again(
    client, make_campaign, make_report
):
    """The reports change only with staff edits: the page a gift redraws has the new
    total and the same reports, and its drawing reads no report."""
    campaign = make_campaign("wells", currency="USD", goal_amount=1000_00)
    make_report("wells-dug", title="Three wells dug", campaigns=[campaign], figures=[("Wells", 3)])
    campaign_id = campaign.id
    first, _ = statements_of(client, "/campaigns/wells")
    pay_250(db.session.get(Campaign, campaign_id))

    again, sent = statements_of(client, "/campaigns/wells")

    assert "Three wells dug" in first and "$0" in first
    assert "Three wells dug" in again and "$250" in again
    assert sent and not [s for s in sent if "activity_report" in s or "report_figure" in s]


def test_a_report_taken_down_by_staff_leaves_the_page_at_once(client, make_campaign, make_report):
    campaign = make_campaign("wells")
    report = make_report("wells-dug", title="Three wells dug", campaigns=[campaign])
    assert "Three wells dug" in client.get("/campaigns/wells").get_data(as_text=True)

    report_editing.unpublish_report(db.session, report, actor=None)
    db.session.commit()

    html = client.get("/campaigns/wells").get_data(as_text=True)
    assert "Three wells dug" not in html
    assert "Our first report on this campaign will appear here." in html


def test_each_language_has_its_own_reports_on_a_cached_page(app, make_campaign, make_report):
    campaign = make_campaign("wells")
    translated = {"tr": {"title": "Üç kuyu açıldı"}}
    make_report("wells-dug", title="Three wells dug", campaigns=[campaign], translations=translated)

    def reports_of(**visit) -> str:
        response = isolated(app.test_client().get, "/campaigns/wells", **visit)
        return parse(response.data).find("section", "campaign-reports").text

    visits = [{}, {"query_string": {"lang": "tr"}}, {}, {"query_string": {"lang": "tr"}}]
    english, turkish, english_again, turkish_again = [reports_of(**v) for v in visits]

    assert "Three wells dug" in english and "Üç kuyu" not in english
    assert "Üç kuyu açıldı" in turkish and "Three wells dug" not in turkish
    assert (english_again, turkish_again) == (english, turkish)
