"""`flask demo load`: the charity's campaigns, field reports and paid demo gifts, loaded once."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from importlib import resources
from pathlib import Path

import pytest
from flask import current_app
from PIL import Image
from sqlalchemy import func, select

from campaigns.demo import load_demo, plan_gifts
from campaigns.demo.data import DemoDataError, demo_data, parse_data
from campaigns.extensions import db
from campaigns.filters import local_today
from campaigns.models import (
    ActivityReport,
    Campaign,
    Donation,
    DonationOption,
    DonationStatus,
    LedgerEntry,
    ReportImage,
)
from campaigns.models.campaign import CampaignStatus, Designation
from campaigns.money import CURRENCIES
from campaigns.services.books.ledger import verify_totals
from tests.payments_fixtures import count


@pytest.fixture
def loaded(app_ctx) -> str:
    summary = load_demo(db.session)
    db.session.commit()
    return summary


@pytest.fixture
def catalogue(app_ctx) -> str:
    """Campaigns and reports only: quicker where the gifts do not matter."""
    summary = load_demo(db.session, donations=0)
    db.session.commit()
    return summary


def campaign(slug: str) -> Campaign:
    return db.session.scalars(select(Campaign).where(Campaign.slug == slug)).one()


def assert_is_picture(name: str) -> None:
    assert name and "/" not in name
    path = Path(current_app.config["UPLOAD_FOLDER"]) / name
    assert path.is_file()
    with Image.open(path) as picture:
        assert picture.format in {"JPEG", "WEBP"}
        assert picture.size == (1200, 675)
        picture.load()  # decodes every pixel: a truncated file fails here


def test_demo_load_command_says_what_it_loaded(app_ctx, runner):
    result = runner.invoke(args=["demo", "load"])

    assert result.exit_code == 0, result.output
    assert "Loaded 4 campaigns, 7 reports, 300 donations" in result.output
    assert count(Campaign) == 4
    assert count(ActivityReport) == 7
    assert count(Donation) == 300


def test_the_four_campaigns_are_active_with_goals_options_and_covers(catalogue):
    campaigns = db.session.scalars(select(Campaign).order_by(Campaign.slug)).all()

    assert {c.slug: c.currency for c in campaigns} == {
        "earthquake-food-aid": "TRY",
        "qurban": "TRY",
        "ramadan-iftar": "EUR",
        "water-wells-africa": "USD",
    }
    for c in campaigns:
        assert c.status == CampaignStatus.ACTIVE
        assert c.goal_amount > 0 and c.units_goal > 0 and c.unit_label
        assert c.starts_on < local_today() < c.ends_on
        assert c.options
        assert len(c.cover_alt) > 20
        assert_is_picture(c.cover_image)
    qurban = campaign("qurban")
    # Orders close a few days before Eid al-Adha 1448 (about 16 May 2027).
    assert date(2027, 5, 9) <= qurban.ends_on < date(2027, 5, 16)
    wells = campaign("water-wells-africa").options[0]
    assert wells.needs_on_behalf and wells.on_behalf_label == "Name on the well's plate"
    assert [(o.label, o.stock, o.units, o.needs_on_behalf) for o in qurban.options] == [
        ("One sheep or goat", 150, 1, True),
        ("One seventh of a cow", 70, 1, True),
    ]
    # A share is a sacrifice; an amount may be general aid or sadaqah, never a sacrifice.
    assert qurban.designations == "general,sadaqah,sacrifice"
    assert [o.designation_list for o in qurban.options] == [[Designation.SACRIFICE]] * 2
    assert qurban.designations_for(None) == [Designation.GENERAL, Designation.SADAQAH]
    for c in campaigns:
        assert 3 <= len(c.suggestions) <= 4 and c.unit_price
        assert 0 <= c.totals.units_remainder < c.unit_price
    # Each demo gift has a designation the form would offer for it.
    for gift in db.session.scalars(select(Donation)):
        assert gift.designation in gift.campaign.designations_for(gift.option)
    assert "zakat" in campaign("earthquake-food-aid").designations
    assert [o.units for o in campaign("ramadan-iftar").options] == [1, 5, 10]
    assert campaign("water-wells-africa").unit_label == "wells"


def test_the_seven_reports_are_published_with_figures_photos_and_campaigns(catalogue):
    reports = {r.slug: r for r in db.session.scalars(select(ActivityReport))}

    assert len(reports) == 7
    assert all(r.published and r.body and r.place for r in reports.values())
    al_bab = reports["al-bab-hot-meals-winter-clothes"]
    assert al_bab.place == "al-Bab, Syria"
    assert {f.label: f.value for f in al_bab.figures} == {
        "families reached": 1200,
        "children clothed": 650,
    }
    assert reports["kemal-karaca-complex-uganda"].campaigns == []
    assert reports["kemal-karaca-complex-uganda"].place == "Uganda"
    linked = Counter(c.slug for r in reports.values() for c in r.campaigns)
    assert linked == {
        "qurban": 2,
        "ramadan-iftar": 1,
        "water-wells-africa": 1,
        "earthquake-food-aid": 1,
    }
    for report in reports.values():
        assert 1 <= len(report.images) <= 2
        for image in report.images:
            assert len(image.alt) > 20
            assert_is_picture(image.filename)


def test_totals_match_the_ledger_after_loading(app_ctx, runner):
    runner.invoke(args=["demo", "load"])

    assert verify_totals(db.session) == []
    result = runner.invoke(args=["totals", "verify"])
    assert result.exit_code == 0
    assert "Totals match the ledger." in result.output
    for c in db.session.scalars(select(Campaign)):
        paid = db.session.execute(
            select(func.count(), func.sum(Donation.amount)).where(
                Donation.campaign_id == c.id, Donation.status == DonationStatus.PAID
            )
        ).one()
        assert (c.totals.donations, c.totals.raised) == tuple(paid)
        assert 0 < c.totals.donors < c.totals.donations  # some donors give more than once


def test_loading_twice_adds_nothing(app_ctx, runner):
    runner.invoke(args=["demo", "load"])
    folder = Path(app_ctx.config["UPLOAD_FOLDER"])
    files_before = set(folder.iterdir())

    result = runner.invoke(args=["demo", "load"])

    assert result.exit_code == 0
    assert "nothing added" in result.output
    assert (count(Campaign), count(DonationOption), count(ActivityReport)) == (4, 7, 7)
    assert (count(Donation), count(LedgerEntry), count(ReportImage)) == (300, 300, 10)
    assert set(folder.iterdir()) == files_before
    assert verify_totals(db.session) == []


def test_if_empty_leaves_a_site_in_use_alone(make_campaign, runner):
    make_campaign("winter-appeal")

    result = runner.invoke(args=["demo", "load", "--if-empty"])

    assert result.exit_code == 0
    assert "not loaded" in result.output
    assert db.session.scalars(select(Campaign.slug)).all() == ["winter-appeal"]
    assert (count(ActivityReport), count(Donation)) == (0, 0)


def test_if_empty_loads_a_new_site(app_ctx, runner):
    result = runner.invoke(args=["demo", "load", "--if-empty", "--donations", "20"])

    assert "Loaded 4 campaigns, 7 reports, 20 donations" in result.output
    assert count(Donation) == 20


def test_every_donation_is_a_paid_gift_within_its_currency_range(loaded):
    donations = db.session.scalars(select(Donation)).all()

    for d in donations:
        cur = CURRENCIES[d.currency]
        assert cur.minimum <= d.amount <= cur.maximum
        assert d.currency == d.campaign.currency
        assert d.status == DonationStatus.PAID and d.provider == "demo"
        if d.option is None:
            assert (d.quantity, d.units) == (1, 0)
        else:
            assert d.amount == d.option.unit_price * d.quantity
            assert d.units == d.option.units * d.quantity
        assert d.donor_email.endswith("@example.org") and d.donor_name
    assert any(d.option is None for d in donations)  # custom amounts
    assert any(d.anonymous for d in donations)
    assert not all(d.anonymous for d in donations)


def test_donations_spread_over_the_last_two_months(loaded):
    now = datetime.now(UTC)
    donations = db.session.scalars(select(Donation)).all()

    for d in donations:
        assert now - timedelta(days=61) < d.paid_at <= now
        assert d.paid_at.date() >= d.campaign.starts_on
        assert d.created_at < d.paid_at
    assert min(d.paid_at for d in donations) < now - timedelta(days=50)
    assert max(d.paid_at for d in donations) > now - timedelta(days=5)
    entries = db.session.scalars(select(LedgerEntry).join(Donation)).all()
    assert all(e.created_at == e.donation.paid_at for e in entries)


def test_qurban_gifts_name_one_person_per_share(loaded):
    shares = db.session.scalars(
        select(Donation).join(DonationOption).where(DonationOption.needs_on_behalf.is_(True))
    ).all()

    assert len(shares) > 10
    assert any(d.units > 1 for d in shares)
    for d in shares:
        assert len(d.on_behalf) == d.units
        assert all(name.strip() for name in d.on_behalf)


def test_stock_is_never_oversold_even_with_many_more_gifts(app_ctx):
    load_demo(db.session, donations=600)
    db.session.commit()

    stocked = db.session.scalars(select(DonationOption).where(DonationOption.stock.is_not(None)))
    reserved = {}
    for option in stocked:
        sold = db.session.scalar(
            select(func.coalesce(func.sum(Donation.units), 0)).where(
                Donation.option_id == option.id
            )
        )
        assert option.reserved == sold <= option.stock
        reserved[option.label] = (option.reserved, option.stock)
    assert reserved["One sheep or goat"] == (150, 150)  # sold out: later donors gave amounts
    assert verify_totals(db.session) == []


def test_more_donations_later_adds_only_the_missing_ones(app_ctx):
    assert load_demo(db.session, donations=50) == "Loaded 4 campaigns, 7 reports, 50 donations"
    first = set(db.session.execute(select(Donation.provider_session_id, Donation.amount)))

    assert load_demo(db.session, donations=80) == "Loaded 0 campaigns, 0 reports, 30 donations"

    now = datetime.now(UTC)
    assert plan_gifts(80, now) == plan_gifts(80, now)  # seeded: the same demo every time
    planned = {(g.key, g.amount) for g in plan_gifts(80, now)}
    stored = set(db.session.execute(select(Donation.provider_session_id, Donation.amount)))
    assert first < stored == planned
    assert verify_totals(db.session) == []


def shipped_data() -> dict:
    return json.loads(resources.files("campaigns.demo").joinpath("data.json").read_text("utf-8"))


def test_the_shipped_data_file_builds_the_specs():
    data = parse_data(json.dumps(shipped_data()), "data.json")

    assert data == demo_data()
    assert [c.slug for c in data.campaigns] == [
        "earthquake-food-aid",
        "qurban",
        "water-wells-africa",
        "ramadan-iftar",
    ]
    assert data.campaigns[0].story.startswith("The earthquake flattened homes")
    assert data.campaigns[0].story.endswith("entitled to it.\n")  # lines get their newline
    assert data.campaigns[3].custom_share == 0.15
    assert data.reports[2].figures[0].value == 20_000
    assert data.campaigns[2].options[0].plate_names == (
        "In memory of the 15 July martyrs",
        "In memory of my father",
    )
    assert [c.weight for c in data.communities] == [40, 25, 20, 15]


def _set(path: tuple, value) -> dict:
    data = shipped_data()
    *parents, last = path
    node = data
    for key in parents:
        node = node[key]
    if value is KeyError:
        del node[last]
    else:
        node[last] = value
    return data


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (
            ("campaigns", 1, "options", 0, "unit_price"),
            "850000",
            "campaigns[1].options[0].unit_price: expected a whole number, got text",
        ),
        (("campaigns", 0, "weight"), True, "campaigns[0].weight: expected a whole number"),
        (("campaigns", 0, "story"), "One text", "campaigns[0].story: expected a list, got text"),
        (("campaigns", 0, "story", 2), 7, "campaigns[0].story[2]: expected text, got a number"),
        (("campaigns", 0, "colour"), "red", "campaigns[0]: unknown key 'colour'"),
        (("reports", 0, "slug"), KeyError, "reports[0].slug: missing"),
        (("reports", 1, "figures", 0), [1, 2], "reports[1].figures[0]: expected an object"),
        (("campaigns", 0, "currency"), "XYZ", "campaigns[0].currency: 'XYZ' is not a known"),
        (("campaigns", 0, "designations"), "general,gift", "campaigns[0].designations: use "),
        (("campaigns", 3, "cover_theme"), "moon", "campaigns[3].cover_theme: 'moon' is not"),
        (("campaigns", 1, "slug"), "earthquake-food-aid", "campaigns: two campaigns have the same"),
        (("campaigns", 0, "custom_amounts"), [], "campaigns[0].custom_amounts: give at least"),
        (("reports", 4, "campaign_slugs"), ["wells"], "reports[4].campaign_slugs: no campaign"),
        (("communities",), {}, "communities: expected a list, got an object"),
    ],
)
def test_a_bad_data_file_names_the_bad_place(path, value, message):
    text = json.dumps(_set(path, value))

    with pytest.raises(DemoDataError) as error:
        parse_data(text, "data.json")

    assert str(error.value).startswith(f"data.json: {message}")


def test_a_data_file_that_is_not_json_says_so():
    with pytest.raises(DemoDataError, match=r"^data\.json: not valid JSON: "):
        parse_data('{"campaigns": [', "data.json")


def everything_written(session) -> list:
    """Every demo row that carries text: campaigns, options, reports, figures, photos."""
    reports = session.scalars(select(ActivityReport)).all()
    return [
        *session.scalars(select(Campaign)),
        *session.scalars(select(DonationOption)),
        *reports,
        *(figure for report in reports for figure in report.figures),
        *(image for report in reports for image in report.images),
    ]


def test_every_text_is_written_in_turkish_and_arabic_too(catalogue):
    rows = everything_written(db.session)

    assert len(rows) == 4 + 7 + 7 + 7 + 10
    for row in rows:
        assert row.missing("tr") == [] and row.missing("ar") == [], row
        for lang in ("tr", "ar"):
            for name in row.TRANSLATED:
                # Translated, not copied (a place such as Uganda may read the same).
                if getattr(row, name) and name != "place":
                    assert row.translation(name, lang) != getattr(row, name), (row, name)
    titles = {
        c.slug: (c.translation("title", "tr"), c.translation("title", "ar")) for c in rows[:4]
    }
    assert titles["qurban"] == ("Kurban Bayramı hisseleri", "الأضاحي")
    assert titles["water-wells-africa"] == ("Afrika'da su kuyuları", "آبار المياه في أفريقيا")
    assert titles["earthquake-food-aid"][0] == "Deprem bölgesine gıda yardımı"
    assert titles["ramadan-iftar"][0] == "Ramazan iftar sofraları"


def test_a_turkish_charity_gets_turkish_in_the_columns_and_english_as_a_translation(
    app_ctx, configure
):
    configure(CONTENT_LANGUAGE="tr")
    load_demo(db.session, donations=20)
    db.session.commit()

    qurban = campaign("qurban")
    assert qurban.title == "Kurban Bayramı hisseleri"
    assert qurban.translation("title", "en") == "Qurban: Eid al-Adha sacrifices"
    assert qurban.translation("title", "ar") == "الأضاحي"
    assert "tr" not in qurban.translations
    assert qurban.options[0].label == "Bir koyun veya keçi"
    # Gifts still find their options (matched by place, not by the English label).
    assert db.session.scalar(select(func.count()).where(Donation.option_id.is_not(None))) > 0
    assert verify_totals(db.session) == []
