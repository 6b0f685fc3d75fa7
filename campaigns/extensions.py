"""Extensions, created unbound; create_app binds them."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, current_app, request
from flask.sessions import SecureCookieSessionInterface
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_qualified_name
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
# Requests that only read: rate-limited only where a view says so (WriteLimiter.limit_reads).
READS = frozenset(("GET", "HEAD", "OPTIONS"))


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def client_address() -> str:
    """The donor's address for rate limits; set by ProxyFix when TRUSTED_PROXIES is set."""
    return request.remote_addr or "unknown"


class WriteLimiter(Limiter):
    """Flask-Limiter for writes only (giving, signing in, asking for a donor link).

    A page read is exempt from every limit through Flask-Limiter's public
    ``request_filter`` (``_spares``), checked before any limit is resolved; only the few
    views decorated with ``limit_reads`` (reads that cost: a receipt check, a statement)
    count their reads too. A view decorated with ``spare`` is never limited, its writes
    included: the payment provider's webhook, which checks its own signature and must
    never turn a payment's news away.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._limited_reads: set[str] = set()
        self._spared: set[str] = set()
        self.request_filter(self._spares)

    def _check_request_limit(self, callable_name: str | None = None, in_middleware: bool = True):
        """Flask-Limiter's check of one request, skipped whole for a spared read: with the
        filter alone it would still resolve and evaluate an empty set of limits on every
        page view (about a tenth of a cached campaign page's time)."""
        if self.enabled and self._spares():
            return None
        return super()._check_request_limit(callable_name, in_middleware)

    def _spares(self) -> bool:
        """True (exempt) for a read of any view but those that ``limit_reads``, and for
        any request to a view that is ``spare``."""
        view = current_app.view_functions.get(request.endpoint or "")
        if view is None:
            return request.method in READS
        name = get_qualified_name(view)
        if request.method not in READS:
            return name in self._spared
        return name not in self._limited_reads

    def spare(self, view: Callable) -> Callable:
        """Never limit ``view`` (no limit is resolved for it, so it costs nothing)."""
        self._spared.add(get_qualified_name(view))
        return view

    def limit_reads(self, limit_value: str, **kwargs) -> Callable:
        """``limit``, counting every request to the view, reads included."""

        def decorate(view: Callable) -> Callable:
            self._limited_reads.add(get_qualified_name(view))
            return self.limit(limit_value, **kwargs)(view)

        return decorate


class SignedCookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, the signing serializer built once per secret key
    instead of twice per request: every cookie-less visitor of a page with a form gets a
    fresh session for its CSRF token. A changed key or fallback builds a new one."""

    def __init__(self) -> None:
        self._signing: tuple[tuple, URLSafeTimedSerializer | None] = ((), None)

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        keys = (app.secret_key, *(app.config["SECRET_KEY_FALLBACKS"] or ()))
        known, serializer = self._signing
        if known != keys:
            serializer = super().get_signing_serializer(app)
            self._signing = (keys, serializer)
        return serializer


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()
login = LoginManager()
babel = Babel()
limiter = WriteLimiter(key_func=client_address)
