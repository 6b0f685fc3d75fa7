"""Public pages: campaigns, their progress and the charity's activity reports."""

from flask import Blueprint

from campaigns.public.page_cache import PageCache

bp = Blueprint("public", __name__)


@bp.record_once
def _create_page_cache(state) -> None:
    state.app.extensions["page_cache"] = PageCache()


from campaigns.public import embedding, trust, views  # noqa: E402,F401
