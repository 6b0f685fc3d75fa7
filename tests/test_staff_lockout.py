"""Failed sign-ins per account: past the limit an e-mailed code is needed with the password,
so outsiders' guesses can make the owner take one more step but never keep them out."""

from __future__ import annotations

from datetime import timedelta

from campaigns.services.people import lockout
from tests.mail_fixtures import text_of
from tests.payments_fixtures import isolated
from tests.signin_helpers import (
    CODE_MISMATCH,
    GUARDED,
    code_in,
    code_messages,
    fail,
    field_errors,
    flashes,
    input_names,
    latest_code,
    sign_in,
)
from tests.staff_fixtures import PASSWORD, create_account

OWNER = "owner@example.org"


def later(monkeypatch, minutes: int) -> None:
    """Move the clock of the e-mailed codes ``minutes`` on, as waiting would."""
    now = lockout.utcnow()
    monkeypatch.setattr(lockout, "utcnow", lambda: now + timedelta(minutes=minutes))


def test_outsiders_failures_do_not_keep_the_owner_out(app, mail_url, fresh_rate_limits):
    """Six wrong passwords from six addresses: the owner's right password alone no longer
    signs in, but with the code e-mailed to them (read from the real SMTP delivery) it does."""
    create_account(app, "admin", OWNER)
    # The owner last signed in in Turkish: the code comes in Turkish.
    turkish = app.test_client()
    turkish.set_cookie("lang", "tr")
    assert sign_in(turkish, OWNER).status_code == 303
    fail(app, OWNER, 6)
    owner = app.test_client()
    first = sign_in(owner, OWNER)
    assert first.status_code == 401
    assert flashes(first) == [GUARDED]
    assert "code" in input_names(first)
    # Outsiders' wrong passwords with made-up codes neither use up nor replace the code.
    for guess in range(10):
        response = sign_in(app.test_client(), OWNER, "a wrong guess", f"{guess:08d}")
        assert flashes(response) == [CODE_MISMATCH]
    result = app.test_cli_runner().invoke(args=["outbox", "send"])
    assert result.exit_code == 0, result.output
    [message] = mail_url.to(OWNER)
    assert message["Subject"] == "Personel giriş kodunuz"
    code = code_in(text_of(message))
    home = {"REMOTE_ADDR": "127.0.0.1"}  # the session is bound to the browser's address
    signed_in = sign_in(owner, OWNER, PASSWORD, code, environ_base=home)
    assert signed_in.status_code == 303
    assert isolated(owner.get, "/staff/").status_code == 200
    # The right code ended the guard: the password alone signs in again.
    assert sign_in(app.test_client(), OWNER).status_code == 303


def test_a_guarded_account_answers_alike_whatever_the_password(app, fresh_rate_limits):
    """Right and wrong passwords, known and unknown accounts: one answer, so a guess that
    happens to be right is not told apart. Only the right password gets a code."""
    create_account(app, "admin", OWNER)
    fail(app, OWNER, 5)
    fail(app, "nobody@example.org", 5)
    right = sign_in(app.test_client(), OWNER)
    wrong = sign_in(app.test_client(), OWNER, "another guess")
    unknown = sign_in(app.test_client(), "nobody@example.org")
    assert right.status_code == wrong.status_code == unknown.status_code == 401
    assert flashes(right) == flashes(wrong) == flashes(unknown) == [GUARDED]
    assert input_names(right) == input_names(wrong) == input_names(unknown)
    assert len(code_messages(app, OWNER)) == 1
    assert code_messages(app, "nobody@example.org") == []


def test_a_code_works_once(app, fresh_rate_limits):
    create_account(app, "viewer", OWNER)
    fail(app, OWNER, 5)
    sign_in(app.test_client(), OWNER)
    code = latest_code(app, OWNER)
    assert sign_in(app.test_client(), OWNER, PASSWORD, code).status_code == 303
    fail(app, OWNER, 5)
    again = sign_in(app.test_client(), OWNER, PASSWORD, code)
    assert again.status_code == 401
    assert flashes(again) == [CODE_MISMATCH]


