"""The monitoring and evaluation report's workflow on real PostgreSQL: one report per LAO, year and
round; who drafts it; the presentation date; the 15-day announcement rule; return for revision."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select, update

from eplan_flow.errors import CommentRequired, InvalidInput, NotFound, PermissionDenied
from eplan_flow.models import AuditEvent, EvaluationReport
from eplan_flow.services.delivery import evaluation as service
from eplan_flow.services.platform import audit, engine
from eplan_flow.thaidate import fiscal_year, today_local
from tests.factories import results as factories
from workflows.deadlines import evaluation_announce_deadline, evaluation_yearly_deadline

PRESENTED = {"meeting_date": "2026-10-01", "resolution": "สมัยสามัญ สมัยที่ 4 ครั้งที่ 1/2569"}


def _presented(world, db):
    report = service.create_report(world.planner, world.sao_a.id, 2569, "october")
    # Started under the rules before the 2561 ones (15 days from the council): it finishes under them.
    table = EvaluationReport.__table__
    db.session.execute(update(table).where(table.c.id == report.id).values(workflow_version=1))
    db.session.commit()
    db.session.refresh(report)
    service.update_text(world.planner, report.id, **factories.TEXT)
    engine.fire("evaluation", report.id, "submit_to_executive", world.planner)
    engine.fire("evaluation", report.id, "present", world.executive, data=PRESENTED)
    db.session.refresh(report)
    return report


def _state(db, report_id):
    db.session.expire_all()
    row = db.session.get(EvaluationReport, report_id)
    events = db.session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.chain == f"evaluation:{report_id}")
    )
    return row.status, row.version, row.announced_on, events


def test_the_rule_data_counts_15_days_from_the_presentation_and_the_yearly_deadline_is_31_december():
    assert evaluation_announce_deadline(date(2026, 10, 1)) == date(2026, 10, 16)
    assert evaluation_announce_deadline(date(2026, 3, 1)) == date(2026, 3, 16)
    assert evaluation_yearly_deadline(2569) == date(2026, 12, 31)
    assert evaluation_yearly_deadline(2570) == date(2027, 12, 31)


def test_announcing_on_day_16_is_refused_naming_the_deadline_and_changes_nothing(world, db):
    report = _presented(world, db)
    assert report.presented_on == date(2026, 10, 1)
    before = _state(db, report.id)

    with pytest.raises(service.AnnouncementLate, match=r"by 2026-10-16 \(16 ตุลาคม 2569\)") as refused:
        engine.fire("evaluation", report.id, "announce", world.executive, data={"announced_on": "2026-10-17"})
    assert refused.value.details["deadline"] == "2026-10-16"
    assert _state(db, report.id) == before
    with pytest.raises(service.AnnouncementBeforePresentation, match="before the presentation"):
        engine.fire("evaluation", report.id, "announce", world.executive, data={"announced_on": "2026-09-30"})
    assert _state(db, report.id) == before


def test_announcing_on_day_15_is_accepted_and_recorded_then_the_report_is_posted(world, db):
    report = _presented(world, db)
    engine.fire("evaluation", report.id, "announce", world.executive, data={"announced_on": "2026-10-16"})
    status, _, announced_on, _ = _state(db, report.id)
    assert (status, announced_on) == ("announced", date(2026, 10, 16))
    with pytest.raises(PermissionDenied):
        engine.fire("evaluation", report.id, "post", world.executive)
    engine.fire("evaluation", report.id, "post", world.support_secretary)
    assert _state(db, report.id)[0] == "posted"
    assert [e.action for e in engine.history(report)] == [
        "create",
        "submit_to_executive",
        "present",
        "announce",
        "post",
    ]
    assert audit.verify_chains()[1] == []


def test_there_is_one_report_per_lao_fiscal_year_and_round(world, db):
    service.create_report(world.planner, world.sao_a.id, 2569, "october")
    with pytest.raises(service.ReportExists):
        service.create_report(world.support_secretary, world.sao_a.id, "2569", "october")
    service.create_report(world.planner, world.sao_a.id, 2569, "april")
    service.create_report(world.town_planner, world.town_b.id, 2569, "october")
    assert db.session.scalar(select(func.count()).select_from(EvaluationReport)) == 3
    with pytest.raises(InvalidInput):
        service.create_report(world.planner, world.sao_a.id, 2569, "june")
    with pytest.raises(InvalidInput, match="has not begun"):
        service.create_report(world.planner, world.sao_a.id, fiscal_year(today_local()) + 1, "april")
    assert db.session.scalar(select(func.count()).select_from(EvaluationReport)) == 3


def test_only_the_laos_planners_and_support_secretaries_draft_and_another_lao_does_not_see_it(world, db):
    with pytest.raises(PermissionDenied):
        service.create_report(world.executive, world.sao_a.id, 2569, "october")
    with pytest.raises(NotFound):
        service.create_report(world.planner_x, world.sao_a.id, 2569, "october")
    with pytest.raises(NotFound):
        service.create_report(world.district_officer, world.do_3801.id, 2569, "october")
    report = service.create_report(world.planner, world.sao_a.id, 2569, "october")
    with pytest.raises(NotFound):
        service.get_report(world.planner_x, report.id)
    with pytest.raises(NotFound):
        service.update_text(world.planner_x, report.id, findings="x")
    with pytest.raises(PermissionDenied):
        service.update_text(world.district_officer, report.id, findings="x")
    assert service.get_report(world.district_officer, report.id).id == report.id


def test_the_text_is_required_to_submit_and_is_locked_once_submitted(world, db):
    report = service.create_report(world.planner, world.sao_a.id, 2569, "october")
    with pytest.raises(service.ReportIncomplete, match="method, findings, recommendations"):
        engine.fire("evaluation", report.id, "submit_to_executive", world.planner)
    assert _state(db, report.id)[:2] == ("drafting", 1)
    service.update_text(world.planner, report.id, **factories.TEXT)
    assert _state(db, report.id)[:2] == ("drafting", 1), "a text edit is not a workflow step"
    engine.fire("evaluation", report.id, "submit_to_executive", world.planner)
    with pytest.raises(service.ReportNotDrafting):
        service.update_text(world.planner, report.id, findings="แก้ไขภายหลัง")
    assert db.session.get(EvaluationReport, report.id).findings == factories.TEXT["findings"]
    assert [e.action for e in audit.history(service.content_chain(report.id))] == ["update_text"]


def test_each_gate_returns_the_report_with_a_reason_and_a_new_presentation_restarts_the_15_days(world, db):
    report = _presented(world, db)
    with pytest.raises(CommentRequired):
        engine.fire("evaluation", report.id, "return_for_revision", world.council_secretary)
    engine.fire(
        "evaluation",
        report.id,
        "return_for_revision",
        world.council_secretary,
        comment="สภาขอให้เพิ่มข้อเสนอแนะด้านการเบิกจ่าย",
    )
    db.session.refresh(report)
    assert (report.status, report.presented_on, report.figures) == ("drafting", None, None)
    engine.fire("evaluation", report.id, "submit_to_executive", world.planner)
    engine.fire("evaluation", report.id, "return_for_revision", world.executive, comment="แก้ไขวิธีการ")
    engine.fire("evaluation", report.id, "submit_to_executive", world.planner)
    engine.fire(
        "evaluation",
        report.id,
        "present",
        world.executive,
        data={"meeting_date": "2026-11-02", "resolution": "ครั้งที่ 2/2569"},
    )
    engine.fire("evaluation", report.id, "announce", world.executive, data={"announced_on": "2026-11-17"})
    assert _state(db, report.id)[:3] == ("announced", 9, date(2026, 11, 17))
