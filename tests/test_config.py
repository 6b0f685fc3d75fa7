"""Settings: production refuses to start without its secrets; the defaults stay embedded."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from campaigns import create_app
from config import INSTANCE_DIR, Config

ROOT = Path(__file__).resolve().parent.parent

SETTINGS = (
    "FLASK_CONFIG",
    "DATABASE_URL",
    "SECRET_KEY",
    "PAYMENT_PROVIDER",
    "STRIPE_SECRET_KEY",
    "STRIPE_WEBHOOK_SECRET",
    "STRIPE_API_BASE",
    "MAIL_URL",
    "TEST_DATABASE_URL",
    "SITE_URL",
    "RATELIMIT_STORAGE_URI",
    "RATELIMIT_ENABLED",
)
POSTGRES_URL = "postgresql+psycopg://charity@127.0.0.1:5432/campaigns"
PRODUCTION = {
    "DATABASE_URL": POSTGRES_URL,
    "SECRET_KEY": "a-long-random-production-secret-of-40-chars",
    "PAYMENT_PROVIDER": "stripe",
    "STRIPE_SECRET_KEY": "sk_test_123",
    "STRIPE_WEBHOOK_SECRET": "whsec_123",
    "MAIL_URL": "smtp://mail.example.org:25",
    "SITE_URL": "https://give.example.org",
    "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379",
}


@pytest.fixture
def environ(monkeypatch):
    """A clean environment; returns a setter for the variables a test wants."""
    for name in SETTINGS:
        monkeypatch.delenv(name, raising=False)

    def set_env(**values: str) -> None:
        for name, value in values.items():
            monkeypatch.setenv(name, value)

    return set_env


def test_production_starts_with_everything_set(environ):
    environ(**PRODUCTION)
    app = create_app("production")
    assert app.config["SQLALCHEMY_DATABASE_URI"] == POSTGRES_URL
    assert app.config["SECRET_KEY"] == PRODUCTION["SECRET_KEY"]
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["DEBUG"] is False


def test_production_defaults_to_stripe(environ):
    environ(**(PRODUCTION | {"PAYMENT_PROVIDER": ""}))
    assert create_app("production").config["SQLALCHEMY_DATABASE_URI"] == POSTGRES_URL


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"SECRET_KEY": ""}, "SECRET_KEY must be set"),
        ({"SECRET_KEY": "dev-only-not-secret"}, "SECRET_KEY must be set"),
        ({"DATABASE_URL": ""}, "DATABASE_URL must point at PostgreSQL"),
        ({"DATABASE_URL": "sqlite:////tmp/campaigns.sqlite3"}, "must point at PostgreSQL"),
        ({"PAYMENT_PROVIDER": "demo"}, "PAYMENT_PROVIDER must be 'stripe'"),
        ({"STRIPE_SECRET_KEY": ""}, "STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET must be set"),
        ({"STRIPE_WEBHOOK_SECRET": ""}, "STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET"),
        ({"MAIL_URL": ""}, "MAIL_URL must be set"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY must be at least 32 characters"),
        # Printed into every e-mail link and receipt QR code.
        ({"SITE_URL": ""}, "SITE_URL must be the site's public https:// address"),
        ({"SITE_URL": "http://give.example.org"}, "SITE_URL must be the site's public https://"),
        ({"SITE_URL": "https://"}, "SITE_URL must be the site's public https:// address"),
        ({"SITE_URL": "give.example.org"}, "SITE_URL must be the site's public https:// address"),
        # In memory, each worker counts alone: 4 workers let 4 times the limit through.
        ({"RATELIMIT_STORAGE_URI": ""}, "RATELIMIT_STORAGE_URI must be shared storage"),
        ({"RATELIMIT_STORAGE_URI": "memory://"}, "RATELIMIT_STORAGE_URI must be shared storage"),
    ],
)
def test_production_refuses_to_start_naming_what_is_missing(environ, changes, problem):
    environ(**(PRODUCTION | changes))
    with pytest.raises(RuntimeError, match="Refusing to start") as error:
        create_app("production")
    assert problem in str(error.value)
    assert "\n" not in str(error.value)


def test_production_checks_the_settings_an_override_gives(environ):
    """create_app's dict overrides are checked too, whichever way they go."""
    environ(FLASK_CONFIG="production", **PRODUCTION)
    with pytest.raises(RuntimeError, match="SITE_URL must be the site's public https://"):
        create_app({"SITE_URL": "http://127.0.0.1:5000"})
    with pytest.raises(RuntimeError, match="RATELIMIT_STORAGE_URI must be shared storage"):
        create_app({"RATELIMIT_STORAGE_URI": "memory://"})

    environ(SITE_URL="")
    assert create_app({"SITE_URL": "https://give.example.org"}).config["SITE_URL"] == (
        "https://give.example.org"
    )


