"""Flask extensions, created unbound; each app binds them in ``create_app``."""

from typing import TYPE_CHECKING, ClassVar

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData, Table
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    if TYPE_CHECKING:
        # Every model names its __tablename__, so each is mapped to a Table (SQLAlchemy's type says
        # any FromClause, which has no insert() or update()).
        __table__: ClassVar[Table]


db = SQLAlchemy(model_class=Base)

if TYPE_CHECKING:
    # Flask-SQLAlchemy builds db.Model at run time, so a type checker cannot take it as a base class;
    # it sees the declarative base that db.Model is built from (same metadata, same Mapped typing).
    Model = Base
else:
    Model = db.Model
migrate = Migrate()
login_manager = LoginManager()
babel = Babel()
csrf = CSRFProtect()
# Rate limits live in Redis (RATELIMIT_STORAGE_URI, from EPLAN_REDIS_URL); no limit by default,
# the sign-in and registration views set their own. Counted per request.remote_addr: behind
# EPLAN_TRUSTED_PROXIES proxies, the client's address they forwarded (eplan_flow.addresses).
limiter = Limiter(key_func=get_remote_address)
