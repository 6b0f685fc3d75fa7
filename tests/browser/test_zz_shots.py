import re
import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from campaigns.extensions import db
from campaigns.models import Campaign
from campaigns.services.books.receipts import live_receipt
from tests.receipting import paid_donation, pdf_of
from tests.staff_fixtures import PASSWORD
from tests.staff_forms import OFFLINE_GIFT

OUT = Path("/work/wt/shots/rtl")


def test_shots(app, demo_site, page, client, staff_login):
    admin = staff_login(client, "admin", email="shots@example.org")
    qurban = db.session.scalars(select(Campaign).where(Campaign.slug == "qurban")).one()
    wells = db.session.scalars(select(Campaign).where(Campaign.slug == "water-wells-africa")).one()
    admin.post(f"/staff/campaigns/{wells.id}/gifts/new", OFFLINE_GIFT | {"amount": "3,000"})
    form = admin.get(f"/staff/campaigns/{qurban.id}")
    from tests.markup import parse
    doc = parse(form.data)
    data = {}
    for e in doc.find_all("input"):
        n = e.attrs.get("name")
        if n and e.attrs.get("type") not in ("checkbox", "radio", "file", "submit"):
            data[n] = e.attrs.get("value") or ""
        elif n and e.attrs.get("type") in ("checkbox", "radio") and "checked" in e.attrs:
            data.setdefault(n, []).append(e.attrs.get("value")) if e.attrs.get("type") == "checkbox" else data.__setitem__(n, e.attrs.get("value"))
    for e in doc.find_all("textarea"):
        data[e.attrs["name"]] = e.text
    for e in doc.find_all("select"):
        opt = [o for o in e.find_all("option") if "selected" in o.attrs]
        data[e.attrs["name"]] = opt[0].attrs["value"] if opt else ""
    data["goal"] = "1,500,000"
    data["action"] = "save"
    data.pop("csrf_token", None)
    r = admin.post(f"/staff/campaigns/{qurban.id}", data)
    print("edit", r.status_code)
    for lang in ("en", "tr", "ar"):
        d = paid_donation(wells, amount=42_900_00, locale=lang, donor_name="Leyla Kaya",
                          on_behalf=["محمد علي"], dedication="In memory of my father.")
        pdf = pdf_of(live_receipt(db.session, d))
        (OUT / f"receipt-{lang}.pdf").write_bytes(pdf)
        subprocess.run(["pdftoppm", "-png", "-r", "70", "-singlefile", str(OUT / f"receipt-{lang}.pdf"), str(OUT / f"receipt-{lang}")], check=True)
    page.goto("/staff/login?lang=en")
    page.locator("#email").fill("shots@example.org")
    page.locator("#password").fill(PASSWORD)
    page.locator("form.staff-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/staff/$"))
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        for lang in ("en", "tr", "ar"):
            for name, path in (("campaign", "/campaigns/water-wells-africa"), ("campaign-qurban", "/campaigns/qurban"), ("dashboard", "/staff/"), ("audit", "/staff/audit"), ("report", "/reports")):
                page.goto(f"{path}?lang={lang}")
                page.screenshot(path=OUT / f"{name}-{lang}-{width}.png", full_page=True)
