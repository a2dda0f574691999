"""The ผ.01 summary and the ผ.02 lists: exact sums from one aggregate query."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import event

from eplan_flow.models import ProjectRecord
from eplan_flow.services.planning import reports
from tests.factories import plans as pf


@pytest.fixture
def scene(world, db):
    world.plan = pf.drafting_plan(world.sao_a, world.planner)
    world.s1 = pf.strategy(world.plan, 1, "ยุทธศาสตร์ด้านโครงสร้างพื้นฐาน")
    world.s2 = pf.strategy(world.plan, 2, "ยุทธศาสตร์ด้านคุณภาพชีวิต")
    world.works = pf.programme()
    world.general = pf.general_programme()
    return world


def _add(scene, strategy, programme, budgets, source="own", **extra):
    return pf.add_project(
        scene.plan, scene.planner, strategy, programme, budgets=budgets, source=source, **extra
    )


def test_satang_add_up_exactly(scene):
    _add(scene, scene.s1, scene.works, {2566: "0.10"})
    _add(scene, scene.s1, scene.works, {2566: "0.20"})
    p01 = reports.p01_summary(scene.plan.id, 1)["p01"]
    assert p01.total.budgets[0] == Decimal("0.30")
    assert str(p01.total.total_budget) == "0.30"


def test_p01_totals_equal_hand_computed_sums(scene):
    _add(scene, scene.s1, scene.works, {2566: "100000.00", 2567: "50000.50"})
    _add(scene, scene.s1, scene.works, {2567: "20000.25", 2570: "1.00"})
    _add(scene, scene.s1, scene.general, {2568: "7000.00"})
    _add(scene, scene.s2, scene.general, {2566: "3000.00", 2569: "400.40"})
    _add(scene, scene.s2, scene.general, {2566: "999.99"}, source="beyond_capacity")
    _add(scene, scene.s2, scene.general, {2566: "5.00"}, source="community")
    _add(
        scene,
        scene.s1,
        scene.works,
        {2567: "12345.67"},
        source="equipment",
        equipment_category="ครุภัณฑ์ก่อสร้าง",
        equipment_type="รถขุด",
        unit="คัน",
    )

    summary = reports.p01_summary(scene.plan.id, 1)
    p01, p01_1 = summary["p01"], summary["p01_1"]
    own, asked, equipment = (p01.part(name) for name in ("own", "beyond_capacity", "equipment"))
    assert [s.strategy_number for s in own.sections] == [1, 2]
    s1 = own.sections[0]
    # Programmes ordered by their catalogue position: general (1) before works (9).
    assert [r.programme_code for r in s1.rows] == ["00110", "00240"]
    works = s1.rows[1].figures
    assert works.counts == [1, 2, 0, 0, 1]
    assert works.budgets == [Decimal("100000.00"), Decimal("70000.75"), 0, 0, Decimal("1.00")]
    assert works.projects == 2
    assert s1.subtotal.total_budget == Decimal("100000.00") + Decimal("70000.75") + Decimal("1.00") + Decimal(
        "7000.00"
    )
    s2 = own.sections[1].subtotal
    assert s2.counts == [1, 0, 0, 1, 0] and s2.budgets[0] == Decimal("3000.00")
    assert s2.total_budget == Decimal("3400.40")
    assert own.total.total_budget == Decimal("180402.15")
    # The ผ.02/2 line and the equipment are parts of their own, with their totals (workflows/counting.py).
    assert [s.strategy_number for s in asked.sections] == [2]
    assert asked.total.total_budget == Decimal("999.99") and asked.total.projects == 1
    assert [s.strategy_number for s in equipment.sections] == [1]
    assert equipment.total.counts == [0, 1, 0, 0, 0] and equipment.total.total_budget == Decimal("12345.67")
    # The whole ผ.01 adds its parts up.
    assert p01.total.total_budget == Decimal("193747.81")
    assert p01.total.counts == [3, 3, 1, 1, 1]
    assert p01.total.total_count == 9  # yearly counts added up, as on the form
    assert p01.total.projects == 6
    assert p01_1.total.budgets[0] == Decimal("5.00") and p01_1.total.projects == 1
    assert [s.strategy_number for s in p01_1.part("community").sections] == [2]


def test_p01_reads_the_version_asked_for(scene, db):
    _add(scene, scene.s1, scene.works, {2566: "100.00"})
    record = db.session.query(ProjectRecord).one()
    record.valid_to = 2
    db.session.add(
        ProjectRecord(
            plan_id=scene.plan.id,
            project_no=1,
            valid_from=2,
            strategy_id=scene.s1.id,
            programme_id=scene.works.id,
            source="own",
            name="x",
            objective="y",
            target="z",
            responsible_unit="กองช่าง",
            budget_1=Decimal("250.00"),
        )
    )
    db.session.commit()
    assert reports.p01_summary(scene.plan.id, 1)["p01"].total.budgets[0] == Decimal("100.00")
    assert reports.p01_summary(scene.plan.id, 2)["p01"].total.budgets[0] == Decimal("250.00")


def test_p01_figures_come_from_one_query(scene, db):
    for i in range(5):
        _add(scene, [scene.s1, scene.s2][i % 2], [scene.works, scene.general][i % 2], {2566: f"{i}.00"})
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    plan_id = scene.plan.id
    db.session.expire_all()
    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        reports.p01_summary(plan_id, 1)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(statements) == 1 and "GROUP BY" in statements[0]


def test_p02_groups_projects_by_strategy_tactic_and_programme(scene):
    _add(scene, scene.s2, scene.general, {2566: "1.00"}, name="ข")
    _add(scene, scene.s1, scene.works, {2566: "2.00"}, name="ก")
    _add(scene, scene.s1, scene.works, {2567: "3.00"}, name="ค")
    _add(scene, scene.s1, scene.works, {2567: "3.00"}, source="community", name="ชุมชน")
    groups = reports.p02_list(scene.plan.id, 1, "own")
    assert [(g.strategy.number, g.programme.code, [r.name for r in g.records]) for g in groups] == [
        (1, "00240", ["ก", "ค"]),
        (2, "00110", ["ข"]),
    ]
    assert groups[0].total[:2] == [Decimal("2.00"), Decimal("3.00")]
    assert [r.name for g in reports.p02_list(scene.plan.id, 1, "community") for r in g.records] == ["ชุมชน"]
