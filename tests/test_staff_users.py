"""Staff users (admins only) and the audit log."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from campaigns.extensions import db
from campaigns.models import AuditEntry, StaffUser
from campaigns.models.staff import Role
from campaigns.services.audit import record_change
from tests.markup import parse
from tests.staff_fixtures import PASSWORD, create_account, sign_in


def flashes(response) -> list[str]:
    return [li.text for li in parse(response.data).find_all("li", "flash")]


def account(email: str) -> StaffUser:
    db.session.expire_all()
    return db.session.scalars(select(StaffUser).where(StaffUser.email == email)).one()


def audit_trail() -> list[tuple[str, str | None, dict | None, dict | None]]:
    """(action, entity id, before, after) of every entry, oldest first."""
    db.session.expire_all()
    entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))
    return [(e.action, e.entity_id, e.before, e.after) for e in entries]


@pytest.fixture
def admin(app, client, staff_login, app_ctx):
    return staff_login(client, "admin", email="boss@example.org")


NEW_USER = {
    "email": "New.Editor@example.org",
    "name": "Nour",
    "role": "editor",
    "password": "a long enough first password",
}


def test_an_admin_adds_a_staff_member_who_can_then_sign_in(app, admin):
    response = admin.post("/staff/users", NEW_USER)
    assert response.status_code == 303
    listing = admin.get("/staff/users")
    assert flashes(listing) == ["Added new.editor@example.org."]
    rows = [tr.find_all("td")[0].text for tr in parse(listing.data).find("tbody").find_all("tr")]
    assert rows == ["boss@example.org (you)", "new.editor@example.org"]
    user = account("new.editor@example.org")
    assert (user.name, user.role, user.active) == ("Nour", Role.EDITOR, True)
    assert audit_trail()[-1] == (
        "staff_user.create",
        str(user.id),
        None,
        {"email": "new.editor@example.org", "name": "Nour", "role": "editor", "active": True},
    )
    assert sign_in(app.test_client(), user.email, NEW_USER["password"]).status_code == 303


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"email": "boss@example.org"}, "A staff account with that e-mail already exists."),
        ({"email": "not an address"}, "Please enter a valid e-mail address."),
        ({"password": "short"}, "Passwords need at least 12 characters."),
        ({"role": "owner"}, "Not a valid choice."),
    ],
)
def test_a_staff_member_that_cannot_be_added(admin, change, error):
    response = admin.post("/staff/users", NEW_USER | change)
    assert response.status_code == 400
    errors = [p.text for p in parse(response.data).find_all("p", "field-error")]
    assert errors == [error]
    assert db.session.scalar(select(db.func.count(StaffUser.id))) == 1


def test_an_admin_changes_a_role_and_it_is_audited(app, admin):
    editor_id = create_account(app, "editor", "ed@example.org")
    response = admin.post(f"/staff/users/{editor_id}/role", {"role": "viewer"})
    assert response.status_code == 303
    assert account("ed@example.org").role == Role.VIEWER
    assert audit_trail()[-1] == (
        "staff_user.role",
        str(editor_id),
        {"role": "editor"},
        {"role": "viewer"},
    )


def test_a_role_that_is_none_of_the_roles_changes_nothing_and_says_why(app, admin):
    editor_id = create_account(app, "editor", "ed@example.org")
    response = admin.post(f"/staff/users/{editor_id}/role", {"role": "owner"})
    assert response.status_code == 303
    assert flashes(admin.get("/staff/users")) == ["Not a valid choice."]
    assert account("ed@example.org").role == Role.EDITOR
    assert [action for action, *_ in audit_trail()] == ["staff.sign_in"]


def test_a_role_change_takes_effect_on_the_next_request(app, admin, staff_login):
    editor = staff_login(app.test_client(), "editor")
    assert editor.post("/staff/reports/new", {}).status_code != 403
    admin.post(f"/staff/users/{editor.user_id}/role", {"role": "viewer"})
    assert editor.post("/staff/reports/new", {}).status_code == 403


def test_deactivating_ends_sessions_and_blocks_sign_in(app, admin, staff_login):
    viewer = staff_login(app.test_client(), "viewer")
    assert viewer.get("/staff/").status_code == 200
    response = admin.post(f"/staff/users/{viewer.user_id}/deactivate")
    assert response.status_code == 303
    assert viewer.get("/staff/").status_code == 302
    assert sign_in(app.test_client(), viewer.email).status_code == 401
    listing = admin.get("/staff/users")
    assert flashes(listing) == [f"{viewer.email} is deactivated and signed out everywhere."]
    admin.post(f"/staff/users/{viewer.user_id}/reactivate")
    assert sign_in(app.test_client(), viewer.email).status_code == 303
    actions = [
        (action, before, after)
        for action, _, before, after in audit_trail()
        if action.startswith("staff_user.")
    ]
    assert actions == [
        ("staff_user.deactivate", {"active": True}, {"active": False}),
        ("staff_user.activate", {"active": False}, {"active": True}),
    ]


def test_the_last_active_admin_can_neither_leave_nor_step_down(admin):
    me = admin.user_id
    response = admin.post(f"/staff/users/{me}/deactivate")
    assert flashes(admin.get("/staff/users")) == ["The last active admin cannot be deactivated."]
    response = admin.post(f"/staff/users/{me}/role", {"role": "editor"})
    assert response.status_code == 303
    assert flashes(admin.get("/staff/users")) == [
        "The last active admin cannot be given another role."
    ]
    user = account("boss@example.org")
    assert (user.role, user.active) == (Role.ADMIN, True)
    assert [action for action, *_ in audit_trail()] == ["staff.sign_in"]


def test_with_two_admins_one_may_step_down_but_not_the_second(app, admin, staff_login):
    other = staff_login(app.test_client(), "admin")
    assert admin.post(f"/staff/users/{admin.user_id}/role", {"role": "editor"}).status_code == 303
    assert account("boss@example.org").role == Role.EDITOR
    # The demoted admin has lost the users page at once.
    assert admin.get("/staff/users").status_code == 403
    other.post(f"/staff/users/{other.user_id}/deactivate")
    assert account(other.email).active is True


def test_a_deactivated_admin_does_not_count_as_the_remaining_admin(app, admin):
    other_id = create_account(app, "admin", "second@example.org")
    admin.post(f"/staff/users/{other_id}/deactivate")
    assert account("second@example.org").active is False
    admin.post(f"/staff/users/{admin.user_id}/deactivate")
    assert account("boss@example.org").active is True


def test_an_unknown_user_is_404(admin):
    assert admin.post("/staff/users/999999/deactivate").status_code == 404


# --- the audit log -----------------------------------------------------------------------


def test_the_audit_log_shows_who_did_what_newest_first(app, admin):
    editor_id = create_account(app, "editor", "ed@example.org")
    admin.post(f"/staff/users/{editor_id}/role", {"role": "viewer"})
    page = parse(admin.get("/staff/audit").data)
    rows = page.find("tbody").find_all("tr")
    assert [row.find("td", "audit-what").text for row in rows] == [
        f"staff_user.role staff_user #{editor_id}",
        f"staff.sign_in staff_user #{admin.user_id}",
    ]
    assert rows[0].find("td", "audit-who").text == "boss@example.org 127.0.0.1"
    assert rows[0].find("dl", "audit-changes").text == "Role Editor → Viewer"


def test_the_audit_log_names_the_command_line_and_is_paginated(app, admin):
    for n in range(55):
        record_change(db.session, actor=None, action="test.entry", entity_type="x", entity_id=n)
    db.session.commit()
    first = parse(admin.get("/staff/audit").data)
    rows = first.find("tbody").find_all("tr")
    assert len(rows) == 50
    assert rows[0].find("td", "audit-what").text == "test.entry x #54"
    assert rows[0].find("td", "audit-who").text == "command line"
    second = parse(admin.get("/staff/audit?page=2").data)
    assert len(second.find("tbody").find_all("tr")) == 6
    assert admin.get("/staff/audit?page=3").status_code == 404


def test_audit_entries_stay_when_their_author_is_deactivated(app, admin, staff_login):
    other = staff_login(app.test_client(), "admin")
    admin.post(f"/staff/users/{other.user_id}/deactivate")
    page = parse(admin.get("/staff/audit").data)
    who = [row.find("td", "audit-who").text for row in page.find("tbody").find_all("tr")]
    assert who == [
        "boss@example.org 127.0.0.1",  # the deactivation
        f"{other.email} 127.0.0.1",  # their sign-in, still there
        "boss@example.org 127.0.0.1",
    ]
    assert PASSWORD not in page.text
