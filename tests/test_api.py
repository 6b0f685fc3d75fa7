"""The read-only JSON API: exactly the fields of the public contract, amounts in minor units."""

from __future__ import annotations

from campaigns.extensions import db
from campaigns.models import LedgerKind
from campaigns.models.campaign import CampaignStatus
from campaigns.services.books.ledger import post_entry


def test_campaign_list_has_public_campaigns_with_their_totals(client, make_campaign, post_gift):
    wells = make_campaign("wells", title="Water wells", currency="USD", goal_amount=10_000_00)
    make_campaign(
        "qurban",
        title="Qurban",
        currency="JPY",
        goal_amount=500_000,
        units_goal=70,
        status=CampaignStatus.CLOSED,
    )
    make_campaign("secret", status=CampaignStatus.DRAFT)
    post_gift(wells, 2_500_00, units=1, email="ayse@example.org")

    response = client.get("/api/v1/campaigns")

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Content-Language"] == "en"
    assert response.json == {
        "lang": "en",
        "campaigns": [
            {
                "slug": "wells",
                "title": "Water wells",
                "lang": "en",
                "currency": "USD",
                "goal": 1_000_000,
                "raised": 250_000,
                "units_goal": None,
                "units_funded": 1,
                "donations": 1,
                "donors": 1,
                "percent": 25,
            },
            {
                "slug": "qurban",
                "title": "Qurban",
                "lang": "en",
                "currency": "JPY",
                "goal": 500_000,
                "raised": 0,
                "units_goal": 70,
                "units_funded": 0,
                "donations": 0,
                "donors": 0,
                "percent": 0,
            },
        ],
    }


def test_campaign_detail_counts_refunds_and_passes_100_percent(client, make_campaign, post_gift):
    campaign = make_campaign(
        "parcels", title="Food parcels", currency="TRY", goal_amount=1_000_00, units_goal=10
    )
    post_gift(campaign, 800_00, units=8, email="ayse@example.org")
    post_gift(campaign, 400_00, units=4, email="ayse@example.org")
    post_gift(campaign, 200_00, units=2, email="omar@example.org")
    post_entry(
        db.session,
        campaign=campaign,
        kind=LedgerKind.REFUND,
        amount=100_00,
        currency="TRY",
        reference="re_1",
        units=1,
    )
    db.session.commit()

    response = client.get("/api/v1/campaigns/parcels")

    assert response.status_code == 200
    assert response.json == {
        "slug": "parcels",
        "lang": "en",
        "title": "Food parcels",
        "currency": "TRY",
        "goal": 100_000,
        "raised": 130_000,
        "units_goal": 10,
        "units_funded": 13,
        "donations": 3,
        "donors": 2,
        "percent": 130,
    }
    text_fields = ("slug", "title", "lang", "currency")
    assert all(type(v) is int for k, v in response.json.items() if k not in text_fields)


def test_unknown_and_draft_campaigns_are_json_404s(client, make_campaign):
    make_campaign("secret", status=CampaignStatus.DRAFT)

    for slug in ("secret", "missing"):
        response = client.get(f"/api/v1/campaigns/{slug}")
        assert response.status_code == 404
        assert response.json == {"error": "Not Found", "status": 404}


def test_empty_list_when_nothing_is_public(client, make_campaign):
    make_campaign("secret", status=CampaignStatus.DRAFT)

    assert client.get("/api/v1/campaigns").json == {"lang": "en", "campaigns": []}


def test_api_is_read_only(client, make_campaign):
    make_campaign("wells")

    response = client.post("/api/v1/campaigns/wells")

    assert response.status_code == 405
    assert response.json == {"error": "Method Not Allowed", "status": 405}


def test_text_fields_follow_lang_then_accept_language(client, make_campaign):
    make_campaign(
        "wells",
        title="Water wells",
        translations={"tr": {"title": "Afrika'da su kuyuları"}, "ar": {"title": "آبار المياه"}},
    )
    make_campaign("iftar", title="Ramadan iftars", translations={"tr": {"title": "İftar"}})

    turkish = client.get("/api/v1/campaigns?lang=tr", headers={"Accept-Language": "ar"})
    arabic = client.get("/api/v1/campaigns/wells", headers={"Accept-Language": "ar, en;q=0.5"})
    fallback = client.get("/api/v1/campaigns/iftar?lang=ar")
    unknown = client.get("/api/v1/campaigns/wells?lang=xx", headers={"Accept-Language": "de"})

    assert turkish.headers["Content-Language"] == "tr"
    assert turkish.json["lang"] == "tr"
    assert sorted((c["title"], c["lang"]) for c in turkish.json["campaigns"]) == [
        ("Afrika'da su kuyuları", "tr"),
        ("İftar", "tr"),
    ]
    assert arabic.headers["Content-Language"] == "ar"
    assert (arabic.json["title"], arabic.json["lang"]) == ("آبار المياه", "ar")
    # No Arabic title yet: the source text, named as English.
    assert fallback.headers["Content-Language"] == "ar"
    assert (fallback.json["title"], fallback.json["lang"]) == ("Ramadan iftars", "en")
    assert unknown.headers["Content-Language"] == "en"
    assert unknown.json["title"] == "Water wells"
