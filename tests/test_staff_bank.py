"""Bank transfers on the staff side: uploading statements, setting a bank's CSV columns,
and the queue (match to a pledge, record as a gift, not a donation), each decision audited
and taken once."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from campaigns.extensions import db
from campaigns.models import AuditEntry, BankCsvFormat, BankLine, Donation, Receipt
from campaigns.models.bank import LineStatus
from tests.bank_fixtures import counts, raised, sample
from tests.markup import field_errors, parse


def upload(staff, name: str, data: bytes | None = None):
    content = data if data is not None else sample(name).read_bytes()
    return staff.post(
        "/staff/bank",
        {"file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def line_of(bank_reference: str) -> BankLine:
    db.session.expire_all()
    return db.session.scalar(select(BankLine).where(BankLine.bank_reference == bank_reference))


def audited(action: str) -> list[AuditEntry]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


ZIRAAT_COLUMNS = {
    "bank": "Ziraat",
    "date_column": "Tarih",
    "description_column": "Açıklama",
    "amount_column": "Tutar",
    "currency_column": "",
    "currency": "TRY",
    "transaction_id_column": "İşlem No",
    "sender_column": "Gönderen",
}


def test_an_editor_uploads_a_statement_and_sees_the_queue(client, staff_login, pledge):
    a = pledge("1250.50")
    pledge("500")  # its transfer's code is mistyped: it stays pending
    editor = staff_login(client, "editor")
    response = upload(editor, "november_1.sta")
    assert response.status_code == 303
    page = editor.get("/staff/bank")
    text = parse(page.data).text
    assert "Imported 3 credits: 3 new, 1 paid a pledge, 2 wait for you" in text
    assert "HAVALE HNR8 T2QW MEHMET OZTURK" in text and "TEDARIKCI IADE" in text
    assert parse(page.data).find("dd", "stat-lines-waiting").text == "2"
    assert raised(a.campaign) == 1250_50
    [entry] = audited("bank.import")
    assert entry.after["matched"] == 1 and entry.after["file"] == "november_1.sta"
    assert len(audited("bank_line.matched")) == 1
    dashboard = parse(editor.get("/staff/").data)
    assert dashboard.find("a", "stat-lines-waiting").text == "2"
    assert dashboard.find("bdi", "stat-expected").text == "₺500.00"


def test_a_malformed_upload_is_refused_with_its_line_and_stores_nothing(
    client, staff_login, pledge
):
    pledge("1250.50")
    admin = staff_login(client, "admin")
    before = counts()
    response = upload(admin, "wrong_balance.sta")
    assert response.status_code == 422
    assert field_errors(response)["file"].startswith("Line 9: the closing balance")
    assert counts() == before


def test_a_viewer_cannot_import(client, staff_login):
    viewer = staff_login(client, "viewer")
    assert viewer.get("/staff/bank").status_code == 403
    assert upload(viewer, "november_1.sta").status_code == 403


def test_csv_columns_set_once_then_a_bank_csv_imports(client, staff_login, pledge):
    for amount in ("25", "25", "25", "25", "25"):
        pledge(amount)
    f = pledge("1250")
    admin = staff_login(client, "admin")
    response = upload(admin, "ziraat.csv")
    assert response.status_code == 422
    assert "no bank's CSV columns match" in field_errors(response)["file"]
    assert admin.post("/staff/bank/csv-columns", ZIRAAT_COLUMNS).status_code == 303
    again = admin.post("/staff/bank/csv-columns", ZIRAAT_COLUMNS)
    assert field_errors(again)["bank"] == "This bank's columns are set already."
    assert len(db.session.scalars(select(BankCsvFormat)).all()) == 1
    assert upload(admin, "ziraat.csv").status_code == 303
    db.session.expire_all()
    assert db.session.get(Donation, f.id).status == "paid"
    assert line_of("TX-99812").sender == "ZEYNEP DEMIR"


def test_staff_match_a_mistyped_line_to_its_pledge_by_code(client, staff_login, pledge):
    pledge("1250.50")
    b = pledge("500")
    admin = staff_login(client, "admin")
    upload(admin, "november_1.sta")
    line = line_of("2611270002")
    url = f"/staff/bank/lines/{line.id}"
    assert "HAVALE HNR8 T2QW" in parse(admin.get(url).data).text
    typo = admin.post(f"{url}/match", {"code": "HNR8-T2QW"})
    assert typo.status_code == 422
    assert "not a valid reference code" in field_errors(typo)["code"]
    assert admin.post(f"{url}/match", {"code": "hnr8 t2wq"}).status_code == 303
    db.session.expire_all()
    assert db.session.get(Donation, b.id).status == "paid"
    assert line_of("2611270002").status == LineStatus.MATCHED
    assert raised(b.campaign) == 1250_50 + 500_00
    [entry] = audited("bank_line.matched_by_staff")
    assert entry.after["donation"] == b.token
    # Deciding again is refused: the line is no longer waiting.
    assert admin.post(f"{url}/dismiss", {"reason": "twice"}).status_code == 422
    assert raised(b.campaign) == 1250_50 + 500_00


def test_staff_match_an_underpaid_line_from_the_search(client, staff_login, pledge):
    for amount in ("25", "25", "25"):
        pledge(amount)
    d = pledge("750")
    pledge("200")
    admin = staff_login(client, "admin")
    upload(admin, "camt053.xml")
    line = line_of("20261130-000101")
    page = parse(admin.get(f"/staff/bank/lines/{line.id}?q=donor4").data)
    hidden = [i for i in page.find_all("input") if i.attrs.get("name") == "pledge"]
    assert [h.attrs["value"] for h in hidden] == [str(d.id)]
    response = admin.post(f"/staff/bank/lines/{line.id}/match", {"pledge": str(d.id)})
    assert response.status_code == 303
    db.session.expire_all()
    paid = db.session.get(Donation, d.id)
    assert (paid.status, paid.amount) == ("paid", 700_00)
    [entry] = audited("bank_line.matched_by_staff")
    assert entry.before == {"pledged": 750_00} and entry.after["paid"] == 700_00


def test_staff_record_a_line_as_a_gift_with_a_receipt(client, staff_login, pledge):
    a = pledge("1250.50")
    admin = staff_login(client, "admin")
    upload(admin, "november_1.sta")
    line = line_of("2611280002")
    data = {
        "campaign": str(a.campaign_id),
        "donor_name": "Tedarikçi A.Ş.",
        "donor_email": "muhasebe@example.org",
        "designation": "general",
    }
    assert admin.post(f"/staff/bank/lines/{line.id}/gift", data).status_code == 303
    gift = db.session.get(Donation, line_of("2611280002").donation_id)
    assert (gift.amount, gift.status, gift.provider) == (150_00, "paid", "bank_transfer")
    assert db.session.scalar(select(Receipt).where(Receipt.donation_id == gift.id)) is not None
    assert raised(a.campaign) == 1250_50 + 150_00
    assert len(audited("bank_line.recorded")) == 1


def test_staff_mark_a_line_as_no_donation_with_a_reason(client, staff_login, pledge):
    pledge("1250.50")
    admin = staff_login(client, "admin")
    upload(admin, "november_1.sta")
    line = line_of("2611280002")
    refused = admin.post(f"/staff/bank/lines/{line.id}/dismiss", {"reason": "  "})
    assert refused.status_code == 422 and "reason" in field_errors(refused)
    hostile = admin.post(f"/staff/bank/lines/{line.id}/dismiss", {"reason": "iade\x00"})
    assert hostile.status_code == 422
    before = counts()
    ok = admin.post(f"/staff/bank/lines/{line.id}/dismiss", {"reason": "Supplier refund"})
    assert ok.status_code == 303
    assert line_of("2611280002").status == LineStatus.NOT_DONATION
    assert line_of("2611280002").note == "Supplier refund"
    assert counts() == before
    [entry] = audited("bank_line.not_donation")
    assert entry.after["reason"] == "Supplier refund"


@pytest.mark.parametrize("path", ["/staff/bank/lines/999", "/staff/bank/lines/999/match"])
def test_an_unknown_line_is_404(client, staff_login, path):
    admin = staff_login(client, "admin")
    response = admin.get(path) if path.endswith("999") else admin.post(path, {"code": "x"})
    assert response.status_code == 404


def test_control_characters_in_a_statement_or_a_search_are_dropped(client, staff_login, app_ctx):
    admin = staff_login(client, "admin")
    assert admin.post("/staff/bank/csv-columns", ZIRAAT_COLUMNS).status_code == 303
    hostile = (
        sample("ziraat.csv")
        .read_bytes()
        .replace(b"FAST YP4N-G8KH BAGIS", "FAST\x00 BA\u202eGIS\x1b[31m".encode())
    )
    assert upload(admin, "ziraat\x00.csv", hostile).status_code == 303
    line = line_of("TX-99812")
    assert line.description == "FAST BAGIS[31m" and line.file_name == "ziraat.csv"
    page = admin.get(f"/staff/bank/lines/{line.id}?q=ay%00se")
    assert page.status_code == 200
