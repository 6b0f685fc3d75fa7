"""Mixed directions in Chromium: the dashboard chart's labels stay whole inside the chart
in every language (Arabic's end date was clipped to a "."), an Arabic amount reads
"US$ 42,900" from the left (the number first, at the right) with the symbol in one piece,
and the pages this touches have no axe-core violations."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from campaigns.extensions import db
from campaigns.models import Campaign
from campaigns.money import currency
from tests.browser.axe import axe_violations
from tests.browser.conftest import DESKTOP, MOBILE
from tests.receipting import paid_donation
from tests.staff_fixtures import PASSWORD, create_account

pytestmark = pytest.mark.browser

STAFF_EMAIL = "rtl.admin@example.org"

# Each label's box against its chart's: every label must lie wholly inside.
LABELS_OUTSIDE = """svg => {
  const frame = svg.getBoundingClientRect();
  return [...svg.querySelectorAll("text")].map(t => {
    const box = t.getBoundingClientRect();
    return {text: t.textContent, kind: t.classList[t.classList.length - 1],
            width: box.width, left: box.left, right: box.right,
            inside: box.left >= frame.left - 0.5 && box.right <= frame.right + 0.5 &&
                    box.top >= frame.top - 0.5 && box.bottom <= frame.bottom + 0.5};
  });
}"""


def sign_in(page: Page, lang: str) -> None:
    page.goto(f"/staff/login?lang={lang}")
    page.locator("#email").fill(STAFF_EMAIL)
    page.locator("#password").fill(PASSWORD)
    page.locator("form.staff-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/staff/$"))


@pytest.mark.parametrize("viewport", [DESKTOP, MOBILE], ids=["desktop", "phone"])
@pytest.mark.parametrize("lang", ["en", "tr", "ar"])
def test_chart_labels_are_never_clipped(app, demo_site, page, lang, viewport):
    # Two of the largest gifts today: the scale's labels are as long as a day's can be.
    wells = db.session.scalars(select(Campaign).filter_by(slug="water-wells-africa")).one()
    for _ in range(2):
        paid_donation(wells, currency(wells.currency).maximum)
    create_account(app, "admin", STAFF_EMAIL)
    sign_in(page, lang)
    page.goto(f"/staff/?lang={lang}")
    charts = page.locator("svg.chart-svg").all()
    assert charts
    for chart in charts:
        labels = chart.evaluate(LABELS_OUTSIDE)
        kinds = Counter(label["kind"] for label in labels)
        # The amount scale (zero and at least one step), the first and last days, and
        # the two axis titles.
        assert kinds["chart-tick"] >= 2 and kinds["chart-day"] >= 2, kinds
        assert kinds["chart-axis-title"] == 2, kinds
        [_day, amount_title] = [label for label in labels if label["kind"] == "chart-axis-title"]
        for label in labels:
            assert label["inside"], f"{label!r} is cut off by the chart's edge"
            # Whole, not a stray mark: a date or an amount is wider than a few pixels.
            assert label["width"] > 5, label
            if label["kind"] == "chart-tick":
                assert label["left"] >= amount_title["right"], f"{label!r} covers the title"


@pytest.mark.parametrize("viewport", [DESKTOP], ids=["desktop"])
def test_arabic_amounts_read_number_first_and_the_pages_pass_axe(app, demo_site, page):
    create_account(app, "admin", STAFF_EMAIL)
    page.goto("/campaigns/water-wells-africa?lang=ar")
    # The campaign counts wells, so the money raised is the figure beside them.
    raised = page.locator(".progress-money").first
    # Written number first (CLDR's ar pattern); laid out right to left, "US$" stays whole
    # and lands on the left of the number.
    written = re.sub("[\u2066-\u2069]", "", raised.inner_text()).replace("\xa0", " ")
    assert re.search(r"(^|\s)[\d,]+ US\$(\s|$)", written.strip()), written
    symbol_left = raised.evaluate(
        """e => { const r = document.createRange(); const t = e.textContent;
           const i = t.indexOf("US$"); const n = t.search(/[0-9]/);
           const node = e.firstChild;
           r.setStart(node, i); r.setEnd(node, i + 3); const s = r.getBoundingClientRect();
           r.setStart(node, n); r.setEnd(node, n + 1); const d = r.getBoundingClientRect();
           return s.right <= d.left; }"""
    )
    assert symbol_left
    # The Hijri end date is one unit: its closing "هـ" never wraps onto a line of its own,
    # even where the line is too narrow for the whole "تنتهي في ... (... هـ)".
    hijri = page.locator(".progress-ends bdi.hijri").first
    expect(hijri).to_contain_text("هـ")
    for width in ("40rem", "12rem"):
        hijri.evaluate(f"e => e.closest('li').style.inlineSize = '{width}'")
        lines = "e => new Set([...e.getClientRects()].map(r => Math.round(r.top))).size"
        assert hijri.evaluate(lines) == 1
    found = {"campaign": axe_violations(page)}
    sign_in(page, "ar")
    for path in ("/staff/?lang=ar", "/staff/audit?lang=ar"):
        page.goto(path)
        found[path] = axe_violations(page)
    assert {page: lines for page, lines in found.items() if lines} == {}
