"""Two-step sign-in: set-up with the authenticator app (pyotp computes its codes here),
sign-in in two steps, recovery codes, REQUIRE_STAFF_2FA, turning it off, the CLI reset."""

from __future__ import annotations

import pytest
from sqlalchemy import select

import config as settings
from campaigns.extensions import db
from campaigns.models import RecoveryCode, StaffUser
from campaigns.staff import auth
from tests.markup import parse
from tests.payments_fixtures import isolated
from tests.signin_helpers import (
    GUARDED,
    app_code,
    audit_actions,
    field_errors,
    flashes,
    latest_code,
    second_step,
    setup_key,
    sign_in,
)
from tests.staff_fixtures import PASSWORD, create_account, csrf_token_of

HOME = {"REMOTE_ADDR": "127.0.0.1"}  # sessions are bound to the browser's address


def turn_on(staff) -> tuple[str, list[str]]:
    """Set up two-step sign-in as a staff member does; returns the secret and codes."""
    page = staff.get("/staff/2fa")
    assert page.status_code == 200
    secret = setup_key(page)
    response = staff.post("/staff/2fa", {"code": app_code(secret)})
    assert response.status_code == 200, field_errors(response)
    codes = [c.text for c in parse(response.data).find("ul", "recovery-codes").find_all("code")]
    return secret, codes


def signed_in(client) -> bool:
    return isolated(client.get, "/staff/", environ_base=HOME).status_code == 200


def test_set_up_shows_a_qr_code_and_turns_on_with_a_right_code(app, client, staff_login):
    staff = staff_login(client, "viewer")
    page = staff.get("/staff/2fa")
    qr = parse(page.data).find("img", "setup-qr")
    assert qr.attrs["src"].startswith("data:image/svg+xml")
    assert qr.attrs["alt"]
    secret = setup_key(page)
    assert len(secret) == 32
    # The same secret on every visit until it is confirmed.
    assert setup_key(staff.get("/staff/2fa")) == secret
    wrong = staff.post("/staff/2fa", {"code": "000000" if app_code(secret) != "000000" else "1"})
    assert wrong.status_code == 400
    assert field_errors(wrong) == ["That code is not right. Please try again."]
    laptop = app.test_client()
    assert sign_in(laptop, staff.email, environ_base=HOME).status_code == 303
    secret, codes = turn_on(staff)
    assert len(codes) == len(set(codes)) == 10
    assert "staff.2fa_enable" in audit_actions(app)
    assert signed_in(client)  # this browser goes on
    assert not signed_in(laptop)  # other sessions, signed in with the password only, end
    with app.app_context():
        user = db.session.get(StaffUser, staff.user_id)
        assert user.totp_secret and secret not in user.totp_secret  # encrypted at rest
        hashes = db.session.scalars(select(RecoveryCode.code_hash)).all()
        assert len(hashes) == 10
        assert not {code.replace("-", "") for code in codes} & set(hashes)


def test_sign_in_asks_for_the_app_code_after_the_password(app, client, staff_login):
    staff = staff_login(client, "viewer")
    secret, _codes = turn_on(staff)
    browser = app.test_client()
    first = sign_in(browser, staff.email, environ_base=HOME)
    assert first.status_code == 303
    assert first.headers["Location"] == "/staff/login/code"
    assert not signed_in(browser)  # not signed in until the code passes
    code = app_code(secret, steps_ahead=1)  # the set-up used the current step's code
    done = second_step(browser, code, environ_base=HOME)
    assert done.status_code == 303
    assert done.headers["Location"] == "/staff/"
    assert signed_in(browser)
    # The same code cannot be used again, even within its 90 seconds.
    again = app.test_client()
    sign_in(again, staff.email, environ_base=HOME)
    refused = second_step(again, code, environ_base=HOME)
    assert refused.status_code == 401
    assert field_errors(refused) == ["That code is not right. Please try again."]
    assert not signed_in(again)


def test_a_recovery_code_signs_in_once(app, client, staff_login):
    staff = staff_login(client, "viewer")
    _secret, codes = turn_on(staff)
    browser = app.test_client()
    sign_in(browser, staff.email, environ_base=HOME)
    assert second_step(browser, codes[3].upper(), environ_base=HOME).status_code == 303
    assert "staff.2fa_recovery_code_used" in audit_actions(app)
    other = app.test_client()
    sign_in(other, staff.email, environ_base=HOME)
    assert second_step(other, codes[3], environ_base=HOME).status_code == 401
    assert second_step(other, codes[4], environ_base=HOME).status_code == 303


def test_the_pending_sign_in_is_short_lived(app, client, staff_login, monkeypatch):
    staff = staff_login(client, "viewer")
    turn_on(staff)
    browser = app.test_client()
    sign_in(browser, staff.email, environ_base=HOME)
    monkeypatch.setattr(auth, "PENDING_SECONDS", -1)  # any pending sign-in is now too old
    response = isolated(browser.get, "/staff/login/code", environ_base=HOME)
    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/login"


