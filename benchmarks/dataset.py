"""The benchmark's data: a fresh database, two campaigns and N paid donations loaded in bulk.

This is setup, not the app's posting path: donations and their ledger entries are written
with COPY (PostgreSQL) or large executemany batches (SQLite), then CampaignTotals is set to
the ledger's sums with one UPDATE, and ``verify_totals`` must agree with it.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import chain, islice
from pathlib import Path

import psycopg
from flask import Flask
from flask_migrate import upgrade
from psycopg import sql
from psycopg.types.json import Json
from sqlalchemy import JSON, Connection, Table, func, insert, make_url, select, update

from campaigns import create_app
from campaigns.extensions import db
from campaigns.models import (
    ActivityReport,
    Campaign,
    CampaignDonor,
    CampaignTotals,
    Donation,
    DonationOption,
    LedgerEntry,
    LedgerKind,
    ReportFigure,
)
from campaigns.models.campaign import CampaignStatus
from campaigns.services.books.ledger import donor_key, verify_totals

FULL_SLUG, FULL_TITLE = "winter-food-aid-busy", "Winter food aid for Idlib camps"
EMPTY_SLUG, EMPTY_TITLE = "winter-food-aid-new", "Winter food aid for Afrin villages"
CURRENCY = "USD"
SQLITE_BATCH = 50_000
DONATION_DAYS = 90

STORY = """\
Winter reaches minus fifteen degrees in the camps of north-west Syria, and most families
live in tents that were never meant to last a season. Prices for flour, oil and lentils
have tripled since the earthquake, and many fathers lost the day labour that fed them.

**What your gift does.** Each food parcel holds rice, lentils, bulgur, oil, sugar, tea,
tinned food and dates: enough for a family of five for a month. Our field team buys in
the region, packs in our Idlib warehouse and hands parcels out against a list drawn up
with the camp committees, widows and orphans first.

- Parcels are handed out every week from December to March.
- Every distribution is photographed and reported here, with the number of families reached.
- Zakat gifts are kept apart and given only to families who are eligible.

Thank you for standing with these families through the cold months.
"""


@dataclass(frozen=True)
class Dataset:
    """What the benchmark measures against: a campaign with N donations and one with none."""

    database_url: str
    full_slug: str
    empty_slug: str
    empty_title: str
    donations: int
    timings: dict[str, float] = field(default_factory=dict)


# --- the database itself ------------------------------------------------------------


@contextlib.contextmanager
def fresh_postgres(admin_url: str) -> Iterator[str]:
    """Create ``bench_<pid>`` on the server of ``admin_url``, yield its SQLAlchemy URL,
    and drop it afterwards, whatever happened in between."""
    name = f"bench_{os.getpid()}"
    admin = make_url(admin_url).set(drivername="postgresql")
    conninfo = admin.render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield admin.set(drivername="postgresql+psycopg", database=name).render_as_string(
            hide_password=False
        )
    finally:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            # FORCE: a gunicorn worker killed mid-request may still hold a connection.
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@contextlib.contextmanager
def fresh_sqlite() -> Iterator[str]:
    """A SQLite file in a temporary folder, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="bench-") as folder:
        yield f"sqlite:///{Path(folder) / 'bench.sqlite3'}"


def bench_app(database_url: str, settings: dict[str, str] | None = None) -> Flask:
    """The real app, configured for ``database_url`` (and ``settings``, if given)."""
    return create_app({"SQLALCHEMY_DATABASE_URI": database_url, **(settings or {})})


# --- building the data ---------------------------------------------------------------


