"""Migration 0017 on existing data, on SQLite and PostgreSQL: catalogue items written for the
2566–2570 plans (the 13th NESDP's milestones, the provincial catalogues) are filed under that period,
the catalogues spanning periods serve every period, and หมุดหมาย 9 reads as the NESDP publishes it
(../shared/DOMAIN.md §7); down again restores the old text."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from eplan_flow.extensions import db as _db
from tests.conftest import make_app
from tests.platform.migration_databases import empty_database_url

OLD_9 = "ไทยมีความยากจนข้ามรุ่นลดลง และคนไทยทุกคนมีความคุ้มครองทางสังคมที่เพียงพอ เหมาะสม"
NEW_9 = "ไทยมีความยากจนข้ามรุ่นลดลง และมีความคุ้มครองทางสังคมที่เพียงพอ เหมาะสม"
ROWS = [
    ("nesdp_milestone", "", "9", OLD_9),
    ("nesdp_milestone", "", "1", "ไทยเป็นประเทศชั้นนำด้านสินค้าเกษตรและเกษตรแปรรูปมูลค่าสูง"),
    ("national_strategy", "", "4", "การสร้างโอกาสและความเสมอภาคทางสังคม"),
    ("sdg", "", "1", "ขจัดความยากจน"),
    ("budget_programme", "", "00240", "เคหะและชุมชน"),
    ("provincial_strategy", "38", "1", "พัฒนาการเกษตร"),
]


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    return empty_database_url(request.param, tmp_path, "migration")


def _items(conn, *columns: str) -> dict:
    rows = conn.execute(sa.text(f"SELECT catalogue, code, {', '.join(columns)} FROM catalogue_item"))
    return {(row[0], row[1]): tuple(row[2:]) for row in rows}


def test_0017_files_the_2566_catalogues_under_their_period_and_corrects_milestone_9(database_url):
    app = make_app(DATABASE_URL=database_url)
    with app.app_context():
        try:
            upgrade(revision="0016_announcement_duties")
            with _db.engine.begin() as conn:
                for position, (catalogue, scope, code, name) in enumerate(ROWS, 1):
                    conn.execute(
                        sa.text(
                            "INSERT INTO catalogue_item (catalogue, scope, code, name_th, position, is_active)"
                            " VALUES (:c, :s, :code, :n, :p, :a)"
                        ),
                        {"c": catalogue, "s": scope, "code": code, "n": name, "p": position, "a": True},
                    )

            upgrade(revision="0017_catalogue_periods")
            with _db.engine.connect() as conn:
                items = _items(conn, "period_start_be", "name_th")
            assert items[("nesdp_milestone", "9")] == (2566, NEW_9)
            assert items[("nesdp_milestone", "1")][0] == 2566
            assert items[("provincial_strategy", "1")][0] == 2566
            for spanning in (("national_strategy", "4"), ("sdg", "1"), ("budget_programme", "00240")):
                assert items[spanning][0] is None

            downgrade(revision="0016_announcement_duties")
            with _db.engine.connect() as conn:
                assert _items(conn, "name_th")[("nesdp_milestone", "9")] == (OLD_9,)
                columns = {c["name"] for c in sa.inspect(conn).get_columns("catalogue_item")}
            assert "period_start_be" not in columns
        finally:
            _db.engine.dispose()
