"""A database restart, or a network link dropped under the app, fails no request once the
database answers again: pooled connections are checked before a request uses them.

Always runs against PostgreSQL (a database of its own, through a proxy that can drop every
connection), whichever database the rest of the suite uses: SQLite has no connections to
lose.
"""

from __future__ import annotations

import os

import pytest
from flask_migrate import upgrade
from sqlalchemy import make_url

from benchmarks.dataset import fresh_postgres
from campaigns import create_app
from campaigns.extensions import db
from campaigns.models import Campaign
from tests.tcp_proxy import DroppingProxy

SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@pytest.fixture
def proxied_app():
    """The real app on a fresh PostgreSQL database, reached through a DroppingProxy."""
    url = os.environ.get("TEST_DATABASE_URL", "")
    admin = make_url(url).set(database="postgres") if url.startswith("postgresql") else None
    server = admin.render_as_string(hide_password=False) if admin else SERVER
    with fresh_postgres(server) as database:
        target = make_url(database)
        proxy = DroppingProxy((target.host or "127.0.0.1", target.port or 5432))
        proxied = target.set(host="127.0.0.1", port=proxy.port)
        app = create_app(
            {"SQLALCHEMY_DATABASE_URI": proxied.render_as_string(hide_password=False)}
            | {"TESTING": True, "PAGE_VERSION_SECONDS": 0}
        )
        with app.app_context():
            upgrade()
            db.session.add(
                Campaign(title="Winter aid", slug="winter-aid", currency="TRY", goal_amount=1)
            )
            db.session.commit()
        try:
            yield app, proxy
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
            proxy.close()


def test_no_request_fails_after_every_connection_is_dropped(proxied_app):
    app, proxy = proxied_app
    client = app.test_client()
    assert client.get("/api/v1/campaigns").status_code == 200
    opened = proxy.accepted

    for _ in range(3):  # the database "restarts" three times
        proxy.drop_all()
        answers = [client.get("/api/v1/campaigns").status_code for _ in range(5)]
        assert answers == [200] * 5

    assert proxy.accepted > opened  # the dead connections were replaced, not reused
