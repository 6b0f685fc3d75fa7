"""The settings the services need, as one frozen value: read once from ``app.config`` by
``create_app`` (kept in ``app.extensions["settings"]``, beside the payment provider) and
passed by the edge (views, commands, the webhook view, the outbox sender) to the services
that need them. Services never read ``current_app``; this module reads no app either.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from schwifty import IBAN
from schwifty.exceptions import SchwiftyException
from werkzeug.routing import MapAdapter

from campaigns.money import CURRENCIES


@dataclass(frozen=True)
class BankAccount:
    """One of the charity's accounts a donor may transfer to (BANK_ACCOUNTS)."""

    bank: str
    holder: str
    iban: str  # compact, checked: TR330006100519786457841326
    currency: str

    @property
    def iban_printed(self) -> str:
        """The IBAN in groups of four, as banks print it."""
        return " ".join(self.iban[i : i + 4] for i in range(0, len(self.iban), 4))


def read_bank_accounts(text: str | list) -> tuple[BankAccount, ...]:
    """BANK_ACCOUNTS as accounts; a RuntimeError naming what is wrong stops the app at
    start (a mistyped IBAN would send donors' money nowhere)."""

    def refuse(why: str):
        return RuntimeError(f"Refusing to start: BANK_ACCOUNTS {why}")

    try:
        items = json.loads(text) if isinstance(text, str) else text
    except ValueError as error:
        raise refuse(f"is not JSON ({error})") from error
    if not isinstance(items, list):
        raise refuse("must be a JSON list of accounts")
    accounts = []
    for n, item in enumerate(items, 1):
        if not isinstance(item, dict) or set(item) != {"bank", "holder", "iban", "currency"}:
            raise refuse(f"account {n} must have exactly bank, holder, iban and currency")
        if not all(isinstance(v, str) and v.strip() for v in item.values()):
            raise refuse(f"account {n}: every value must be non-empty text")
        try:
            iban = IBAN(item["iban"])
        except SchwiftyException as error:
            raise refuse(f"account {n}: {item['iban']!r} is not a valid IBAN ({error})") from error
        if item["currency"] not in CURRENCIES:
            raise refuse(f"account {n}: unknown currency {item['currency']!r}")
        bank, holder = item["bank"].strip(), item["holder"].strip()
        accounts.append(BankAccount(bank, holder, iban.compact, item["currency"]))
    return tuple(accounts)


FEE_COVER_MAX = 20  # percent: more is a mistake, not a fee


def read_fee_cover_percent(value: str | int | Decimal) -> int:
    """FEE_COVER_PERCENT ("3", "2.9", "0") in basis points (300, 290, 0): 0 to 20 with at
    most two decimals; anything else stops the app at start with one line."""
    text = str(value).strip()
    if not re.fullmatch(r"[0-9]{1,2}(\.[0-9]{1,2})?", text) or Decimal(text) > FEE_COVER_MAX:
        raise RuntimeError(
            "Refusing to start: FEE_COVER_PERCENT must be a percentage from 0 to "
            f"{FEE_COVER_MAX} with at most two decimals, not {text!r}"
        )
    return int(Decimal(text) * 100)


STATEMENT_PREFIX = "RECEIPT_STATEMENT_"


@dataclass(frozen=True)
class ReceiptSettings:
    """What a receipt says about the charity, and where its verification link points."""

    prefix: str
    charity_name: str
    charity_address: str
    charity_registration: str
    charity_email: str  # where donors write: the Contact and Privacy pages
    statement: str  # RECEIPT_STATEMENT, for a language without its own
    content_language: str  # CONTENT_LANGUAGE: the language of the campaigns' own columns
    timezone: str  # receipt dates and the numbering year are the charity's local ones
    base_url: str  # the public site, e.g. https://give.example.org
    # SECRET_KEY, then SECRET_KEY_FALLBACKS: codes are made with the first, any is accepted.
    check_keys: tuple[str, ...] = field(repr=False)
    # RECEIPT_STATEMENT_<LOCALE>: language ("tr", "ar") -> the statement written in it.
    statements: Mapping[str, str] = field(default_factory=dict)
    statement_language: str = "en"  # the language RECEIPT_STATEMENT is written in

    def statement_in(self, locale: str) -> tuple[str, str]:
        """The legal statement for a receipt in ``locale`` and the language it is written
        in: the locale's own (RECEIPT_STATEMENT_AR), else the plain RECEIPT_STATEMENT."""
        language = locale.replace("-", "_").split("_")[0].lower()
        if language in self.statements:
            return self.statements[language], language
        return self.statement, self.statement_language


