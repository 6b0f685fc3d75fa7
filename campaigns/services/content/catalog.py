"""Read queries behind the public pages and the JSON API: campaigns and their totals,
donation options and published activity reports.

Every function issues a small, fixed number of queries whatever the number of donations:
totals come from CampaignTotals (one row per campaign), never from summing the ledger.
Drafts and unpublished reports are never returned.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session, contains_eager, selectinload

from campaigns.models import (
    ActivityReport,
    Campaign,
    CampaignTotals,
    DonationOption,
)
from campaigns.models.campaign import CampaignStatus
from campaigns.models.report import report_campaign
from campaigns.services.books.ledger import recent_gifts

# What a slug in a URL may look like; anything else (a NUL byte, a slash, a 10 kB string)
# is not worth a query, and PostgreSQL would refuse a NUL byte with an error.
SLUG = re.compile(r"[\w-]{1,120}")

IS_PUBLIC = Campaign.status != CampaignStatus.DRAFT


def _campaigns_with_totals() -> Select:
    return (
        select(Campaign)
        .join(Campaign.totals)
        .options(contains_eager(Campaign.totals))
        .where(IS_PUBLIC)
    )


def public_campaigns(session: Session) -> list[Campaign]:
    """Active then closed campaigns (never drafts) with their totals, in one query.

    Active ones come first, soonest-ending first (open-ended ones last), then the newest.
    """
    order = (
        case((Campaign.status == CampaignStatus.ACTIVE, 0), else_=1),
        Campaign.ends_on.is_(None),
        Campaign.ends_on,
        Campaign.id.desc(),
    )
    return list(session.scalars(_campaigns_with_totals().order_by(*order)))


def public_campaign(session: Session, slug: str) -> Campaign | None:
    """The active or closed campaign with this slug and its totals (one query), or None."""
    if not SLUG.fullmatch(slug):
        return None
    return session.scalars(_campaigns_with_totals().where(Campaign.slug == slug)).one_or_none()


def offered_options(session: Session, campaign: Campaign) -> list[DonationOption]:
    """The campaign's active donation options in their display order (inactive ones hidden)."""
    return list(
        session.scalars(
            select(DonationOption)
            .where(DonationOption.campaign_id == campaign.id, DonationOption.active)
            .order_by(DonationOption.position, DonationOption.id)
        )
    )


def _published_reports() -> Select:
    """Published reports, newest first, with figures, photos and their public campaigns.

    The loaded ``report.campaigns`` lists only active and closed campaigns: a report may
    name a draft, which must not be linked. Treat these objects as read-only.
    """
    return (
        select(ActivityReport)
        .where(ActivityReport.published)
        .options(
            selectinload(ActivityReport.figures),
            selectinload(ActivityReport.images),
            selectinload(ActivityReport.campaigns.and_(IS_PUBLIC)),
        )
        .order_by(ActivityReport.happened_on.desc(), ActivityReport.id.desc())
    )


def latest_reports(session: Session, limit: int) -> list[ActivityReport]:
    """The ``limit`` most recent published reports."""
    return list(session.scalars(_published_reports().limit(limit)))


def campaign_reports(session: Session, campaign: Campaign, limit: int) -> list[ActivityReport]:
    """The ``limit`` most recent published reports linked to ``campaign``."""
    query = (
        _published_reports()
        .join(report_campaign, report_campaign.c.report_id == ActivityReport.id)
        .where(report_campaign.c.campaign_id == campaign.id)
        .limit(limit)
    )
    return list(session.scalars(query))


class CampaignPage(NamedTuple):
    """What a campaign page shows that gifts change: the campaign, its offered options and
    its recent gifts (its reports are drawn apart: public.views.reports_section).

    ``_asdict()`` gives the page template's context (shallow: the objects themselves).
    """

    campaign: Campaign
    options: list[DonationOption]
    recent: list[dict]  # the last paid gifts (books.ledger.recent_gifts)


def campaign_version(session: Session, slug: str) -> tuple | None:
    """Everything that can change a campaign page, as one cheap query: its totals' last
    update, the stock held by open checkouts, and the campaign's ``updated_at`` (which
    every write to the campaign, its options or its linked reports bumps). None for no
    such public campaign."""
    if not SLUG.fullmatch(slug):
        return None
    held = (
        select(func.coalesce(func.sum(DonationOption.reserved), 0))
        .where(DonationOption.campaign_id == Campaign.id)
        .scalar_subquery()
    )
    row = session.execute(
        select(Campaign.id, CampaignTotals.updated_at, held, Campaign.updated_at)
        .join(CampaignTotals, CampaignTotals.campaign_id == Campaign.id)
        .where(Campaign.slug == slug, IS_PUBLIC)
    ).first()
    return None if row is None else tuple(row)


def campaign_page(session: Session, campaign: Campaign) -> CampaignPage:
    """Everything the campaign page needs, for the page itself and for the donation form
    shown again with its errors."""
    return CampaignPage(
        campaign=campaign,
        options=offered_options(session, campaign),
        recent=recent_gifts(session, campaign),
    )


def reports_of_campaigns(
    session: Session, campaign_ids: list[int], limit: int
) -> list[ActivityReport]:
    """The ``limit`` most recent published reports linked to any of these campaigns, each
    once (a donor's page: what the campaigns they funded did)."""
    linked = select(report_campaign.c.report_id).where(
        report_campaign.c.campaign_id.in_(campaign_ids)
    )
    return list(
        session.scalars(_published_reports().where(ActivityReport.id.in_(linked)).limit(limit))
    )


@dataclass(frozen=True)
class ReportPage:
    """One page of published reports; ``page`` counts from 1."""

    items: list[ActivityReport]
    page: int
    pages: int
    total: int

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def report_page(session: Session, page: int, per_page: int) -> ReportPage | None:
    """Page ``page`` of all published reports, or None when there is no such page.

    Page 1 always exists, empty when nothing is published yet.
    """
    total = (
        session.scalar(
            select(func.count()).select_from(ActivityReport).where(ActivityReport.published)
        )
        or 0
    )
    pages = max(math.ceil(total / per_page), 1)
    # Checked before querying: an absurd page would otherwise overflow the OFFSET.
    if not 1 <= page <= pages:
        return None
    items = session.scalars(_published_reports().limit(per_page).offset((page - 1) * per_page))
    return ReportPage(items=list(items), page=page, pages=pages, total=total)


def published_report(session: Session, slug: str) -> ActivityReport | None:
    """The published report with this slug, or None."""
    if not SLUG.fullmatch(slug):
        return None
    return session.scalars(_published_reports().where(ActivityReport.slug == slug)).one_or_none()
