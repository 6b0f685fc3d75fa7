"""SQL both databases need written the same way."""

from __future__ import annotations

from sqlalchemy import Result
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_ignoring_duplicates(session: Session, model, values: dict, *, returning=None) -> Result:
    """INSERT ... ON CONFLICT DO NOTHING: under a race exactly one insert wins and the
    others do nothing (no IntegrityError, no aborted transaction)."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(model).values(**values).on_conflict_do_nothing()
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