def test_production_lists_every_problem_at_once(environ):
    with pytest.raises(RuntimeError) as error:
        create_app("production")
    for setting in ("SECRET_KEY", "DATABASE_URL", "STRIPE_SECRET_KEY"):
        assert setting in str(error.value)


@pytest.mark.parametrize("scheme", ["postgres", "postgresql"])
def test_plain_postgres_urls_use_the_installed_driver(environ, scheme):
    # Hosting platforms hand out postgres:// URLs; SQLAlchemy would look for psycopg2.
    environ(**(PRODUCTION | {"DATABASE_URL": f"{scheme}://charity@127.0.0.1/campaigns"}))
    app = create_app("production")
    assert (
        app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://charity@127.0.0.1/campaigns"
    )


def test_development_defaults_to_sqlite_in_instance_and_demo_payments(environ):
    app = create_app("development")
    assert (
        app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{INSTANCE_DIR / 'campaigns.sqlite3'}"
    )
    assert app.config["PAYMENT_PROVIDER"] in (None, "demo")
    assert app.config["DEBUG"] is False
    assert app.config["TESTING"] is False


def test_flask_config_picks_the_class(environ):
    environ(FLASK_CONFIG="testing")
    assert create_app().config["TESTING"] is True


def test_development_reads_database_url(environ):
    environ(DATABASE_URL="sqlite:////tmp/other.sqlite3")
    assert create_app("development").config["SQLALCHEMY_DATABASE_URI"] == (
        "sqlite:////tmp/other.sqlite3"
    )


def test_testing_uses_test_database_url(environ, database_url):
    environ(TEST_DATABASE_URL=database_url, DATABASE_URL="sqlite:////tmp/not-this.sqlite3")
    app = create_app("testing")
    assert app.config["SQLALCHEMY_DATABASE_URI"] == database_url
    assert app.config["TESTING"] is True
    assert app.config["MAIL_URL"] is None


def test_testing_defaults_to_memory_sqlite(environ):
    assert create_app("testing").config["SQLALCHEMY_DATABASE_URI"] == "sqlite://"


def test_settings_are_read_when_the_config_is_made(environ):
    environ(CHARITY_NAME="Hilal Relief")
    assert Config().CHARITY_NAME == "Hilal Relief"


def test_the_apps_info_logs_reach_the_servers_stream_once(environ, capsys):
    """gunicorn shows INFO from the app's loggers: in a request on its error stream
    (wsgi.errors), elsewhere (commands) on stderr; one line each, however many apps
    create_app made."""
    create_app("testing")
    app = create_app("testing")
    log = logging.getLogger("campaigns.services.giving.reconcile")
    errors = io.StringIO()

    log.info("repaired cs_1")
    with app.test_request_context(environ_overrides={"wsgi.errors": errors}):
        log.info("repaired cs_2")
    log.debug("not shown")

    printed = capsys.readouterr().err.splitlines()
    assert [line.split("] ", 1)[1] for line in printed] == ["INFO in test_config: repaired cs_1"]
    assert errors.getvalue().split("] ", 1)[1] == "INFO in test_config: repaired cs_2\n"


def test_the_server_entry_point_freezes_what_the_app_made_to_start(tmp_path):
    """gunicorn's ``wsgi:app``: the objects create_app made are out of the collector's
    reach, so a full collection in a busy worker walks only what requests made."""
    code = "import gc, wsgi; print(gc.get_freeze_count(), len(gc.get_objects()))"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'frozen.sqlite3'}",
        "FLASK_CONFIG": "development",
    }
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout
    frozen, tracked = map(int, out.split())
    assert frozen > 50_000
    assert tracked < frozen / 4
