"""The public site as a person sees it in Chromium: campaign cards with progress, a
campaign page with its field reports beside it, keyboard use, no JavaScript, 404s."""

from __future__ import annotations

import pytest
from babel.numbers import format_decimal
from playwright.sync_api import Locator, Page, expect

from campaigns.extensions import db
from campaigns.models import Campaign
from campaigns.money import format_money
from campaigns.services.content import catalog
from tests.browser.conftest import DESKTOP, MOBILE

pytestmark = pytest.mark.browser

# The value a progress bar reports to assistive technology, <progress> or ARIA alike.
BAR_VALUE = (
    "bar => bar.tagName === 'PROGRESS' ? bar.value : Number(bar.getAttribute('aria-valuenow'))"
)


def public_campaigns() -> list[Campaign]:
    return catalog.public_campaigns(db.session)


def card_of(page: Page, campaign: Campaign) -> Locator:
    return page.locator("article.campaign-card").filter(
        has=page.get_by_role("heading", name=campaign.title, exact=True)
    )


def assert_card_shows_progress(card: Locator, campaign: Campaign) -> None:
    totals = campaign.totals
    # Where the campaign counts units they are the main figure, and the percent theirs.
    if campaign.counts_units:
        percent = totals.units_percent(campaign.units_goal)
    else:
        percent = totals.percent(campaign.goal_amount)
    bar = card.get_by_role("progressbar")
    expect(bar).to_be_visible()
    assert bar.evaluate(BAR_VALUE) == min(percent, 100)
    assert bar.bounding_box()["width"] > 100, "the progress bar is too narrow to read"
    expect(card).to_contain_text(format_money(totals.raised, campaign.currency, "en", whole=True))
    if not campaign.counts_units:
        expect(card).to_contain_text(
            format_money(campaign.goal_amount, campaign.currency, "en", whole=True)
        )
    expect(card).to_contain_text(f"{percent}% funded")
    expect(card).to_contain_text(f"{format_decimal(totals.donors, locale='en')} donors")
    if campaign.unit_label and campaign.units_goal:
        expect(card).to_contain_text(
            f"{format_decimal(totals.units_funded, locale='en')} of "
            f"{format_decimal(campaign.units_goal, locale='en')} {campaign.unit_label}"
        )


@pytest.mark.parametrize(
    ("viewport", "javascript"),
    [(MOBILE, True), (DESKTOP, True), (MOBILE, False)],
    ids=["mobile", "desktop", "mobile-without-javascript"],
)
def test_home_page_shows_the_four_campaigns_with_their_progress(
    demo_site, visit, page, viewport, javascript
):
    visit("/")

    campaigns = public_campaigns()
    assert len(campaigns) == 4
    cards = page.locator("article.campaign-card")
    expect(cards).to_have_count(4)
    for campaign in campaigns:
        card = card_of(page, campaign)
        expect(card).to_have_count(1)
        assert_card_shows_progress(card, campaign)


@pytest.mark.parametrize("viewport", [MOBILE, DESKTOP], ids=["mobile", "desktop"])
def test_campaign_page_shows_its_reports_beside_it(demo_site, app_ctx, visit, page, viewport):
    per_page = app_ctx.config["REPORTS_PER_PAGE"]
    campaign, reports = max(
        ((c, catalog.campaign_reports(db.session, c, per_page)) for c in public_campaigns()),
        key=lambda pair: len(pair[1]),
    )
    assert len(reports) >= 2, "the demo data should give a campaign several reports"

    visit(f"/campaigns/{campaign.slug}")

    expect(page.get_by_role("heading", level=1)).to_have_text(campaign.title)
    section = page.locator("section.campaign-reports")
    articles = section.locator("article.report")
    expect(articles.locator(".report-title")).to_have_text([r.title for r in reports])
    dates = articles.locator("time").evaluate_all("times => times.map(t => t.dateTime)")
    assert dates == sorted(dates, reverse=True), "reports are not newest first"
    # Each with its figures, place, date and (at most three) photos.
    for report, article in zip(reports, articles.all(), strict=True):
        for figure in report.figures:
            expect(article).to_contain_text(figure.label)
            expect(article).to_contain_text(format_decimal(figure.value, locale="en"))
        if report.place:
            expect(article).to_contain_text(report.place)
        expect(article.locator("time")).to_have_attribute(
            "datetime", report.happened_on.isoformat()
        )
        expect(article.locator("img")).to_have_count(min(len(report.images), 3))

    # The reports follow the story; on a wide screen the giving column is beside both.
    story = page.locator("section.campaign-story").bounding_box()
    assert section.bounding_box()["y"] >= story["y"] + story["height"], "reports come first"
    if viewport == DESKTOP:
        beside = page.locator("aside.campaign-side").bounding_box()
        assert beside["x"] >= story["x"] + story["width"], "giving is not beside the story"


def test_first_tab_reaches_the_skip_link_which_moves_focus_to_main(
    demo_site, visit, page, screenshot_dir
):
    visit("/")

    page.keyboard.press("Tab")
    skip = page.locator(":focus")
    expect(skip).to_have_attribute("href", "#main")
    expect(skip).to_be_in_viewport()
    page.screenshot(path=screenshot_dir / "02-skip-link-focused.png")

    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()
    # The next Tab lands on the first link of the content, past the site navigation.
    page.keyboard.press("Tab")
    expect(page.locator("main :focus")).to_have_count(1)


def test_unknown_campaign_is_a_404_page_that_looks_like_the_site(demo_site, visit, page):
    visit("/")
    home_header = page.locator("header.site-header").evaluate(
        "h => getComputedStyle(h).backgroundColor"
    )

    visit("/campaigns/no-such-campaign", status=404)

    expect(page.get_by_role("heading", level=1)).to_have_text("We could not find that page")
    expect(page.locator("header.site-header")).to_be_visible()
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Campaigns")).to_be_visible()
    expect(nav.get_by_role("link", name="Reports")).to_be_visible()
    header = page.locator("header.site-header").evaluate("h => getComputedStyle(h).backgroundColor")
    assert header == home_header, "the 404 page is not styled like the site"
    page.get_by_role("link", name="Back to the home page").click()
    expect(page.locator("article.campaign-card")).to_have_count(4)
