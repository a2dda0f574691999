"""Scenarios of a review (ทบทวน) of a plan in force (ข้อ 17; หนังสือ มท 0810.3/ว 2931), through the
services and the engine: the full cycle per LAO type, the plan's next version, numbering."""

from __future__ import annotations

from decimal import Decimal

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from eplan_flow import messages
from eplan_flow.errors import TransitionNotAllowed
from eplan_flow.extensions import db as _db
from eplan_flow.models import LaoStrategy, PlanVersion, ProjectRecord
from eplan_flow.services.planning import civic_forum, plans, reviews, revisions
from eplan_flow.services.planning.projects import valid_at_clause
from eplan_flow.services.platform import engine
from eplan_flow.thaidate import be_year, today_local
from tests.factories.plans import drafting_plan
from tests.factories.revisions import announced_plan, new_project_values, sdg

MEETING = {"meeting_date": "2026-11-20", "resolution": "ครั้งที่ 4/2569"}
FORUM = {
    "meeting_date": "12/11/2569",
    "place": "ศาลาประชาคมหมู่ 3",
    "attendees": "87",
    "resolution": "เห็นชอบร่าง",
}


def forum(actor, review) -> None:
    civic_forum.record_meeting(actor, "review", review.id, **FORUM)


def totals(plan_id: int, version: int) -> tuple[int, Decimal]:
    row = _db.session.execute(
        select(func.count(), func.coalesce(func.sum(ProjectRecord.budget_1), 0)).where(
            ProjectRecord.plan_id == plan_id, valid_at_clause(version)
        )
    ).one()
    return row[0], Decimal(row[1])


def states(instance) -> list[str]:
    return [event.to_state for event in engine.history(instance)]


def drafted_review(org, planner):
    """An announced plan of ``org`` and a review that renames strategy 1, adds a tactic and links,
    raises project 1's first-year budget and adds a project."""
    plan = announced_plan(org, planner)
    first = _db.session.scalar(
        select(LaoStrategy).where(LaoStrategy.plan_id == plan.id, LaoStrategy.number == 1)
    )
    review = reviews.open_review(planner, plan.id, reasons="ครบรอบทบทวนตามหนังสือสั่งการ")
    reviews.set_strategy(
        planner,
        review.id,
        strategy_id=first.id,
        number=1,
        name="ยุทธศาสตร์การพัฒนาโครงสร้างพื้นฐานและผังเมือง",
        tactics=[(1, "กลยุทธ์ที่ 1 ปรับปรุงถนน"), (2, "กลยุทธ์ที่ 2 ระบบระบายน้ำ")],
        links=[sdg(9).id],
        reason="ปรับให้สอดคล้องกับยุทธศาสตร์จังหวัด",
    )
    reviews.change_project(planner, review.id, 1, {"budget_1": "777777.00"}, reason="ราคาวัสดุสูงขึ้น")
    return plan, first, review


def test_an_sao_review_passes_its_council_and_becomes_the_plans_next_version(world, db):
    plan, first, review = drafted_review(world.sao_a, world.planner)
    count_1, budget_1 = totals(plan.id, 1)
    forum(world.planner, review)

    assert (
        engine.fire("review", review.id, "submit_to_committee", world.planner).to_state == "committee_review"
    )
    assert engine.fire("review", review.id, "endorse", world.devcom_secretary, data=MEETING).to_state == (
        "council_review"
    )
    # An อบต.: the executive cannot announce before the council approves.
    with pytest.raises(TransitionNotAllowed):
        engine.fire("review", review.id, "approve_and_announce", world.executive)
    engine.fire("review", review.id, "approve_by_council", world.council_secretary, data=MEETING)
    engine.fire("review", review.id, "approve_and_announce", world.executive)

    db.session.refresh(plan)
    db.session.refresh(review)
    assert states(review) == [
        "drafting",
        "committee_review",
        "council_review",
        "executive_review",
        "announced",
    ]
    assert plan.current_version == 2 and review.result_version == 2
    version_2 = db.session.scalars(
        select(PlanVersion).where(PlanVersion.plan_id == plan.id, PlanVersion.number == 2)
    ).one()
    assert version_2.review_id == review.id and version_2.revision_id is None
    # The project changed in version 2 only; version 1 reads as it was announced.
    old_budget = db.session.scalar(
        select(ProjectRecord.budget_1).where(
            ProjectRecord.plan_id == plan.id, ProjectRecord.project_no == 1, valid_at_clause(1)
        )
    )
    assert totals(plan.id, 1) == (count_1, budget_1)
    assert totals(plan.id, 2) == (count_1, budget_1 - old_budget + Decimal("777777.00"))
    # The strategy reads as renamed now, and as it stood in version 1.
    db.session.refresh(first)
    assert first.name == "ยุทธศาสตร์การพัฒนาโครงสร้างพื้นฐานและผังเมือง"
    assert [t.name for t in first.tactics] == ["กลยุทธ์ที่ 1 ปรับปรุงถนน", "กลยุทธ์ที่ 2 ระบบระบายน้ำ"]
    assert [i.code for i in first.links] == ["SDG9"]
    then = reviews.strategies_at(plan.id, 1)[0]
    assert then["name"] == "ยุทธศาสตร์การพัฒนาโครงสร้างพื้นฐาน"
    assert [t["name"] for t in then["tactics"]] == ["กลยุทธ์ที่ 1 ของยุทธศาสตร์ที่ 1"]
    assert reviews.strategies_at(plan.id, 2)[0]["name"] == first.name
    assert review.title == f"ทบทวน ครั้งที่ 1/{be_year(today_local().year)}"
    # Print headings and the version picker name version 2 by the review.
    assert revisions.version_titles(plan.id)[2] == review.title
    # Given the versions it reads them the same; the plan's first version alone needs no query.
    versions = plans.versions_of(plan.id)
    assert revisions.version_titles(plan.id, versions) == revisions.version_titles(plan.id)
    assert revisions.version_titles(plan.id, versions[:1]) == {}


