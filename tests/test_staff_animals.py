"""Qurban over HTTP: the proxy box the donation form requires, the staff animals page
(fill, move, mark performed with photos), the e-mail each donor gets over SMTP in their
language, the names PDF, and the donor page's state of each share."""

from __future__ import annotations

import io
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from campaigns.extensions import db
from campaigns.models import AuditEntry, Donation, OutboxMessage
from campaigns.services.books.receipts import live_receipt
from campaigns.services.giving import fulfilment
from tests.giving import donate
from tests.mail_fixtures import text_of
from tests.markup import field_errors, parse
from tests.payments_fixtures import isolated
from tests.qurban_fixtures import give_shares, line_numbers
from tests.receipting import pdf_of, pdf_text
from tests.staff_forms import photo

LINK = re.compile(r"http://campaigns\.test(/donor/\S+)")


def flashes(response) -> list[str]:
    return [li.text for li in parse(response.data).find_all("li", "flash")]


def test_a_qurban_gift_without_the_proxy_box_is_refused(client, qurban):
    fields = {"option": str(qurban.sheep.id), "quantity": "1", "on_behalf": "Ali Kaya"}

    refused = donate(client, "qurban", **fields)

    assert refused.status_code == 422
    assert field_errors(refused) == {
        "proxy": "Error: Please tick the box to authorise us to perform your sacrifice on "
        "your behalf."
    }
    assert db.session.scalars(select(Donation)).all() == []
    [box] = [e for e in parse(refused.data).iter() if e.attrs.get("id") == "proxy"]
    assert box.attrs.get("aria-invalid") == "true" and "checked" not in box.attrs

    given = donate(client, "qurban", **fields, proxy="1")

    assert given.status_code == 303
    donation = db.session.scalars(select(Donation)).one()
    assert donation.proxy_at is not None and donation.proxy_at.tzinfo is not None


def test_the_proxy_box_names_the_charity_and_is_printed_on_the_receipt(
    client, app, qurban, settings
):
    page = isolated(client.get, "/campaigns/qurban?lang=tr").data.decode()
    assert "kurumunu vekil olarak yetkilendiriyorum" in page
    assert app.config["CHARITY_NAME"] in page

    donation = give_shares(qurban.cow, ["Ali Kaya"])
    text = pdf_text(pdf_of(live_receipt(db.session, donation)))

    assert "Proxy (vekalet)" in text
    assert f"The donor authorised {app.config['CHARITY_NAME']}" in " ".join(text.split())


def test_a_gift_that_needs_no_proxy_carries_none(client, qurban, make_option):
    parcel = make_option(qurban.campaign, "Food parcel", unit_price=1_500_00, position=2)
    qurban.sheep.active = qurban.cow.active = False
    db.session.commit()
    assert "proxy" not in isolated(client.get, "/campaigns/qurban").data.decode()

    assert donate(client, "qurban", option=str(parcel.id), proxy="1").status_code == 303
    assert db.session.scalars(select(Donation)).one().proxy_at is None


def test_a_viewer_reads_the_animals_but_cannot_change_them(client, staff_login, qurban):
    give_shares(qurban.cow, ["Ali Kaya", "أحمد علي"])
    fulfilment.fill_animals(db.session, qurban.campaign, actor=None)
    give_shares(qurban.sheep, ["Zeynep Kaya"])
    db.session.commit()
    viewer = staff_login(client, "viewer")

    page = viewer.get(f"/staff/campaigns/{qurban.campaign.id}/animals")

    assert page.status_code == 200
    main = parse(page.data).find("main")
    assert "1 paid share is waiting for an animal." in main.text
    names = [e.text for e in main.find_all("span", "share-name")]
    assert names == ["Ali Kaya", "أحمد علي"]
    assert [e.attrs["dir"] for e in main.find_all("span", "share-name")] == ["ltr", "rtl"]
    assert main.find_all("form") == []
    assert viewer.post(f"/staff/campaigns/{qurban.campaign.id}/animals/fill").status_code == 403
    assert len(fulfilment.animals_of(db.session, qurban.campaign)) == 1


