"""The donation form as a donor's browser uses it: open the campaign page, read the CSRF
token from its form, post the gift. Each request runs in its own app context (its own
database session), as in production."""

from __future__ import annotations

from tests.markup import Element, parse
from tests.payments_fixtures import isolated

DONOR = {
    "name": "Ayşe Yılmaz",
    "email": "ayse@example.org",
    "frequency": "once",
    "designation": "general",
    "quantity": "1",
}


def form_token(form: Element) -> str:
    """The CSRF token a page's form carries."""
    inputs = form.find_all("input")
    return next(i.attrs["value"] for i in inputs if i.attrs.get("name") == "csrf_token")


def csrf_token(client, slug: str) -> str:
    """The token in the campaign page's donation form (the campaign must take gifts)."""
    response = isolated(client.get, f"/campaigns/{slug}")
    assert response.status_code == 200
    return form_token(parse(response.data).find("form", "give-form"))


def post_gift(client, slug: str, token: str, fields: dict, **kwargs):
    """POST the donation form with the donor's details, overridden by ``fields`` (a value
    of None leaves that field out)."""
    data = {"csrf_token": token} | DONOR | fields
    data = {name: value for name, value in data.items() if value is not None}
    return isolated(client.post, f"/campaigns/{slug}/donate", data=data, **kwargs)


def donate(client, slug: str, **fields):
    """Open the campaign page and give: ``donate(client, "qurban", option="3", ...)``."""
    return post_gift(client, slug, csrf_token(client, slug), fields)


def press(client, checkout_path: str, button: str):
    """Open the demo checkout and press one of its buttons (pay, decline, cancel)."""
    page = parse(isolated(client.get, checkout_path).data)
    assert "TEST" in page.find("p", "test-banner").text
    form = next(f for f in page.find_all("form") if f.attrs["action"].endswith(f"/{button}"))
    return isolated(client.post, form.attrs["action"], data={"csrf_token": form_token(form)})
