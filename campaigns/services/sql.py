"""SQL both databases need written the same way."""

from __future__ import annotations

from sqlalchemy import Result
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import InstrumentedAttribute, Session


def insert_ignoring_duplicates(session: Session, model, values: dict, *, returning=None) -> Result:
    """INSERT ... ON CONFLICT DO NOTHING: under a race exactly one insert wins and the
    others do nothing (no IntegrityError, no aborted transaction)."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    if isinstance(returning, InstrumentedAttribute):
        returning = returning.property.columns[0]
    # On the table (Core) unless RETURNING asks for an entity: an ORM-enabled insert costs
    # several times the Python of a Core one, on every webhook's hot path.
    target = model if isinstance(returning, type) else model.__table__
    statement = dialect.insert(target).values(**values).on_conflict_do_nothing()
    if returning is not None:
        statement = statement.returning(returning)
    return session.execute(statement)


def insert_many_ignoring_duplicates(
    session: Session, model, rows: list[dict], *, returning=None
) -> Result:
    """``insert_ignoring_duplicates`` for several rows in one statement: the rows that
    conflict with one stored (or being stored by a concurrent transaction) are skipped;
    RETURNING gives only the rows this statement inserted."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(model).values(rows).on_conflict_do_nothing()
    if returning is not None:
        statement = statement.returning(returning)
    return session.execute(statement)


def increment_or_insert(session: Session, model, values: dict, column: str):
    """INSERT ``values``, or where the row is there already, add 1 to its ``column``
    (INSERT ... ON CONFLICT DO UPDATE): one statement and one row lock either way. The
    caller adds RETURNING and execution options, then executes it."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(model).values(**values)
    keys = [c.name for c in model.__table__.primary_key.columns]
    return statement.on_conflict_do_update(
        index_elements=keys, set_={column: getattr(model, column) + 1}
    )
