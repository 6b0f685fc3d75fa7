"""Qurban fulfilment as a service: paid shares fill animals in order of payment, staff
move a share only where it fits, performed animals tell each donor once per gift, and the
names to read come out of the PDF in order and in their own script."""

from __future__ import annotations

import pytest
from flask_babel import force_locale, gettext
from sqlalchemy import func, select

from campaigns.extensions import db
from campaigns.models import Animal, AuditEntry, OutboxMessage, ShareAssignment
from campaigns.services import FormInvalid
from campaigns.services.giving import fulfilment
from campaigns.services.giving.fulfilment import MoveForm, PerformedForm
from tests.qurban_fixtures import give_shares, line_numbers, pay, start_shares
from tests.receipting import pdf_text


def names_by_animal(campaign) -> dict[int, list[str]]:
    return {
        a.number: [s.name for s in a.shares] for a in fulfilment.animals_of(db.session, campaign)
    }


def fill(campaign) -> int:
    placed = fulfilment.fill_animals(db.session, campaign, actor=None)
    db.session.commit()
    return placed


def test_shares_fill_animals_in_order_of_payment(qurban):
    # Started first, paid second: payment decides the order, not the row id.
    late = start_shares(qurban.cow, ["Ali Kaya", "Zeynep Kaya", "Emre Kaya"])
    early = give_shares(qurban.cow, ["أحمد علي", "فاطمة علي", "Omar Ali", "Leyla Ali", "Can Öz"])
    pay(late)
    give_shares(qurban.sheep, ["Mehmet Demir"])
    give_shares(qurban.sheep, ["Hasan Demir", "Ayşe Demir"])
    assert fulfilment.waiting_shares(db.session, qurban.campaign) == 11

    assert fill(qurban.campaign) == 11

    assert names_by_animal(qurban.campaign) == {
        1: ["Mehmet Demir"],
        2: ["Hasan Demir"],
        3: ["Ayşe Demir"],
        4: ["أحمد علي", "فاطمة علي", "Omar Ali", "Leyla Ali", "Can Öz", "Ali Kaya", "Zeynep Kaya"],
        5: ["Emre Kaya"],
    }
    assert [a.capacity for a in fulfilment.animals_of(db.session, qurban.campaign)] == [
        1,
        1,
        1,
        7,
        7,
    ]
    assert late.id < early.id  # yet early's names come first
    # Filling again places nothing; a new gift tops up the open cow first.
    assert fill(qurban.campaign) == 0
    give_shares(qurban.cow, ["Selin Aksoy"])
    assert fill(qurban.campaign) == 1
    assert names_by_animal(qurban.campaign)[5] == ["Emre Kaya", "Selin Aksoy"]
    assert fulfilment.waiting_shares(db.session, qurban.campaign) == 0


def test_unpaid_shares_wait_outside_the_animals(qurban):
    start_shares(qurban.cow, ["Ali Kaya"])
    assert fill(qurban.campaign) == 0
    assert db.session.scalar(select(func.count()).select_from(Animal)) == 0


def cow_with(qurban, names):
    give_shares(qurban.cow, names)
    fill(qurban.campaign)


def share_named(campaign, name) -> ShareAssignment:
    return next(
        s for a in fulfilment.animals_of(db.session, campaign) for s in a.shares if s.name == name
    )


def move(campaign, share, to, current=None) -> None:
    form = MoveForm(share=str(share.id), current=str(current or share.animal_id), to=str(to))
    fulfilment.move_share(db.session, campaign, form, actor=None)
    db.session.commit()


def refused(campaign, share, to, current=None) -> dict:
    with pytest.raises(FormInvalid) as refusal:
        move(campaign, share, to, current)
    db.session.rollback()
    return refusal.value.errors


def test_a_share_moves_only_into_an_animal_with_room(qurban):
    cow_with(qurban, [f"Name {n}" for n in range(1, 10)])  # cow 1 full, cow 2 two shares
    give_shares(qurban.sheep, ["Sheep Name"])
    fill(qurban.campaign)
    before = names_by_animal(qurban.campaign)
    ninth = share_named(qurban.campaign, "Name 9")

    assert refused(qurban.campaign, ninth, 1) == {"to": "Animal 1 is full (7 of 7 shares)."}
    assert refused(qurban.campaign, ninth, 3) == {
        "to": "Animal 3 takes shares of “One sheep” only."
    }
    assert refused(qurban.campaign, ninth, 2) == {"to": "The share is already in animal 2."}
    assert refused(qurban.campaign, ninth, 99) == {"to": "Please choose one of the animals listed."}
    assert refused(qurban.campaign, ninth, "٣") == {
        "to": "Please choose one of the animals listed."
    }
    assert names_by_animal(qurban.campaign) == before

    first = share_named(qurban.campaign, "Name 1")
    move(qurban.campaign, first, 2)
    assert names_by_animal(qurban.campaign)[2] == ["Name 1", "Name 8", "Name 9"]
    assert "Name 1" not in names_by_animal(qurban.campaign)[1]
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "animals.move_share")
    ).one()
    assert (entry.before["animal"], entry.after["animal"]) == (1, 2)

    move(qurban.campaign, share_named(qurban.campaign, "Name 2"), "new")
    assert names_by_animal(qurban.campaign)[4] == ["Name 2"]


