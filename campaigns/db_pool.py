"""Pooled PostgreSQL connections that the database closed are replaced before use.

SQLAlchemy's ``pool_pre_ping`` sends ``SELECT 1`` each time a request takes a connection:
a round trip on every request, the campaign page and the webhook included. A connection
the server closed (a restart, a proxy or firewall dropping the link) already says so on
its socket: the closing end-of-file, or an error report, waits there to be read, while a
live idle connection has nothing to read. So the pool's checkout polls the socket without
waiting; anything readable, or a closed connection, raises DisconnectionError and the pool
replaces the connection with a fresh one (SQLAlchemy's documented way, retried up to three
times).
"""

from __future__ import annotations

import select

from sqlalchemy import Engine, event
from sqlalchemy.exc import DisconnectionError


def drop_closed_connections(engine: Engine) -> None:
    """Check each connection the pool hands out (PostgreSQL; SQLite has no link to lose)."""
    if engine.dialect.name != "postgresql":
        return

    @event.listens_for(engine, "checkout")
    def _check(dbapi_connection, _record, _proxy) -> None:
        if dbapi_connection.closed or has_input(dbapi_connection.fileno()):
            raise DisconnectionError("the database closed this pooled connection")


def has_input(fd: int) -> bool:
    """Whether the socket ``fd`` has anything to read (or hung up), without waiting."""
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLPRI)
    return bool(poller.poll(0))
