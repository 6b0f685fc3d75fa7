"""Settings, read from the environment when a config object is made.

Pick a class with ``FLASK_CONFIG`` (development, testing, production; default development).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from email.utils import parseaddr
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"
DEV_SECRET = "dev-only-not-secret"  # noqa: S105 - a marker that production refuses
FALSE_WORDS = {"0", "false", "no", "off"}


def env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def whole_number(name: str, default: int) -> int:
    """A setting that is a whole number; anything else stops the app with one line."""
    text = (env(name) or str(default)).strip()
    # [0-9] and not isdigit(): "²" is a digit to isdigit() but not to int().
    if not re.fullmatch(r"[0-9]{1,9}", text):
        raise RuntimeError(f"Refusing to start: {name} must be a whole number, not {text!r}")
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
    # Failed sign-ins per account; past them, signing in also needs a code sent by e-mail.
    STAFF_ACCOUNT_RATE_LIMIT = "5 per minute; 20 per hour"
    # Whether staff must use two-step sign-in unless REQUIRE_STAFF_2FA says otherwise.
    REQUIRE_STAFF_2FA_DEFAULT = False
    # A pooled connection the database closed (a restart, a proxy dropping the link) is
    # replaced when a request takes it, so none fails a request: see
    # campaigns.db_pool.drop_closed_connections, which checks without a round trip.
    # JSON columns (content translations) keep their letters as written, not as \u escapes,
    # so a search in the staff lists finds "Kurban" or "الأضاحي" in the JSON text too.
    SQLALCHEMY_ENGINE_OPTIONS: dict = {
        "pool_recycle": 1800,
        "json_serializer": lambda value: json.dumps(value, ensure_ascii=False),
    }

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
        self.TRUSTED_PROXIES = whole_number("TRUSTED_PROXIES", 0)
        # Card-testing defence: donation attempts per client address (Flask-Limiter syntax).
        self.DONATE_RATE_LIMIT = env("DONATE_RATE_LIMIT", "10 per minute; 50 per hour")
        # A checkout not paid within this many minutes expires and its stock is released
        # (30 to 1440: Stripe's own limits for a Checkout Session).
        self.CHECKOUT_EXPIRES_MINUTES = whole_number("CHECKOUT_EXPIRES_MINUTES", 30)
        # The charity's bank accounts donors may transfer to: a JSON list of {"bank", "holder",
        # "iban", "currency"}; a campaign in one of those currencies offers bank transfer.
        self.BANK_ACCOUNTS = env("BANK_ACCOUNTS", "[]")
        # A bank-transfer pledge holds its stock this many days, then expires.
        self.BANK_TRANSFER_HOLD_DAYS = whole_number("BANK_TRANSFER_HOLD_DAYS", 3)
        # Units of one limited option one client address or e-mail may hold unpaid at once.
        self.MAX_HELD_UNITS = whole_number("MAX_HELD_UNITS", 14)
        # "Add 3% so all of my gift reaches the field": the percentage a donor may add to
        # cover the fees (0 to 20, up to two decimals; 0 hides the box). Checked at start
        # (campaigns.settings.read_fee_cover_percent).
        self.FEE_COVER_PERCENT = env("FEE_COVER_PERCENT", "3")
        # Off only for load tests: RATELIMIT_ENABLED=false.
        self.RATELIMIT_ENABLED = env("RATELIMIT_ENABLED", "true").lower() not in FALSE_WORDS
        required = env("REQUIRE_STAFF_2FA")
        self.REQUIRE_STAFF_2FA = (
            required.lower() not in FALSE_WORDS if required else self.REQUIRE_STAFF_2FA_DEFAULT
        )
        # The language staff write campaigns and reports in first (one of LANGUAGES); the
        # other languages are optional translations, shown where they are written.
        self.CONTENT_LANGUAGE = env("CONTENT_LANGUAGE", "en")
        self.CHARITY_NAME = env("CHARITY_NAME", "Example Relief Association")
        # Printed on every receipt: the charity's legal identity and the tax statement.
        self.CHARITY_ADDRESS = env("CHARITY_ADDRESS", "1 Example Street, 34000 Istanbul, Türkiye")
        self.CHARITY_REGISTRATION = env("CHARITY_REGISTRATION", "00-000-000")
        # Where donors write (the Contact and Privacy pages): the sender's address by default.
        self.CHARITY_EMAIL = env("CHARITY_EMAIL", parseaddr(self.MAIL_FROM)[1])
        self.RECEIPT_PREFIX = env("RECEIPT_PREFIX", "RCPT")
        self.RECEIPT_STATEMENT = env(
            "RECEIPT_STATEMENT", "No goods or services were provided in return for this gift."
        )
        # The statement in each language a receipt is printed in (RECEIPT_STATEMENT_<LOCALE>,
        # e.g. RECEIPT_STATEMENT_DE); a language without one prints RECEIPT_STATEMENT.
        self.RECEIPT_STATEMENT_TR = env(
            "RECEIPT_STATEMENT_TR", "Bu bağış karşılığında hiçbir mal veya hizmet verilmemiştir."
        )
        self.RECEIPT_STATEMENT_AR = env(
            "RECEIPT_STATEMENT_AR", "لم تُقدَّم أي سلع أو خدمات مقابل هذا التبرع."
        )
        for name, value in os.environ.items():
            if name.startswith("RECEIPT_STATEMENT_") and value and not hasattr(self, name):
                setattr(self, name, value)
        # Cover and report photos; file names in the database are random, never the user's.
        self.UPLOAD_FOLDER = env("UPLOAD_FOLDER", str(INSTANCE_DIR / "uploads"))

    def check(self, config: Mapping[str, Any]) -> None:
        """Raise RuntimeError for settings this environment cannot run with. ``config`` is
        the app's final configuration: this object's values with any overrides applied."""
        if config["CONTENT_LANGUAGE"] not in config["LANGUAGES"]:
            raise RuntimeError(
                "Refusing to start: CONTENT_LANGUAGE must be one of "
                + ", ".join(config["LANGUAGES"])
                + f", not {config['CONTENT_LANGUAGE']!r}"
            )


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
    REQUIRE_STAFF_2FA_DEFAULT = True
    PREFERRED_URL_SCHEME = "https"

    def __init__(self) -> None:
        super().__init__()
        # No default: every link in e-mails and receipt QR codes is built on it.
        self.SITE_URL = (env("SITE_URL") or "").rstrip("/")

    def check(self, config: Mapping[str, Any]) -> None:
        super().check(config)
        problems = []
        secret = config["SECRET_KEY"] or ""
        if secret == DEV_SECRET or not secret:
            problems.append("SECRET_KEY must be set")
        elif len(secret) < 32:
            problems.append("SECRET_KEY must be at least 32 characters")
        if not config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
            problems.append("DATABASE_URL must point at PostgreSQL")
        if (config["PAYMENT_PROVIDER"] or "stripe") != "stripe":
            problems.append("PAYMENT_PROVIDER must be 'stripe' in production")
        if not (config["STRIPE_SECRET_KEY"] and config["STRIPE_WEBHOOK_SECRET"]):
            problems.append("STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET must be set")
        if not config["MAIL_URL"]:
            problems.append("MAIL_URL must be set (receipts and sign-in links go by e-mail)")
        site = urlsplit(config["SITE_URL"] or "")
        if site.scheme != "https" or not site.hostname or site.query or site.fragment:
            problems.append("SITE_URL must be the site's public https:// address")
        storage = config["RATELIMIT_STORAGE_URI"] or "memory://"
        if config["RATELIMIT_ENABLED"] and storage.startswith("memory://"):
            problems.append(
                "RATELIMIT_STORAGE_URI must be shared storage such as redis:// "
                "(in memory, each worker counts alone)"
            )
        if problems:
            raise RuntimeError("Refusing to start: " + "; ".join(problems))


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