def test_a_move_from_a_stale_page_changes_nothing(qurban):
    cow_with(qurban, [f"Name {n}" for n in range(1, 10)])
    share = share_named(qurban.campaign, "Name 1")
    shown_in = share.animal_id
    move(qurban.campaign, share, 2)  # another staff member, first

    errors = refused(qurban.campaign, share, 2, current=shown_in)

    assert errors == {
        "": "Someone moved this share meanwhile: it is now in animal 2. Nothing was changed."
    }
    assert names_by_animal(qurban.campaign)[2] == ["Name 1", "Name 8", "Name 9"]


def perform(settings, campaign, numbers, *, day="2026-05-27", place="Konya", folder="."):
    ids = [str(a.id) for a in fulfilment.animals_of(db.session, campaign) if a.number in numbers]
    form = PerformedForm(animals=ids, performed_on=day, place=place)
    fulfilment.mark_performed(db.session, settings, campaign, form, [], folder, actor=None)
    db.session.commit()


def performed_messages() -> list[OutboxMessage]:
    return list(
        db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.key.startswith("performed:"))
            .order_by(OutboxMessage.id)
        )
    )


def test_each_gift_is_told_once_when_all_its_shares_are_performed(qurban, settings):
    turkish = give_shares(qurban.cow, [f"İsim {n}" for n in range(1, 7)], locale="tr")
    arabic = give_shares(qurban.cow, ["أحمد", "مريم"], email="ahmad@example.org", locale="ar")
    fill(qurban.campaign)  # cow 1: six Turkish names and أحمد; cow 2: مريم

    perform(settings, qurban.campaign, [1])
    [message] = performed_messages()
    assert message.to == "ayse@example.org"  # مريم's share still waits
    with force_locale("tr"):
        line = gettext(
            "Your sacrifice on behalf of %(name)s was performed on %(date)s in %(place)s.",
            name="İsim 1",
            date="27 Mayıs 2026",
            place="Konya",
        )
    assert line.startswith("İsim 1 adına kurbanınız") and line in message.body_text

    with pytest.raises(FormInvalid) as twice:
        perform(settings, qurban.campaign, [1])
    db.session.rollback()
    assert twice.value.errors == {
        "animals": "Animal 1 was already marked performed. Nothing was changed."
    }

    perform(settings, qurban.campaign, [2], day="2026-05-28", place="Şanlıurfa")
    messages = performed_messages()
    assert [m.to for m in messages] == ["ayse@example.org", "ahmad@example.org"]
    assert "أحمد" in messages[1].body_text and "مريم" in messages[1].body_text
    assert "٢٨ مايو ٢٠٢٦" in messages[1].body_text or "28 مايو 2026" in messages[1].body_text
    # Marking another animal of the same gifts later adds no second e-mail.
    assert len({m.key for m in messages}) == 2
    states = fulfilment.share_states(db.session, [turkish, arabic])
    assert all(s.performed for s in states[turkish.id] + states[arabic.id])


def test_marking_needs_a_day_a_place_and_animals_with_shares(qurban, settings):
    cow_with(qurban, ["Ali"])
    with pytest.raises(FormInvalid) as refusal:
        perform(settings, qurban.campaign, [], day="27/05/2026", place=" ")
    assert refusal.value.errors == {
        "performed_on": "Please enter a date like 2026-03-01.",
        "place": "Please fill this in.",
        "animals": "Please choose the animals that were performed.",
    }
    db.session.rollback()
    assert performed_messages() == []
    assert fulfilment.animals_of(db.session, qurban.campaign)[0].performed_on is None


def test_the_names_pdf_lists_each_animal_in_reading_order(qurban, settings):
    give_shares(qurban.sheep, ["Mehmet Demir"])
    cow_with(qurban, ["أحمد علي", "Zeynep Kaya", "فاطمة الزهراء"])

    pdf = fulfilment.names_pdf(db.session, settings, qurban.campaign, "en")

    text = pdf_text(pdf)
    order = [
        "Animal 1 · One sheep",
        "Mehmet Demir",
        "Animal 2 · Cow share",
        "أحمد علي",
        "Zeynep Kaya",
        "فاطمة الزهراء",
    ]
    lines = line_numbers(text, order)
    assert -1 not in lines and lines == sorted(lines), text
    assert "Names to read" in text and "Qurban 2026" in text