def test_a_municipality_review_goes_from_the_committee_to_the_executive(world, db):
    plan, _, review = drafted_review(world.town_b, world.town_planner)
    reviews.add_project(
        world.town_planner,
        review.id,
        new_project_values(plan, name="โครงการขุดลอกคลองสาธารณะ"),
        reason="โครงการจากแผนชุมชน",
    )
    forum(world.town_planner, review)
    engine.fire("review", review.id, "submit_to_committee", world.town_planner)
    result = engine.fire("review", review.id, "endorse", world.town_devcom_secretary, data=MEETING)
    assert result.to_state == "executive_review"
    engine.fire("review", review.id, "approve_and_announce", world.town_executive)
    assert states(review) == ["drafting", "committee_review", "executive_review", "announced"]
    db.session.refresh(plan)
    assert plan.current_version == 2
    assert totals(plan.id, 2)[0] == totals(plan.id, 1)[0] + 1


def test_a_review_cannot_leave_drafting_without_the_civic_forum_and_says_so_in_thai(world, db, app):
    _, _, review = drafted_review(world.sao_a, world.planner)
    with pytest.raises(civic_forum.CivicForumMissing) as refused:
        engine.fire("review", review.id, "submit_to_committee", world.planner)
    db.session.refresh(review)
    assert review.status == "drafting"
    with app.test_request_context(), force_locale("th"):
        said = messages.message_for(refused.value)
    assert said.startswith("ต้องบันทึกการประชุมประชาคมท้องถิ่น")
    forum(world.planner, review)
    assert (
        engine.fire("review", review.id, "submit_to_committee", world.planner).to_state == "committee_review"
    )


def announce(review, world) -> None:
    forum(world.town_planner, review)
    engine.fire("review", review.id, "submit_to_committee", world.town_planner)
    engine.fire("review", review.id, "endorse", world.town_devcom_secretary, data=MEETING)
    engine.fire("review", review.id, "approve_and_announce", world.town_executive)


def test_reviews_are_numbered_per_lao_and_year_and_one_is_under_way_at_a_time(world, db):
    plan, _, first = drafted_review(world.town_b, world.town_planner)
    with pytest.raises(reviews.ReviewAlreadyOpen):
        reviews.open_review(world.town_planner, plan.id)
    announce(first, world)
    second = reviews.open_review(world.town_planner, plan.id)
    assert second.base_version == 2 and second.title == "ร่างการทบทวนแผนพัฒนาท้องถิ่น"
    reviews.change_project(
        world.town_planner, second.id, 2, {"target": "ถนนยาว 400 เมตร"}, reason="ขยายเป้าหมาย"
    )
    announce(second, world)
    db.session.refresh(first)
    db.session.refresh(second)
    year = be_year(today_local().year)
    assert (first.title, second.title) == (f"ทบทวน ครั้งที่ 1/{year}", f"ทบทวน ครั้งที่ 2/{year}")
    db.session.refresh(plan)
    assert plan.current_version == 3


def test_only_a_plan_in_force_is_reviewed(world, db):
    plan = drafting_plan(world.sao_a, world.planner)
    with pytest.raises(reviews.PlanNotInForce):
        reviews.open_review(world.planner, plan.id)


def test_a_revision_drafted_before_a_review_was_announced_cannot_be_announced(world, db):
    plan, _, review = drafted_review(world.town_b, world.town_planner)
    late = revisions.open_revision(world.town_planner, plan.id, reasons="ปรับงบ", necessity="ราคาสูงขึ้น")
    revisions.add_change(world.town_planner, late.id, 3, {"budget_2": "1.00"}, reason="ปรับงบ")
    announce(review, world)
    engine.fire("revision", late.id, "submit", world.town_planner)
    engine.fire("revision", late.id, "endorse", world.town_devcom_secretary, data=MEETING)
    with pytest.raises(revisions.StaleBaseVersion):
        engine.fire("revision", late.id, "approve_and_announce", world.town_executive)