def test_an_editor_fills_moves_and_marks_animals_performed(client, staff_login, qurban, app):
    give_shares(qurban.cow, [f"Ad {n}" for n in range(1, 9)])
    editor = staff_login(client, "editor")
    url = f"/staff/campaigns/{qurban.campaign.id}/animals"

    filled = editor.post(f"{url}/fill", follow_redirects=True)
    assert flashes(filled) == ["8 shares were placed in animals."]
    animals = fulfilment.animals_of(db.session, qurban.campaign)
    assert [len(a.shares) for a in animals] == [7, 1]

    first = animals[0].shares[0]
    full = editor.post(
        f"{url}/move",
        {"share": animals[1].shares[0].id, "current": animals[1].id, "to": "1"},
        follow_redirects=True,
    )
    assert flashes(full) == ["Animal 1 is full (7 of 7 shares)."]
    moved = editor.post(
        f"{url}/move",
        {"share": first.id, "current": animals[0].id, "to": "2"},
        follow_redirects=True,
    )
    assert flashes(moved) == ["Moved the share of Ad 1 to animal 2."]
    # The same form again (a double click, or a page left open): nothing moves twice.
    again = editor.post(
        f"{url}/move",
        {"share": first.id, "current": animals[0].id, "to": "2"},
        follow_redirects=True,
    )
    assert flashes(again) == [
        "Someone moved this share meanwhile: it is now in animal 2. Nothing was changed."
    ]
    assert editor.post(f"{url}/move", {"share": first.id}, csrf=False).status_code == 400

    performed = editor.post(
        f"{url}/performed",
        {
            "animals": [str(a.id) for a in animals],
            "performed_on": "2026-05-27",
            "place": "Konya",
            "photos": (photo(), "cow.jpg"),
        },
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert flashes(performed) == [
        "Marked 2 animals performed. Donors whose shares are all performed will be e-mailed."
    ]
    db.session.expire_all()
    marked = fulfilment.animals_of(db.session, qurban.campaign)
    assert [(a.performed_on.isoformat(), a.place) for a in marked] == [("2026-05-27", "Konya")] * 2
    assert len(marked[0].photos) == 1
    assert (Path(app.config["UPLOAD_FOLDER"]) / marked[0].photos[0]).is_file()
    actions = db.session.scalars(
        select(AuditEntry.action)
        .where(AuditEntry.action.startswith("animals."))
        .order_by(AuditEntry.id)
    ).all()
    assert actions == ["animals.fill", "animals.move_share", "animals.performed"]
    assert "Performed on May 27, 2026 in Konya" in parse(performed.data).find("main").text


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("tr", "Ali Kaya adına kurbanınız 27 Mayıs 2026 tarihinde kesildi (yer: Konya)."),
        ("ar", "ذُبحت أضحيتك نيابةً عن Ali Kaya في"),
    ],
)
def test_the_donor_is_e_mailed_once_in_their_language(
    locale, expected, client, staff_login, qurban, runner, mail_url
):
    give_shares(qurban.sheep, ["Ali Kaya"], email="donor@example.org", locale=locale)
    runner.invoke(args=["outbox", "send"])  # the thank-you
    mail_url.messages.clear()
    editor = staff_login(client, "editor")
    url = f"/staff/campaigns/{qurban.campaign.id}/animals"
    editor.post(f"{url}/fill")
    [animal] = fulfilment.animals_of(db.session, qurban.campaign)
    form = {"animals": str(animal.id), "performed_on": "2026-05-27", "place": "Konya"}

    editor.post(f"{url}/performed", form)
    twice = editor.post(f"{url}/performed", form, follow_redirects=True)
    runner.invoke(args=["outbox", "send"])

    assert flashes(twice)[-1] == "Animal 1 was already marked performed. Nothing was changed."
    [email] = mail_url.to("donor@example.org")
    assert expected in text_of(email)
    assert "Ali Kaya" in email["Subject"]