@dataclass(frozen=True)
class Settings:
    """The app's settings, for the services. Build it with ``Settings.of(config, urls)``."""

    site_url: str  # SITE_URL, no trailing slash: every link in an e-mail starts with it
    default_locale: str  # BABEL_DEFAULT_LOCALE
    content_language: str  # CONTENT_LANGUAGE: what the text columns of campaigns hold
    # SECRET_KEY, then SECRET_KEY_FALLBACKS: the first signs and encrypts, any one opens.
    secret_keys: tuple[str, ...] = field(repr=False)
    checkout_expires_minutes: int
    max_held_units: int
    staff_account_rate_limit: str
    bank_accounts: tuple[BankAccount, ...]  # BANK_ACCOUNTS, checked
    bank_transfer_hold_days: int  # BANK_TRANSFER_HOLD_DAYS
    fee_cover_basis_points: int  # FEE_COVER_PERCENT in hundredths of a percent; 0: off
    receipts: ReceiptSettings
    # The app's routes, bound once: pages' paths for links written outside requests.
    urls: MapAdapter = field(repr=False, compare=False)

    @classmethod
    def of(cls, config: Mapping[str, Any], urls: MapAdapter) -> Settings:
        """The settings in ``config`` (an app's ``config``); ``urls`` its bound URL map."""
        keys = (config["SECRET_KEY"], *(config.get("SECRET_KEY_FALLBACKS") or ()))
        return cls(
            site_url=config["SITE_URL"],
            default_locale=config["BABEL_DEFAULT_LOCALE"],
            content_language=config["CONTENT_LANGUAGE"],
            secret_keys=keys,
            checkout_expires_minutes=config["CHECKOUT_EXPIRES_MINUTES"],
            max_held_units=config["MAX_HELD_UNITS"],
            staff_account_rate_limit=config["STAFF_ACCOUNT_RATE_LIMIT"],
            bank_accounts=read_bank_accounts(config["BANK_ACCOUNTS"]),
            bank_transfer_hold_days=config["BANK_TRANSFER_HOLD_DAYS"],
            fee_cover_basis_points=read_fee_cover_percent(config["FEE_COVER_PERCENT"]),
            receipts=ReceiptSettings(
                prefix=config["RECEIPT_PREFIX"],
                charity_name=config["CHARITY_NAME"],
                charity_address=config["CHARITY_ADDRESS"],
                charity_registration=config["CHARITY_REGISTRATION"],
                charity_email=config["CHARITY_EMAIL"],
                statement=config["RECEIPT_STATEMENT"],
                statements={
                    name.removeprefix(STATEMENT_PREFIX).lower(): value
                    for name, value in config.items()
                    if name.startswith(STATEMENT_PREFIX) and value
                },
                statement_language=config["BABEL_DEFAULT_LOCALE"],
                content_language=config["CONTENT_LANGUAGE"],
                timezone=config["BABEL_DEFAULT_TIMEZONE"],
                base_url=config["SITE_URL"],
                check_keys=keys,
            ),
            urls=urls,
        )

    @property
    def fee_cover_percent(self) -> Decimal:
        """FEE_COVER_PERCENT as a number (3, 2.5), for the form's label."""
        return Decimal(self.fee_cover_basis_points) / 100

    def accounts_for(self, currency: str) -> tuple[BankAccount, ...]:
        """The accounts a donor may transfer ``currency`` to (none: no bank transfer)."""
        return tuple(a for a in self.bank_accounts if a.currency == currency)

    def absolute_url(self, endpoint: str, **values) -> str:
        """The public address of a page, e.g. ``absolute_url("donor.start")``: built on
        SITE_URL, never on a request's Host header (mail is written outside requests)."""
        return self.site_url + self.urls.build(endpoint, values)
