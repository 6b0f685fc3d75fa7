"""Every stored code has one translated label, and the pages show it, not the code."""

from __future__ import annotations

import pytest
from flask_babel import force_locale

from campaigns.labels import LABELS, label
from campaigns.models import DonationStatus
from campaigns.models.campaign import Designation
from campaigns.models.donation import Frequency
from tests.markup import parse


@pytest.mark.parametrize("enum_cls", list(LABELS), ids=lambda cls: cls.__name__)
def test_every_member_has_a_label(app_ctx, enum_cls):
    assert set(LABELS[enum_cls]) == set(enum_cls)
    for member in enum_cls:
        assert str(label(member)) not in ("", member.value)


def test_labels_are_translated_when_shown(app_ctx):
    with force_locale("tr"):
        assert str(label(Designation.GENERAL)) == "Genel"


def test_the_staff_list_shows_labels_not_codes(client, staff_login, make_donation, make_campaign):
    viewer = staff_login(client, "viewer")
    campaign = make_campaign("wells", designations="general,zakat")
    make_donation(
        campaign,
        status=DonationStatus.PARTIALLY_REFUNDED,
        designation=Designation.ZAKAT,
        frequency=Frequency.MONTHLY,
    )
    page = parse(viewer.get("/staff/donations").data)
    [row] = page.find("tbody").find_all("tr")
    cells = [td.text.strip() for td in row.find_all("td")]
    assert {"Partly refunded", "Every month", "Zakat"} <= set(cells)
    assert not {"partially refunded", "monthly", "zakat"} & set(cells)
