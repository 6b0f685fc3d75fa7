"""The donation export: what the staff search finds, as CSV or as an .xlsx spreadsheet.

One source of rows (``export_rows``: typed values, read in batches through a server-side
cursor with ``yield_per``) feeds both writers, and both stream: the CSV in chunks of
``EXPORT_BATCH`` rows, the spreadsheet as a zip written while it is sent (``xlsx``).
Memory stays flat however many gifts there are.

The CSV is for Excel as staff in Istanbul open it: UTF-8 with a byte-order mark (or "Ayşe"
and "أحمد" come out garbled) and semicolons (Turkish Excel does not split on commas).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime, tzinfo
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from campaigns.models import Campaign, Donation, DonationOption, Receipt
from campaigns.money import currency
from campaigns.services.books.dashboard import NEWEST_FIRST, DonationFilters, filter_conditions
from campaigns.services.books.xlsx import stream_xlsx

EXPORT_HEADER = [
    "id",
    "created_at",
    "paid_at",
    "campaign",
    "status",
    "frequency",
    "designation",
    "option",
    "quantity",
    "units",
    "amount",  # what the donor paid: the gift plus fee_cover
    "fee_cover",
    "refunded",
    "currency",
    "donor_name",
    "donor_email",
    "anonymous",
    "on_behalf",
    "dedication",
    "receipt_number",
    "refund_reason",
    "provider",
    "provider_session_id",
    "provider_payment_id",
    "provider_subscription_id",
]
# Each column wide enough for its header; dates, slugs, names and ids as wide as they run
# (Excel shows "####" for a date that does not fit).
WIDE_COLUMNS = {
    "created_at": 20,
    "paid_at": 20,
    "campaign": 24,
    "option": 22,
    "donor_name": 28,
    "donor_email": 30,
    "on_behalf": 32,
    "dedication": 32,
    "refund_reason": 28,
    "provider_session_id": 30,
    "provider_payment_id": 30,
    "provider_subscription_id": 30,
}
XLSX_WIDTHS = [WIDE_COLUMNS.get(name, max(10, len(name) + 2)) for name in EXPORT_HEADER]
EXPORT_BATCH = 1000
CSV_BOM = "\ufeff"
CSV_DELIMITER = ";"
NAMES_SEPARATOR = " | "  # between on-behalf names in one cell
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# A spreadsheet runs a cell starting with one of these as a formula (=HYPERLINK(...)).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """``value`` as text a spreadsheet shows as text, never runs."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _query(filters: DonationFilters, tz: tzinfo):
    # The gift's receipt now: the latest one not voided (a partial refund replaces it).
    receipt = (
        select(Receipt.number)
        .where(Receipt.donation_id == Donation.id, Receipt.voided_at.is_(None))
        .order_by(Receipt.id.desc())
        .limit(1)
        .correlate(Donation)
        .scalar_subquery()
        .label("receipt_number")
    )
    return (
        select(
            Donation.id,
            Donation.created_at,
            Donation.paid_at,
            Campaign.slug,
            Donation.status,
            Donation.frequency,
            Donation.designation,
            DonationOption.label,
            Donation.quantity,
            Donation.units,
            Donation.amount,
            Donation.fee_cover,
            Donation.refunded_amount,
            Donation.currency,
            Donation.donor_name,
            Donation.donor_email,
            Donation.anonymous,
            Donation.on_behalf,
            Donation.dedication,
            receipt,
            Donation.refund_reason,
            Donation.provider,
            Donation.provider_session_id,
            Donation.provider_payment_id,
            Donation.provider_subscription_id,
        )
        .join_from(Donation, Campaign, Donation.campaign_id == Campaign.id)
        .outerjoin(DonationOption, Donation.option_id == DonationOption.id)
        .where(*filter_conditions(filters, tz))
        .order_by(*NEWEST_FIRST)
    )


def _major(minor: int, code: str) -> Decimal:
    """Minor units as an exact amount in major units: 123450 TRY -> Decimal("1234.50")."""
    return currency(code).major(minor)


def export_rows(
    session: Session, filters: DonationFilters, tz: tzinfo
) -> Iterator[list[list[object]]]:
    """The donations matching ``filters`` (as the list shows them), in batches of at most
    ``EXPORT_BATCH`` rows of typed values in ``EXPORT_HEADER``'s order: ints, Decimal
    amounts in major units, aware datetimes, text. Plain columns, not objects, are read
    through a server-side cursor, so no batch outlives the next."""
    result = session.execute(_query(filters, tz).execution_options(yield_per=EXPORT_BATCH))
    for rows in result.partitions():
        yield [
            [
                row.id,
                row.created_at,
                row.paid_at,
                row.slug,
                row.status.value,
                row.frequency.value,
                row.designation.value,
                row.label or "",
                row.quantity,
                row.units,
                _major(row.amount, row.currency),
                _major(row.fee_cover, row.currency),
                _major(row.refunded_amount, row.currency),
                row.currency,
                row.donor_name,
                row.donor_email,
                "yes" if row.anonymous else "no",
                NAMES_SEPARATOR.join(row.on_behalf or []),
                row.dedication,
                row.receipt_number or "",
                row.refund_reason,
                row.provider,
                row.provider_session_id,
                row.provider_payment_id,
                row.provider_subscription_id,
            ]
            for row in rows
        ]


# --- CSV ---------------------------------------------------------------------------------


def _csv_text(value: object) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return safe_cell(value)


def export_csv(session: Session, filters: DonationFilters, tz: tzinfo) -> Iterator[str]:
    """The CSV text: byte-order mark and header first, then one chunk per batch."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=CSV_DELIMITER)
    writer.writerow(EXPORT_HEADER)
    yield CSV_BOM + buffer.getvalue()
    for batch in export_rows(session, filters, tz):
        buffer.seek(0)
        buffer.truncate()
        writer.writerows([_csv_text(value) for value in row] for row in batch)
        yield buffer.getvalue()


# --- spreadsheet -------------------------------------------------------------------------


def export_xlsx(session: Session, filters: DonationFilters, tz: tzinfo) -> Iterator[bytes]:
    """The .xlsx bytes in pieces, sent while the rows are still being read. Amounts are
    numbers with their currency's decimals, dates are dates in ``tz`` (a spreadsheet cell
    has no time zone), text is text even when it starts with "="."""
    return stream_xlsx(
        "donations", EXPORT_HEADER, XLSX_WIDTHS, export_rows(session, filters, tz), tz
    )
