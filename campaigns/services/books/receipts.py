"""Receipts: issued in the transaction that marks a donation paid, numbered without gaps
per calendar year, voided or replaced after refunds and lost disputes; and a donor's
statement of gifts for any period.

Issuing takes the number and writes the row, nothing slower: the year's counter row is
locked until the paying transaction commits, so that transaction must stay short (a
webhook, a thank-you page). The PDF is rendered once, on first demand (the download, or
the outbox attaching it to the thank-you e-mail), under a row lock, and stored; every
download returns those bytes and ``Receipt.sha256`` names them. Voiding clears the stored
bytes, so the next demand renders the VOID-stamped copy once and stores it in their place.

Numbers run in sequence, so a number alone proves nothing and must reveal nothing: each
receipt also prints a short check code, an HMAC of its number keyed by SECRET_KEY, and
only number and code together open its details on the public verification page.

Rendering needs an app context (templates); callers are views, webhooks and commands.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from urllib.parse import quote
from zoneinfo import ZoneInfo

import segno
from babel.dates import format_date, format_datetime
from flask import render_template
from flask_babel import force_locale
from sqlalchemy import bindparam, func, insert, select, text
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from campaigns.addresses import email_key
from campaigns.bidi import is_rtl
from campaigns.labels import label, payment_method
from campaigns.models import AuditEntry, Donation, DonationStatus, Receipt, ReceiptCounter
from campaigns.models.base import UTCDateTime, new_token, utcnow
from campaigns.money import format_money
from campaigns.money_words import amount_in_words
from campaigns.pdf import render_pdf
from campaigns.services.sql import as_loaded, connection, increment_or_insert, on_postgres
from campaigns.settings import ReceiptSettings

S = DonationStatus
# A donation that was paid and still holds money (a dispute is open, not yet lost).
RECEIPTABLE = frozenset({S.PAID, S.PARTIALLY_REFUNDED, S.DISPUTED})
# What a statement lists: gifts the charity keeps, whole or in part.
STATEMENT_STATUSES = (S.PAID, S.PARTIALLY_REFUNDED)
_INSERT_RECEIPT = insert(Receipt.__table__).returning(Receipt.__table__.c.id)


# Check codes: no look-alikes (0/O, 1/I/L, 5/S, 2/Z, 8/B), 8 symbols of 25, about 37 bits.
CHECK_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
CHECK_LENGTH = 8
CHECK_SALT = b"campaigns.receipt-check-code\x00"


class ReceiptError(ValueError):
    """A receipt that must not be issued (the donation holds no money)."""


def check_code(settings: ReceiptSettings, number: str) -> str:
    """The check code printed beside receipt ``number``."""
    return code_under(settings.check_keys[0], number)


def code_matches(settings: ReceiptSettings, number: str, code: str) -> bool:
    """Whether ``code`` (as typed: any case, spaces or dashes) is ``number``'s code, under
    the current key or a fallback one."""
    typed = "".join(code.split()).replace("-", "").upper()
    return any(hmac.compare_digest(code_under(key, number), typed) for key in settings.check_keys)


def verification_url(settings: ReceiptSettings, number: str) -> str:
    """The public page that confirms receipt ``number`` is genuine and shows its details:
    the number with its check code."""
    base = f"{settings.base_url.rstrip('/')}/receipts/verify/{quote(number)}"
    return f"{base}?c={check_code(settings, number)}"


def code_under(key: str, number: str) -> str:
    """``number``'s check code under ``key``: an HMAC-SHA256 of the number, written as
    CHECK_LENGTH symbols of CHECK_ALPHABET. Unguessable without the key; the same number
    always gets the same code, so it can be printed on a receipt and checked later."""
    digest = hmac.new(key.encode(), CHECK_SALT + number.encode(), hashlib.sha256).digest()
    value = int.from_bytes(digest, "big")
    symbols = []
    for _ in range(CHECK_LENGTH):
        value, index = divmod(value, len(CHECK_ALPHABET))
        symbols.append(CHECK_ALPHABET[index])
    return "".join(symbols)


def receipt_by_token(session: Session, token: str) -> Receipt | None:
    """A receipt by its public download token."""
    return session.scalars(select(Receipt).where(Receipt.token == token)).first()


def receipt_by_number(session: Session, number: str) -> Receipt | None:
    """A receipt by its printed number (for the public verification page)."""
    return session.scalars(select(Receipt).where(Receipt.number == number)).first()


def live_receipt(session: Session, donation: Donation) -> Receipt | None:
    """The donation's receipt that is not void, if it has one."""
    return session.scalars(
        select(Receipt).where(Receipt.donation_id == donation.id, Receipt.voided_at.is_(None))
    ).first()


