"""Settings, read from the environment when a config object is made.

Pick a class with ``FLASK_CONFIG`` (development, testing, production; default development).
"""

from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"
DEV_SECRET = "dev-only-not-secret"  # noqa: S105 - a marker that production refuses
FALSE_WORDS = {"0", "false", "no", "off"}


def env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def int_setting(name: str, default: int, minimum: int = 0) -> int:
    """A whole-number setting; RuntimeError naming it when it is anything else, so the
    app stops at start with one line instead of a traceback from deep inside."""
    text = env(name)
    if text is None:
        return default
    if not (text.isascii() and text.isdigit()) or int(text) < minimum:
        raise RuntimeError(
            f"Refusing to start: {name} must be a whole number of at least {minimum}, not {text!r}"
        )
    return int(text)


def database_url(name: str, default: str) -> str:
    """A database URL from the environment, with PostgreSQL pinned to psycopg 3.

    Hosting platforms hand out ``postgres://`` URLs and a bare ``postgresql://`` makes
    SQLAlchemy look for psycopg2, which is not installed.
    """
    url = env(name) or default
    for scheme in ("postgres://", "postgresql://"):
        if url.startswith(scheme):
            return "postgresql+psycopg://" + url.removeprefix(scheme)
    return url


class Config:
    """Shared defaults: SQLite in instance/, demo payments, e-mail to the log."""

    TESTING = False
    DEBUG = False
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "Europe/Istanbul"
    # The languages the site speaks; English is the source, the others are catalogs in
    # BABEL_TRANSLATION_DIRECTORIES (built by `make translations`).
    LANGUAGES = ("en", "tr", "ar")
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "campaigns" / "translations")
    REPORTS_PER_PAGE = 12
    # Rendered campaign pages are kept this long per worker; gifts and staff edits show at
    # once whatever this is (see campaigns/public/page_cache.py). 0 turns the cache off.
    PAGE_CACHE_SECONDS = 300
    # How long a worker trusts the campaign version it last read (a gift shows within it).
    PAGE_VERSION_SECONDS = 1.0
    MAX_CONTENT_LENGTH = 16 * 1024 * 1024
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None
    RATELIMIT_HEADERS_ENABLED = True
    STAFF_LOGIN_RATE_LIMIT = "10 per minute; 50 per hour"  # failed sign-ins per address
    STAFF_ACCOUNT_RATE_LIMIT = "5 per minute; 20 per hour"  # failed sign-ins per account
    # Connections are recycled rather than pinged: a ping costs a round trip per request.
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_recycle": 1800}

    def __init__(self) -> None:
        self.SECRET_KEY = env("SECRET_KEY", DEV_SECRET)
        self.SQLALCHEMY_DATABASE_URI = database_url(
            "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'campaigns.sqlite3'}"
        )
        self.PAYMENT_PROVIDER = env("PAYMENT_PROVIDER")
        self.STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY")
        self.STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET")
        self.STRIPE_API_BASE = env("STRIPE_API_BASE")
        self.MAIL_URL = env("MAIL_URL")
        self.MAIL_FROM = env("MAIL_FROM", "Example Relief Association <donations@example.org>")
        # Where links in e-mails point: e-mails are written outside requests, and a link
        # must never follow a request's Host header (a forged one would leak sign-in links).
        self.SITE_URL = (env("SITE_URL", "http://127.0.0.1:5000") or "").rstrip("/")
        # Send due e-mail from a thread inside the web process (`make run` sets it).
        self.OUTBOX_BACKGROUND = env("OUTBOX_BACKGROUND", "0") == "1"
        self.RATELIMIT_STORAGE_URI = env("RATELIMIT_STORAGE_URI", "memory://")
        self.TRUSTED_PROXIES = int_setting("TRUSTED_PROXIES", 0)
        # Card-testing defence: donation attempts per client address (Flask-Limiter syntax).
        self.DONATE_RATE_LIMIT = env("DONATE_RATE_LIMIT", "10 per minute; 50 per hour")
        # Off only for load tests: RATELIMIT_ENABLED=false.
        self.RATELIMIT_ENABLED = env("RATELIMIT_ENABLED", "true").lower() not in FALSE_WORDS
        self.CHARITY_NAME = env("CHARITY_NAME", "Example Relief Association")
        # Printed on every receipt: the charity's legal identity and the tax statement.
        self.CHARITY_ADDRESS = env("CHARITY_ADDRESS", "1 Example Street, 34000 Istanbul, Türkiye")
        self.CHARITY_REGISTRATION = env("CHARITY_REGISTRATION", "00-000-000")
        self.RECEIPT_PREFIX = env("RECEIPT_PREFIX", "RCPT")
        self.RECEIPT_STATEMENT = env(
            "RECEIPT_STATEMENT", "No goods or services were provided in return for this gift."
        )
        # Cover and report photos; file names in the database are random, never the user's.
        self.UPLOAD_FOLDER = env("UPLOAD_FOLDER", str(INSTANCE_DIR / "uploads"))

    def check(self) -> None:
        """Raise RuntimeError for settings this environment cannot run with."""


class DevelopmentConfig(Config):
    def __init__(self) -> None:
        super().__init__()
        self.DEBUG = env("FLASK_DEBUG", "0") == "1"


class TestingConfig(Config):
    TESTING = True

    def __init__(self) -> None:
        super().__init__()
        self.SECRET_KEY = "testing-secret"  # noqa: S105
        self.SQLALCHEMY_DATABASE_URI = database_url("TEST_DATABASE_URL", "sqlite://")
        self.RATELIMIT_STORAGE_URI = "memory://"
        self.MAIL_URL = None
        self.SITE_URL = "http://campaigns.test"
        self.OUTBOX_BACKGROUND = False
        self.PAGE_VERSION_SECONDS = 0  # tests read each change at once


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"

    def check(self) -> None:
        problems = []
        if self.SECRET_KEY == DEV_SECRET:
            problems.append("SECRET_KEY must be set")
        if not self.SQLALCHEMY_DATABASE_URI.startswith("postgresql"):
            problems.append("DATABASE_URL must point at PostgreSQL")
        if (self.PAYMENT_PROVIDER or "stripe") != "stripe":
            problems.append("PAYMENT_PROVIDER must be 'stripe' in production")
        if not (self.STRIPE_SECRET_KEY and self.STRIPE_WEBHOOK_SECRET):
            problems.append("STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET must be set")
        if not self.MAIL_URL:
            problems.append("MAIL_URL must be set (receipts and sign-in links go by e-mail)")
        if len(self.SECRET_KEY) < 32:
            problems.append("SECRET_KEY must be at least 32 characters")
        if problems:
            raise RuntimeError("Refusing to start: " + "; ".join(problems))


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
