"""Plan versions: announcing makes version 1; reading a version returns the records valid then."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from eplan_flow.errors import GuardFailed
from eplan_flow.models import Plan, PlanVersion, ProjectRecord
from eplan_flow.services.planning import projects
from eplan_flow.services.platform import engine
from tests.factories import plans as pf


@pytest.fixture
def drafted(world, db):
    world.plan = pf.drafting_plan(world.sao_a, world.planner)
    world.strategy = pf.strategy(world.plan, 1)
    world.programme = pf.programme()
    return world


def test_announcing_a_plan_makes_version_one(drafted, world, db):
    pf.add_project(drafted.plan, world.planner, drafted.strategy, drafted.programme)
    plan = pf.announce(drafted.plan, world)
    assert plan.status == "announced"
    assert plan.current_version == 1 and plan.announced_at is not None
    versions = db.session.scalars(select(PlanVersion).where(PlanVersion.plan_id == plan.id)).all()
    assert [(v.number, v.revision_id) for v in versions] == [(1, None)]
    assert [r.project_no for r in projects.records_at(plan.id, 1)] == [1]


def test_a_plan_without_projects_cannot_be_announced_and_nothing_changes(drafted, world, db):
    meeting = {"meeting_date": "2026-01-15", "resolution": "ครั้งที่ 1/2569"}
    plan_id = drafted.plan.id
    engine.fire("plan", plan_id, "submit_to_committee", world.planner)
    engine.fire("plan", plan_id, "endorse", world.devcom_secretary, data=meeting)
    engine.fire("plan", plan_id, "approve_by_council", world.council_secretary, data=meeting)
    with pytest.raises(GuardFailed):
        engine.fire("plan", plan_id, "approve_and_announce", world.executive)
    plan = db.session.get(Plan, plan_id)
    db.session.refresh(plan)
    assert (plan.status, plan.current_version, plan.announced_at) == ("executive_review", 0, None)
    assert db.session.scalars(select(PlanVersion)).all() == []


def test_submitting_the_announced_plan_records_when_and_remarks_keep_version_one(drafted, world, db):
    pf.add_project(drafted.plan, world.planner, drafted.strategy, drafted.programme)
    plan = pf.announce(drafted.plan, world)
    engine.fire("plan", plan.id, "submit_to_oversight", world.planner)
    engine.fire("plan", plan.id, "return_with_remarks", world.district_officer, comment="แก้ไขเอกสารแนบ")
    db.session.refresh(plan)
    assert plan.submitted_at is not None
    assert (plan.status, plan.current_version) == ("announced", 1)
    assert len(db.session.scalars(select(PlanVersion)).all()) == 1


def _record(plan, no, valid_from, valid_to, strategy, programme, amount):
    row = ProjectRecord(
        plan_id=plan.id,
        project_no=no,
        valid_from=valid_from,
        valid_to=valid_to,
        strategy_id=strategy.id,
        programme_id=programme.id,
        source="own",
        name=f"โครงการ {no} v{valid_from}",
        objective="วัตถุประสงค์",
        target="เป้าหมาย",
        responsible_unit="กองช่าง",
        budget_1=Decimal(amount),
    )
    return row


def test_records_at_returns_the_rows_valid_at_each_version(drafted, db):
    s, p = drafted.strategy, drafted.programme
    rows = [
        _record(drafted.plan, 1, 1, None, s, p, "1.00"),  # unchanged since version 1
        _record(drafted.plan, 2, 1, 3, s, p, "2.00"),  # changed by version 3
        _record(drafted.plan, 2, 3, None, s, p, "2.50"),
        _record(drafted.plan, 3, 2, None, s, p, "3.00"),  # added in version 2
        _record(drafted.plan, 4, 1, 2, s, p, "4.00"),  # replaced in version 2 ...
        _record(drafted.plan, 4, 2, 3, s, p, "4.10"),  # ... and again in version 3
        _record(drafted.plan, 4, 3, None, s, p, "4.20"),
    ]
    db.session.add_all(rows)
    db.session.commit()

    def at(version):
        return [(r.project_no, str(r.budget_1)) for r in projects.records_at(drafted.plan.id, version)]

    assert at(1) == [(1, "1.00"), (2, "2.00"), (4, "4.00")]
    assert at(2) == [(1, "1.00"), (2, "2.00"), (3, "3.00"), (4, "4.10")]
    assert at(3) == [(1, "1.00"), (2, "2.50"), (3, "3.00"), (4, "4.20")]
    assert [(r.project_no, str(r.budget_1)) for r in projects.current_records(drafted.plan.id)] == at(3)
    assert projects.next_project_no(drafted.plan.id) == 5