def test_a_code_expires_after_fifteen_minutes(app, fresh_rate_limits, monkeypatch):
    create_account(app, "viewer", OWNER)
    fail(app, OWNER, 5)
    sign_in(app.test_client(), OWNER)
    code = latest_code(app, OWNER)
    later(monkeypatch, 16)
    assert flashes(sign_in(app.test_client(), OWNER, PASSWORD, code)) == [CODE_MISMATCH]


def test_five_wrong_codes_use_a_code_up(app, fresh_rate_limits):
    """Guesses at a code need the password; even then a code takes five tries at most."""
    create_account(app, "viewer", OWNER)
    fail(app, OWNER, 5)
    sign_in(app.test_client(), OWNER)
    code = latest_code(app, OWNER)
    wrong = f"{(int(code) + 1) % 10**8:08d}"
    for _ in range(5):
        assert sign_in(app.test_client(), OWNER, PASSWORD, wrong).status_code == 401
    refused = sign_in(app.test_client(), OWNER, PASSWORD, code)
    assert refused.status_code == 401
    assert flashes(refused) == [CODE_MISMATCH]


def test_one_code_email_per_five_minutes(app, fresh_rate_limits, monkeypatch):
    create_account(app, "viewer", OWNER)
    fail(app, OWNER, 5)
    for _ in range(4):
        sign_in(app.test_client(), OWNER)
    [first] = code_messages(app, OWNER)
    later(monkeypatch, 6)
    sign_in(app.test_client(), OWNER)
    assert len(code_messages(app, OWNER)) == 2
    # The new code replaced the first one.
    old = code_in(first.body_text)
    assert flashes(sign_in(app.test_client(), OWNER, PASSWORD, old)) == [CODE_MISMATCH]
    assert sign_in(app.test_client(), OWNER, PASSWORD, latest_code(app, OWNER)).status_code == 303


def test_codes_are_kept_hashed(app, app_ctx, fresh_rate_limits):
    from campaigns.extensions import db
    from campaigns.models import StaffUser

    create_account(app, "viewer", OWNER)
    fail(app, OWNER, 5)
    sign_in(app.test_client(), OWNER)
    code = latest_code(app, OWNER)
    db.session.expire_all()
    stored = db.session.scalars(db.select(StaffUser.email_code_hash)).one()
    assert len(stored) == 64
    assert code not in stored


def test_the_per_address_limit_stays(app, client, fresh_rate_limits):
    """One address guessing at many accounts is still refused outright."""
    address = {"REMOTE_ADDR": "198.51.100.7"}
    statuses = [
        sign_in(client, f"guess{n}@example.org", "guess", environ_base=address).status_code
        for n in range(11)
    ]
    assert statuses == [401] * 10 + [429]


# --- /staff/password ------------------------------------------------------------------------


def change_form(current: str, code: str | None = None) -> dict:
    new = "a much longer new passphrase"
    return {"current": current, "new": new, "confirm": new} | ({"code": code} if code else {})


def test_current_password_guesses_are_limited_too(app, client, staff_login):
    """Wrong current passwords count like failed sign-ins: past the limit the password page,
    and the sign-in page, also need the e-mailed code."""
    staff = staff_login(client, "viewer")
    for _ in range(5):
        wrong = staff.post("/staff/password", change_form("not it"))
        assert field_errors(wrong) == ["Your current password is not right."]
    guarded = staff.post("/staff/password", change_form(PASSWORD))
    assert guarded.status_code == 400
    assert flashes(guarded) == [GUARDED]
    assert "code" in input_names(guarded)
    assert flashes(sign_in(app.test_client(), staff.email)) == [GUARDED]
    code = latest_code(app, staff.email)
    changed = staff.post("/staff/password", change_form(PASSWORD, code))
    assert changed.status_code == 303
    assert (
        sign_in(app.test_client(), staff.email, "a much longer new passphrase").status_code == 303
    )
