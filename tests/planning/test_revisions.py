"""The revision service: who may draft, what items may hold, and what announcing writes."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from eplan_flow.errors import InvalidInput, NotFound, PermissionDenied
from eplan_flow.extensions import db as _db
from eplan_flow.models import AuditEvent, ProjectRecord, RevisionItem
from eplan_flow.services.planning import revisions
from eplan_flow.services.platform import audit, engine
from tests import factories
from tests.factories.revisions import FACT, announced_plan, new_project_values, record_civic_forum

REASONS = {"reasons": "เหตุผลความจำเป็น", "necessity": "เร่งด่วน"}


@pytest.fixture
def plan(world):
    return announced_plan(world.sao_a, world.planner)


@pytest.fixture
def draft(world, plan):
    return revisions.open_revision(world.planner, plan.id, **REASONS)


def test_opening_a_revision_records_the_base_version_and_the_year(world, plan, draft):
    assert (draft.status, draft.base_version, draft.route) == ("drafting", 1, "regular")
    assert draft.year_be >= 2569 and draft.organisation_id == world.sao_a.id
    assert engine.history(draft)[0].action == "create"


def test_only_an_announced_plan_can_be_revised(world, db):
    unannounced = factories.plan(world.sao_a, world.planner)
    with pytest.raises(revisions.PlanNotAnnounced):
        revisions.open_revision(world.planner, unannounced.id)


def test_another_lao_cannot_see_or_draft_on_a_plan(world, plan, draft):
    with pytest.raises(NotFound):
        revisions.open_revision(world.planner_c, plan.id)
    with pytest.raises(NotFound):
        revisions.add_correction(world.planner_x, draft.id, 1, {"name": "x"}, fact=FACT)
    with pytest.raises(NotFound):
        revisions.comparison(world.planner_c, draft.id)


def test_the_executive_and_offices_cannot_edit_a_draft(world, plan, draft):
    with pytest.raises(PermissionDenied):
        revisions.open_revision(world.executive, plan.id)
    with pytest.raises(PermissionDenied):
        revisions.add_correction(world.provincial_officer, draft.id, 1, {"name": "x"}, fact=FACT)


def test_a_correction_may_not_touch_the_objective_or_the_budget(world, draft):
    for field, value in (("objective", "วัตถุประสงค์ใหม่"), ("budget_2", "5.00")):
        with pytest.raises(InvalidInput) as refused:
            revisions.add_correction(world.planner, draft.id, 1, {field: value}, fact=FACT)
        assert refused.value.details["field"] == field
        assert field in refused.value.message
    assert (
        revisions.add_correction(world.planner, draft.id, 1, {"target": "เป้าหมายที่ถูกต้อง"}, fact=FACT).kind
        == "correction"
    )


def test_additions_and_changes_need_a_reason_and_valid_values(world, plan, draft):
    with pytest.raises(InvalidInput) as refused:
        revisions.add_addition(world.planner, draft.id, new_project_values(plan), reason="  ")
    assert refused.value.details["field"] == "reason"
    with pytest.raises(InvalidInput) as refused:
        revisions.add_change(world.planner, draft.id, 1, {"budget_1": "-5"}, reason="ปรับ")
    assert refused.value.details["field"] == "budget_1"
    values = new_project_values(plan)
    del values["objective"]
    with pytest.raises(InvalidInput) as refused:
        revisions.add_addition(world.planner, draft.id, values, reason="จำเป็น")
    assert refused.value.details["field"] == "objective"
    with pytest.raises(InvalidInput) as refused:
        revisions.add_change(world.planner, draft.id, 99, {"target": "x"}, reason="ปรับ")
    assert refused.value.details["field"] == "project_no"
    assert db_items() == 0


def db_items() -> int:
    return _db.session.scalar(select(func.count()).select_from(RevisionItem))


def test_one_revision_holds_at_most_one_item_per_project(world, draft):
    revisions.add_change(world.planner, draft.id, 2, {"target": "ใหม่"}, reason="ปรับ")
    with pytest.raises(InvalidInput) as refused:
        revisions.add_correction(world.planner, draft.id, 2, {"name": "ชื่อใหม่"}, fact=FACT)
    assert refused.value.details["field"] == "project_no"


def test_the_policy_route_carries_additions_and_changes_only(world, plan):
    draft = revisions.open_revision(world.planner, plan.id, route="policy", **REASONS)
    with pytest.raises(InvalidInput) as refused:
        revisions.add_correction(world.planner, draft.id, 1, {"name": "x"}, fact=FACT)
    assert refused.value.details["field"] == "kind"
    revisions.add_change(world.planner, draft.id, 1, {"budget_1": "1.00"}, reason="นโยบายรัฐบาล")


def test_items_cannot_change_once_submitted_and_edits_are_audited_on_their_own_chain(world, db, plan, draft):
    item = revisions.add_correction(world.planner, draft.id, 1, {"name": "ชื่อใหม่"}, fact=FACT)
    extra = revisions.add_correction(world.planner, draft.id, 2, {"name": "อีกชื่อ"}, fact=FACT)
    revisions.remove_item(world.planner, draft.id, extra.id)
    engine.fire("revision", draft.id, "submit", world.planner)
    with pytest.raises(revisions.RevisionNotDrafting):
        revisions.remove_item(world.planner, draft.id, item.id)
    actions = db.session.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.chain == f"revision-content:{draft.id}")
        .order_by(AuditEvent.seq)
    ).all()
    assert actions == ["add_item", "add_item", "remove_item"]
    db.session.refresh(draft)
    # Content edits are not workflow steps: the workflow counter counts only its own events.
    assert draft.version == len(engine.history(draft))
    assert audit.verify_chains()[1] == []


def test_the_comparison_of_a_draft_previews_the_new_values(world, plan, draft):
    revisions.add_change(world.planner, draft.id, 3, {"budget_4": "1234.56"}, reason="ปรับ")
    revisions.add_addition(world.planner, draft.id, new_project_values(plan, name="ลานกีฬา"), reason="จำเป็น")
    _, compared = revisions.comparison(world.planner, draft.id)
    change, addition = compared
    assert (change.project_no, change.changed) == (3, ["budget_4"])
    assert change.rows == [("budget_4", "3400.50", "1234.56")]
    assert addition.project_no is None and addition.old is None and addition.new["name"] == "ลานกีฬา"
    # Ids are shown as what people read.
    assert addition.new["strategy_id"].startswith("1. ")


def test_a_project_history_lists_every_version_with_its_revision(world, db, plan, draft):
    revisions.add_change(world.planner, draft.id, 2, {"target": "ใหม่"}, reason="ปรับ")
    engine.fire("revision", draft.id, "submit", world.planner)
    meeting = {"meeting_date": "2026-11-20", "resolution": "ครั้งที่ 4/2569"}
    engine.fire("revision", draft.id, "endorse", world.devcom_secretary, data=meeting)
    engine.fire("revision", draft.id, "approve_by_council", world.council_secretary, data=meeting)
    engine.fire("revision", draft.id, "approve_and_announce", world.executive)
    _, history = revisions.project_history(world.district_officer, plan.id, 2)
    assert [(e.record.valid_from, e.record.valid_to, e.record.target) for e in history] == [
        (1, 2, "เป้าหมายของโครงการที่ 2"),
        (2, None, "ใหม่"),
    ]
    assert history[0].revision is None and history[1].revision.id == draft.id


def test_a_two_hundred_item_revision_announces_in_bulk(world, db):
    plan = announced_plan(world.town_b, world.town_planner, projects=150)
    draft = revisions.open_revision(world.town_planner, plan.id, **REASONS)
    for no in range(1, 151):
        revisions.add_change(world.town_planner, draft.id, no, {"budget_5": "1.00"}, reason="ปรับ")
    for n in range(50):
        revisions.add_addition(
            world.town_planner, draft.id, new_project_values(plan, name=f"ใหม่ {n}"), reason="เพิ่ม"
        )
    record_civic_forum(world.town_planner, draft.id)
    engine.fire("revision", draft.id, "submit", world.town_planner)
    engine.fire(
        "revision",
        draft.id,
        "endorse",
        world.town_devcom_secretary,
        data={"meeting_date": "2026-11-20", "resolution": "ครั้งที่ 4/2569"},
    )
    engine.fire("revision", draft.id, "approve_and_announce", world.town_executive)
    current = db.session.execute(
        select(func.count(), func.sum(ProjectRecord.budget_5), func.max(ProjectRecord.project_no)).where(
            ProjectRecord.plan_id == plan.id, ProjectRecord.valid_to.is_(None)
        )
    ).one()
    assert current == (200, Decimal("150.00"), 200)
