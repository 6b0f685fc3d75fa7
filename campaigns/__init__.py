"""The donation campaign tracker: create_app builds a configured Flask application."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from flask import Flask, current_app, render_template, request
from werkzeug.middleware.proxy_fix import ProxyFix

from campaigns import languages, text
from campaigns.db_pool import drop_closed_connections
from campaigns.extensions import SignedCookieSessions, babel, csrf, db, limiter, login, migrate
from campaigns.payments import provider_from_config
from campaigns.settings import Settings

ROOT = Path(__file__).resolve().parent.parent

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self' https://checkout.stripe.com",
        "frame-ancestors 'none'",
    ]
)
# The only pages other sites may frame: the same policy, any ancestor, no X-Frame-Options.
FRAMABLE_ENDPOINTS = frozenset({"public.embed"})
FRAMABLE_POLICY = CONTENT_SECURITY_POLICY.replace("frame-ancestors 'none'", "frame-ancestors *")
# Added to every response that does not set its own (the donor pages send no referrer).
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
FRAMABLE_HEADERS = {
    name: FRAMABLE_POLICY if name == "Content-Security-Policy" else value
    for name, value in SECURITY_HEADERS.items()
    if name != "X-Frame-Options"
}


def create_app(config: object | None = None) -> Flask:
    """Build the app. ``config`` is a config object, a name from config.CONFIGS, or None
    (then ``FLASK_CONFIG`` decides, default development); a dict overrides single keys."""
    from config import CONFIGS

    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(ROOT / "instance"),
    )
    overrides = config if isinstance(config, dict) else {}
    if config is None or isinstance(config, dict):
        config = os.environ.get("FLASK_CONFIG", "development")
    if isinstance(config, str):
        config = CONFIGS[config]()
    app.config.from_object(config)
    app.config.update(overrides)
    config.check(app.config)
    configure_logging(app)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    if app.config["TRUSTED_PROXIES"]:
        n = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)

    text.init_app(app)  # first: its guard runs before any other, its converter before routes
    register_extensions(app)
    app.extensions["payment_provider"] = provider_from_config(app.config)
    register_blueprints(app)
    # After the blueprints: the settings carry the routes, for links in e-mails.
    app.extensions["settings"] = Settings.of(app.config, app.url_map.bind("localhost"))
    register_errorhandlers(app)
    register_commands(app)
    register_template_helpers(app)
    app.after_request(set_security_headers)
    if app.config.get("OUTBOX_BACKGROUND"):
        from campaigns.services.mail.outbox import start_background_sender

        start_background_sender(app)
    return app


def configure_logging(app: Flask) -> None:
    """INFO and above from the app's loggers (``campaigns`` and ``campaigns.*``; DEBUG with
    FLASK_DEBUG) reach the server's error stream: gunicorn's error log in a request, else
    stderr (commands, ``flask run``). Through Flask's one default handler, so calling this
    again (each create_app) adds nothing; records still propagate to any root handler."""
    from flask.logging import default_handler

    log = logging.getLogger(app.import_name)
    log.setLevel(logging.DEBUG if app.debug else logging.INFO)
    log.addHandler(default_handler)  # a no-op when it is already there


def app_settings() -> Settings:
    """The running app's settings, read once by ``create_app``: the edge (views, commands,
    the outbox sender) passes them to the services, which never read the app."""
    return current_app.extensions["settings"]


def register_extensions(app: Flask) -> None:
    app.session_interface = SignedCookieSessions()
    db.init_app(app)
    # Register every table with the metadata (for migrations), the demo checkout's too.
    import campaigns.models
    import campaigns.payments.demo_provider  # noqa: F401

    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    login.init_app(app)
    login.login_view = "staff.login"
    login.session_protection = "strong"
    babel.init_app(app, locale_selector=languages.select_locale)
    languages.init_app(app)
    limiter.init_app(app)
    with app.app_context():
        configure_sqlite(db.engine)
        drop_closed_connections(db.engine)


def configure_sqlite(engine) -> None:
    """WAL and a busy timeout, so the embedded default survives several writers."""
    if engine.dialect.name != "sqlite":
        return
    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()


def register_blueprints(app: Flask) -> None:
    from campaigns.api import bp as api_bp
    from campaigns.demo_checkout import bp as demo_checkout_bp
    from campaigns.donations import bp as donations_bp
    from campaigns.donor import bp as donor_bp
    from campaigns.public import bp as public_bp
    from campaigns.receipts import bp as receipts_bp
    from campaigns.staff import bp as staff_bp
    from campaigns.webhooks import bp as webhooks_bp

    app.register_blueprint(public_bp)
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    app.register_blueprint(donations_bp)
    app.register_blueprint(donor_bp)
    app.register_blueprint(receipts_bp)
    app.register_blueprint(demo_checkout_bp)
    app.register_blueprint(webhooks_bp)
    app.register_blueprint(staff_bp)


def register_errorhandlers(app: Flask) -> None:
    from werkzeug.exceptions import HTTPException

    def render_error(error: HTTPException):
        if request.path.startswith("/api/"):
            return {"error": error.name, "status": error.code}, error.code
        return render_template("errors/error.html", error=error), error.code

    for code in (400, 403, 404, 405, 413, 429, 500, 503):
        app.register_error_handler(code, render_error)


def register_commands(app: Flask) -> None:
    from campaigns.cli import register

    register(app)


def register_template_helpers(app: Flask) -> None:
    from campaigns.filters import register as register_filters
    from campaigns.labels import register as register_labels
    from campaigns.sharing import register as register_sharing

    register_filters(app)
    register_labels(app)
    register_sharing(app)


def set_security_headers(response):
    # One pass over the headers, not a lookup per header: this runs on every request.
    present = set(response.headers.keys(lower=True))
    headers = SECURITY_HEADERS
    if request.endpoint in FRAMABLE_ENDPOINTS:
        headers = FRAMABLE_HEADERS
    for name, value in headers.items():
        if name.lower() not in present:
            response.headers.add(name, value)
    return response