def replacement_of(session: Session, receipt: Receipt) -> Receipt | None:
    """The receipt issued in place of ``receipt`` (after a partial refund), if any."""
    return session.scalars(select(Receipt).where(Receipt.replaces_id == receipt.id)).first()


def issue_receipt(session: Session, donation: Donation, settings: ReceiptSettings) -> Receipt:
    """The donation's receipt: the live one if it has one, else a new one for what the
    charity holds (amount less refunds), numbered now and rendered on first demand
    (receipt_pdf). Flushes only; the caller's commit makes the number final, a rollback
    gives it back. Call it late in a transaction: the year's counter row stays locked
    until commit (see NewReceipt.issue), so whatever follows it waits with every issuer."""
    _lock(session, donation)
    return live_receipt(session, donation) or _issue(session, donation, settings)


def issue_new_receipt(session: Session, donation: Donation, receipt: NewReceipt) -> Receipt:
    """``issue_receipt`` for a donation this transaction has just moved from pending to paid
    (``settlement.mark_paid``): its UPDATE holds the donation's row lock, and a gift never
    paid before has no receipt, so neither is asked of the database again. ``receipt``
    (``new_receipt``) is numbered now, unless the gift's posting numbered it."""
    return _issued(session, donation, receipt)


def void_receipt(session: Session, receipt: Receipt) -> None:
    """Mark ``receipt`` void; its VOID-stamped copy replaces the stored bytes on the next
    download (see the module docstring). Voiding a void receipt changes nothing."""
    if receipt.voided_at is not None:
        return
    receipt.voided_at = utcnow()
    receipt.pdf = None
    receipt.sha256 = None
    session.flush()


