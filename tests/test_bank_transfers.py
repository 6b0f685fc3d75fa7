"""Bank transfers end to end: a donor's pledge with its reference code, statements
imported by `flask bank import` (MT940, camt.053, CSV) paying pledges exactly once, the
expiry of unpaid pledges, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from campaigns import create_app
from campaigns.extensions import db
from campaigns.filters import local_today
from campaigns.models import (
    AuditEntry,
    BankLine,
    Campaign,
    Donation,
    DonationOption,
    DonationStatus,
    LedgerEntry,
    OutboxMessage,
    Receipt,
)
from campaigns.models.bank import LineProblem, LineStatus
from campaigns.services.giving.bank_import import import_statement, parse_file
from campaigns.services.mail.outbox import SmtpMailer, send_pending
from campaigns.statements import codes
from tests.bank_fixtures import CODES, by_id, counts, import_file, raised, sample
from tests.giving import DONOR, csrf_token, post_gift
from tests.markup import parse
from tests.payments_fixtures import isolated


def reloaded(row):
    db.session.expire_all()
    return db.session.get(type(row), row.id)


def line_of(bank_reference: str) -> BankLine:
    db.session.expire_all()
    return db.session.scalar(select(BankLine).where(BankLine.bank_reference == bank_reference))


# -- the donor's pledge ----------------------------------------------------------------


def test_the_form_offers_bank_transfer_only_with_an_account_in_its_currency(
    client, configure, make_campaign, bank_accounts
):
    make_campaign("earthquake")
    make_campaign("wells", currency="USD")
    page = parse(isolated(client.get, "/campaigns/earthquake").data)
    radios = [i.attrs["value"] for i in page.find_all("input") if i.attrs.get("name") == "method"]
    assert radios == ["card", "bank_transfer"]
    page = parse(isolated(client.get, "/campaigns/wells").data)
    assert not [i for i in page.find_all("input") if i.attrs.get("name") == "method"]
    response = post_gift(
        client, "wells", csrf_token(client, "wells"), {"amount": "50", "method": "bank_transfer"}
    )
    assert response.status_code == 422
    assert "Bank transfer is not offered" in response.get_data(as_text=True)
    assert db.session.scalar(select(Donation.id)) is None


def test_a_pledge_shows_the_accounts_and_code_and_is_emailed_in_turkish(client, pledge):
    donation = pledge("1250,50", lang="tr")
    assert donation.status == "pending" and donation.provider == "bank_transfer"
    assert donation.transfer_code == CODES[0] and donation.amount == 1250_50
    assert donation.locale == "tr"
    hold = donation.expires_at - donation.created_at
    assert round(hold.total_seconds() / 86400) == 3
    page = parse(isolated(client.get, f"/donations/{donation.token}/thanks?lang=tr").data)
    assert by_id(page, "transfer-reference").text == "7QKD-M4X9"
    text = page.text
    for shown in ("TR33 0006 1005 1978 6457 8413 26", "TR96 0001 5000 1580 0730 8546 37"):
        assert shown in text
    assert "Example Relief Association" in text and "Ziraat" in text
    assert "Havale kodu" in text or "Referans kodu" in text
    [message] = db.session.scalars(select(OutboxMessage)).all()
    assert message.to == donation.donor_email
    assert "bağışınızı" in message.subject, message.subject
    assert "7QKD-M4X9" in message.body_text
    assert "TR33 0006 1005 1978 6457 8413 26" in message.body_text
    assert "1.250,50" in message.body_text


def test_monthly_and_unknown_methods_are_refused(client, pledge):
    pledge("100")
    for fields, why in (
        ({"frequency": "monthly", "method": "bank_transfer"}, "A bank transfer is given once"),
        ({"method": "cheque"}, "Please choose how you will pay"),
    ):
        data = {"amount": "100"} | fields
        response = post_gift(client, "earthquake", csrf_token(client, "earthquake"), data)
        assert response.status_code == 422 and why in response.get_data(as_text=True)


def test_a_code_already_taken_is_drawn_again(client, bank_accounts, make_campaign, monkeypatch):
    make_campaign("earthquake")
    drawn = iter(["7QKDM4X9", "7QKDM4X9", "HNR8T2WQ"])
    monkeypatch.setattr(codes, "new_code", lambda: next(drawn))
    for email in ("a@example.org", "b@example.org"):
        data = {"amount": "100", "method": "bank_transfer", "email": email}
        assert (
            post_gift(client, "earthquake", csrf_token(client, "earthquake"), data).status_code
            == 303
        )
    db.session.expire_all()
    assert sorted(db.session.scalars(select(Donation.transfer_code))) == ["7QKDM4X9", "HNR8T2WQ"]


# -- statements paying pledges -----------------------------------------------------------


def test_a_matched_line_pays_its_pledge_once_with_receipt_and_one_email(
    app, runner, pledge, smtp_server, settings
):
    a = pledge("1250.50")
    b = pledge("500")
    result = import_file(runner, "november_1.sta")
    assert result.exit_code == 0, result.output
    assert "3 credit(s), 3 new, 1 matched, 2 waiting" in result.output
    assert reloaded(a).status == "paid"
    assert raised(a.campaign) == 1250_50
    [entry] = db.session.scalars(select(LedgerEntry)).all()
    assert entry.reference == "bank:TR330006100519786457841326:2611270001"
    assert db.session.scalar(select(Receipt).where(Receipt.donation_id == a.id)) is not None
    # The mistyped code (two letters swapped) pays nothing and waits.
    assert reloaded(b).status == "pending"
    assert line_of("2611270002").status == LineStatus.WAITING
    assert line_of("2611270002").problem == LineProblem.NO_CODE
    assert line_of("2611280002").problem == LineProblem.NO_CODE  # the supplier's refund

    mailer = SmtpMailer(smtp_server.url, "donations@example.org")
    send_pending(db.session, mailer, settings)
    assert import_file(runner, "november_1.sta").exit_code == 0
    send_pending(db.session, mailer, settings)
    thanks = [m for m in smtp_server.to(a.donor_email) if "Thank you" in m["Subject"]]
    assert len(thanks) == 1
    assert raised(a.campaign) == 1250_50


def test_reimporting_a_file_changes_nothing(runner, pledge):
    pledge("1250.50")
    import_file(runner, "november_1.sta")
    before = counts()
    result = import_file(runner, "november_1.sta")
    assert "0 new, 0 matched, 0 waiting for staff, 3 imported before" in result.output
    assert counts() == before


def test_overlapping_statements_post_a_shared_line_once(runner, pledge):
    pledge("1250.50")
    pledge("500")
    c = pledge("300")
    import_file(runner, "november_1.sta")
    result = import_file(runner, "november_2_overlapping.sta")
    assert "2 credit(s), 1 new, 1 matched, 0 waiting" in result.output, result.output
    db.session.expire_all()
    assert len(db.session.scalars(select(BankLine)).all()) == 4
    # Overpaid: 350 for a pledge of 300; the 50 over is a gift of its own, receipted.
    assert reloaded(c).status == "paid" and reloaded(c).amount == 300_00
    line = line_of("2611300001")
    extra = db.session.get(Donation, line.extra_donation_id)
    assert (extra.amount, extra.status, extra.donor_email) == (50_00, "paid", c.donor_email)
    assert extra.campaign_id == c.campaign_id
    assert db.session.scalar(select(Receipt).where(Receipt.donation_id == extra.id)) is not None
    assert raised(c.campaign) == 1250_50 + 350_00


def test_camt053_underpaid_line_waits_and_exact_one_pays(runner, pledge):
    for amount in ("25", "25", "25"):
        pledge(amount)  # use up the first three codes
    d = pledge("750")
    e = pledge("200")
    result = import_file(runner, "camt053.xml")
    assert "camt.053: 2 credit(s), 2 new, 1 matched, 1 waiting" in result.output, result.output
    assert reloaded(e).status == "paid"
    assert reloaded(d).status == "pending"
    line = line_of("20261130-000101")
    assert (line.problem, line.donation_id, line.code) == (LineProblem.UNDERPAID, d.id, "CX5KR7DK")


def test_a_malformed_file_is_refused_whole(runner, pledge):
    pledge("1250.50")
    before = counts()
    result = import_file(runner, "wrong_balance.sta")
    assert result.exit_code == 1
    assert "wrong_balance.sta: Line 9: the closing balance" in result.output
    assert counts() == before
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "bank.import")) is None


# -- expiry --------------------------------------------------------------------------------


def test_an_unpaid_pledge_expires_releases_its_stock_and_tells_the_donor_once(
    runner, configure, bank_accounts, known_codes, client, make_campaign, make_option
):
    configure(BANK_TRANSFER_HOLD_DAYS=0)  # due at once
    campaign = make_campaign("qurban")
    sheep = make_option(campaign, "Sheep", unit_price=9000_00, stock=10)
    data = {"option": str(sheep.id), "quantity": "2", "method": "bank_transfer"}
    assert post_gift(client, "qurban", csrf_token(client, "qurban"), data).status_code == 303
    db.session.expire_all()
    assert db.session.get(DonationOption, sheep.id).reserved == 2
    result = runner.invoke(args=["bank", "expire"])
    assert "expired pledge 7QKDM4X9" in result.output and "1 pledge(s) expired." in result.output
    assert "0 pledge(s) expired." in runner.invoke(args=["bank", "expire"]).output
    db.session.expire_all()
    assert db.session.get(DonationOption, sheep.id).reserved == 0
    lapsed = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.key.like("pledge-expired:%"))
    ).all()
    assert len(lapsed) == 1
    # Its transfer coming in late pays nothing: the line waits for staff.
    assert "0 matched, 3 waiting" in import_file(runner, "november_1.sta").output
    assert line_of("2611270001").problem == LineProblem.PLEDGE_CLOSED


def test_pledge_e_mails_name_the_campaign_in_the_donors_language(runner, configure, pledge):
    configure(BANK_TRANSFER_HOLD_DAYS=0)  # due at once
    pledge("100", slug="quake")
    campaign = db.session.scalars(select(Campaign).filter_by(slug="quake")).one()
    campaign.translations = {"ar": {"title": "مساعدات الزلزال"}, "tr": {"title": "Deprem yardımı"}}
    db.session.commit()
    arabic = pledge("200", slug="quake", lang="ar")

    runner.invoke(args=["bank", "expire"])

    mails = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.donation_id == arabic.id)
    ).all()
    assert {m.key.split(":")[0] for m in mails} == {"pledge", "pledge-expired"}
    for mail in mails:
        assert "مساعدات الزلزال" in mail.subject and "مساعدات الزلزال" in mail.body_text
        assert "Quake" not in mail.subject + mail.body_text


# -- two imports at once -----------------------------------------------------------------


@pytest.mark.postgres
def test_two_imports_of_one_file_at_once_post_each_line_once(app, pledge, settings):
    a = pledge("1250.50")
    data = sample("november_1.sta").read_bytes()
    barrier = threading.Barrier(2, timeout=30)
    reports = []

    def run():
        with app.app_context():
            statement = parse_file(db.session, data)
            barrier.wait()
            report = import_statement(
                db.session, settings, statement, file_name="n.sta", actor=None, today=local_today()
            )
            db.session.commit()
            reports.append(report)
            db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.new for r in reports) == [0, 3]
    assert sum(r.matched for r in reports) == 1
    db.session.expire_all()
    assert len(db.session.scalars(select(LedgerEntry)).all()) == 1
    assert raised(a.campaign) == 1250_50


def test_bank_accounts_with_a_bad_iban_stop_the_app(monkeypatch):
    monkeypatch.setenv(
        "BANK_ACCOUNTS", '[{"bank": "Z", "holder": "H", "iban": "TR00", "currency": "TRY"}]'
    )
    with pytest.raises(RuntimeError, match="BANK_ACCOUNTS account 1"):
        create_app("testing")


def test_a_sacrifice_pledged_by_bank_transfer_keeps_the_donors_proxy(
    client, bank_accounts, known_codes, qurban
):
    """A Qurban share pledged by transfer is stored like a card gift: with the time the
    donor gave the proxy (vekalet), which the receipt prints once the transfer comes."""
    data = {"csrf_token": csrf_token(client, "qurban")} | DONOR
    data |= {"method": "bank_transfer", "option": str(qurban.sheep.id), "quantity": "1"}
    data |= {"on_behalf": "Ayşe Yılmaz", "proxy": "1", "amount": ""}

    response = isolated(client.post, "/campaigns/qurban/donate", data=data)

    assert response.status_code == 303, response.data[:2000]
    db.session.expire_all()
    given = db.session.scalars(select(Donation).order_by(Donation.id.desc())).first()
    assert (given.provider, given.status) == ("bank_transfer", DonationStatus.PENDING)
    assert given.proxy_at is not None
