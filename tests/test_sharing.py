"""Sharing a campaign: Open Graph and Twitter tags with absolute addresses on SITE_URL,
plain share links (no third-party script), the progress badge other sites embed, the one
framable page, and CORS on the JSON API."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.markup import parse
from tests.payments_fixtures import isolated

CAMPAIGN_URL = "http://campaigns.test/campaigns/food-aid"


def meta(page, attribute: str) -> dict[str, str]:
    return {
        m.attrs[attribute]: m.attrs["content"]
        for m in page.find_all("meta")
        if attribute in m.attrs
    }


@pytest.fixture
def food(make_campaign, post_gift):
    campaign = make_campaign(
        "food-aid",
        title="Food aid",
        summary="A parcel for a family.",
        cover_image="cover.jpg",
        cover_alt="A food parcel",
    )
    post_gift(campaign, 250_000_00)
    return campaign


@pytest.mark.parametrize("lang, og_locale", [("en", "en_GB"), ("tr", "tr_TR"), ("ar", "ar_AR")])
def test_campaign_page_has_open_graph_twitter_and_canonical_tags(client, food, lang, og_locale):
    page = parse(client.get(f"/campaigns/food-aid?lang={lang}").data)

    properties, names = meta(page, "property"), meta(page, "name")
    url = f"{CAMPAIGN_URL}?lang={lang}"
    assert properties["og:title"] == names["twitter:title"] == "Food aid"
    assert properties["og:description"] == names["twitter:description"] == "A parcel for a family."
    assert properties["og:url"] == url
    assert properties["og:locale"] == og_locale
    assert (
        properties["og:image"]
        == names["twitter:image"]
        == "http://campaigns.test/uploads/cover.jpg"
    )
    assert names["twitter:card"] == "summary_large_image"
    [canonical] = [link for link in page.find_all("link") if link.attrs.get("rel") == "canonical"]
    assert canonical.attrs["href"] == url


def test_links_are_built_on_site_url_never_on_the_host_header(client, food):
    page = parse(client.get("/campaigns/food-aid", headers={"Host": "evil.example"}).data)

    assert meta(page, "property")["og:url"].startswith("http://campaigns.test/")
    assert all("evil.example" not in a.attrs.get("href", "") for a in page.find_all("a"))


def test_share_links_are_plain_links_to_each_network(client, food):
    page = parse(client.get("/campaigns/food-aid?lang=en").data)
    block = page.find("section", "share")
    links = {a.text.split(" (")[0]: a.attrs["href"] for a in block.find_all("a")}
    url = f"{CAMPAIGN_URL}?lang=en"

    assert set(links) == {"WhatsApp", "Telegram", "X", "Facebook", "E-mail"}
    assert parse_qs(urlsplit(links["WhatsApp"]).query)["text"] == [f"Food aid {url}"]
    assert urlsplit(links["WhatsApp"]).netloc == "wa.me"
    assert parse_qs(urlsplit(links["Telegram"]).query) == {"url": [url], "text": ["Food aid"]}
    assert parse_qs(urlsplit(links["X"]).query) == {"url": [url], "text": ["Food aid"]}
    assert parse_qs(urlsplit(links["Facebook"]).query) == {"u": [url]}
    mail = urlsplit(links["E-mail"])
    assert mail.scheme == "mailto" and "+" not in mail.query
    assert parse_qs(mail.query) == {"subject": ["Food aid"], "body": [f"Food aid {url}"]}
    # Copy link: a button shown only by share.js; every script is the site's own file.
    copy = block.find("button")
    assert copy.attrs["data-copy"] == url and "hidden" in block.find("li", "share-copy").attrs
    assert all(s.attrs["src"].startswith("/static/js/") for s in page.find_all("script"))


def test_report_page_has_tags_with_its_first_photo_and_share_links(client, make_report, food):
    make_report("parcels-out", campaigns=[food], images=[("first.png", "Parcels handed out")])

    page = parse(client.get("/reports/parcels-out?lang=tr").data)

    properties = meta(page, "property")
    assert properties["og:type"] == "article"
    assert properties["og:image"] == "http://campaigns.test/uploads/first.png"
    assert properties["og:image:alt"] == "Parcels handed out"
    assert properties["og:url"] == "http://campaigns.test/reports/parcels-out?lang=tr"
    assert page.find("section", "share")


def test_progress_badge_is_svg_cacheable_and_escapes_the_title(client, make_campaign, post_gift):
    campaign = make_campaign("badge", title='Aid <script>alert("x")</script> & more')
    post_gift(campaign, 400_000_00)

    response = client.get("/campaigns/badge/progress.svg")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/svg+xml; charset=utf-8"
    assert "public" in response.headers["Cache-Control"]
    assert "max-age=300" in response.headers["Cache-Control"]
    body = response.get_data(as_text=True)
    assert "<script" not in body
    tree = ET.fromstring(body)  # well-formed XML: every text escaped
    texts = [t.text for t in tree.iter("{http://www.w3.org/2000/svg}text")]
    assert texts[0] == 'Aid <script>alert("x")</script> & more'
    assert "40%" in texts[1] and "₺400,000" in texts[1]


def test_badge_in_arabic_reads_right_to_left(client, food):
    body = client.get("/campaigns/food-aid/progress.svg?lang=ar").get_data(as_text=True)

    group = ET.fromstring(body).find("{http://www.w3.org/2000/svg}g")
    assert group.attrib["direction"] == "rtl"


def test_badge_and_embed_of_a_draft_or_unknown_campaign_are_404(client, make_campaign):
    make_campaign("secret", status="draft")
    for path in ("/campaigns/secret/progress.svg", "/embed/campaigns/secret", "/embed/campaigns/x"):
        assert client.get(path).status_code == 404, path


def test_only_the_embed_page_may_be_framed(client, food):
    embed = client.get("/embed/campaigns/food-aid")
    page = client.get("/campaigns/food-aid")

    assert embed.status_code == 200
    assert "frame-ancestors *" in embed.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in embed.headers
    # The rest of the policy stays as strict.
    assert "script-src 'self'" in embed.headers["Content-Security-Policy"]
    for other in (page, client.get("/about"), client.get("/campaigns/food-aid/progress.svg")):
        assert "frame-ancestors 'none'" in other.headers["Content-Security-Policy"]
        assert other.headers["X-Frame-Options"] == "DENY"


def test_embed_page_shows_progress_and_a_give_button_opening_a_new_tab(client, food):
    page = parse(client.get("/embed/campaigns/food-aid?lang=tr").data)

    assert page.find("h1").text == "Food aid"
    assert page.find("progress")
    give = page.find("p", "embed-give").find("a")
    assert give.attrs["href"] == f"{CAMPAIGN_URL}?lang=tr#give"
    assert give.attrs["target"] == "_blank" and "noopener" in give.attrs["rel"]
    assert not page.find_all("form") and not page.find_all("script")


def test_the_api_answers_any_origin_without_credentials(client, food):
    for path in ("/api/v1/campaigns", "/api/v1/campaigns/food-aid", "/api/v1/campaigns/none"):
        response = isolated(client.get, path, headers={"Origin": "https://friend.example"})
        assert response.headers["Access-Control-Allow-Origin"] == "*", path
        assert "Access-Control-Allow-Credentials" not in response.headers
    assert "Access-Control-Allow-Origin" not in client.get("/campaigns/food-aid").headers
