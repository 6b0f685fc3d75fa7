"""Activity reports on the staff side: writing them with figures, photos and campaigns,
publishing (never with an undescribed photo), the sanitised body on the public page, and
the one e-mail each opted-in donor gets."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from campaigns.extensions import db
from campaigns.models import (
    ActivityReport,
    AuditEntry,
    Donation,
    DonationStatus,
    OutboxMessage,
)
from campaigns.services.books.ledger import donor_key
from tests.giving import donate, press
from tests.markup import parse
from tests.staff_forms import photo

REPORT = {
    "title": "Tents delivered",
    "slug": "tents-delivered",
    "happened_on": "2026-02-10",
    "place": "Hatay",
    "summary": "Winter tents for 300 families.",
    "body": "We delivered **tents**.",
    "action": "save",
}


def the_report() -> ActivityReport:
    db.session.expire_all()
    return db.session.scalars(select(ActivityReport)).one()


def shown_errors(response) -> list[str]:
    page = parse(response.data)
    return [e.text for e in page.find_all("p", "field-error")] + [
        li.text for alert in page.find_all("div", "staff-alert") for li in alert.find_all("li")
    ]


def flashes(page) -> list[str]:
    return [li.text for li in parse(page.data).find_all("li", "flash")]


def test_editor_writes_a_report_with_figures_photos_and_campaigns(
    client, staff_login, make_campaign, app_ctx
):
    tents = make_campaign("winter-tents")
    make_campaign("water-wells")
    editor = staff_login(client, "editor")
    form = editor.get("/staff/reports/new")
    assert len(parse(form.data).find_all("input")) > 10  # blank figure rows, photo slots

    response = editor.post(
        "/staff/reports/new",
        REPORT
        | {
            "figure_label": ["Families reached", "", "Tents"],
            "figure_value": ["1,200", "", "300"],
            "campaigns": [str(tents.id)],
            "photo_0": (photo(), "tent.jpg"),
            "photo_alt_0": "A family in front of their tent",
            "photo_1": (photo(), "second.jpg"),
            "photo_alt_1": "Volunteers unloading a truck",
        },
    )

    assert response.status_code == 303
    report = the_report()
    assert (report.title, report.place, report.happened_on) == (
        "Tents delivered",
        "Hatay",
        date(2026, 2, 10),
    )
    assert [(f.label, f.value) for f in report.figures] == [
        ("Families reached", 1200),
        ("Tents", 300),
    ]
    assert [i.alt for i in report.images] == [
        "A family in front of their tent",
        "Volunteers unloading a truck",
    ]
    assert [c.slug for c in report.campaigns] == ["winter-tents"]
    assert report.published is False
    [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "report.create"))
    assert entry.after["figures"] == [["Families reached", 1200], ["Tents", 300]]


def test_a_bad_figure_row_is_pointed_out_and_nothing_is_saved(client, staff_login, app_ctx):
    editor = staff_login(client, "editor")

    response = editor.post(
        "/staff/reports/new",
        REPORT
        | {
            "figure_label": ["Families reached", "Wells"],
            "figure_value": ["", "two"],
            "happened_on": "yesterday",
            "slug": "Bad Slug",
        },
    )

    assert response.status_code == 422
    errors = shown_errors(response)
    assert "Each figure needs a label and a number." in errors
    assert "Please enter the figure as a whole number, like 1,200." in errors
    assert "Please enter a date like 2026-03-01." in errors
    # What was typed is still there to correct.
    values = [e.attrs.get("value") for e in parse(response.data).find_all("input")]
    assert "Families reached" in values and "two" in values
    assert db.session.scalars(select(ActivityReport)).all() == []


def test_editing_replaces_figures_updates_alt_text_and_removes_photos(
    app, client, staff_login, make_report, app_ctx
):
    report = make_report(
        "tents",
        figures=[("Tents", 300)],
        images=[("aaaa.jpg", "Old description"), ("bbbb.jpg", "To remove")],
        published=False,
    )
    keep, drop = report.images
    editor = staff_login(client, "editor")

    response = editor.post(
        f"/staff/reports/{report.id}",
        REPORT
        | {
            "slug": "tents",
            "figure_label": ["Tents", "Blankets"],
            "figure_value": ["320", "1000"],
            f"image_alt_{keep.id}": "A row of tents in snow",
            f"image_alt_{drop.id}": "To remove",
            f"image_remove_{drop.id}": "1",
        },
    )

    assert response.status_code == 303
    report = the_report()
    assert [(f.label, f.value) for f in report.figures] == [("Tents", 320), ("Blankets", 1000)]
    assert [(i.filename, i.alt) for i in report.images] == [("aaaa.jpg", "A row of tents in snow")]


def test_publishing_is_refused_while_a_photo_has_no_description(
    client, staff_login, make_report, app_ctx
):
    report = make_report(
        "tents", images=[("aaaa.jpg", "A tent"), ("bbbb.jpg", "")], published=False
    )
    editor = staff_login(client, "editor")
    page = editor.get(f"/staff/reports/{report.id}")
    assert "This photo has no description yet." in page.get_data(as_text=True)

    response = editor.post(f"/staff/reports/{report.id}/publish")

    assert response.status_code == 303
    assert flashes(editor.get(response.headers["Location"])) == [
        "Please describe every photo (alt text) before publishing: 1 still have none."
    ]
    assert the_report().published is False
    assert client.get("/reports/tents").status_code == 404


def test_a_published_report_cannot_lose_a_photo_description(
    client, staff_login, make_report, app_ctx
):
    report = make_report("tents", images=[("aaaa.jpg", "A tent")], published=True)
    image_id = report.images[0].id
    editor = staff_login(client, "editor")

    response = editor.post(
        f"/staff/reports/{report.id}", REPORT | {"slug": "tents", f"image_alt_{image_id}": " "}
    )

    assert response.status_code == 422
    assert "A published report needs a description (alt text) for every photo." in shown_errors(
        response
    )
    assert the_report().images[0].alt == "A tent"


def test_script_handlers_and_javascript_links_render_inert_on_the_public_page(
    client, staff_login, make_campaign, app_ctx
):
    campaign = make_campaign("winter-tents")
    editor = staff_login(client, "editor")
    body = (
        "Hello <script>alert('body')</script>\n\n"
        '<img src="x" onerror="alert(1)">\n\n'
        "[Read more](javascript:alert(document.cookie)) and [ok](https://example.org)\n\n"
        "![pic](javascript:alert(3))"
    )
    editor.post("/staff/reports/new", REPORT | {"body": body, "campaigns": [str(campaign.id)]})
    report = the_report()
    assert editor.post(f"/staff/reports/{report.id}/publish").status_code == 303

    page = client.get("/reports/tents-delivered")

    assert page.status_code == 200
    article = parse(page.data).find("div", "prose")
    assert article.find_all("script") == []
    for element in article.iter():
        assert not any(name.startswith("on") for name in element.attrs)
        for attribute in ("href", "src"):
            assert not (element.attrs.get(attribute) or "").lower().startswith("javascript")
    hrefs = [a.attrs.get("href") for a in article.find_all("a")]
    assert "https://example.org" in hrefs
    html = page.get_data(as_text=True)
    assert "<script>alert" not in html
    assert '<img src="x" onerror' not in html
    # Raw HTML is never rendered: the reader sees it as text.
    assert "Hello &lt;script&gt;alert" in html
    # The report shows beside the campaign's form too.
    assert "Tents delivered" in client.get("/campaigns/winter-tents").get_data(as_text=True)


def give(client, campaign, email, *, updates=True, pay=True) -> Donation:
    """A 100.00 gift through the donation form, ticking "E-mail me when you report on this
    campaign" or not, then paid on the demo checkout (or left pending there)."""
    checkout = donate(
        client, campaign.slug, amount="100", email=email, updates="1" if updates else None
    )
    assert checkout.status_code == 303, checkout.status_code
    if pay:
        assert press(client, checkout.headers["Location"], "pay").status_code == 303
    db.session.expire_all()
    return db.session.scalars(select(Donation).order_by(Donation.id.desc())).first()


