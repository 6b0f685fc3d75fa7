"""What other sites may show of a campaign: a progress badge (SVG) and a small page to
frame. Both are cached briefly by browsers and proxies; the embed page is the only page
of the site that may be framed (see ``campaigns.FRAMABLE_ENDPOINTS``)."""

from __future__ import annotations

from flask import make_response, render_template

from campaigns.languages import localized
from campaigns.public import bp
from campaigns.public.views import get_campaign_or_404

# Totals move with every gift; five minutes keeps a busy page from asking each time.
EMBED_MAX_AGE = 300
# Longer titles are cut in the badge (the page itself names the campaign in full).
BADGE_TITLE = 42


def _cached(body: str, content_type: str):
    response = make_response(body)
    response.headers["Content-Type"] = content_type
    response.cache_control.public = True
    response.cache_control.max_age = EMBED_MAX_AGE
    response.vary.add("Cookie")  # the language cookie chooses the text
    return response


@bp.get("/campaigns/<slug>/progress.svg")
def progress_svg(slug: str):
    """A 320x72 badge: the campaign's title (in the reader's language), amount raised of
    its goal and a bar."""
    campaign = get_campaign_or_404(slug)
    full = localized(campaign, "title")
    title = full if len(full) <= BADGE_TITLE else full[: BADGE_TITLE - 1].rstrip() + "…"
    svg = render_template("public/progress.svg", campaign=campaign, title=title, full_title=full)
    return _cached(svg, "image/svg+xml; charset=utf-8")


@bp.get("/embed/campaigns/<slug>")
def embed(slug: str):
    """The campaign's title, progress and a Give button that opens its page in a new tab."""
    return _cached(
        render_template("public/embed.html", campaign=get_campaign_or_404(slug)),
        "text/html; charset=utf-8",
    )