def test_wrong_app_codes_are_bounded_and_the_owner_gets_back_in(app, client, staff_login):
    """Five wrong codes: the sixth try is refused even when right; signing in then needs the
    e-mailed code as well, after which the app code works again."""
    staff = staff_login(client, "viewer")
    secret, _codes = turn_on(staff)
    browser = app.test_client()
    sign_in(browser, staff.email, environ_base=HOME)
    right = app_code(secret, steps_ahead=1)
    wrong = "123456" if right != "123456" else "654321"
    for _ in range(5):
        assert second_step(browser, wrong, environ_base=HOME).status_code == 401
    refused = second_step(browser, right, environ_base=HOME)
    assert refused.status_code == 303
    assert refused.headers["Location"] == "/staff/login"
    assert not signed_in(browser)
    guarded = sign_in(browser, staff.email, environ_base=HOME)
    assert flashes(guarded) == [GUARDED]
    code = latest_code(app, staff.email)
    assert sign_in(browser, staff.email, PASSWORD, code, environ_base=HOME).status_code == 303
    assert second_step(browser, right, environ_base=HOME).status_code == 303
    assert signed_in(browser)


def test_turning_it_off_needs_the_password_and_a_code(app, client, staff_login):
    staff = staff_login(client, "viewer")
    secret, _codes = turn_on(staff)
    wrong = staff.post("/staff/2fa/disable", {"password": "not it", "code": app_code(secret, 1)})
    assert wrong.status_code == 400
    assert field_errors(wrong) == ["Your current password is not right."]
    off = staff.post("/staff/2fa/disable", {"password": PASSWORD, "code": app_code(secret, 1)})
    assert off.status_code == 303
    assert "staff.2fa_disable" in audit_actions(app)
    assert sign_in(app.test_client(), staff.email).status_code == 303
    assert sign_in(app.test_client(), staff.email).headers["Location"] == "/staff/"


def test_required_two_factor_allows_nothing_but_set_up(app, monkeypatch, fresh_rate_limits):
    monkeypatch.setitem(app.config, "REQUIRE_STAFF_2FA", True)
    create_account(app, "admin", "new@example.org")
    browser = app.test_client()
    assert sign_in(browser, "new@example.org", environ_base=HOME).status_code == 303
    for url in ("/staff/", "/staff/donations", "/staff/users", "/staff/password"):
        response = isolated(browser.get, url, environ_base=HOME)
        assert response.status_code == 303, url
        assert response.headers["Location"] == "/staff/2fa"
    page = isolated(browser.get, "/staff/2fa", environ_base=HOME)
    assert "Staff accounts need two-step sign-in" in page.data.decode()
    token = csrf_token_of(page)
    add = {"csrf_token": token, "email": "x@example.org", "role": "admin", "password": "p" * 12}
    posted = isolated(browser.post, "/staff/users", data=add, environ_base=HOME)
    assert posted.status_code == 303
    assert posted.headers["Location"] == "/staff/2fa"
    with app.app_context():
        assert db.session.scalar(select(db.func.count(StaffUser.id))) == 1
    form = {"csrf_token": token, "code": app_code(setup_key(page))}
    assert isolated(browser.post, "/staff/2fa", data=form, environ_base=HOME).status_code == 200
    assert signed_in(browser)
    # Required, it cannot be turned off.
    two_factor_page = isolated(browser.get, "/staff/2fa", environ_base=HOME)
    assert "Turn off" not in two_factor_page.data.decode()


@pytest.mark.parametrize(
    ("config", "required"), [(settings.ProductionConfig, True), (settings.DevelopmentConfig, False)]
)
def test_two_factor_is_required_by_default_only_in_production(monkeypatch, config, required):
    monkeypatch.delenv("REQUIRE_STAFF_2FA", raising=False)
    assert config().REQUIRE_STAFF_2FA is required
    assert settings.TestingConfig().REQUIRE_STAFF_2FA is False
    monkeypatch.setenv("REQUIRE_STAFF_2FA", "0" if required else "1")
    assert config().REQUIRE_STAFF_2FA is not required


def test_reset_two_factor_from_the_command_line(app, client, staff_login, runner):
    staff = staff_login(client, "admin")
    turn_on(staff)
    result = runner.invoke(args=["staff", "reset-2fa", staff.email.upper()])
    assert result.exit_code == 0, result.output
    assert result.output == f"Two-step sign-in turned off for {staff.email}.\n"
    assert "staff.2fa_reset" in audit_actions(app)
    assert not signed_in(client)  # sessions end
    assert sign_in(app.test_client(), staff.email).headers["Location"] == "/staff/"
    again = runner.invoke(args=["staff", "reset-2fa", staff.email])
    assert again.exit_code == 1
    assert "Two-step sign-in is off." in again.output
    unknown = runner.invoke(args=["staff", "reset-2fa", "nobody@example.org"])
    assert unknown.exit_code == 1
