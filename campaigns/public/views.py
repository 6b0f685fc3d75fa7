"""Thin public views: read, render."""

from __future__ import annotations

import re

from flask import abort, current_app, render_template, request, send_from_directory
from flask_babel import get_locale
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from sqlalchemy import text

from campaigns.extensions import db
from campaigns.filters import local_today
from campaigns.models import ActivityReport, Campaign
from campaigns.models.base import utcnow
from campaigns.public import bp
from campaigns.public.page_cache import time_step
from campaigns.services.content import catalog
from campaigns.text import parse_int

LATEST_REPORTS = 3
# Uploaded photos get random names (see UPLOAD_FOLDER); nothing else is ever served.
UPLOAD_NAME = re.compile(r"[A-Za-z0-9_-]{1,128}\.(?:jpe?g|png|webp|gif|avif)")
# Six digits is far beyond any real page and keeps OFFSET small.
LAST_PAGE = 999_999
ONE_YEAR = 365 * 24 * 3600


def get_campaign_or_404(slug: str) -> Campaign:
    campaign = catalog.public_campaign(db.session, slug)
    if campaign is None:
        abort(404)
    return campaign


def get_report_or_404(slug: str) -> ActivityReport:
    report = catalog.published_report(db.session, slug)
    if report is None:
        abort(404)
    return report


def page_number() -> int:
    """``?page=N`` (default 1); anything but a plain positive number is a 404."""
    page = parse_int(request.args.get("page", "1"), minimum=1, maximum=LAST_PAGE)
    if page is None:
        abort(404)
    return page


@bp.get("/")
def index():
    return render_template(
        "public/index.html",
        campaigns=catalog.public_campaigns(db.session),
        reports=catalog.latest_reports(db.session, LATEST_REPORTS),
    )


@bp.get("/campaigns/<slug>")
def campaign(slug: str):
    seconds = current_app.config["PAGE_CACHE_SECONDS"]
    # The language links keep the page's query, so only the plain page is shared.
    if not seconds or request.args.keys() - {"lang"}:
        return render_campaign(slug)
    cache = current_app.extensions["page_cache"]
    version = cache.version(
        slug,
        lambda: catalog.campaign_version(db.session, slug),
        current_app.config["PAGE_VERSION_SECONDS"],
    )
    if version is None:
        abort(404)
    family = (slug, str(get_locale()), local_today())
    key = (*family, version, time_step(version[1], utcnow()))
    return cache.page(key, family, generate_csrf(), lambda: render_campaign(slug), seconds)


def render_campaign(slug: str) -> str:
    """The page; ``?option=ID`` (a "Ways to give" link) opens the form on that option."""
    page = catalog.campaign_page(db.session, get_campaign_or_404(slug))
    return render_template(
        "public/campaign.html", **page._asdict(), chosen=request.args.get("option")
    )


@bp.app_template_global()
def reports_section(campaign: Campaign) -> Markup:
    """The campaign page's latest reports, drawn once per worker for each state of them
    (see PageCache.part), not with each gift: with the reports' query they were about a
    quarter of drawing the page."""

    def draw() -> str:
        limit = current_app.config["REPORTS_PER_PAGE"]
        reports = catalog.campaign_reports(db.session, campaign, limit)
        return render_template("public/_campaign_reports.html", reports=reports)

    if current_app.config["PAGE_CACHE_SECONDS"]:
        key = ("reports", campaign.id, campaign.updated_at, str(get_locale()), local_today())
        html = current_app.extensions["page_cache"].part(key, draw)
    else:
        html = draw()
    return Markup(html)  # noqa: S704 - a template's output, escaped as it was drawn


@bp.get("/reports")
def reports():
    page = catalog.report_page(db.session, page_number(), current_app.config["REPORTS_PER_PAGE"])
    if page is None:
        abort(404)
    return render_template("public/reports.html", page=page)


@bp.get("/reports/<slug>")
def report(slug: str):
    return render_template("public/report.html", report=get_report_or_404(slug))


@bp.get("/uploads/<name>")
def upload(name: str):
    """A cover or report photo; names are random and never reused, so cache for long."""
    if not UPLOAD_NAME.fullmatch(name):
        abort(404)
    return send_from_directory(current_app.config["UPLOAD_FOLDER"], name, max_age=ONE_YEAR)


@bp.get("/healthz")
def healthz():
    """200 when the database answers, 503 otherwise (for the load balancer)."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # any database failure means "not healthy"
        db.session.rollback()
        return {"status": "unavailable"}, 503
    return {"status": "ok"}
