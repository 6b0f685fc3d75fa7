"""Extensions, created unbound; create_app binds them."""

from flask_babel import Babel
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def client_address() -> str:
    """The donor's address for rate limits; set by ProxyFix when TRUSTED_PROXIES is set."""
    from flask import request

    return request.remote_addr or "unknown"


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()
login = LoginManager()
babel = Babel()
limiter = Limiter(key_func=client_address)


@limiter.request_filter
def reads_are_not_limited() -> bool:
    """Only writes are limited (giving, signing in, asking for a donor link): a page read
    then skips the limiter's bookkeeping altogether."""
    from flask import request

    return request.method in ("GET", "HEAD", "OPTIONS")
