"""The models and the Alembic migrations describe the same schema, on PostgreSQL and on SQLite."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from eplan_flow.extensions import db as _db
from tests.conftest import make_app


def schema_differences(engine) -> list:
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": True}
        )
        return compare_metadata(context, _db.metadata)


@pytest.mark.real_commits
def test_the_migrated_postgresql_database_matches_the_models(db):
    assert schema_differences(db.engine) == []


@pytest.mark.real_commits
def test_the_migrated_postgresql_database_carries_the_audit_tables_triggers(db):
    with db.engine.connect() as conn:
        triggers = conn.execute(
            sa.text(
                "SELECT tgrelid::regclass::text, tgname FROM pg_trigger"
                " WHERE tgrelid IN ('audit_event'::regclass, 'audit_checkpoint'::regclass) AND NOT tgisinternal"
                " ORDER BY 1, 2"
            )
        ).all()
    assert [tuple(t) for t in triggers] == [
        ("audit_checkpoint", "audit_checkpoint_forward_only"),
        ("audit_checkpoint", "audit_checkpoint_no_truncate"),
        ("audit_event", "audit_event_append_only"),
        ("audit_event", "audit_event_no_truncate"),
    ]


def test_a_fresh_sqlite_database_migrates_to_the_models_and_back_down_and_up_again(tmp_path):
    app = make_app(DATABASE_URL=f"sqlite:///{tmp_path}/x.db")
    with app.app_context():
        try:
            upgrade()
            assert schema_differences(_db.engine) == []
            downgrade(revision="base")
            assert set(sa.inspect(_db.engine).get_table_names()) <= {"alembic_version"}
            upgrade()
            assert schema_differences(_db.engine) == []
            assert set(sa.inspect(_db.engine).get_table_names()) >= {
                t.name for t in _db.metadata.sorted_tables
            }
        finally:
            _db.engine.dispose()
