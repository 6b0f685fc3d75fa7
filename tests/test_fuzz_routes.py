"""Property-based: no request anyone can send makes the site answer 5xx.

For every route in ``app.url_map``, Hypothesis fills the path's variables (a real slug,
id or token, or any text or number), sends any text to every query argument the site
reads and to every field of the route's form (the names read from its GET page, or
listed here for POST-only routes), by GET and POST, with the session's valid CSRF token,
anonymously and signed in as each staff role. Values include control characters, NUL,
astral characters, digits of other scripts, numbers far beyond any column, dates outside
any calendar the site keeps. Any 5xx fails the test.

Deterministic (a fixed seed per route) so CI is stable, and run on SQLite and PostgreSQL
(``TEST_DATABASE_URL``). The demo payment provider answers in-process: no network.
"""

from __future__ import annotations

import io
import re
import zlib
from urllib.parse import quote

import pytest
from flask import current_app
from hypothesis import HealthCheck, given, note, seed, settings
from hypothesis import strategies as st
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select

from campaigns.extensions import db, limiter
from campaigns.filters import local_today
from campaigns.models import Receipt
from campaigns.payments.demo_provider import DemoProvider
from campaigns.services.giving import donors
from campaigns.services.giving.donations import GiftForm, start_donation, validate_gift
from campaigns.services.mail.news import unsubscribe_url
from tests.bank_fixtures import waiting_bank_line
from tests.markup import parse
from tests.payments_fixtures import isolated, thank_you_urls
from tests.staff_fixtures import create_account, csrf_token_of

