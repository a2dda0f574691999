"""Migration 0025 on SQLite and PostgreSQL: the catalogue names' CHECK constraint admits ``sub_plan``
(a sub-plan under its master plan); down again removes the sub-plans and the links to them, and the
constraint refuses them once more."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from eplan_flow.extensions import db as _db
from tests.conftest import make_app
from tests.platform.migration_databases import empty_database_url

INSERT = (
    "INSERT INTO catalogue_item (catalogue, scope, code, name_th, parent_id, position, is_active)"
    " VALUES (:c, '', :code, :n, :parent, 1, :a)"
)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    return empty_database_url(request.param, tmp_path, "migration_sub_plans")


def _add(conn, catalogue: str, code: str, parent: int | None = None) -> int:
    conn.execute(sa.text(INSERT), {"c": catalogue, "code": code, "n": code, "parent": parent, "a": True})
    return conn.execute(
        sa.text("SELECT id FROM catalogue_item WHERE catalogue = :c AND code = :code"),
        {"c": catalogue, "code": code},
    ).scalar_one()


def test_0025_admits_sub_plans_and_down_removes_them(database_url):
    app = make_app(DATABASE_URL=database_url)
    with app.app_context():
        try:
            upgrade(revision="0024_action_plans")
            with pytest.raises(sa.exc.IntegrityError), _db.engine.begin() as conn:
                _add(conn, "sub_plan", "SP0")

            upgrade(revision="0025_sub_plans")
            with _db.engine.begin() as conn:
                master = _add(conn, "master_plan", "16")
                _add(conn, "sub_plan", "SP1", parent=master)
            with _db.engine.connect() as conn:
                parents = conn.execute(
                    sa.text("SELECT parent_id FROM catalogue_item WHERE catalogue = 'sub_plan'")
                ).scalars()
                assert list(parents) == [master]

            downgrade(revision="0024_action_plans")
            with _db.engine.connect() as conn:
                left = conn.execute(sa.text("SELECT catalogue, code FROM catalogue_item")).all()
            assert [tuple(row) for row in left] == [("master_plan", "16")]
            with pytest.raises(sa.exc.IntegrityError), _db.engine.begin() as conn:
                _add(conn, "sub_plan", "SP2", parent=master)
        finally:
            _db.engine.dispose()