def receipt_pdf(session: Session, receipt: Receipt, settings: ReceiptSettings) -> bytes:
    """The receipt's PDF, rendered and stored on first demand. Concurrent first demands
    take turns on the row lock, so it is rendered once and every caller gets the same
    bytes; the caller commits."""
    if receipt.pdf is not None:
        return receipt.pdf
    session.execute(
        select(Receipt)
        .where(Receipt.id == receipt.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if receipt.pdf is None:
        replaced_by = replacement_of(session, receipt) if receipt.voided_at else None
        _store_pdf(receipt, _render_receipt(receipt, settings, replaced_by=replaced_by))
        session.flush()
    return receipt.pdf


def revise_after_refund(session: Session, donation: Donation, settings: ReceiptSettings) -> None:
    """After the refunded amount changed: a fully refunded donation's receipt is voided; a
    partly refunded one is replaced by a receipt for the amount kept, which names the one
    it replaces. A refund that failed after succeeding brings a voided receipt back the same
    way, as a new receipt naming the voided one."""
    _lock(session, donation)
    # The newest receipt is the live one, if any is: a replacement is always issued last.
    latest = session.scalars(
        select(Receipt).where(Receipt.donation_id == donation.id).order_by(Receipt.id.desc())
    ).first()
    if latest is None:
        return
    if donation.refunded_amount < donation.amount and donation.status in RECEIPTABLE:
        _issue(session, donation, settings, replaces=latest)
    void_receipt(session, latest)


def void_donation_receipt(session: Session, donation: Donation, settings: ReceiptSettings) -> None:
    """Void the donation's live receipt, if any (a lost dispute: the money went back)."""
    old = live_receipt(session, donation)
    if old is not None:
        void_receipt(session, old)


# PostgreSQL takes the year's next number and writes the receipt with it in one statement:
# the counter row stays locked from this statement to the commit, so the paying
# transaction's time holding it is one round trip shorter. The number is written as
# ``receipt_number`` writes it (six digits at least). ``NUMBERING`` is the statement's
# WITH part, its counter taken once per row of ``{after}``: on its own, one row; after a
# posting (``ledger.post_entry(then=...)``), once the campaign's totals have moved, so
# the two hot rows are locked in the order every transaction takes them, in one round trip.
NUMBERING = """
    taken AS (
        INSERT INTO receipt_counter (year, last) SELECT :r_year, 1 FROM {after}
        ON CONFLICT (year) DO UPDATE SET last = receipt_counter.last + 1
        RETURNING last
    ), issued AS (
        INSERT INTO receipt
            (token, number, year, sequence, donation_id, amount, currency, issued_at,
             replaces_id)
        SELECT :r_token,
               :r_prefix || '-' || CAST(:r_year AS TEXT) || '-'
                   || lpad(CAST(last AS TEXT), greatest(6, length(CAST(last AS TEXT))), '0'),
               :r_year, last, :r_donation_id, :r_amount, :r_currency, :r_issued_at,
               :r_replaces_id
        FROM taken
        RETURNING id, sequence, number
    )
"""
NUMBERED = "issued.id AS r_id, issued.sequence AS r_sequence, issued.number AS r_number"
NUMBERING_TYPES = (bindparam("r_issued_at", type_=UTCDateTime()),)
_NUMBER_AND_INSERT = text(  # built of this module's constants, no input
    f"WITH {NUMBERING.format(after='(VALUES (1)) AS one')} SELECT {NUMBERED} FROM issued"  # noqa: S608
).bindparams(*NUMBERING_TYPES)


class NewReceipt:
    """A receipt about to be issued for ``values``: numbered by a statement of its own
    (``issue``), or by the posting's statement that ``ledger.post_entry`` runs when handed
    it (``params`` and ``numbered``), which saves the paying transaction a round trip."""

    def __init__(self, prefix: str, values: dict) -> None:
        self.prefix = prefix
        self.values = values
        self.row: dict | None = None  # set once numbered

    @property
    def params(self) -> dict:
        return {f"r_{name}": value for name, value in self.values.items()} | {
            "r_prefix": self.prefix
        }

    def numbered(self, row) -> None:
        """The posting's statement numbered it: ``row`` holds its NUMBERED columns."""
        self.row = self.values | {
            "id": row.r_id,
            "sequence": row.r_sequence,
            "number": row.r_number,
        }

    def issue(self, session: Session) -> dict:
        """The receipt's row values, numbering it now unless a posting did.

        The year's counter row is locked until the caller's transaction ends: concurrent
        issuers queue behind it and each reads the number the last one committed, so
        numbers never repeat; a rolled-back transaction undoes its increment, so they
        never skip."""
        if self.row is None:
            if on_postgres(session):
                self.numbered(connection(session).execute(_NUMBER_AND_INSERT, self.params).one())
            else:
                self.row = _numbered_sqlite(session, self.prefix, self.values)
        return self.row


def _numbered_sqlite(session: Session, prefix: str, values: dict) -> dict:
    """Insert the receipt of ``values`` with the next number of its year, in two
    statements; its row's values."""
    sequence = increment_or_insert(
        session,
        ReceiptCounter,
        {"year": values["year"], "last": 1},
        "last",
        returning=ReceiptCounter.last,
    ).scalar_one()
    values = values | {
        "sequence": sequence,
        "number": receipt_number(prefix, values["year"], sequence),
    }
    return values | {"id": connection(session).execute(_INSERT_RECEIPT, values).scalar_one()}


def receipt_number(prefix: str, year: int, sequence: int) -> str:
    """``RCPT-2026-000123``; the sequence keeps six digits until it outgrows them."""
    return f"{prefix}-{year}-{sequence:06d}"


def _lock(session: Session, donation: Donation) -> None:
    # Two issuers for one donation (a retried offline gift, a refund racing a payment)
    # take turns here, so a donation never gets two live receipts. SQLite locks the whole
    # database for writes anyway and ignores FOR UPDATE.
    session.execute(select(Donation.id).where(Donation.id == donation.id).with_for_update())


def new_receipt(
    donation: Donation, settings: ReceiptSettings, *, replaces: Receipt | None = None
) -> NewReceipt:
    """The values of a new receipt for what the charity holds of ``donation`` (amount less
    refunds), not numbered yet; ``issue_new_receipt`` issues it."""
    if donation.status not in RECEIPTABLE or donation.paid_at is None:
        raise ReceiptError(f"donation {donation.id} is {donation.status}: no receipt")
    values = {
        "token": new_token(),
        "year": _local(donation.paid_at, settings).year,
        "donation_id": donation.id,
        "amount": donation.amount - donation.refunded_amount,
        "currency": donation.currency,
        "issued_at": utcnow(),
        "replaces_id": replaces.id if replaces is not None else None,
    }
    return NewReceipt(settings.prefix, values)


def _issue(
    session: Session,
    donation: Donation,
    settings: ReceiptSettings,
    *,
    replaces: Receipt | None = None,
) -> Receipt:
    return _issued(session, donation, new_receipt(donation, settings, replaces=replaces), replaces)


def _issued(
    session: Session, donation: Donation, pending: NewReceipt, replaces: Receipt | None = None
) -> Receipt:
    # Core, not the ORM's unit of work (several times the Python), while the paying
    # transaction holds the year's counter row.
    receipt = as_loaded(session, Receipt, pending.issue(session))
    set_committed_value(receipt, "donation", donation)
    set_committed_value(receipt, "replaces", replaces)
    return receipt


def _store_pdf(receipt: Receipt, pdf: bytes) -> None:
    receipt.pdf = pdf
    receipt.sha256 = hashlib.sha256(pdf).hexdigest()


def _local(moment: datetime, settings: ReceiptSettings) -> datetime:
    return moment.astimezone(ZoneInfo(settings.timezone))


def _long_date(moment: datetime | date, settings: ReceiptSettings, locale: str) -> str:
    day = _local(moment, settings).date() if isinstance(moment, datetime) else moment
    return format_date(day, format="long", locale=locale)


def qr_code(url: str) -> str:
    """A QR code of ``url`` as an SVG data: URI (inline, so the PDF fetches nothing)."""
    return segno.make_qr(url, error="m").svg_data_uri(border=0)


def _render_receipt(
    receipt: Receipt, settings: ReceiptSettings, *, replaced_by: Receipt | None = None
) -> bytes:
    return render_pdf(receipt_html(receipt, settings, replaced_by=replaced_by), settings.base_url)


def receipt_html(
    receipt: Receipt, settings: ReceiptSettings, *, replaced_by: Receipt | None = None
) -> str:
    """The HTML the receipt's PDF is rendered from (in the donor's language)."""
    donation = receipt.donation
    locale = donation.locale

    def money(minor: int) -> str:
        return format_money(minor, receipt.currency, locale)

    verify_url = verification_url(settings, receipt.number)
    option = donation.option
    campaign = donation.campaign

    def text(entity, name: str) -> str:  # the donor's language, whatever staff use
        return entity.localized(name, locale, settings.content_language)

    with force_locale(locale):
        return render_template(
            "receipts/receipt.html",
            settings=settings,
            receipt=receipt,
            donation=donation,
            replaced_by=replaced_by,
            issued_on=_long_date(receipt.issued_at, settings, locale),
            given_on=_long_date(donation.paid_at, settings, locale),
            given_day=_local(donation.paid_at, settings).date(),
            proxy_given=donation.proxy_at
            and format_datetime(_local(donation.proxy_at, settings), "medium", locale=locale),
            voided_on=receipt.voided_at and _long_date(receipt.voided_at, settings, locale),
            amount=money(receipt.amount),
            amount_in_words=amount_in_words(receipt.amount, receipt.currency, locale),
            gift_amount=money(donation.amount),
            # A gift with fee cover: the gift, the cover, and the total paid (the amount
            # received, all of it given to the charity).
            gift_only=money(donation.gift_amount),
            fee_cover=money(donation.fee_cover) if donation.fee_cover else None,
            # The amount refunded before this receipt was issued, not since: a VOID copy
            # rendered later must print what the original printed.
            refunded=money(donation.amount - receipt.amount),
            campaign_title=text(campaign, "title"),
            option_label=text(option, "label") if option else None,
            unit_label=text(campaign, "unit_label") if option else None,
            unit_price=money(option.unit_price) if option else None,
            designation=label(donation.designation),
            payment_method=payment_method(donation.provider),
            verify_url=verify_url,
            check_code=check_code(settings, receipt.number),
            qr_code=qr_code(verify_url),
            **legal_statement(settings, locale),
        )


def legal_statement(settings: ReceiptSettings, locale: str) -> dict[str, str]:
    """The receipt's legal statement in ``locale`` (or the plain one), with the language
    and direction it is written in: printed as a block of its own, never inside a
    sentence of another language."""
    text, language = settings.statement_in(locale)
    direction = "rtl" if is_rtl(language) else "ltr"
    return {"statement": text, "statement_lang": language, "statement_dir": direction}


@dataclass(frozen=True)
class StatementLine:
    """One gift on a statement, formatted for the reader."""

    given_on: str
    campaign: str
    designation: str
    amount: str
    receipt_number: str | None


def statement_version(session: Session, email: str, settings: ReceiptSettings) -> tuple:
    """Everything a statement of ``email`` depends on besides its range and language, in
    one small query: any change to the donor's gifts (a new one, a refund, a dispute:
    ``updated_at``) or receipts (issued, voided), any staff edit (a campaign's title),
    and the issue date printed on it. Equal versions render equal statements, so a
    rendered statement can be kept under its version and served again."""
    row = session.execute(
        select(
            func.count(Donation.id),
            func.max(Donation.updated_at),
            func.max(Receipt.id),
            func.count(Receipt.voided_at),
            select(func.max(AuditEntry.id)).scalar_subquery(),
        )
        .select_from(Donation)
        .outerjoin(Receipt, Receipt.donation_id == Donation.id)
        .where(Donation.donor_email == email_key(email))
    ).one()
    return (*row, _local(utcnow(), settings).date())


def render_statement(
    session: Session,
    email: str,
    start: date,
    end: date,
    locale: str,
    settings: ReceiptSettings,
) -> bytes:
    """One PDF listing every gift from ``email`` paid between ``start`` and ``end``
    (inclusive, in the charity's time zone) that the charity keeps in whole or part,
    each with its amount kept and receipt number, and a total per currency (amounts in
    different currencies are never added up). Rendered on demand, never stored."""
    zone = ZoneInfo(settings.timezone)
    since = datetime.combine(start, time.min, tzinfo=zone)
    until = datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone)
    donations = session.scalars(
        select(Donation)
        .where(
            Donation.donor_email == email_key(email),
            Donation.status.in_(STATEMENT_STATUSES),
            Donation.paid_at >= since,
            Donation.paid_at < until,
        )
        .order_by(Donation.paid_at, Donation.id)
    ).all()
    numbers = dict(
        session.execute(
            select(Receipt.donation_id, Receipt.number).where(
                Receipt.donation_id.in_([d.id for d in donations]), Receipt.voided_at.is_(None)
            )
        ).all()
    )
    totals: dict[str, int] = defaultdict(int)
    for donation in donations:
        totals[donation.currency] += donation.amount - donation.refunded_amount
    with force_locale(locale):
        lines = [
            StatementLine(
                given_on=_long_date(d.paid_at, settings, locale),
                campaign=d.campaign.localized("title", locale, settings.content_language),
                designation=str(label(d.designation)),
                amount=format_money(d.amount - d.refunded_amount, d.currency, locale),
                receipt_number=numbers.get(d.id),
            )
            for d in donations
        ]
        html = render_template(
            "receipts/statement.html",
            settings=settings,
            # As the donor last gave it, not as typed to ask for the statement.
            email=donations[-1].donor_email if donations else email,
            donor_name=donations[-1].donor_name if donations else None,
            period_start=_long_date(start, settings, locale),
            period_end=_long_date(end, settings, locale),
            issued_on=_long_date(utcnow(), settings, locale),
            lines=lines,
            totals=[format_money(totals[code], code, locale) for code in sorted(totals)],
            **legal_statement(settings, locale),
        )
    return render_pdf(html, settings.base_url)