ROLES = ("anonymous", "viewer", "editor", "admin")
# Editors and admins reach the most code; viewers and visitors mostly meet 302 and 403.
ROLE_DRAWS = (*ROLES, "editor", "admin", "admin")
# Every query argument any view reads, and one no view does.
QUERY_NAMES = (
    *("page", "q", "campaign", "status", "designation", "frequency", "from", "to"),
    *("start", "end", "session_id", "next", "lang", "sent", "x"),
)
# Fields of POST routes whose form is not on a GET page of their own (or not only there).
POST_FIELDS = {
    "donations.donate": (
        *("option", "quantity", "amount", "frequency", "designation", "name", "email"),
        *("anonymous", "updates", "dedication", "on_behalf", "website", "proxy", "method"),
    ),
    "staff.refund_donation": ("amount", "shares", "reason", "seen_refunded", "version", "confirm"),
    "staff.cancel_monthly": ("version", "confirm"),
    "donor.cancel_monthly": ("confirm",),
    "staff.move_share": ("share", "current", "to", "new"),
    "staff.animals_performed": ("animals", "performed_on", "place"),
    "staff.bank_csv_columns": (
        *("bank", "date_column", "description_column", "amount_column", "currency_column"),
        *("currency", "transaction_id_column", "sender_column"),
    ),
    "staff.bank_line_match": ("code", "pledge"),
    "staff.bank_line_gift": ("campaign", "donor_name", "donor_email", "designation"),
    "staff.bank_line_dismiss": ("reason",),
    "staff.login_code": ("code",),
    "staff.two_factor_disable": ("password", "code"),
    "staff.user_role": ("role",),
    "staff.add_user": ("email", "name", "role", "password"),
    "staff.edit_report": (
        *("figure_label", "figure_value", "photo_alt_0", "photo_alt_1", "image_alt_1"),
        *("image_remove_1", "action", "campaigns"),
    ),
    "staff.new_report": ("figure_label", "figure_value", "photo_alt_0", "action", "campaigns"),
    "staff.new_campaign": ("action", "designations", "remove_cover"),
    "staff.edit_campaign": ("action", "designations", "remove_cover"),
}
# Values a form or query is likely to meet, and those that broke it once.
SPECIAL = (
    *("", "0", "1", "-1", "²", "١٢", "7", "100", "101", "9" * 20, "99999999999"),
    *("2147483647", "2147483648", "9" * 5000, "1,5", "1.000.000", "250", "1e9"),
    *("0001-01-01", "9999-12-31", "2026-02-30", "2026-01-15", "1899-12-31"),
    *("\x00", "a\x00b", "\r\nX: 1", "/staff\r\nX:1", "/staff/donations", "//evil.example"),
    *("once", "monthly", "general", "zakat", "sadaqah", "active", "draft", "closed"),
    *("admin", "editor", "viewer", "cash", "bank_transfer", "preview", "save"),
    *("TRY", "USD", "JPY", "paid", "pending", "refunded", "en", "tr", "ar"),
    *("ayse@example.org", "Ümit.Çelik@example.org", "a@b", "🐑" * 50, "\U0010ffff"),
    *("\ufffe", "a" * 5000, "Ays\u0327e", "\u202eevil", "<script>alert(1)</script>"),
)
VARIABLE = re.compile(r"<(?:[^:<>]+:)?(\w+)>")
# Per route: a few hundred requests in all, about a minute per database. Forms that
# store what is typed get the most.
GET_EXAMPLES, POST_EXAMPLES, FORM_EXAMPLES = 3, 6, 16
SIGNING_OUT = ("staff.logout", "staff.password")
FILE_FIELDS = ("cover", "photo_0", "photo_1", "photo_2", "file")
# A valid form per POST route: the fuzzed fields replace some of it, so each bad value
# meets otherwise good ones and goes as deep as it can (a refusal, or the database).
BASELINES = {
    "donations.donate": {
        **{"amount": "250", "frequency": "once", "designation": "general", "quantity": "1"},
        **{"name": "Ayşe Yılmaz", "email": "ayse@example.org"},
    },
    "staff.new_campaign": {
        **{"title": "New", "slug": "fuzz-new", "currency": "TRY", "goal": "1000"},
        **{"status": "draft", "designations": "general", "action": "save"},
    },
    "staff.edit_campaign": {
        **{"title": "Fuzz", "slug": "fuzz-appeal", "currency": "TRY", "goal": "1000000"},
        **{"status": "active", "designations": ["general", "zakat"], "action": "save"},
    },
    "staff.new_option": {"label": "Goat", "price": "100", "units": "1", "position": "0"},
    "staff.edit_option": {"label": "Sheep", "price": "8500", "units": "1", "position": "0"},
    "staff.new_offline_gift": {
        **{"method": "cash", "amount": "100", "designation": "general", "quantity": "1"},
        **{"donor_name": "Ali", "donor_email": "ali@example.org", "received_on": "2026-01-15"},
    },
    "staff.new_report": {
        **{"title": "New", "slug": "fuzz-new-report", "happened_on": "2026-01-15"},
        **{"action": "save"},
    },
    "staff.edit_report": {"title": "R", "slug": "fuzz-report", "happened_on": "2026-01-15"},
    "staff.refund_donation": {"amount": "1", "seen_refunded": "0"},
    "staff.add_user": {"email": "new@example.org", "role": "viewer", "password": "p" * 16},
    "staff.user_role": {"role": "viewer"},
    "staff.login": {"email": "nobody@example.org", "password": "wrong password"},
    "staff.password": {"current": "wrong password", "new": "n" * 16, "confirm": "n" * 16},
    "donor.start": {"email": "ayse@example.org"},
}


def any_text() -> st.SearchStrategy[str]:
    """Any text HTTP can carry (surrogates cannot be sent as UTF-8)."""
    return st.text(st.characters(exclude_categories=["Cs"]), max_size=40)


