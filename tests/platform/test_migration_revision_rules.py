"""Migration 0015 on existing data, on SQLite and PostgreSQL: the numbers announced revisions took
under version 1 (calendar year, one counter per bundle label) are copied to ``revision_number``, so
revisions announced afterwards continue each count; down again restores the old unique rule."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from eplan_flow.extensions import db as _db
from tests.conftest import make_app
from tests.platform.migration_databases import empty_database_url

NOW = "2026-11-20 03:00:00"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    return empty_database_url(request.param, tmp_path, "migration_0015")


def _insert(conn, table: str, **values) -> None:
    names = ", ".join(values)
    conn.execute(
        sa.text(f"INSERT INTO {table} ({names}) VALUES ({', '.join(':' + n for n in values)})"), values
    )


def test_0015_copies_the_numbers_version_1_revisions_took(database_url):
    app = make_app(DATABASE_URL=database_url)
    with app.app_context():
        try:
            upgrade(revision="0014_plan_reviews")
            stamp = {"created_at": NOW, "updated_at": NOW}
            workflow = {"workflow_version": 1, "version": 1}
            with _db.engine.begin() as conn:
                _insert(
                    conn,
                    "organisation",
                    id=1,
                    code="6380101",
                    kind="lao",
                    lao_type="sao",
                    name_th="หนองเลิง",
                    is_active=True,
                    **stamp,
                )
                _insert(
                    conn,
                    "plan",
                    id=1,
                    organisation_id=1,
                    title="แผนพัฒนาท้องถิ่น",
                    period_start_be=2566,
                    period_end_be=2570,
                    status="announced",
                    workflow_name="plan",
                    current_version=3,
                    **workflow,
                    **stamp,
                )
                for rid, status, label, sequence in (
                    (1, "announced", "เพิ่มเติม", 1),
                    (2, "announced", "เพิ่มเติมและเปลี่ยนแปลง", 1),
                    (3, "drafting", None, None),
                ):
                    _insert(
                        conn,
                        "revision",
                        id=rid,
                        plan_id=1,
                        organisation_id=1,
                        route="regular",
                        base_version=1,
                        year_be=2569,
                        label=label,
                        sequence=sequence,
                        status=status,
                        workflow_name="revision",
                        **workflow,
                        **stamp,
                    )

            upgrade(revision="0015_revision_rules")
            with _db.engine.connect() as conn:
                numbers = conn.execute(
                    sa.text(
                        "SELECT revision_id, year_basis, year_be, counter, number FROM revision_number "
                        "ORDER BY revision_id"
                    )
                ).all()
            assert [tuple(n) for n in numbers] == [
                (1, "calendar", 2569, "เพิ่มเติม", 1),
                (2, "calendar", 2569, "เพิ่มเติมและเปลี่ยนแปลง", 1),
            ]

            downgrade(revision="0014_plan_reviews")
            with _db.engine.begin() as conn, pytest.raises(sa.exc.IntegrityError):
                # The old rule is back: one LAO, year, label and number once.
                conn.execute(
                    sa.text(
                        "UPDATE revision SET status = 'announced', label = 'เพิ่มเติม', sequence = 1 WHERE id = 3"
                    )
                )
        finally:
            _db.session.remove()
            _db.engine.dispose()