def build(database_url: str, donations: int, say: Callable[[str], None] = print) -> Dataset:
    """Migrate an empty database, add the two campaigns, load ``donations`` paid donations
    into the first one and set its totals from the ledger. Returns what was built."""
    app = bench_app(database_url)
    timings: dict[str, float] = {}
    with app.app_context():
        if db.inspect(db.engine).has_table("alembic_version"):
            raise SystemExit(f"{db.engine.url!r} is not empty; give the benchmark a fresh database")
        started = time.perf_counter()
        upgrade()
        full = _add_campaign(FULL_SLUG, FULL_TITLE)
        empty = _add_campaign(EMPTY_SLUG, EMPTY_TITLE)
        _add_reports([full, empty])
        db.session.commit()
        timings["schema and campaigns"] = time.perf_counter() - started

        campaign_id = full.id
        options = {o.position: (o.id, o.unit_price, o.units) for o in full.options}
        # The session's read transaction would block the loader's ALTER TABLEs.
        db.session.close()
        with db.engine.connect() as conn:
            started = time.perf_counter()
            _load_donations(conn, campaign_id, options, donations)
            timings["donations and ledger"] = time.perf_counter() - started
            started = time.perf_counter()
            _set_totals_from_ledger(conn)
            conn.commit()
            timings["totals from ledger"] = time.perf_counter() - started
            if conn.dialect.name == "postgresql":
                started = time.perf_counter()
                # As a live database stands: vacuumed and analysed (autovacuum's work), and
                # the bulk load's dirty pages written out, not still being written by a
                # checkpoint while the first scenarios are measured.
                settled = conn.execution_options(isolation_level="AUTOCOMMIT")
                settled.exec_driver_sql("VACUUM (ANALYZE)")
                settled.exec_driver_sql("CHECKPOINT")
                timings["vacuum and checkpoint"] = time.perf_counter() - started

        started = time.perf_counter()
        drift = verify_totals(db.session)
        db.session.rollback()
        timings["verify_totals"] = time.perf_counter() - started
        assert drift == [], f"totals drift after loading: {drift}"
        db.session.remove()
        db.engine.dispose()
    for step, seconds in timings.items():
        say(f"  {step:<22} {seconds:8.1f} s")
    return Dataset(database_url, FULL_SLUG, EMPTY_SLUG, EMPTY_TITLE, donations, timings)


def _add_campaign(slug: str, title: str) -> Campaign:
    today = date.today()
    campaign = Campaign(
        slug=slug,
        title=title,
        summary="Food parcels that carry a family of five through a winter month.",
        story=STORY,
        cover_alt="Volunteers unloading food parcels from a lorry in the snow",
        currency=CURRENCY,
        goal_amount=250_000_00,
        units_goal=5_000,
        unit_label="food parcels",
        starts_on=today - timedelta(days=DONATION_DAYS),
        ends_on=today + timedelta(days=60),
        status=CampaignStatus.ACTIVE,
        designations="general,sadaqah,zakat",
    )
    campaign.options = [
        DonationOption(
            label="Food parcel for a family",
            description="A month of rice, lentils, oil, sugar, tea and dates for five people.",
            unit_price=45_00,
            units=1,
            position=0,
        ),
        DonationOption(
            label="Food parcels for a whole tent row",
            description="Ten parcels, one for each family in a row of tents.",
            unit_price=450_00,
            units=10,
            position=1,
        ),
    ]
    db.session.add(campaign)
    return campaign


def _add_reports(campaigns: list[Campaign]) -> None:
    today = date.today()
    reports = [
        (
            "december-parcels-idlib",
            "1,200 families received December food parcels",
            "Atmeh and Sarmada camps",
            20,
            [("Families reached", 1200), ("Children", 3100), ("Parcels", 1200)],
        ),
        (
            "first-winter-distribution",
            "The first winter distribution reached 650 families",
            "Kafr Lusin",
            45,
            [("Families reached", 650), ("Widows", 140), ("Parcels", 650)],
        ),
    ]
    for slug, title, place, days_ago, figures in reports:
        db.session.add(
            ActivityReport(
                slug=slug,
                title=title,
                summary=f"Our team in {place} handed out parcels against the camp lists.",
                body=STORY,
                place=place,
                happened_on=today - timedelta(days=days_ago),
                published=True,
                figures=[
                    ReportFigure(label=label, value=value, position=i)
                    for i, (label, value) in enumerate(figures)
                ],
                campaigns=campaigns,
            )
        )


