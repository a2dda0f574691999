"""The ผ.01 keeps a plan's project kinds apart, and "planned" means one thing everywhere (issue 12,
item 4; ../shared/DOMAIN.md §7): real ผ.01 sheets list the LAO's own projects, the ผ.02/2 lines it
asks of the อบจ. or other agencies, and its equipment (ผ.03) in parts of their own, each with its
totals; the monitoring report and the oversight pages count as planned only the projects the LAO
itself carries out (workflows/counting.py)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from eplan_flow.services.delivery import evaluation
from eplan_flow.services.oversight import status
from eplan_flow.services.planning import reports
from tests.factories import plans as pf
from workflows import counting
from workflows.counting import COUNTING_V1

EQUIPMENT = {"equipment_category": "ครุภัณฑ์ก่อสร้าง", "equipment_type": "รถบรรทุกน้ำ", "unit": "คัน"}


@pytest.fixture
def scene(world, db):
    """An อบต.'s plan 2566–2570 holding every kind of project, announced."""
    world.plan = pf.drafting_plan(world.sao_a, world.planner)
    world.s1 = pf.strategy(world.plan, 1, "ยุทธศาสตร์ด้านโครงสร้างพื้นฐาน")
    world.s2 = pf.strategy(world.plan, 2, "ยุทธศาสตร์ด้านคุณภาพชีวิต")
    works, general = pf.programme(), pf.general_programme()

    def add(strategy, programme, budgets, source, **extra):
        pf.add_project(
            world.plan, world.planner, strategy, programme, budgets=budgets, source=source, **extra
        )

    # The LAO's own: two roads and an office course (2569 is year 4).
    add(world.s1, works, {2566: "500000.00", 2569: "120000.00"}, "own")
    add(world.s1, works, {2569: "80000.50"}, "own")
    add(world.s2, general, {2567: "30000.00"}, "own")
    # Asked of the อบจ.: a bridge and a provincial road, both in 2569.
    add(world.s1, works, {2569: "9000000.00"}, "beyond_capacity")
    add(world.s1, works, {2568: "2500000.00", 2569: "2500000.00"}, "beyond_capacity")
    # Equipment: a water truck in 2569.
    add(world.s1, works, {2569: "2700000.00"}, "equipment", **EQUIPMENT)
    # From a village plan: a drainage ditch in 2569.
    add(world.s2, general, {2569: "45000.00"}, "community")
    pf.announce(world.plan, world)
    return world


def test_the_p01_lists_own_projects_those_asked_of_others_and_equipment_in_separate_parts(scene):
    p01 = reports.p01_summary(scene.plan.id, 1)["p01"]

    assert [part.part for part in p01.parts] == ["own", "beyond_capacity", "equipment"]
    own, asked, equipment = p01.parts
    assert own.total.projects == 3
    assert own.total.counts == [1, 1, 0, 2, 0]
    assert own.total.total_budget == Decimal("730000.50")
    assert [s.strategy_number for s in own.sections] == [1, 2]
    assert asked.total.projects == 2
    assert asked.total.counts == [0, 0, 1, 2, 0]
    assert asked.total.total_budget == Decimal("14000000.00")
    assert [s.strategy_number for s in asked.sections] == [1]
    assert equipment.total.projects == 1 and equipment.total.total_budget == Decimal("2700000.00")
    # The whole ผ.01 adds its parts up; the community project is on the ผ.01/1 only.
    assert p01.total.projects == 6
    assert p01.total.total_budget == Decimal("17430000.50")
    community = reports.p01_summary(scene.plan.id, 1)["p01_1"]
    assert community.total.projects == 1 and community.total.total_budget == Decimal("45000.00")


def test_the_printed_p01_shows_each_part_under_its_own_heading_with_its_totals(scene, client, login_as):
    login_as(scene.planner)
    response = client.get(f"/plans/{scene.plan.id}/p01")
    html = response.get_data(as_text=True)
    assert response.status_code == 200

    own = html.index('id="p01-own"')
    asked = html.index('id="p01-beyond_capacity"')
    equipment = html.index('id="p01-equipment"')
    grand = html.index('id="p01-total"')
    assert own < asked < equipment < grand
    assert "โครงการพัฒนาขององค์กรปกครองส่วนท้องถิ่น (ผ.02)" in html[own:asked]
    assert "ประสานขอให้ อบจ. หรือหน่วยงานอื่นดำเนินการ (ผ.02/2)" in html[asked:equipment]
    assert "ครุภัณฑ์ (ผ.03)" in html[equipment:grand]

    def part_total(chunk: str) -> str:
        row = re.search(r'<tr class="grand-total">(.*?)</tr>', chunk, re.S)
        assert row, chunk[:300]
        return row.group(1)

    assert "รวมส่วนนี้" in part_total(html[own:asked]) and "730,000.50" in part_total(html[own:asked])
    assert "14,000,000.00" in part_total(html[asked:equipment])
    assert "2,700,000.00" in part_total(html[equipment:grand])
    assert "17,430,000.50" in part_total(html[grand:])
    # The own part's lines do not carry the ผ.02/2 money.
    assert "9,000,000.00" not in html[own:asked]


def test_the_rule_counts_own_community_and_equipment_projects_as_planned_not_those_asked_of_others():
    assert counting.COUNTING is COUNTING_V1
    assert set(COUNTING_V1["kinds"]) == {"own", "community", "beyond_capacity", "equipment"}
    assert [counting.counts_as_planned(k) for k in ("own", "community", "equipment")] == [True] * 3
    assert not counting.counts_as_planned("beyond_capacity")
    # Every kind has a place on one summary form, and only one.
    placed = [k for parts in COUNTING_V1["summaries"].values() for part in parts for k in part["kinds"]]
    assert sorted(placed) == sorted(COUNTING_V1["kinds"])


def test_evaluation_and_oversight_count_the_same_planned_projects_by_the_rule(scene):
    # Fiscal year 2569: own 2, equipment 1, community 1 have a budget line; the two ผ.02/2 do not count.
    figures = evaluation.figures(scene.sao_a.id, 2569, "october")
    assert figures.totals.planned == 4
    assert figures.totals.planned_budget == Decimal("120000.00") + Decimal("80000.50") + Decimal(
        "2700000.00"
    ) + Decimal("45000.00")

    by_lao = status.planned_counts([scene.sao_a.id], 2566, 2569)
    assert by_lao == {scene.sao_a.id: figures.totals.planned}

    board = status.dashboard(scene.district_officer, status.Filters(fiscal_year_be=2569))
    row = next(r for r in board.rows if r.organisation_id == scene.sao_a.id)
    assert row.planned == 4 and board.totals.planned == 4


def test_a_year_with_only_projects_asked_of_others_has_nothing_planned(scene):
    # 2568: only the provincial road asked of the อบจ. has a budget line.
    figures = evaluation.figures(scene.sao_a.id, 2568, "october")
    assert figures.totals.planned == 0
    assert status.planned_counts([scene.sao_a.id], 2566, 2568) == {}