def values(real: list[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(SPECIAL),
        st.sampled_from(real or [""]),
        any_text(),
        st.integers(-(10**30), 10**30).map(str),
    )


def path_value(real: list[str]) -> st.SearchStrategy[str]:
    """Four times in five a real slug, id or token (to go past the lookup), else anything."""
    if not real:
        return values(real)
    return st.integers(0, 4).flatmap(lambda n: st.sampled_from(real) if n else values(real))


def field_value(name: str, real: list[str]):
    """A form value: one or several texts, or for a file input some bytes."""
    if name in FILE_FIELDS:
        return st.tuples(st.binary(max_size=64).map(io.BytesIO), st.sampled_from(["a.jpg", "b"]))
    return st.lists(values(real), min_size=1, max_size=3)


def post_form_fields(page) -> set[str]:
    """The names of the fields of a page's POST forms."""
    names = set()
    for form in parse(page.data).find_all("form"):
        if form.attrs.get("method", "").lower() != "post":
            continue
        for tag in ("input", "select", "textarea", "button"):
            names.update(e.attrs["name"] for e in form.find_all(tag) if e.attrs.get("name"))
    return names - {"csrf_token"}


class Site:
    """What the fuzzer needs: a browser per role, real values for path variables, the
    fields of each route's form."""

    def __init__(self, app, staff_login, give, make_campaign, make_option, make_report):
        campaign = make_campaign("fuzz-appeal", designations="general,zakat")
        sheep = make_option(campaign, "One sheep", unit_price=8_500_00, stock=50)
        share = make_option(campaign, "Cow share", unit_price=7_000_00, needs_on_behalf=True)
        report = make_report("fuzz-report", campaigns=[campaign])
        paid = give(campaign, email="ayse@example.org")
        monthly = give(campaign, email="ayse@example.org", frequency="monthly")
        pending = self.pending_gift(campaign)
        line = waiting_bank_line(app.extensions["settings"])
        receipt = db.session.scalars(select(Receipt).where(Receipt.donation_id == paid.id)).one()
        link = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=donors.LINK_SALT)
        self.spare_user = create_account(app, "viewer", "spare@example.org")
        self.app, self.staff_login = app, staff_login
        self.browsers: dict[str, object] = {}
        for role in ROLES:
            self.sign_in(role)
        self.real = {
            "slug": ["fuzz-appeal"],
            "checkout_id": [pending.provider_session_id],
            "token": [paid.token],
            "donation_token": [monthly.token],
            "number": [receipt.number],
            "campaign_id": [str(campaign.id)],
            "option_id": [str(sheep.id), str(share.id)],
            "donation_id": [str(paid.id), str(monthly.id)],
            "report_id": [str(report.id)],
            "user_id": [str(self.spare_user)],
            "filename": ["css/donor.css"],
            "name": ["missing.png"],
            "locale": ["tr"],
            "code": [unsubscribe_url(app.extensions["settings"], paid.id).rsplit("/", 1)[1]],
            "line_id": [str(line)],
        }
        # Where a variable's name means another thing: (endpoint prefix, name) -> values.
        self.real_in = {
            ("public.report", "slug"): ["fuzz-report"],
            ("staff.edit_site_page", "slug"): ["privacy"],
            ("donor.", "token"): [link.dumps(paid.id)],
            ("receipts.", "token"): [receipt.token],
        }
        self.ids = [v for key in ("campaign_id", "option_id", "report_id") for v in self.real[key]]
        self.rules = sorted(
            (rule for rule in app.url_map.iter_rules()), key=lambda rule: rule.endpoint
        )
        self.fields = {rule.endpoint: self.form_fields(rule) for rule in self.rules}

    @staticmethod
    def pending_gift(campaign):
        """A gift left at the demo checkout (its page, Pay, Decline and Cancel)."""
        provider = current_app.extensions["payment_provider"]
        assert isinstance(provider, DemoProvider)
        form = GiftForm(amount="100", name="Ali", email="ali@example.org")
        gift = validate_gift(db.session, campaign, form, locale="en", today=local_today())
        donation, _url = start_donation(
            db.session,
            provider,
            current_app.extensions["settings"],
            campaign,
            gift,
            thank_you_urls,
            commit=db.session.commit,
        )
        return donation

    def sign_in(self, role: str) -> None:
        client = self.app.test_client()
        if role == "anonymous":
            token = csrf_token_of(isolated(client.get, "/donor"))
            self.browsers[role] = (client, token)
        else:
            signed = self.staff_login(client, role)
            self.browsers[role] = (client, signed.csrf_token, signed.user_id)

    def form_fields(self, rule) -> tuple[str, ...]:
        """The fields of ``rule``'s form: listed above, and those its GET page shows."""
        names = set(POST_FIELDS.get(rule.endpoint, ()))
        if {"GET", "POST"} <= rule.methods:
            client = self.browsers["admin"][0]
            url = self.url(rule, {n: self.real_for(rule, n)[0] for n in rule.arguments})
            page = isolated(client.get, url)
            if page.status_code == 200:
                names |= post_form_fields(page)
        return tuple(sorted(names))

    def real_for(self, rule, name: str) -> list[str]:
        """Real values of the path variable ``name`` of ``rule`` (none for some)."""
        for (prefix, variable), real in self.real_in.items():
            if variable == name and rule.endpoint.startswith(prefix):
                return real
        return self.real.get(name, [])

    @staticmethod
    def url(rule, path_values: dict[str, str]) -> str:
        return VARIABLE.sub(lambda m: quote(path_values[m.group(1)], safe=""), rule.rule)

    def protect_accounts(self, rule, path_values: dict[str, str]) -> None:
        """Staff user routes act on the spare account, never on the fuzzer's own."""
        value = path_values.get("user_id", "")
        own = {str(b[2]) for b in self.browsers.values() if len(b) == 3}
        if rule.endpoint.startswith("staff.user_") and value.lstrip("0") in own:
            path_values["user_id"] = str(self.spare_user)


