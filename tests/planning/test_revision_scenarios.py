"""Acceptance scenarios for revisions (issue 4, docs/DOMAIN.md §4), through the services and the engine."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from eplan_flow.errors import GuardFailed, TransitionNotAllowed
from eplan_flow.extensions import db as _db
from eplan_flow.models import AuditEvent, PlanVersion, ProjectRecord, Revision
from eplan_flow.services.planning import revisions
from eplan_flow.services.planning.projects import valid_at_clause
from eplan_flow.services.platform import engine
from tests.factories.revisions import (
    FACT,
    POLICY_BASIS,
    announced_plan,
    new_project_values,
    record_civic_forum,
)

MEETING = {"meeting_date": "2026-11-20", "resolution": "ครั้งที่ 4/2569"}
REASONS = {"reasons": "มีโครงการเร่งด่วนจากประชาคม", "necessity": "ถนนชำรุดเสียหายจากอุทกภัย"}


def addition_draft(world, org, planner, route="regular"):
    plan = announced_plan(org, planner)
    basis = POLICY_BASIS if route == "policy" else {}
    revision = revisions.open_revision(planner, plan.id, route=route, **REASONS, **basis)
    revisions.add_addition(planner, revision.id, new_project_values(plan), reason="ประชาชนร้องขอ")
    if route == "regular":
        record_civic_forum(planner, revision.id)
    return plan, revision


def states(revision) -> list[str]:
    return [event.to_state for event in engine.history(revision)]


def test_an_sao_addition_cannot_reach_executive_approval_without_the_council(world, db):
    _, revision = addition_draft(world, world.sao_a, world.planner)
    assert engine.fire("revision", revision.id, "submit", world.planner).to_state == "committee_review"
    result = engine.fire("revision", revision.id, "endorse", world.devcom_secretary, data=MEETING)
    assert result.to_state == "council_review"
    with pytest.raises(TransitionNotAllowed):
        engine.fire("revision", revision.id, "approve_and_announce", world.executive)
    engine.fire("revision", revision.id, "approve_by_council", world.council_secretary, data=MEETING)
    engine.fire("revision", revision.id, "approve_and_announce", world.executive)
    assert states(revision) == [
        "drafting",
        "committee_review",
        "council_review",
        "executive_review",
        "announced",
    ]


def test_a_municipality_addition_goes_from_the_committee_to_the_executive(world, db):
    _, revision = addition_draft(world, world.town_b, world.town_planner)
    engine.fire("revision", revision.id, "submit", world.town_planner)
    result = engine.fire("revision", revision.id, "endorse", world.town_devcom_secretary, data=MEETING)
    assert result.to_state == "executive_review"
    engine.fire("revision", revision.id, "approve_and_announce", world.town_executive)
    assert states(revision) == ["drafting", "committee_review", "executive_review", "announced"]


def test_a_correction_goes_from_the_draft_to_the_executive_and_is_announced(world, db):
    plan = announced_plan(world.sao_a, world.planner)
    revision = revisions.open_revision(world.planner, plan.id)
    revisions.add_correction(world.planner, revision.id, 2, {"name": "โครงการที่ 2 (แก้คำผิด)"}, fact=FACT)
    assert engine.fire("revision", revision.id, "submit", world.planner).to_state == "executive_review"
    engine.fire("revision", revision.id, "approve_and_announce", world.executive)
    db.session.refresh(revision)
    assert states(revision) == ["drafting", "executive_review", "announced"]
    assert revision.title.startswith("แก้ไข ครั้งที่ 1/")


def test_a_policy_route_addition_needs_only_the_executive(world, db):
    _, revision = addition_draft(world, world.sao_a, world.planner, route="policy")
    assert engine.fire("revision", revision.id, "submit", world.planner).to_state == "executive_review"
    engine.fire("revision", revision.id, "approve_and_announce", world.executive)
    assert states(revision) == ["drafting", "executive_review", "announced"]


def test_a_return_sends_the_draft_back_with_the_reason_in_its_history(world, db):
    _, revision = addition_draft(world, world.town_b, world.town_planner)
    engine.fire("revision", revision.id, "submit", world.town_planner)
    engine.fire("revision", revision.id, "endorse", world.town_devcom_secretary, data=MEETING)
    engine.fire(
        "revision", revision.id, "return_for_revision", world.town_executive, comment="งบประมาณปีที่ 2 สูงเกินกรอบ"
    )
    db.session.refresh(revision)
    assert revision.status == "drafting"
    last = engine.history(revision)[-1]
    assert (last.action, last.to_state, last.comment) == (
        "return_for_revision",
        "drafting",
        "งบประมาณปีที่ 2 สูงเกินกรอบ",
    )
    # Back in drafting, the items can change again.
    revisions.add_change(world.town_planner, revision.id, 1, {"budget_2": "5000.00"}, reason="ลดงบ")


def totals(plan_id: int, version: int) -> tuple[int, list[Decimal]]:
    """The ผ.01 totals of a version, by the test's own SQL aggregate: count and budget per year."""
    row = _db.session.execute(
        select(
            func.count(),
            *[func.coalesce(func.sum(getattr(ProjectRecord, f"budget_{i}")), 0) for i in range(1, 6)],
        ).where(ProjectRecord.plan_id == plan_id, valid_at_clause(version))
    ).one()
    return row[0], [Decimal(v) for v in row[1:]]


