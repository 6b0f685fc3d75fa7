"""Every /staff route × every role, built from the app's own URL map.

``LEAST_ROLE`` names, for each staff endpoint and method, the least role that may use it
(None: anyone, signed in or not). A new /staff endpoint without an entry fails
``test_every_staff_route_has_an_expected_role``: decide who may use it and add it here.

Requests by a role allowed to POST are not made with a valid token (they would change
things); those flows have their own tests. Everything else is: pages render for those
allowed, 403 for those below, sign-in for anonymous visitors, 400 without a CSRF token.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from flask import current_app
from flask.testing import FlaskClient

from campaigns.extensions import db
from campaigns.models.staff import Role
from campaigns.services.mail.notifications import queue_message
from tests.bank_fixtures import waiting_bank_line
from tests.payments_fixtures import isolated
from tests.staff_fixtures import SignedIn, create_account, csrf_token_of

V, E, A = Role.VIEWER, Role.EDITOR, Role.ADMIN
LEAST_ROLE: dict[str, dict[str, Role | None]] = {
    "staff.login": {"GET": None, "POST": None},
    # The second sign-in step: without a pending sign-in it sends back to the first.
    "staff.login_code": {"GET": None, "POST": None},
    # Self-service: every signed-in user may sign out, change their own password and set
    # up their own two-step sign-in.
    "staff.logout": {"POST": V},
    "staff.password": {"GET": V, "POST": V},
    "staff.two_factor_setup": {"GET": V, "POST": V},
    "staff.two_factor_disable": {"POST": V},
    "staff.dashboard": {"GET": V},
    "staff.donations": {"GET": V},
    "staff.donations_csv": {"GET": V},
    "staff.donations_xlsx": {"GET": V},
    "staff.donation": {"GET": V},
    "staff.refund_donation": {"POST": A},
    "staff.monthly_gifts": {"GET": V},
    "staff.cancel_monthly": {"POST": A},
    "staff.campaigns": {"GET": V},
    "staff.new_campaign": {"GET": V, "POST": E},
    "staff.edit_campaign": {"GET": V, "POST": E},
    "staff.new_option": {"GET": V, "POST": E},
    "staff.edit_option": {"GET": V, "POST": E},
    "staff.remove_option": {"POST": E},
    "staff.animals": {"GET": V},
    "staff.animal_names_pdf": {"GET": V},
    "staff.fill_animals": {"POST": E},
    "staff.move_share": {"POST": E},
    "staff.animals_performed": {"POST": E},
    "staff.campaign_deliveries": {"GET": V, "POST": E},
    "staff.new_offline_gift": {"GET": A, "POST": A},
    "staff.reports": {"GET": V},
    "staff.new_report": {"GET": V, "POST": E},
    "staff.edit_report": {"GET": V, "POST": E},
    "staff.publish_report": {"POST": E},
    "staff.unpublish_report": {"POST": E},
    "staff.users": {"GET": A},
    "staff.add_user": {"POST": A},
    "staff.user_role": {"POST": A},
    "staff.user_deactivate": {"POST": A},
    "staff.user_reactivate": {"POST": A},
    "staff.audit_log": {"GET": A},
    "staff.outbox": {"GET": V},
    "staff.send_message_again": {"POST": E},
    "staff.site_pages": {"GET": V},
    "staff.edit_site_page": {"GET": V, "POST": E},
    # Bank transfers: importing statements and deciding on their lines (admins, editors).
    "staff.bank": {"GET": E, "POST": E},
    "staff.bank_csv_columns": {"POST": E},
    "staff.bank_line": {"GET": E},
    "staff.bank_line_match": {"POST": E},
    "staff.bank_line_gift": {"POST": E},
    "staff.bank_line_dismiss": {"POST": E},
}
SELF_SERVICE = {
    "staff.login",
    "staff.login_code",
    "staff.logout",
    "staff.password",
    "staff.two_factor_setup",
    "staff.two_factor_disable",
}
# Pages that answer a GET without a pending sign-in by sending to the sign-in page.
SIGN_IN_STEPS = {"staff.login_code"}
# Money and people: never an editor's to change.
ADMIN_ONLY = {
    "staff.refund_donation",
    "staff.new_offline_gift",
    "staff.users",
    "staff.add_user",
    "staff.user_role",
    "staff.user_deactivate",
    "staff.user_reactivate",
    "staff.audit_log",
}


@dataclass(frozen=True)
class Route:
    endpoint: str
    method: str
    url: str

    def __str__(self) -> str:
        return f"{self.method} {self.url} ({self.endpoint})"


def staff_rules(app):
    """(rule, method) for every /staff rule, HEAD and OPTIONS aside."""
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        if rule.rule.startswith("/staff"):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield rule, method


@pytest.fixture
def routes(app, app_ctx, make_campaign, make_option, make_donation, make_report) -> list[Route]:
    """Every staff route with its URL filled in with the ids of real objects."""
    campaign = make_campaign("matrix-appeal")
    report = make_report("matrix-report", campaigns=[campaign])
    values = {
        "campaign_id": campaign.id,
        "option_id": make_option(campaign).id,
        "donation_id": make_donation(campaign, status="paid").id,
        "report_id": report.id,
        "user_id": create_account(app, Role.VIEWER, "someone@example.org"),
        "message_id": queue_message(
            db.session, key="matrix:1", to="a@example.org", subject="S", body_text="B"
        ).id,
        "slug": "privacy",
        "locale": "tr",
        "line_id": waiting_bank_line(current_app.extensions["settings"]),
    }
    db.session.commit()
    found = []
    for rule, method in staff_rules(app):
        missing = set(rule.arguments) - set(values)
        assert not missing, f"{rule.rule}: give the matrix a real value for {missing}"
        url = rule.build({name: values[name] for name in rule.arguments})[1]
        found.append(Route(rule.endpoint, method, url))
    return found


@pytest.fixture
def signed_in(app, staff_login) -> dict[Role, SignedIn]:
    return {role: staff_login(app.test_client(), role) for role in Role}


def sent_to_sign_in(response) -> bool:
    return response.status_code == 302 and response.headers["Location"].startswith("/staff/login")


def test_every_staff_route_has_an_expected_role(app):
    found = {(rule.endpoint, method) for rule, method in staff_rules(app)}
    listed = {(endpoint, method) for endpoint, methods in LEAST_ROLE.items() for method in methods}
    assert sorted(found - listed) == [], "new /staff routes: add them to LEAST_ROLE"
    assert sorted(listed - found) == [], "LEAST_ROLE names routes that no longer exist"


def test_the_table_keeps_viewers_read_only_and_money_and_people_for_admins():
    for endpoint, methods in LEAST_ROLE.items():
        if endpoint not in SELF_SERVICE and "POST" in methods:
            assert methods["POST"].rank >= E.rank, endpoint
    for endpoint in ADMIN_ONLY:
        assert set(LEAST_ROLE[endpoint].values()) == {A}, endpoint


def test_anonymous_visitors_are_sent_to_sign_in_everywhere(client, routes, fresh_rate_limits):
    token = csrf_token_of(isolated(client.get, "/staff/login"))
    wrong = []
    for route in routes:
        if LEAST_ROLE[route.endpoint][route.method] is None:
            continue
        if route.method == "GET":
            response = isolated(client.get, route.url)
        else:
            response = isolated(client.post, route.url, data={"csrf_token": token})
        if not sent_to_sign_in(response):
            wrong.append(f"{route}: {response.status_code}")
    assert wrong == []


@pytest.mark.parametrize("role", list(Role))
def test_each_role_gets_what_the_table_allows_and_403_below(role, routes, signed_in):
    staff = signed_in[role]
    wrong = []
    for route in routes:
        least = LEAST_ROLE[route.endpoint][route.method]
        allowed = least is None or role.rank >= least.rank
        if route.method == "GET":
            expected = 200 if allowed else 403
            response = staff.get(route.url)
            status = response.status_code
            if route.endpoint in SIGN_IN_STEPS:
                expected, status = (
                    "sent to sign in",
                    sent_to_sign_in(response) and "sent to sign in",
                )
        elif allowed:
            continue  # a valid POST would change things: covered by each area's tests
        else:
            expected, status = 403, staff.post(route.url).status_code
        if status != expected:
            wrong.append(f"{route}: {status}, expected {expected}")
    assert wrong == []


@pytest.mark.parametrize("role", [None, *Role])
def test_every_staff_post_needs_the_csrf_token(app, role, routes, signed_in, fresh_rate_limits):
    client: FlaskClient = signed_in[role].client if role else app.test_client()
    wrong = []
    for route in routes:
        if route.method == "POST":
            status = isolated(client.post, route.url, data={}).status_code
            if status != 400:
                wrong.append(f"{route}: {status}")
    assert wrong == []
    if role is not None:  # and nothing happened: still signed in
        assert signed_in[role].get("/staff/password").status_code == 200
