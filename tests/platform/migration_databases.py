"""Empty databases, SQLite and PostgreSQL, for the tests that run one migration on existing data.

Each such test migrates down and up, so its PostgreSQL database is one of its own beside the test
database (named after the migration), emptied before use.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from eplan_flow.dbutil import create_database_if_missing
from tests.conftest import DATABASE_URL


def empty_postgresql_url(suffix: str) -> str:
    url = make_url(DATABASE_URL)
    url = url.set(database=f"{url.database}_{suffix}")
    text = url.render_as_string(hide_password=False)
    create_database_if_missing(text)
    engine = sa.create_engine(text)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()
    return text


def empty_database_url(kind: str, tmp_path, suffix: str) -> str:
    """An empty database of ``kind`` ("sqlite" or "postgresql") for the migration named by ``suffix``."""
    if kind == "sqlite":
        return f"sqlite:///{tmp_path}/{suffix}.db"
    return empty_postgresql_url(suffix)