def test_announcing_three_additions_two_changes_and_a_correction_makes_the_next_version(world, db):
    plan = announced_plan(world.town_b, world.town_planner, projects=6)
    count_before, before = totals(plan.id, 1)
    revision = revisions.open_revision(world.town_planner, plan.id, **REASONS)
    added = [Decimal("100000.00"), Decimal("250000.50"), Decimal("75000.25")]
    for n, amount in enumerate(added, 1):
        revisions.add_addition(
            world.town_planner,
            revision.id,
            new_project_values(plan, name=f"โครงการใหม่ {n}", budget=str(amount)),
            reason="ประชาคมเสนอ",
        )
    old_1 = db.session.scalar(
        select(ProjectRecord.budget_3).where(ProjectRecord.plan_id == plan.id, ProjectRecord.project_no == 1)
    )
    old_4 = db.session.scalar(
        select(ProjectRecord.budget_1).where(ProjectRecord.plan_id == plan.id, ProjectRecord.project_no == 4)
    )
    revisions.add_change(
        world.town_planner,
        revision.id,
        1,
        {"budget_3": "9999.99", "target": "ถนนยาว 300 เมตร"},
        reason="ราคาวัสดุสูงขึ้น",
    )
    revisions.add_change(world.town_planner, revision.id, 4, {"budget_1": "0"}, reason="เลื่อนไปปีถัดไป")
    revisions.add_correction(world.town_planner, revision.id, 5, {"name": "โครงการที่ห้า"}, fact=FACT)
    record_civic_forum(world.town_planner, revision.id)

    engine.fire("revision", revision.id, "submit", world.town_planner)
    engine.fire("revision", revision.id, "endorse", world.town_devcom_secretary, data=MEETING)
    engine.fire("revision", revision.id, "approve_and_announce", world.town_executive)

    db.session.refresh(plan)
    db.session.refresh(revision)
    assert plan.current_version == 2 and revision.result_version == 2
    assert (
        db.session.scalar(
            select(PlanVersion.revision_id).where(PlanVersion.plan_id == plan.id, PlanVersion.number == 2)
        )
        == revision.id
    )
    count_after, after = totals(plan.id, 2)
    expected = list(before)
    expected[1] += sum(added)
    expected[2] += Decimal("9999.99") - old_1
    expected[0] -= old_4
    assert count_after == count_before + 3
    assert after == expected
    # Version 1 stays readable as it was.
    assert totals(plan.id, 1) == (count_before, before)
    assert revision.label == "แก้ไข เพิ่มเติม และเปลี่ยนแปลง"

    _, compared = revisions.comparison(world.town_planner, revision.id)
    assert [(c.project_no, c.kind) for c in compared] == [
        (1, "change"),
        (4, "change"),
        (5, "correction"),
        (7, "addition"),
        (8, "addition"),
        (9, "addition"),
    ]
    change_1 = compared[0]
    assert set(change_1.changed) == {"budget_3", "target"}
    assert change_1.old["budget_3"] == str(old_1) and change_1.new["budget_3"] == "9999.99"
    assert compared[2].changed == ["name"]
    # The changed project keeps its other values and links in the new version.
    new_1 = db.session.scalar(
        select(ProjectRecord).where(
            ProjectRecord.plan_id == plan.id, ProjectRecord.project_no == 1, ProjectRecord.valid_to.is_(None)
        )
    )
    assert new_1.objective == "วัตถุประสงค์ของโครงการที่ 1" and new_1.revision_id == revision.id
    assert [item.code for item in new_1.links] == ["SDG2"]


def test_two_open_revisions_touching_one_project_are_refused(world, db):
    plan = announced_plan(world.sao_a, world.planner)
    first = revisions.open_revision(world.planner, plan.id, **REASONS)
    revisions.add_change(world.planner, first.id, 3, {"budget_2": "1.00"}, reason="ปรับงบ")
    second = revisions.open_revision(world.planner, plan.id, **REASONS)
    with pytest.raises(revisions.ProjectInOpenRevision) as refused:
        revisions.add_correction(world.planner, second.id, 3, {"name": "ชื่อใหม่"}, fact=FACT)
    assert refused.value.details["revision_id"] == first.id
    assert first.title in refused.value.message
    # Once the first is withdrawn the project is free again.
    engine.fire("revision", first.id, "withdraw", world.planner, comment="รวมไปกับฉบับใหม่")
    revisions.add_correction(world.planner, second.id, 3, {"name": "ชื่อใหม่"}, fact=FACT)


