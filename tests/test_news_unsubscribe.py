"""News of a campaign by e-mail: a donor who ticks "E-mail me when you report on this
campaign" gets the next report over real SMTP, with RFC 8058 one-click unsubscribe headers;
one POST to the link (no CSRF token, as a mail client sends it) stops all further news."""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy import select

from campaigns.extensions import db
from campaigns.models import Donation
from campaigns.services.mail.news import unsubscribe_url
from tests.giving import donate, press
from tests.mail_fixtures import text_of
from tests.markup import parse
from tests.payments_fixtures import isolated


def give(client, campaign, email: str, *, updates: bool) -> Donation:
    checkout = donate(
        client, campaign.slug, amount="100", email=email, updates="1" if updates else None
    )
    assert checkout.status_code == 303, checkout.status_code
    assert press(client, checkout.headers["Location"], "pay").status_code == 303
    db.session.expire_all()
    return db.session.scalars(select(Donation).order_by(Donation.id.desc())).first()


def publish(app, staff_login, make_report, campaign, slug: str) -> None:
    report = make_report(slug, campaigns=[campaign], published=False)
    editor = staff_login(app.test_client(), "editor")
    assert editor.post(f"/staff/reports/{report.id}/publish").status_code == 303


def news_to(inbox, address: str):
    return [m for m in inbox.to(address) if m["Subject"].startswith("New from the field")]


def test_the_updates_box_is_unticked_and_unticked_means_no_news(client, make_campaign, app_ctx):
    tents = make_campaign("winter-tents")
    box = next(
        i
        for i in parse(client.get("/campaigns/winter-tents").data).find_all("input")
        if i.attrs.get("name") == "updates"
    )
    assert box.attrs["type"] == "checkbox" and "checked" not in box.attrs

    assert give(client, tents, "quiet@example.org", updates=False).updates_opt_in is False
    assert give(client, tents, "keen@example.org", updates=True).updates_opt_in is True


def test_an_opted_in_donor_gets_the_report_and_unsubscribes_in_one_click(
    app, client, staff_login, make_campaign, make_report, runner, mail_url, app_ctx
):
    tents = make_campaign("winter-tents")
    gift = give(client, tents, "ayse@example.org", updates=True)
    give(client, tents, "ayse@example.org", updates=True)  # a second gift: still one e-mail
    give(client, tents, "quiet@example.org", updates=False)

    publish(app, staff_login, make_report, tents, "tents-delivered")
    assert "sent" in runner.invoke(args=["outbox", "send"]).output

    [news] = news_to(mail_url, "ayse@example.org")
    assert news_to(mail_url, "quiet@example.org") == []
    link = news["List-Unsubscribe"].strip().strip("<>")
    assert news["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert link.startswith("http://campaigns.test/donor/news/")
    assert link in text_of(news)
    assert f'href="{link}"' in news.get_body(("html",)).get_content()

    # A mail client's one-click POST: no session, no CSRF token.
    path = urlsplit(link).path
    done = isolated(app.test_client().post, path, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200
    assert "no more news" in done.get_data(as_text=True)
    db.session.expire_all()
    assert not db.session.scalars(select(Donation).where(Donation.updates_opt_in)).all()
    assert gift.updates_opt_in is False

    publish(app, staff_login, make_report, tents, "more-tents")
    runner.invoke(args=["outbox", "send"])
    assert len(news_to(mail_url, "ayse@example.org")) == 1


def test_the_link_asks_first_on_get_and_its_form_unsubscribes(
    client, make_campaign, settings, app_ctx
):
    gift = give(client, make_campaign("winter-tents"), "ayse@example.org", updates=True)
    path = urlsplit(unsubscribe_url(settings, gift.id)).path

    page = isolated(client.get, path)

    assert page.status_code == 200
    assert page.headers["Cache-Control"].startswith("private")
    db.session.expire_all()
    assert db.session.get(Donation, gift.id).updates_opt_in is True  # a link scanner: no change
    form = parse(page.data).find("form")
    assert form.attrs["action"] == path
    data = {i.attrs["name"]: i.attrs.get("value", "") for i in form.find_all("input")}
    assert isolated(client.post, path, data=data).status_code == 200
    db.session.expire_all()
    assert db.session.get(Donation, gift.id).updates_opt_in is False


def test_a_wrong_or_forged_code_changes_nothing(client, make_campaign, settings, app_ctx):
    gift = give(client, make_campaign("winter-tents"), "ayse@example.org", updates=True)
    good = urlsplit(unsubscribe_url(settings, gift.id)).path
    other = f"/donor/news/{gift.id + 1}/{good.rsplit('/', 1)[1]}"  # another gift's id

    for path in (good[:-1] + "0", other, f"/donor/news/x{gift.id}/abc", "/donor/news/0/00"):
        assert isolated(client.post, path).status_code == 404, path
    db.session.expire_all()
    assert db.session.get(Donation, gift.id).updates_opt_in is True
