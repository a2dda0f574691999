"""Whether this process may take traffic: its database answers at the migrations' head, and its
Redis answers when one is configured.

A load balancer asks every few seconds, so each check is a round trip or two (on PostgreSQL the
first bounds the second's wait) and the head of the migration scripts is read from disk once per
process. Why a check failed goes to the log, never to
the caller: the probe is unauthenticated.
"""

from __future__ import annotations

import logging
from functools import lru_cache

import redis
from alembic.config import Config as AlembicConfig
from alembic.script import ScriptDirectory
from flask import current_app
from sqlalchemy import exc as sa_exc
from sqlalchemy import text

from eplan_flow.extensions import db
from eplan_flow.services.platform import queues

log = logging.getLogger(__name__)


def is_ready() -> bool:
    """Say whether the database is at the migrations' head and Redis (when configured) answers."""
    return _database_at_head() and _redis_answers()


@lru_cache(maxsize=4)
def script_heads(directory: str) -> frozenset[str]:
    """The head revisions of the migration scripts in ``directory`` (read once: they change only
    with a new release, which starts new processes)."""
    config = AlembicConfig()
    config.set_main_option("script_location", directory)
    return frozenset(ScriptDirectory.from_config(config).get_heads())


# A probe that waits is no answer: a migration holding alembic_version's lock, or a database too
# busy to answer, makes it "unavailable" after this long rather than hanging the balancer's check.
STATEMENT_TIMEOUT_MS = 2000


def _database_at_head() -> bool:
    try:
        if db.session.get_bind().dialect.name == "postgresql":
            db.session.execute(text(f"SET LOCAL statement_timeout = {STATEMENT_TIMEOUT_MS}"))
        current = frozenset(db.session.scalars(text("SELECT version_num FROM alembic_version")))
    except sa_exc.SQLAlchemyError as exc:
        # Unreachable, or never migrated (no alembic_version table).
        log.warning("not ready: the database did not answer (%s)", type(exc).__name__)
        return False
    finally:
        # The connection goes back to the pool before Redis is asked.
        db.session.rollback()
    heads = script_heads(current_app.extensions["migrate"].directory)
    if current != heads:
        log.warning(
            "not ready: the database is at %s, the migrations at %s (run flask db upgrade)",
            ", ".join(sorted(current)) or "no revision",
            ", ".join(sorted(heads)),
        )
        return False
    return True


def _redis_answers() -> bool:
    if not current_app.config.get("REDIS_URL"):
        return True  # the embedded default: jobs run in this process
    try:
        queues.redis_connection().ping()
    except redis.exceptions.RedisError as exc:
        log.warning("not ready: Redis did not answer (%s)", type(exc).__name__)
        return False
    return True