def test_a_revision_drafted_against_an_older_version_cannot_be_announced(world, db):
    plan = announced_plan(world.town_b, world.town_planner)
    late = revisions.open_revision(world.town_planner, plan.id)
    revisions.add_correction(world.town_planner, late.id, 1, {"name": "ชื่อที่ถูกต้อง"}, fact=FACT)
    early = revisions.open_revision(world.town_planner, plan.id)
    revisions.add_correction(world.town_planner, early.id, 2, {"kpi": "ร้อยละ 95"}, fact=FACT)
    for revision in (late, early):
        engine.fire("revision", revision.id, "submit", world.town_planner)
    engine.fire("revision", early.id, "approve_and_announce", world.town_executive)
    records_before = db.session.scalar(select(func.count()).select_from(ProjectRecord))
    events_before = db.session.scalar(select(func.count()).select_from(AuditEvent))

    with pytest.raises(revisions.StaleBaseVersion) as refused:
        engine.fire("revision", late.id, "approve_and_announce", world.town_executive)
    assert refused.value.code == "stale_base_version" and refused.value.status == 409
    db.session.refresh(plan)
    db.session.refresh(late)
    assert plan.current_version == 2 and late.status == "executive_review"
    assert db.session.scalar(select(func.count()).select_from(ProjectRecord)) == records_before
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == events_before


def test_revisions_are_numbered_per_label_per_lao_per_year(world, db):
    plan = announced_plan(world.town_b, world.town_planner)
    titles = []
    for project_no, kind in ((1, "correction"), (2, "addition"), (3, "correction")):
        revision = revisions.open_revision(world.town_planner, plan.id, **REASONS)
        if kind == "correction":
            revisions.add_correction(
                world.town_planner, revision.id, project_no, {"kpi": "ร้อยละ 99"}, fact=FACT
            )
            engine.fire("revision", revision.id, "submit", world.town_planner)
        else:
            revisions.add_addition(world.town_planner, revision.id, new_project_values(plan), reason="จำเป็น")
            record_civic_forum(world.town_planner, revision.id)
            engine.fire("revision", revision.id, "submit", world.town_planner)
            engine.fire("revision", revision.id, "endorse", world.town_devcom_secretary, data=MEETING)
        engine.fire("revision", revision.id, "approve_and_announce", world.town_executive)
        db.session.refresh(revision)
        titles.append(revision.title)
    year = revision.year_be
    assert titles == [f"แก้ไข ครั้งที่ 1/{year}", f"เพิ่มเติม ครั้งที่ 1/{year}", f"แก้ไข ครั้งที่ 2/{year}"]
    # Another LAO numbers its own revisions from 1.
    other = announced_plan(world.sao_a, world.planner)
    revision = revisions.open_revision(world.planner, other.id)
    revisions.add_correction(world.planner, revision.id, 1, {"kpi": "ร้อยละ 99"}, fact=FACT)
    engine.fire("revision", revision.id, "submit", world.planner)
    engine.fire("revision", revision.id, "approve_and_announce", world.executive)
    db.session.refresh(revision)
    assert revision.title == f"แก้ไข ครั้งที่ 1/{year}"
    assert (
        db.session.scalar(select(func.count()).select_from(Revision).where(Revision.status == "announced"))
        == 4
    )


def test_an_addition_without_reasons_and_necessity_cannot_leave_drafting(world, db):
    plan = announced_plan(world.sao_a, world.planner)
    revision = revisions.open_revision(world.planner, plan.id)
    revisions.add_addition(world.planner, revision.id, new_project_values(plan), reason="จำเป็น")
    with pytest.raises(revisions.RevisionIncomplete) as refused:
        engine.fire("revision", revision.id, "submit", world.planner)
    assert refused.value.details["field"] == "reasons"
    revisions.set_reasons(world.planner, revision.id, **REASONS)
    record_civic_forum(world.planner, revision.id)
    assert engine.fire("revision", revision.id, "submit", world.planner).to_state == "committee_review"


def test_an_empty_revision_cannot_be_submitted(world, db):
    plan = announced_plan(world.sao_a, world.planner)
    revision = revisions.open_revision(world.planner, plan.id, **REASONS)
    with pytest.raises(GuardFailed):
        engine.fire("revision", revision.id, "submit", world.planner)