@dataclass(frozen=True)
class Gift:
    """What the i-th loaded donation was: a deterministic mix of option gifts and custom
    amounts, spread over the last DONATION_DAYS days, about 3 gifts for every 2 donors."""

    number: int
    option_id: int | None
    quantity: int
    units: int
    amount: int
    email: str
    created_at: datetime

    @property
    def reference(self) -> str:
        return f"ch_bench_{self.number:09d}"


def _gifts(options: dict[int, tuple[int, int, int]], count: int) -> Iterator[Gift]:
    start = datetime.now(UTC) - timedelta(days=DONATION_DAYS)
    step = timedelta(days=DONATION_DAYS) / max(count, 1)
    donors = max(count * 2 // 3, 1)
    for i in range(count):
        email = f"donor{i % donors}@example.org"
        created = start + step * i
        if i % 3 == 2:
            yield Gift(i, None, 1, 0, 10_00 + (i * 7919) % 490_00, email, created)
            continue
        option_id, unit_price, option_units = options[i % 3]
        quantity = 1 + i % 4 if i % 3 == 0 else 1
        amount, units = unit_price * quantity, option_units * quantity
        yield Gift(i, option_id, quantity, units, amount, email, created)


def _donation_rows(campaign_id: int, gifts: Iterator[Gift]) -> Iterator[dict]:
    designations = ("general", "general", "sadaqah", "zakat")
    for gift in gifts:
        yield {
            "id": gift.number + 1,
            "token": secrets.token_urlsafe(24),
            "campaign_id": campaign_id,
            "option_id": gift.option_id,
            "quantity": gift.quantity,
            "units": gift.units,
            "amount": gift.amount,
            "currency": CURRENCY,
            "frequency": "once",
            "designation": designations[gift.number % 4],
            "donor_name": gift.email.split("@")[0].title(),
            "donor_email": gift.email,
            "anonymous": gift.number % 5 == 0,
            "dedication": "",
            "on_behalf": [],
            "locale": "en",
            "provider": "stripe",
            "provider_session_id": f"cs_bench_{gift.number:09d}",
            "provider_payment_id": gift.reference,
            "status": "paid",
            "refunded_amount": 0,
            "note": "",
            "created_at": gift.created_at,
            "updated_at": gift.created_at,
            "paid_at": gift.created_at,
        }


def _ledger_rows(campaign_id: int, gifts: Iterator[Gift]) -> Iterator[dict]:
    for gift in gifts:
        yield {
            "id": gift.number + 1,
            "campaign_id": campaign_id,
            "donation_id": gift.number + 1,
            "kind": LedgerKind.PAYMENT.value,
            "amount": gift.amount,
            "units": gift.units,
            "currency": CURRENCY,
            "reference": gift.reference,
            "donor_key": donor_key(gift.email),
            "created_at": gift.created_at,
        }


def _load_donations(
    conn: Connection, campaign_id: int, options: dict[int, tuple[int, int, int]], count: int
) -> None:
    # Donations go first (ledger entries point at them); the gifts are generated twice
    # rather than holding a million rows in memory.
    donations = _donation_rows(campaign_id, _gifts(options, count))
    entries = _ledger_rows(campaign_id, _gifts(options, count))
    if conn.dialect.name != "postgresql":
        _executemany(conn, Donation.__table__, donations)
        _executemany(conn, LedgerEntry.__table__, entries)
        return
    tables = ["donation", "ledger_entry"]
    with _indexes_rebuilt_after(conn, tables):
        _copy(conn, Donation.__table__, donations)
        _copy(conn, LedgerEntry.__table__, entries)
    # Explicit ids were written; move the sequences past them for later inserts.
    for table in tables:
        conn.exec_driver_sql(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
        )


@contextlib.contextmanager
def _indexes_rebuilt_after(conn: Connection, tables: list[str]) -> Iterator[None]:
    """PostgreSQL's advice for bulk loads: drop the tables' secondary indexes, unique and
    foreign key constraints, load, then re-create them from their own definitions (one
    sorted build each instead of a million index insertions and trigger checks). The
    primary keys stay. All of it in the caller's transaction."""
    tables_sql = "ARRAY[" + ", ".join(f"'{t}'::regclass" for t in tables) + "]"
    constraints = conn.exec_driver_sql(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
        f"WHERE conrelid = ANY({tables_sql}) AND contype IN ('u', 'f') "
        "ORDER BY contype DESC"  # unique before foreign keys when re-creating
    ).all()
    indexes = conn.exec_driver_sql(
        "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
        f"WHERE indrelid = ANY({tables_sql}) AND NOT EXISTS "
        "(SELECT 1 FROM pg_constraint WHERE conindid = indexrelid)"
    ).all()
    for table, name, _ in reversed(constraints):
        conn.exec_driver_sql(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _ in indexes:
        conn.exec_driver_sql(f"DROP INDEX {name}")
    yield
    for _, definition in indexes:
        conn.exec_driver_sql(definition)
    for table, name, definition in constraints:
        conn.exec_driver_sql(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')


def _copy(conn: Connection, table: Table, rows: Iterator[dict]) -> None:
    """COPY ``rows`` into ``table`` through psycopg (text format, JSON columns wrapped).
    Columns the rows leave out get their model's scalar default, as an INSERT would."""
    first = next(rows, None)
    if first is None:
        return
    defaults = {
        c.name: c.default.arg
        for c in table.columns
        if c.name not in first and c.default is not None and c.default.is_scalar
    }
    json_columns = {c.name for c in table.columns if isinstance(c.type, JSON)}
    wrap = [name in json_columns for name in first]
    tail = [Json(v) if name in json_columns else v for name, v in defaults.items()]
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table.name), sql.SQL(", ").join(map(sql.Identifier, [*first, *defaults]))
    )
    cursor = conn.connection.driver_connection.cursor()
    with cursor.copy(statement) as copy:
        for row in chain([first], rows):
            values = [Json(v) if w else v for v, w in zip(row.values(), wrap, strict=True)]
            copy.write_row(values + tail)


def _executemany(conn: Connection, table: Table, rows: Iterator[dict]) -> None:
    """Insert ``rows`` in large executemany batches (SQLAlchemy applies the column types)."""
    statement = insert(table)
    while batch := list(islice(rows, SQLITE_BATCH)):
        conn.execute(statement, batch)


def _set_totals_from_ledger(conn: Connection) -> None:
    """Every campaign's donor list and totals from its ledger, one statement each."""
    gift_kinds = [kind for kind in LedgerKind if kind.is_gift]
    conn.execute(
        insert(CampaignDonor).from_select(
            ["campaign_id", "donor_key"],
            select(LedgerEntry.campaign_id, LedgerEntry.donor_key)
            .where(LedgerEntry.donor_key.is_not(None))
            .distinct(),
        )
    )
    sums = (
        select(
            LedgerEntry.campaign_id,
            func.sum(LedgerEntry.amount).label("raised"),
            func.sum(LedgerEntry.units).label("units"),
            func.count().filter(LedgerEntry.kind.in_(gift_kinds)).label("gifts"),
            func.count(func.distinct(LedgerEntry.donor_key)).label("donors"),
        )
        .group_by(LedgerEntry.campaign_id)
        .subquery()
    )
    conn.execute(
        update(CampaignTotals)
        .where(CampaignTotals.campaign_id == sums.c.campaign_id)
        .values(
            raised=sums.c.raised,
            units_funded=sums.c.units,
            donations=sums.c.gifts,
            donors=sums.c.donors,
            updated_at=datetime.now(UTC),
        )
    )