def test_the_names_pdf_reads_back_in_order(client, staff_login, qurban):
    give_shares(qurban.cow, ["Zeynep Kaya", "محمد الأمين", "Ömer Çelik"])
    fulfilment.fill_animals(db.session, qurban.campaign, actor=None)
    db.session.commit()
    viewer = staff_login(client, "viewer")

    response = viewer.get(f"/staff/campaigns/{qurban.campaign.id}/animals/names.pdf")

    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages)
    lines = line_numbers(text, ["Animal 1 · Cow share", "Zeynep Kaya", "محمد الأمين", "Ömer Çelik"])
    assert -1 not in lines and lines == sorted(lines), text


def test_the_donor_page_shows_each_share_where_it_stands(client, qurban, settings):
    donation = give_shares(qurban.cow, [f"Ad {n}" for n in range(1, 9)], locale="tr")
    fulfilment.fill_animals(db.session, qurban.campaign, actor=None)
    [first, _second] = fulfilment.animals_of(db.session, qurban.campaign)
    form = fulfilment.PerformedForm(
        animals=[str(first.id)], performed_on="2026-05-27", place="Konya"
    )
    fulfilment.mark_performed(db.session, settings, qurban.campaign, form, [], ".", actor=None)
    give_shares(qurban.cow, ["Bekleyen"])
    db.session.commit()
    path = donor_page(client, donation.donor_email)

    page = isolated(client.get, f"{path}?lang=tr")

    states = [li.text for li in parse(page.data).find_all("li") if "Ad " in li.text]
    assert states[0].startswith("Ad 1 ") and "27 Mayıs 2026 tarihinde kesildi" in states[0]
    assert "2 numaralı kurbanlıkta, kesimi bekliyor" in states[7]
    waiting = [li.text for li in parse(page.data).find_all("li") if "Bekleyen" in li.text]
    assert "kurbanlığa yerleşmeyi bekliyor" in waiting[0]


def donor_page(client, email: str) -> str:
    """The donor page's path, from the sign-in link e-mailed to ``email``."""
    form = parse(isolated(client.get, "/donor").data).find("form", None)
    token = next(
        i.attrs["value"] for i in form.find_all("input") if i.attrs.get("name") == "csrf_token"
    )
    assert (
        isolated(client.post, "/donor", data={"csrf_token": token, "email": email}).status_code
        == 303
    )
    message = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.key.startswith("donor-link:"))
    ).one()
    return LINK.search(message.body_text).group(1)


@pytest.mark.postgres
def test_two_editors_moving_into_the_last_place_at_once_fill_it_once(
    app, client, staff_login, qurban
):
    """Each move locks the campaign first, so the second counts the first's share."""
    give_shares(qurban.cow, [f"Ad {n}" for n in range(1, 8)])
    give_shares(qurban.cow, ["Tek", "Çift"])
    fulfilment.fill_animals(db.session, qurban.campaign, actor=None)
    animal = fulfilment.animals_of(db.session, qurban.campaign)[0]
    moved_out = animal.shares[0]
    fulfilment.move_share(
        db.session,
        qurban.campaign,
        fulfilment.MoveForm(share=str(moved_out.id), current=str(animal.id), to="new"),
        actor=None,
    )
    db.session.commit()  # animal 1 now has one place left; animal 2 holds Tek and Çift
    second = fulfilment.animals_of(db.session, qurban.campaign)[1]
    forms = [{"share": share.id, "current": second.id, "to": "1"} for share in second.shares]
    editors = [staff_login(app.test_client(), "editor") for _ in forms]
    ready = threading.Barrier(len(forms))

    def one(pair) -> str:
        editor, form = pair
        ready.wait(10)
        return flashes(
            editor.post(
                f"/staff/campaigns/{qurban.campaign.id}/animals/move", form, follow_redirects=True
            )
        )[-1]

    with ThreadPoolExecutor(len(forms)) as pool:
        answers = sorted(pool.map(one, zip(editors, forms, strict=True)))

    assert answers[0] == "Animal 1 is full (7 of 7 shares)."
    assert answers[1].startswith("Moved the share of ")
    db.session.expire_all()
    assert [len(a.shares) for a in fulfilment.animals_of(db.session, qurban.campaign)] == [7, 1, 1]


