"""Staff sign-in: the form, rate limits, sessions that end everywhere, cookies, the CLI."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from campaigns.extensions import db
from campaigns.models import AuditEntry, StaffUser
from campaigns.services.audit import Actor
from campaigns.services.people import staff as staff_service
from campaigns.services.people.staff import set_active
from config import ProductionConfig
from tests.markup import parse
from tests.payments_fixtures import isolated
from tests.staff_fixtures import PASSWORD, create_account, csrf_token_of, sign_in

MISMATCH = "That e-mail and password do not match an active staff account."


def flashes(response) -> list[str]:
    return [li.text for li in parse(response.data).find_all("li", "flash")]


def field_errors(response) -> list[str]:
    return [p.text for p in parse(response.data).find_all("p", "field-error")]


def audit_actions() -> list[str]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def session_cookie(client) -> str:
    return client.get_cookie("session").value


def with_cookie(app, value: str):
    """A new browser carrying an old session cookie (copied by an attacker, or kept)."""
    other = app.test_client()
    other.set_cookie("session", value)
    return other


def signed_out(client) -> bool:
    response = isolated(client.get, "/staff/")
    return response.status_code == 302 and "/staff/login" in response.headers["Location"]


def test_sign_in_page_has_a_labelled_form(client, fresh_rate_limits):
    response = isolated(client.get, "/staff/login")
    assert response.status_code == 200
    page = parse(response.data)
    labels = {label.attrs["for"]: label.text for label in page.find_all("label")}
    assert labels == {"email": "E-mail", "password": "Password"}
    assert csrf_token_of(response)
    assert response.headers["Cache-Control"] == "private, no-store"


def test_staff_pages_send_anonymous_visitors_to_sign_in(client):
    response = isolated(client.get, "/staff/donations?status=paid")
    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/login?next=/staff/donations?status%3Dpaid"


def test_signing_in_opens_the_page_asked_for_and_is_audited(app, client, fresh_rate_limits):
    create_account(app, "viewer", "amina@example.org")
    token = csrf_token_of(isolated(client.get, "/staff/login"))
    form = {"csrf_token": token, "email": "Amina@Example.org ", "password": PASSWORD}
    response = isolated(client.post, "/staff/login?next=/staff/donations", data=form)
    assert response.status_code == 303
    assert response.headers["Location"] == "/staff/donations"
    with app.app_context():
        assert audit_actions() == ["staff.sign_in"]


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/staff", "/public"])
def test_sign_in_never_redirects_off_the_staff_side(app, client, fresh_rate_limits, target):
    create_account(app, "viewer", "amina@example.org")
    token = csrf_token_of(isolated(client.get, "/staff/login"))
    form = {"csrf_token": token, "email": "amina@example.org", "password": PASSWORD}
    response = isolated(client.post, "/staff/login", query_string={"next": target}, data=form)
    assert response.headers["Location"] == "/staff/"


def test_the_session_changes_at_sign_in(app, client, fresh_rate_limits):
    """Nothing from the visitor's session before sign-in (which an attacker could have
    planted, e.g. a CSRF secret) survives into the signed-in one."""
    create_account(app, "viewer", "amina@example.org")
    isolated(client.get, "/staff/login")
    with client.session_transaction() as before:
        before["planted"] = "by an attacker"
        secret_before = before["csrf_token"]
    anonymous_cookie = session_cookie(client)
    sign_in(client, "amina@example.org")
    with client.session_transaction() as after:
        assert "planted" not in after
        assert after.get("csrf_token") != secret_before
    assert session_cookie(client) != anonymous_cookie


def mismatch_page(response) -> str:
    """The page with what differs by design blanked: the e-mail typed and the CSRF token."""
    html = response.data.decode()
    html = re.sub(r'name="csrf_token" type="hidden" value="[^"]*"', "TOKEN", html)
    return re.sub(r'value="[^"]*@example\.org"', "EMAIL", html)


def test_unknown_account_and_wrong_password_get_the_same_answer(app, client, fresh_rate_limits):
    create_account(app, "admin", "known@example.org")
    wrong = sign_in(client, "known@example.org", "not the password at all")
    unknown = sign_in(client, "nobody@example.org", "not the password at all")
    assert wrong.status_code == unknown.status_code == 401
    assert flashes(wrong) == flashes(unknown) == [MISMATCH]
    assert mismatch_page(wrong) == mismatch_page(unknown)


def test_unknown_inactive_and_known_accounts_cost_one_password_check(app_ctx, monkeypatch):
    """Timing cannot tell accounts apart: each attempt runs scrypt exactly once."""
    checks = []
    real_check = staff_service.check_password_hash
    monkeypatch.setattr(
        staff_service,
        "check_password_hash",
        lambda hashed, password: checks.append(hashed) or real_check(hashed, password),
    )
    new = staff_service.NewStaffForm
    admin = staff_service.create_staff_user(
        db.session, new("known@example.org", "", "admin", PASSWORD)
    )
    gone = staff_service.create_staff_user(
        db.session, new("gone@example.org", "", "viewer", PASSWORD)
    )
    set_active(db.session, Actor(admin), gone, False)
    assert staff_service.authenticate(db.session, "nobody@example.org", PASSWORD) is None
    assert staff_service.authenticate(db.session, "known@example.org", "wrong") is None
    assert staff_service.authenticate(db.session, "gone@example.org", PASSWORD) is None
    assert staff_service.authenticate(db.session, "known@example.org", PASSWORD) is admin
    assert len(checks) == 4
    assert all(h.startswith("scrypt:") for h in checks)


def test_an_inactive_account_cannot_sign_in(app, client, fresh_rate_limits):
    user_id = create_account(app, "admin", "gone@example.org")
    with app.app_context():
        user = db.session.get(StaffUser, user_id)
        user.active = False
        db.session.commit()
    response = sign_in(client, "gone@example.org")
    assert response.status_code == 401
    assert flashes(response) == [MISMATCH]


def test_sixth_failure_for_one_account_needs_an_emailed_code_from_any_address(
    app, fresh_rate_limits
):
    create_account(app, "admin", "target@example.org")
    statuses = []
    for n in range(6):
        client = app.test_client()  # a new address, browser and session each time
        address = {"REMOTE_ADDR": f"198.51.100.{n + 1}"}
        statuses.append(
            sign_in(client, "target@example.org", "guess", environ_base=address).status_code
        )
    assert statuses == [401] * 6
    # The right password alone no longer signs in (the owner gets a code by e-mail, see
    # test_staff_lockout); another account is not touched.
    elsewhere = {"REMOTE_ADDR": "203.0.113.9"}
    create_account(app, "admin", "other@example.org")
    guarded = sign_in(app.test_client(), "target@example.org", environ_base=elsewhere)
    assert guarded.status_code == 401
    assert "code" in [e.attrs.get("name") for e in parse(guarded.data).find_all("input")]
    assert (
        sign_in(app.test_client(), "other@example.org", environ_base=elsewhere).status_code == 303
    )


def test_eleventh_failure_from_one_address_is_refused(app, client, fresh_rate_limits):
    statuses = [sign_in(client, f"guess{n}@example.org", "guess").status_code for n in range(11)]
    assert statuses == [401] * 10 + [429]


def test_successful_sign_ins_do_not_use_up_the_limit(app, client, fresh_rate_limits):
    create_account(app, "viewer", "often@example.org")
    assert {sign_in(client, "often@example.org").status_code for _ in range(8)} == {303}


def test_sign_in_without_the_csrf_token_is_refused(app, client, fresh_rate_limits):
    create_account(app, "admin", "amina@example.org")
    form = {"email": "amina@example.org", "password": PASSWORD}
    assert isolated(client.post, "/staff/login", data=form).status_code == 400
    assert signed_out(client)


def test_session_cookie_is_httponly_and_samesite_lax(staff_login, client):
    staff_login(client, "viewer")
    response = sign_in(client, "nobody@example.org", "x")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # tests run over http


def test_production_marks_the_session_cookie_secure():
    assert ProductionConfig.SESSION_COOKIE_SECURE is True
    assert ProductionConfig.SESSION_COOKIE_HTTPONLY is True
    assert ProductionConfig.SESSION_COOKIE_SAMESITE == "Lax"


# --- sessions ending everywhere ------------------------------------------------------------


def test_old_cookie_is_refused_after_sign_out(app, client, staff_login):
    staff = staff_login(client, "editor")
    stolen = session_cookie(client)
    assert staff.post("/staff/logout").status_code == 303
    assert signed_out(client)
    assert signed_out(with_cookie(app, stolen))
    with app.app_context():
        assert audit_actions() == ["staff.sign_in", "staff.sign_out"]


def test_signing_out_on_one_device_ends_the_others(app, client, staff_login):
    staff = staff_login(client, "viewer")
    laptop = app.test_client()
    sign_in(laptop, staff.email)
    assert not signed_out(laptop)
    staff.post("/staff/logout")
    assert signed_out(laptop)


def test_old_cookie_is_refused_after_a_password_change(app, client, staff_login):
    staff = staff_login(client, "viewer")
    stolen = session_cookie(client)
    new_password = "a much longer new passphrase"
    form = {"current": PASSWORD, "new": new_password, "confirm": new_password}
    response = staff.post("/staff/password", form)
    assert response.status_code == 303
    assert response.headers["Location"] == "/staff/login"
    assert signed_out(client)
    assert signed_out(with_cookie(app, stolen))
    assert sign_in(app.test_client(), staff.email).status_code == 401
    assert sign_in(app.test_client(), staff.email, new_password).status_code == 303
    with app.app_context():
        assert "staff.password_change" in audit_actions()


def test_a_wrong_current_password_or_short_new_one_changes_nothing(app, client, staff_login):
    staff = staff_login(client, "viewer")
    wrong = staff.post(
        "/staff/password", {"current": "not it", "new": "x" * 20, "confirm": "x" * 20}
    )
    assert wrong.status_code == 400
    assert field_errors(wrong) == ["Your current password is not right."]
    short = staff.post("/staff/password", {"current": PASSWORD, "new": "short", "confirm": "short"})
    assert short.status_code == 400
    assert field_errors(short) == ["Passwords need at least 12 characters."]
    assert not signed_out(client)
    assert sign_in(app.test_client(), staff.email).status_code == 303


def test_a_new_password_over_200_characters_is_called_too_long(client, staff_login):
    staff = staff_login(client, "viewer")
    too_long = "x" * 201
    response = staff.post(
        "/staff/password", {"current": PASSWORD, "new": too_long, "confirm": too_long}
    )
    assert response.status_code == 400
    assert field_errors(response) == ["Please shorten this to 200 characters."]
    assert not signed_out(client)


def test_old_cookie_is_refused_after_deactivation(app, client, staff_login):
    editor = staff_login(client, "editor")
    stolen = session_cookie(client)
    admin = staff_login(app.test_client(), "admin")
    response = admin.post(f"/staff/users/{editor.user_id}/deactivate")
    assert response.status_code == 303
    assert signed_out(client)
    assert signed_out(with_cookie(app, stolen))
    # Reactivated, the account can sign in again, but the old cookie stays dead.
    admin.post(f"/staff/users/{editor.user_id}/reactivate")
    assert signed_out(with_cookie(app, stolen))
    assert sign_in(app.test_client(), editor.email).status_code == 303


# --- the command line --------------------------------------------------------------------


def test_staff_create_reads_the_password_from_stdin(app, runner):
    result = runner.invoke(
        args=["staff", "create", "First@Example.org", "--role", "admin", "--name", "Amina"],
        input=PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output
    assert result.output == "Created admin first@example.org.\n"
    with app.app_context():
        user = db.session.scalars(select(StaffUser)).one()
        assert (user.email, user.name, user.role.value, user.active) == (
            "first@example.org",
            "Amina",
            "admin",
            True,
        )
        entry = db.session.scalars(select(AuditEntry)).one()
        assert (entry.action, entry.staff_user_id) == ("staff_user.create", None)
        assert entry.after["role"] == "admin"
    assert sign_in(app.test_client(), "first@example.org").status_code == 303


@pytest.mark.parametrize(
    ("email", "password", "message"),
    [
        ("dup@example.org", PASSWORD, "already exists"),
        ("new@example.org", "short", "at least 12 characters"),
        ("not-an-email", PASSWORD, "valid e-mail"),
    ],
)
def test_staff_create_refuses_bad_accounts(app, runner, email, password, message):
    create_account(app, "viewer", "dup@example.org")
    result = runner.invoke(args=["staff", "create", email], input=password + "\n")
    assert result.exit_code == 1
    assert message in result.output
    with app.app_context():
        assert db.session.scalar(select(db.func.count(StaffUser.id))) == 1
