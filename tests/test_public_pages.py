"""The public pages: campaign list, campaign page, reports, uploads and error pages."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from campaigns import markdown
from campaigns.extensions import db
from campaigns.filters import local_today
from campaigns.models import Campaign
from campaigns.models.campaign import CampaignStatus
from tests.markup import parse
from tests.statements import statements_sent


def card_titled(page, title: str):
    cards = [c for c in page.find_all("article", "campaign-card") if title in c.text]
    assert len(cards) == 1, f"expected one card for {title!r}"
    return cards[0]


def test_home_lists_active_and_closed_campaigns_but_never_drafts(client, make_campaign):
    make_campaign("food-aid", title="Earthquake food aid")
    make_campaign("old-wells", title="Wells of 2024", status=CampaignStatus.CLOSED)
    make_campaign("secret", title="Unannounced appeal", status=CampaignStatus.DRAFT)

    response = client.get("/")

    assert response.status_code == 200
    page = parse(response.data)
    titles = [c.find("h3").text for c in page.find_all("article", "campaign-card")]
    assert titles == ["Earthquake food aid", "Wells of 2024"]
    assert "Unannounced appeal" not in response.text
    assert card_titled(page, "Wells of 2024").find("li", "progress-deadline").text == "Closed"


def test_home_card_links_to_the_campaign_and_shows_its_cover(client, make_campaign):
    make_campaign("wells", title="Water wells", cover_image="c0ffee.jpg", cover_alt="A new well")

    card = card_titled(parse(client.get("/").data), "Water wells")

    assert card.find("h3", "card-title").find("a").attrs["href"] == "/campaigns/wells"
    # The picture leads there too; it repeats the title's link, so it is hidden from
    # screen readers and the keyboard, and its image needs no words of its own.
    picture = card.find("a", "card-cover-link")
    assert picture.attrs["href"] == "/campaigns/wells"
    assert (picture.attrs["aria-hidden"], picture.attrs["tabindex"]) == ("true", "-1")
    cover = picture.find("img", "card-cover")
    assert (cover.attrs["src"], cover.attrs["alt"]) == ("/uploads/c0ffee.jpg", "")
    assert card.find("a", "card-give").attrs["href"] == "/campaigns/wells#give"


@pytest.mark.parametrize(
    ("raised", "bar", "percent"),
    [(0, "0", "0%"), (250_00, "25", "25%"), (1000_00, "100", "100%"), (1120_00, "100", "112%")],
)
def test_progress_bar_caps_at_100_but_the_words_say_the_real_percent(
    client, make_campaign, post_gift, raised, bar, percent
):
    campaign = make_campaign("iftar", currency="USD", goal_amount=1000_00)
    if raised:
        post_gift(campaign, raised)

    card = card_titled(parse(client.get("/").data), "Iftar")

    progress = card.find("progress")
    assert (progress.attrs["value"], progress.attrs["max"]) == (bar, "100")
    assert progress.attrs["aria-valuetext"].startswith(f"{percent} of the goal")
    assert card.find("li", "progress-percent").text == f"{percent} funded"
    assert card.find("p", "progress-amounts").text == f"${raised // 100:,} raised of $1,000"


def test_units_funded_donors_and_days_left(client, make_campaign, post_gift):
    campaign = make_campaign(
        "parcels",
        units_goal=1000,
        unit_label="food parcels",
        ends_on=local_today() + timedelta(days=12),
    )
    post_gift(campaign, 100_00, units=300, email="ayse@example.org")
    post_gift(campaign, 100_00, units=12, email="ayse@example.org")
    post_gift(campaign, 100_00, email="omar@example.org")

    card = card_titled(parse(client.get("/").data), "Parcels")

    # The units are the main figure, and what is still needed is said in words.
    assert card.find("p", "progress-amounts").text == "312 of 1,000 food parcels"
    assert card.find("p", "progress-needed").text == "688 food parcels still needed"
    assert card.find("li", "progress-percent").text == "31% funded"
    assert card.find("li", "progress-money").text == "₺300 raised"
    assert card.find("li", "progress-donors").text == "2 donors"
    assert card.find("li", "progress-deadline").text == "12 days left"


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"ends_on": -3}, "Ended"),
        ({"ends_on": 0}, "Last day"),
        ({"ends_on": 1}, "1 day left"),
        ({"status": CampaignStatus.CLOSED}, "Closed"),
        ({"ends_on": 400}, "400 days left"),
        ({"starts_on": date(2999, 1, 1), "ends_on": date(2999, 2, 1)}, "Starts Jan 1, 2999"),
    ],
)
def test_deadline_wording(client, make_campaign, fields, expected):
    if isinstance(fields.get("ends_on"), int):  # days from today where the charity is
        fields = fields | {"ends_on": local_today() + timedelta(days=fields["ends_on"])}
    make_campaign("qurban", **fields)

    card = card_titled(parse(client.get("/").data), "Qurban")

    assert card.find("li", "progress-deadline").text == expected


def test_open_ended_campaign_shows_no_deadline(client, make_campaign):
    make_campaign("general-fund", ends_on=None)

    card = card_titled(parse(client.get("/").data), "General Fund")

    assert card.find_all("li", "progress-deadline") == []


def test_campaign_page_shows_story_progress_and_options(client, make_campaign, make_option):
    campaign = make_campaign(
        "qurban-2026",
        title="Qurban 2026",
        currency="USD",
        unit_label="sacrifice shares",
        story="We *share* the meat with families in need.",
    )
    make_option(campaign, "One sheep", unit_price=250_00, description="Feeds ten families")
    make_option(campaign, "1/7 share of a cow", unit_price=90_00, stock=70, reserved=63)
    make_option(campaign, "A whole cow", unit_price=630_00, units=7, stock=5, reserved=5)
    make_option(campaign, "Old option", unit_price=10_00, active=False)

    response = client.get("/campaigns/qurban-2026")

    assert response.status_code == 200
    page = parse(response.data)
    assert page.find("h1").text == "Qurban 2026"
    assert page.find("section", "campaign-story").find("em").text == "share"
    assert page.find("section", "campaign-progress").find_all("progress")
    options = {o.find("p", "option-label").text: o for o in page.find_all("li", "option")}
    assert list(options) == ["One sheep", "1/7 share of a cow", "A whole cow"]
    assert options["One sheep"].find("p", "option-price").text == "$250.00"
    assert options["One sheep"].find("p", "option-description").text == "Feeds ten families"
    assert options["One sheep"].find_all("p", "option-stock") == []
    assert options["1/7 share of a cow"].find("p", "option-stock").text == "7 left"
    assert options["A whole cow"].find("p", "option-stock").text == "Sold out"
    assert options["A whole cow"].find("p", "option-units").text == "Counts as 7 sacrifice shares"
    give = page.find("section", "campaign-give")
    assert give.attrs["id"] == "give"
    assert give.find("form", "give-form").attrs["action"] == "/campaigns/qurban-2026/donate"


def test_campaign_page_lists_its_published_reports_newest_first(client, make_campaign, make_report):
    wells = make_campaign("wells", title="Water wells")
    other = make_campaign("iftar", title="Iftar meals")
    make_report(
        "first-well",
        campaigns=[wells],
        happened_on=date(2026, 1, 10),
        place="Idlib",
        figures=[("People with clean water", 1200)],
        images=[("a1b2c3.jpg", "Children at the new well")],
    )
    make_report("second-well", campaigns=[wells], happened_on=date(2026, 2, 20))
    make_report("draft-report", campaigns=[wells], published=False)
    make_report("iftar-report", campaigns=[other])

    page = parse(client.get("/campaigns/wells").data)

    section = page.find("section", "campaign-reports")
    assert section.attrs["aria-labelledby"] == section.find("h2").attrs["id"]
    reports = section.find_all("article", "report")
    assert [r.find("h3").text for r in reports] == ["Second Well", "First Well"]
    first = reports[1]
    assert first.find("time").attrs["datetime"] == "2026-01-10"
    assert first.find("time").text == "January 10, 2026 / 21 Rajab 1447"
    assert first.find("span", "report-place").text == "Idlib"
    assert first.find("div", "report-figure").text == "People with clean water 1,200"
    photo = first.find("img")
    assert (photo.attrs["src"], photo.attrs["alt"]) == (
        "/uploads/a1b2c3.jpg",
        "Children at the new well",
    )


def test_home_shows_the_latest_published_reports(client, make_campaign, make_report):
    campaign = make_campaign("wells")
    for day in range(1, 6):
        make_report(f"report-{day}", campaigns=[campaign], happened_on=date(2026, 5, day))
    make_report("unpublished", published=False, happened_on=date(2026, 6, 1))

    section = parse(client.get("/").data).find("section", "latest-reports")

    titles = [r.find("h3").text for r in section.find_all("article", "report")]
    assert titles == ["Report 5", "Report 4", "Report 3"]


def test_reports_are_paginated_newest_first(client, app, monkeypatch, make_report):
    monkeypatch.setitem(app.config, "REPORTS_PER_PAGE", 2)
    for day in range(1, 6):
        make_report(f"report-{day}", happened_on=date(2026, 4, day))
    make_report("hidden", published=False)

    pages = [parse(client.get(f"/reports?page={n}").data) for n in (1, 2, 3)]

    titles = [[r.find("h2").text for r in p.find_all("article", "report")] for p in pages]
    assert titles == [["Report 5", "Report 4"], ["Report 3", "Report 2"], ["Report 1"]]
    first_nav = pages[0].find("nav", "pagination")
    assert [a.attrs.get("rel") for a in first_nav.find_all("a")] == ["next"]
    assert first_nav.find("a").attrs["href"] == "/reports?page=2"
    assert "Page 1 of 3" in first_nav.text
    middle_links = {
        a.attrs["rel"]: a.attrs["href"] for a in pages[1].find_all("a") if "rel" in a.attrs
    }
    assert middle_links == {"prev": "/reports?page=1", "next": "/reports?page=3"}
    assert client.get("/reports?page=4").status_code == 404
    assert (
        parse(client.get("/reports").data)
        .find_all("article", "report")[0]
        .text.startswith("Report 5")
    )


def test_reports_page_without_reports_says_so(client):
    response = client.get("/reports")

    assert response.status_code == 200
    assert "No report has been published yet." in response.text


def test_report_page_renders_body_and_links_only_public_campaigns(
    client, make_campaign, make_report
):
    public = make_campaign("wells", title="Water wells")
    draft = make_campaign("secret", title="Unannounced appeal", status=CampaignStatus.DRAFT)
    make_report(
        "wells-done",
        title="Twelve wells finished",
        body="# On site\n\nThe **village** has water.",
        campaigns=[public, draft],
        figures=[("Wells", 12)],
        images=[("f00d.png", "A well pump")],
    )

    response = client.get("/reports/wells-done")

    assert response.status_code == 200
    page = parse(response.data)
    assert page.find("h1").text == "Twelve wells finished"
    assert page.find("div", "prose").find("h2").text == "On site"
    assert page.find("strong").text == "village"
    links = {a.attrs["href"] for a in page.find("p", "report-campaigns").find_all("a")}
    assert links == {"/campaigns/wells"}
    assert "Unannounced appeal" not in response.text
    assert page.find("div", "report-gallery").find("img").attrs["alt"] == "A well pump"


def test_reports_list_links_each_report_to_its_campaigns(client, make_campaign, make_report):
    campaign = make_campaign("wells", title="Water wells")
    make_report("wells-done", campaigns=[campaign])

    report = parse(client.get("/reports").data).find("article", "report")

    assert report.find("h2").find("a").attrs["href"] == "/reports/wells-done"
    assert report.find("p", "report-campaigns").find("a").attrs["href"] == "/campaigns/wells"


def test_drafts_and_unpublished_reports_are_not_found(client, make_campaign, make_report):
    make_campaign("secret", status=CampaignStatus.DRAFT)
    make_report("not-yet", published=False)

    for url in ("/campaigns/secret", "/reports/not-yet", "/campaigns/missing", "/reports/missing"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "We could not find that page" in response.text
        assert parse(response.data).find("a", "button").attrs["href"] == "/"


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/reports?page=abc", 404),
        ("/reports?page=-1", 404),
        ("/reports?page=0", 404),
        ("/reports?page=1.5", 404),
        ("/reports?page=", 404),
        ("/reports?page=%00", 404),
        ("/reports?page=99999999999999999999", 404),
        ("/reports?page=" + "9" * 5000, 404),
        ("/reports?page=%D9%A1", 404),  # an Arabic-Indic one: a digit, but not ours
        ("/reports?page=1", 200),
        ("/?page=abc", 200),
        ("/campaigns/food-aid?page=-1&x=%00", 200),
        ("/campaigns/%00", 404),
        ("/campaigns/food%00aid", 404),
        ("/campaigns/" + "a" * 5000, 404),
        ("/campaigns/..%2F..%2Fconfig.py", 404),
        ("/campaigns/%27%20OR%201=1--", 404),
        ("/campaigns/FOOD-AID", 404),
        ("/reports/%00", 404),
        ("/reports/" + "r" * 300, 404),
        ("/uploads/%00.png", 404),
        ("/uploads/..%2Fconfig.py", 404),
        ("/uploads/../../config.py", 404),
        ("/uploads/missing.png", 404),
        ("/uploads/evil.svg", 404),
        ("/uploads/page.html", 404),
        ("/uploads/.png", 404),
        ("/api/v1/campaigns/%00", 404),
        ("/api/v1/campaigns/" + "x" * 5000, 404),
        ("/%ff%fe", 404),
    ],
)
def test_odd_urls_never_cause_a_server_error(client, make_campaign, url, status):
    make_campaign("food-aid")

    assert client.get(url).status_code == status


def test_method_not_allowed_gets_the_error_page(client):
    response = client.post("/")

    assert response.status_code == 405
    assert parse(response.data).find("h1").text == "That is not something this page can do"


def test_markdown_story_cannot_run_script(client, make_campaign):
    make_campaign(
        "xss",
        story=(
            "<script>alert(1)</script>\n\n"
            "<img src=x onerror=alert(2)>\n\n"
            "[click me](javascript:alert(3)) [or me](JAVASCRIPT:alert(4))\n\n"
            '<a href="javascript:alert(5)">html link</a>\n\n'
            "![pic](javascript:alert(6))\n\n"
            '<p style="color:red" onclick="alert(7)">styled</p>\n\n'
            "[safe link](https://example.org/ok)"
        ),
    )

    response = client.get("/campaigns/xss")

    story = parse(response.data).find("section", "campaign-story")
    assert story.find_all("script") == [] and story.find_all("img") == []
    for element in story.iter():
        assert not [a for a in element.attrs if a.startswith("on") or a == "style"]
    hrefs = [a.attrs.get("href") for a in story.find_all("a")]
    assert hrefs == ["https://example.org/ok"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text  # shown, not run


def test_uploads_are_served_from_the_upload_folder(client, app):
    picture = Path(app.config["UPLOAD_FOLDER"]) / "Zq3-x_9k.png"
    picture.write_bytes(b"\x89PNG\r\n\x1a\nnot really a png")

    with client.get("/uploads/Zq3-x_9k.png") as response:
        assert response.status_code == 200
        assert response.data == picture.read_bytes()
        assert response.mimetype == "image/png"
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_every_page_has_language_skip_link_and_navigation(client, make_campaign):
    make_campaign("food-aid")

    for url in ("/", "/campaigns/food-aid", "/reports", "/missing"):
        page = parse(client.get(url).data)
        html = page.find("html")
        assert (html.attrs["lang"], html.attrs["dir"]) == ("en", "ltr")
        skip = page.find("a", "skip-link")
        assert skip.attrs["href"] == "#main"
        assert page.find("main").attrs["id"] == "main"
        nav = page.find("nav", "site-nav")
        assert [a.text for a in nav.find_all("a")] == ["Campaigns", "Reports"]
        assert "Example Relief Association" in page.find("header", "site-header").text


def test_campaign_page_issues_as_many_queries_with_50_donations_as_with_none(
    client, app_ctx, make_campaign, make_option, make_report, post_gift
):
    campaign = make_campaign("wells", unit_label="wells", units_goal=100)
    make_option(campaign, "A well", unit_price=5000_00, stock=100)
    make_option(campaign, "A pump", unit_price=500_00)
    make_report("one", campaigns=[campaign], figures=[("Wells", 3)], images=[("a.jpg", "A")])
    make_report("two", campaigns=[campaign], figures=[("Pumps", 9)], images=[("b.jpg", "B")])
    campaign_id = campaign.id

    before = count_queries(client, "/campaigns/wells")
    campaign = db.session.get(Campaign, campaign_id)
    for n in range(50):
        post_gift(campaign, 100_00, units=1, email=f"donor{n}@example.org")
    after = count_queries(client, "/campaigns/wells")

    assert before == after
    assert before <= 8
    page = parse(client.get("/campaigns/wells").data)
    assert page.find("li", "progress-donors").text == "50 donors"


def count_queries(client, url: str) -> int:
    """SQL statements the request runs, starting, as a real request does, from no cache."""
    db.session.remove()
    client.application.extensions["page_cache"].clear()
    with statements_sent() as statements:
        response = client.get(url)
    assert response.status_code == 200
    return len(statements)


def test_a_story_is_made_html_once_per_text(client, make_campaign, monkeypatch):
    """The story's HTML is kept per worker (every gift redraws the page around it): drawn
    again, a page does not parse its story again; another story is parsed for itself."""
    make_campaign("food-aid", story="A story.")
    make_campaign("wells", story="We **build** wells.")
    parsed = []
    parse_markdown = markdown._renderer.parse
    monkeypatch.setattr(
        markdown._renderer, "parse", lambda text: parsed.append(text) or parse_markdown(text)
    )
    markdown.render_markdown.cache_clear()

    pages = [client.get(f"/campaigns/{slug}") for slug in ("food-aid", "wells") * 2]

    assert [page.status_code for page in pages] == [200] * 4
    stories = [parse(page.data).find("section", "campaign-story") for page in pages]
    assert [story.find("p").text for story in stories] == ["A story.", "We build wells."] * 2
    assert stories[3].find("strong").text == "build"
    assert parsed == ["A story.", "We **build** wells."]