@pytest.fixture
def site(app, staff_login, give, make_campaign, make_option, make_report):
    return Site(app, staff_login, give, make_campaign, make_option, make_report)


def fuzz_route(site: Site, rule, examples: int) -> None:
    """Send ``examples`` requests to ``rule``, each as a role and with path values, query
    and form (the route's baseline, some fields replaced) of its own. The seed is fixed
    per route, so every run sends the same requests."""

    @seed(zlib.crc32(rule.endpoint.encode()))
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def fuzz(data) -> None:
        limiter.reset()  # rate limits would soon answer 429 to everything, hiding the rest
        role = data.draw(st.sampled_from(ROLE_DRAWS), label="role")
        method = data.draw(st.sampled_from(sorted(rule.methods - {"HEAD", "OPTIONS"})))
        path_values = {
            n: data.draw(path_value(site.real_for(rule, n)), label=n) for n in rule.arguments
        }
        site.protect_accounts(rule, path_values)
        query = data.draw(
            st.dictionaries(st.sampled_from(QUERY_NAMES), values(site.ids), max_size=4),
            label="query",
        )
        client, token, *_ = site.browsers[role]
        form: dict = {}
        if method == "POST":
            form = dict(BASELINES.get(rule.endpoint, {}))
            fields = site.fields[rule.endpoint] or ("x",)
            for name in sorted(data.draw(st.sets(st.sampled_from(fields), min_size=1, max_size=3))):
                form[name] = data.draw(field_value(name, site.ids), label=name)
            form["csrf_token"] = token
        url = site.url(rule, path_values)
        note(f"{role}: {method} {url} query={query!r} form={form!r}")

        response = isolated(
            client.open, url, method=method, query_string=query, data=form, buffered=True
        )

        assert response.status_code < 500, response.status_code
        if rule.endpoint in SIGNING_OUT and response.status_code == 303:
            site.sign_in(role)  # signed out: sign in again, so the next examples act as staff

    fuzz()


def test_no_route_answers_5xx(site):
    for rule in site.rules:
        if rule.endpoint in BASELINES:
            examples = FORM_EXAMPLES
        else:
            examples = POST_EXAMPLES if "POST" in rule.methods else GET_EXAMPLES
        fuzz_route(site, rule, examples)


def test_every_post_route_has_fields_to_fuzz(site):
    """A new POST route gets its fields from its GET page or from POST_FIELDS; only
    buttons (a CSRF token and nothing else) may have none."""
    buttons = {
        *("demo_checkout.pay", "demo_checkout.decline", "demo_checkout.cancel"),
        *("staff.logout", "staff.remove_option"),
        *("staff.publish_report", "staff.unpublish_report", "staff.user_deactivate"),
        *("staff.user_reactivate", "webhooks.stripe_webhook", "staff.send_message_again"),
        "staff.fill_animals",
    }
    posted = {rule.endpoint for rule in site.rules if "POST" in rule.methods}
    assert {e for e in posted if not site.fields[e]} == buttons
    assert {"dedication", "on_behalf"} <= set(site.fields["donations.donate"])
    assert {"title", "story", "cover_alt"} <= set(site.fields["staff.edit_campaign"])
    assert {"label", "price", "stock"} <= set(site.fields["staff.edit_option"])