def test_staff_mark_an_option_as_needing_the_proxy_and_sharing_animals(
    client, staff_login, make_campaign
):
    campaign = make_campaign("kurban", currency="TRY")
    editor = staff_login(client, "editor")
    option = {
        "label": "1/7 share of a cow",
        "price": "7.000",
        "units": "1",
        "needs_on_behalf": "y",
        "needs_proxy": "y",
        "shares_per_animal": "7",
        "position": "0",
        "active": "y",
    }
    url = f"/staff/campaigns/{campaign.id}/options/new"

    for wrong in ("0", "11", "seven", "٧"):
        refused = editor.post(url, option | {"shares_per_animal": wrong})
        assert refused.status_code == 422
        assert field_errors(refused)["shares_per_animal"].endswith(
            "Please enter a whole number from 1 to 10."
        )
    assert editor.post(url + "?lang=tr", option | {"price": "7.000"}).status_code == 303

    [saved] = campaign.options
    db.session.refresh(saved)
    assert (saved.needs_proxy, saved.shares_per_animal) == (True, 7)
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "option.create")).one()
    assert entry.after["needs_proxy"] is True and entry.after["shares_per_animal"] == 7


def test_a_refunded_gift_leaves_its_animal_and_the_names(client, staff_login, qurban, settings):
    """A gift refunded in full from the refund form: its place is free again."""
    kept = give_shares(qurban.cow, [f"Ad {n}" for n in range(1, 7)])
    refunded = give_shares(qurban.cow, ["İade Edilen"], email="iade@example.org")
    fulfilment.fill_animals(db.session, qurban.campaign, actor=None)
    db.session.commit()
    admin = staff_login(client, "admin")

    answer = admin.post(
        f"/staff/donations/{refunded.id}/refund",
        {
            "amount": "7000",
            "seen_refunded": "0",
            "version": str(refunded.version),
            "reason": "Asked for it back",
            "confirm": "yes",
        },
    )

    assert answer.status_code == 303
    db.session.expire_all()
    [cow] = fulfilment.animals_of(db.session, qurban.campaign)
    assert [s.name for s in cow.shares] == [f"Ad {n}" for n in range(1, 7)]
    text = pdf_text(fulfilment.names_pdf(db.session, settings, qurban.campaign, "en"))
    assert "İade Edilen" not in text and "Ad 6" in text
    late = give_shares(qurban.cow, ["Yeni Hisse"], email="yeni@example.org")
    fulfilment.fill_animals(db.session, qurban.campaign, actor=None)
    db.session.commit()
    assert [s.name for s in fulfilment.animals_of(db.session, qurban.campaign)[0].shares][-1] == (
        "Yeni Hisse"
    )
    assert kept.id < late.id


def test_a_share_refunded_by_name_leaves_its_animal_and_the_others_keep_their_names(
    client, staff_login, qurban, settings
):
    """Staff refund one share of three by its name: that name leaves the animal and the
    names PDF, the gift's other two names stay where they were."""
    gift = give_shares(qurban.cow, ["Birinci", "İkinci", "Üçüncü"], email="uc@example.org")
    fulfilment.fill_animals(db.session, qurban.campaign, actor=None)
    db.session.commit()
    admin = staff_login(client, "admin")

    answer = admin.post(
        f"/staff/donations/{gift.id}/refund",
        {
            "shares": ["1"],
            "seen_refunded": "0",
            "version": str(gift.version),
            "reason": "The second name was given twice",
            "confirm": "yes",
        },
    )

    assert answer.status_code == 303
    db.session.expire_all()
    [cow] = fulfilment.animals_of(db.session, qurban.campaign)
    assert [s.name for s in cow.shares] == ["Birinci", "Üçüncü"]
    text = pdf_text(fulfilment.names_pdf(db.session, settings, qurban.campaign, "en"))
    assert "İkinci" not in text and "Üçüncü" in text
    # Filling again puts nothing back: the gift has two shares left, both placed.
    fulfilment.fill_animals(db.session, qurban.campaign, actor=None)
    db.session.commit()
    [cow] = fulfilment.animals_of(db.session, qurban.campaign)
    assert [s.name for s in cow.shares] == ["Birinci", "Üçüncü"]
