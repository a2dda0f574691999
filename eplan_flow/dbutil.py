"""Database housekeeping shared by the test suite and the benchmarks."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import make_url


def create_database_if_missing(url: str) -> None:
    """Create the PostgreSQL database ``url`` names, connecting to the ``postgres`` database."""
    parsed = make_url(url)
    admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.execute(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": parsed.database}
            ).scalar()
            if not exists:
                conn.execute(sa.text(f'CREATE DATABASE "{parsed.database}"'))
    finally:
        admin.dispose()
