"""Donor self-service: a sign-in link by e-mail, then gifts, receipts, monthly gifts,
annual statements and the reports of the campaigns the donor funded."""

from flask import Blueprint

from campaigns.lru import LruCache

bp = Blueprint("donor", __name__, url_prefix="/donor")
# Rendered statements (about 0.2 s of CPU each), by donor, range, language and version.
STATEMENTS_KEPT = 64


@bp.record_once
def _create_statement_cache(state) -> None:
    state.app.extensions["statement_cache"] = LruCache(STATEMENTS_KEPT)


from campaigns.donor import news, views  # noqa: E402,F401
