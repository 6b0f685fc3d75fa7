"""Read-only JSON views of public campaigns and their totals (amounts in minor units)."""

from __future__ import annotations

from flask import abort

from campaigns.api import bp
from campaigns.extensions import db
from campaigns.models import Campaign
from campaigns.services.content import catalog


def campaign_json(campaign: Campaign) -> dict:
    """The public contract's fields (DESIGN.md), nothing more: totals are already loaded."""
    totals = campaign.totals
    return {
        "slug": campaign.slug,
        "title": campaign.title,
        "currency": campaign.currency,
        "goal": campaign.goal_amount,
        "raised": totals.raised,
        "units_goal": campaign.units_goal,
        "units_funded": totals.units_funded,
        "donations": totals.donations,
        "donors": totals.donors,
        "percent": totals.percent(campaign.goal_amount),
    }


@bp.get("/campaigns")
def campaigns():
    return {"campaigns": [campaign_json(c) for c in catalog.public_campaigns(db.session)]}


@bp.get("/campaigns/<slug>")
def campaign(slug: str):
    campaign = catalog.public_campaign(db.session, slug)
    if campaign is None:
        abort(404)
    return campaign_json(campaign)
