"""What SQL a piece of code sends: ``with statements_sent() as sent: ...``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from campaigns.extensions import db


@contextmanager
def statements_sent() -> Iterator[list[str]]:
    """The SQL statements sent to the app's database inside the block, in order, without
    their parameters."""
    sent: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        sent.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
