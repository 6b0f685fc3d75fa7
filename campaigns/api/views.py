"""Read-only JSON views of public campaigns and their totals (amounts in minor units).

Text fields (the title) come in the language ``?lang=`` names, else the best of the
request's Accept-Language, else the charity's own (CONTENT_LANGUAGE); each campaign says
which language its title is in (``lang``: a missing translation falls back), and the
response names the language asked for in ``lang`` and its Content-Language header.
"""

from __future__ import annotations

from flask import abort, current_app, request

from campaigns.api import bp
from campaigns.extensions import db
from campaigns.languages import requested_language
from campaigns.models import Campaign
from campaigns.services.content import catalog


def answer_language() -> str:
    """The language this request asks for (no cookie: an API client is not a reader)."""
    return (
        requested_language()
        or request.accept_languages.best_match(current_app.config["LANGUAGES"])
        or current_app.config["CONTENT_LANGUAGE"]
    )


def campaign_json(campaign: Campaign, lang: str) -> dict:
    """The public contract's fields (DESIGN.md), nothing more: totals are already loaded."""
    totals = campaign.totals
    title = campaign.localized("title", lang, current_app.config["CONTENT_LANGUAGE"])
    return {
        "slug": campaign.slug,
        "title": title,
        "lang": title.lang,
        "currency": campaign.currency,
        "goal": campaign.goal_amount,
        "raised": totals.raised,
        "units_goal": campaign.units_goal,
        "units_funded": totals.units_funded,
        "donations": totals.donations,
        "donors": totals.donors,
        "percent": totals.percent(campaign.goal_amount),
    }


def in_language(body: dict, lang: str):
    return body, {"Content-Language": lang, "Vary": "Accept-Language"}


@bp.get("/campaigns")
def campaigns():
    lang = answer_language()
    listed = [campaign_json(c, lang) for c in catalog.public_campaigns(db.session)]
    return in_language({"lang": lang, "campaigns": listed}, lang)


@bp.get("/campaigns/<slug>")
def campaign(slug: str):
    campaign = catalog.public_campaign(db.session, slug)
    if campaign is None:
        abort(404)
    lang = answer_language()
    return in_language(campaign_json(campaign, lang), lang)