def refund_in_full(admin, donation: Donation) -> None:
    """An admin refunds the whole gift from its page (the demo confirms at once)."""
    response = admin.post(
        f"/staff/donations/{donation.id}/refund",
        {"amount": "100", "seen_refunded": "0", "reason": "Asked for it back", "confirm": "yes"},
    )
    assert response.status_code == 303, response.status_code
    db.session.expire_all()


def outbox() -> list[OutboxMessage]:
    """The report e-mails waiting (the gifts' thank-you e-mails left out)."""
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.key.startswith("report:"))
            .order_by(OutboxMessage.to)
        )
    )


def test_publishing_emails_each_opted_in_donor_once(
    app, client, staff_login, make_campaign, make_report, app_ctx
):
    tents = make_campaign("winter-tents")
    wells = make_campaign("water-wells")
    other = make_campaign("iftar")
    give(client, tents, "ayse@example.org")
    give(client, wells, "Ayse@Example.org")  # the same donor on the other linked campaign
    give(client, tents, "can@example.org")
    give(client, tents, "quiet@example.org", updates=False)
    give(client, tents, "pending@example.org", pay=False)
    refunded = give(client, tents, "refunded@example.org")
    give(client, other, "elsewhere@example.org")
    refund_in_full(staff_login(app.test_client(), "admin"), refunded)
    assert [d.status for d in db.session.scalars(select(Donation).order_by(Donation.id))] == [
        DonationStatus.PAID,
        DonationStatus.PAID,
        DonationStatus.PAID,
        DonationStatus.PAID,
        DonationStatus.PENDING,
        DonationStatus.REFUNDED,
        DonationStatus.PAID,
    ]
    report = make_report("tents-delivered", campaigns=[tents, wells], published=False)
    editor = staff_login(client, "editor")

    response = editor.post(f"/staff/reports/{report.id}/publish")

    assert flashes(editor.get(response.headers["Location"])) == [
        "Published. 2 donors who asked for news will get an e-mail."
    ]
    messages = outbox()
    assert sorted(m.to.lower() for m in messages) == ["ayse@example.org", "can@example.org"]
    assert {m.key for m in messages} == {
        f"report:{report.id}:{donor_key('ayse@example.org')}",
        f"report:{report.id}:{donor_key('can@example.org')}",
    }
    assert all("Tents Delivered" in m.subject for m in messages)
    assert all("http://campaigns.test/reports/tents-delivered" in m.body_text for m in messages)
    assert the_report().published is True

    # Unpublished and published again: nobody hears about it twice.
    hidden = editor.post(f"/staff/reports/{report.id}/unpublish")
    assert flashes(editor.get(hidden.headers["Location"])) == [
        "Taken off the site; it is a draft again."
    ]
    assert the_report().published is False
    again = editor.post(f"/staff/reports/{report.id}/publish")
    assert flashes(editor.get(again.headers["Location"])) == ["Published; no e-mails to send."]
    assert len(outbox()) == 2
    actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert [a for a in actions if a.startswith("report.")] == [
        "report.publish",
        "report.unpublish",
        "report.publish",
    ]


def test_viewers_cannot_write_or_publish_reports(client, staff_login, make_report, app_ctx):
    report = make_report("tents", published=False)
    viewer = staff_login(client, "viewer")

    assert viewer.get(f"/staff/reports/{report.id}").status_code == 200
    assert viewer.post(f"/staff/reports/{report.id}/publish").status_code == 403
    assert viewer.post("/staff/reports/new", REPORT).status_code == 403
    assert the_report().published is False


def test_publishing_needs_the_csrf_token(client, staff_login, make_report, app_ctx):
    report = make_report("tents", published=False)
    editor = staff_login(client, "editor")

    assert editor.post(f"/staff/reports/{report.id}/publish", csrf=False).status_code == 400
    assert the_report().published is False
