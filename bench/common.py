"""What the page benchmarks share: an app on the bench database and a freshly migrated schema."""

from __future__ import annotations

import sqlalchemy as sa


def make_bench_app(url: str):
    """An app on ``url`` with jobs off (the page is measured, not Redis) and the dev sign-in on."""
    from eplan_flow import create_app

    return create_app(
        {
            "DATABASE_URL": url,
            "REDIS_URL": None,
            "OUTBOX_RELAY_ON_COMMIT": False,
            "LOAD_DEMO_DATA": False,
            "WTF_CSRF_ENABLED": False,
            # The benches sign their reader in through the development login form.
            "DEV_LOGIN_ENABLED": True,
        }
    )


def reset_schema(app) -> None:
    """Drop everything and migrate from scratch."""
    from flask_migrate import upgrade

    from eplan_flow.extensions import db

    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
        upgrade()
        db.engine.dispose()
