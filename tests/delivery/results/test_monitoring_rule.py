"""The monitoring rule of the 2561 amendment (ข้อ 29–30, issue 14 item 2), from the regulation's side:
at least once a year, within December, the committee reports the whole fiscal year to the executive;
the report is announced within 15 days of that and posted for at least 30 days. An April round
(October–March) no longer meets the yearly duty. Reminders before and overdue notices after follow
the province's routing; a report started under the old rules finishes under them. Real PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select, true

from eplan_flow import text as text_rules
from eplan_flow import thaidate
from eplan_flow.extensions import db as _db
from eplan_flow.models import EvaluationReport, Notification
from eplan_flow.services.delivery import evaluation as service
from eplan_flow.services.planning import duties, reminders
from eplan_flow.services.planning.deadlines import overdue_items
from eplan_flow.services.platform import engine
from tests.factories import results as factories
from workflows import deadlines
from workflows.deadlines import DEADLINES_V1, DEADLINES_V3

MEETING = {"meeting_date": "2026-12-10", "resolution": "สมัยสามัญ สมัยที่ 4 ครั้งที่ 2/2569"}


@pytest.fixture
def clock(monkeypatch):
    """Set the Bangkok date every service reads, and the one typed dates are checked against."""

    def _set(day: date) -> None:
        monkeypatch.setattr(thaidate, "today_local", lambda: day)
        monkeypatch.setattr(service, "today_local", lambda: day)
        monkeypatch.setattr(text_rules, "today_local", lambda: day)

    return _set


def _report(world, org, planner, round: str = "october", year: int = 2569) -> EvaluationReport:
    report = service.create_report(planner, org.id, year, round)
    service.update_text(planner, report.id, **factories.TEXT)
    return report


def _reported(world, clock, day: date, round: str = "october") -> EvaluationReport:
    """sao_a's report of fiscal year 2569, reported to the executive (submitted) on ``day``."""
    clock(day)
    report = _report(world, world.sao_a, world.planner, round)
    engine.fire("evaluation", report.id, "submit_to_executive", world.planner)
    _db.session.refresh(report)
    return report


def _keys(user, prefix: str) -> list[Notification]:
    rows = _db.session.scalars(
        select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
    )
    return [n for n in rows if n.dedupe_key.split(":")[1] == prefix]


# -- the rule data ---------------------------------------------------------------------------------
def test_the_2561_rules_count_15_days_from_the_executive_and_only_a_full_year_report_meets_december():
    assert deadlines.evaluation_counts_from(DEADLINES_V3) == "executive"
    assert deadlines.evaluation_counts_from(DEADLINES_V1) == "council"
    assert deadlines.evaluation_yearly_deadline(2569, DEADLINES_V3) == date(2026, 12, 31)
    assert deadlines.evaluation_meets_yearly("october", DEADLINES_V3)
    assert not deadlines.evaluation_meets_yearly("april", DEADLINES_V3)
    assert deadlines.evaluation_meets_yearly("april", DEADLINES_V1)  # the old rules: any round
    # Reported on 1 December 2569: announce (and post) by 16 December; posted on 16 December, it stays
    # up until 15 January 2570 at least (the day of posting is not counted).
    assert deadlines.evaluation_announce_deadline(date(2026, 12, 1), DEADLINES_V3) == date(2026, 12, 16)
    assert deadlines.evaluation_post_deadline(date(2026, 12, 1), DEADLINES_V3) == date(2026, 12, 16)
    assert deadlines.evaluation_posting_until(date(2026, 12, 16), DEADLINES_V3) == date(2027, 1, 15)
    assert duties.evaluation_rules(2) is DEADLINES_V3 and duties.evaluation_rules(1) is DEADLINES_V1


# -- the December duty -----------------------------------------------------------------------------
def test_the_december_duty_is_met_by_a_full_year_report_and_not_by_an_april_round_report(world, db, clock):
    clock(date(2026, 12, 1))
    april = _report(world, world.sao_a, world.planner, "april")
    engine.fire("evaluation", april.id, "submit_to_executive", world.planner)
    duty = duties.yearly_evaluation(world.sao_a.id, 2569, today=date(2026, 12, 1))
    assert not duty.met
    assert duty.text == "รายงานผลการติดตามและประเมินผลประจำปีงบประมาณ 2569 ต้องเสนอภายใน 31 ธันวาคม 2569"
    assert world.sao_a in duties.laos_without_yearly_report(true(), 2569)

    # After 31 December the April report leaves the LAO overdue, on the overdue list in Thai.
    clock(date(2027, 1, 2))
    (item,) = [i for i in overdue_items(world.planner) if i.kind == "evaluation_not_announced"]
    assert item.deadline == date(2026, 12, 31) and item.days_overdue == 2
    assert "ประจำปีงบประมาณ 2569" in item.reason and "31 ธันวาคม 2569" in item.reason

    full = _report(world, world.sao_a, world.planner, "october")
    engine.fire("evaluation", full.id, "submit_to_executive", world.planner)
    assert duties.yearly_evaluation(world.sao_a.id, 2569).met_by.id == full.id
    assert [i for i in overdue_items(world.planner) if i.kind == "evaluation_not_announced"] == []


def test_a_drafted_full_year_report_does_not_meet_the_duty_until_it_reaches_the_executive(world, db, clock):
    clock(date(2026, 12, 1))
    report = _report(world, world.sao_a, world.planner, "october")
    assert not duties.yearly_evaluation(world.sao_a.id, 2569).met
    engine.fire("evaluation", report.id, "submit_to_executive", world.planner)
    assert duties.yearly_evaluation(world.sao_a.id, 2569).met
    # Returned for revision, it is a draft again: the duty is open again.
    engine.fire("evaluation", report.id, "return_for_revision", world.executive, comment="แก้ตัวเลข")
    assert not duties.yearly_evaluation(world.sao_a.id, 2569).met


# -- the 15-day announcement -----------------------------------------------------------------------
def test_the_15_days_count_from_the_report_to_the_executive_not_from_the_council(world, db, clock):
    report = _reported(world, clock, date(2026, 12, 1))
    assert report.workflow_version == 2 and report.reported_on == date(2026, 12, 1)
    clock(date(2026, 12, 10))
    engine.fire("evaluation", report.id, "present", world.executive, data=MEETING)
    # The council met on 10 December; the 15 days still end on 16 December, not 25 December.
    assert service.deadlines(report)["announce_by"] == date(2026, 12, 16)
    clock(date(2026, 12, 20))
    with pytest.raises(service.AnnouncementLate, match=r"by 2026-12-16 \(16 ธันวาคม 2569\)"):
        engine.fire("evaluation", report.id, "announce", world.executive, data={"announced_on": "2026-12-17"})
    with pytest.raises(service.AnnouncementBeforePresentation, match="report to the executive"):
        engine.fire("evaluation", report.id, "announce", world.executive, data={"announced_on": "2026-11-30"})
    engine.fire("evaluation", report.id, "announce", world.executive, data={"announced_on": "2026-12-16"})
    _db.session.refresh(report)
    assert (report.status, report.announced_on) == ("announced", date(2026, 12, 16))


def test_an_announcement_not_made_in_15_days_is_overdue_and_escalated_along_the_routing(
    world, db, app, clock
):
    report = _reported(world, clock, date(2026, 12, 1))
    clock(date(2026, 12, 3))  # 13 days left: the 14-day reminder
    reminders.run_deadline_checks()
    (reminder,) = _keys(world.planner, "evaluation_announcement_v3")
    assert "1 ธันวาคม 2569" in reminder.subject and "16 ธันวาคม 2569" in reminder.subject
    assert reminder.link == f"/results/reports/{report.id}"

    clock(date(2026, 12, 17))
    reminders.run_deadline_checks()
    reminders.run_deadline_checks()  # once, however often it runs
    (late,) = _keys(world.executive, "evaluation_announcement_late")
    assert late.kind == "overdue" and "16 ธันวาคม 2569" in late.subject
    # An อบต.: the district follows it up, not the province directly.
    (escalation,) = _keys(world.district_officer, "evaluation_announcement_late")
    assert escalation.kind == "escalation" and escalation.link == f"/results/reports/{report.id}"
    assert _keys(world.provincial_officer, "evaluation_announcement_late") == []
    assert _keys(world.district_officer_2, "evaluation_announcement_late") == []
    items = [i for i in overdue_items(world.district_officer) if i.kind == "evaluation_announcement_late"]
    assert [(i.report_id, i.days_overdue) for i in items] == [(report.id, 1)]
    assert "ต่อผู้บริหารท้องถิ่นเมื่อ 1 ธันวาคม 2569" in items[0].reason


# -- the 30-day posting ----------------------------------------------------------------------------
def test_the_posting_is_recorded_owed_within_the_15_days_and_kept_30_days(world, db, app, clock):
    report = _reported(world, clock, date(2026, 12, 1))
    clock(date(2026, 12, 5))
    engine.fire(
        "evaluation", report.id, "present", world.executive, data={**MEETING, "meeting_date": "2026-12-05"}
    )
    engine.fire("evaluation", report.id, "announce", world.executive, data={"announced_on": "2026-12-05"})
    (owed,) = [d for d in duties.pending_report_duties(EvaluationReport.id == report.id)]
    assert (owed.duty, owed.deadline) == ("posting", date(2026, 12, 16))

    clock(date(2026, 12, 18))  # not posted by 16 December: overdue
    (item,) = [i for i in overdue_items(world.planner) if i.kind == "evaluation_not_posted"]
    assert "ยังไม่ได้ปิดประกาศ" in item.reason and "5 ธันวาคม 2569" in item.reason

    engine.fire("evaluation", report.id, "post", world.support_secretary)
    _db.session.refresh(report)
    assert report.posted_on == date(2026, 12, 18)
    assert service.deadlines(report)["posted_until"] == date(2027, 1, 17)
    assert [i for i in overdue_items(world.planner) if i.kind.startswith("evaluation_")] == []


# -- reminders and overdue by routing ------------------------------------------------------------
def test_the_yearly_duty_is_reminded_before_december_ends_and_overdue_after_along_the_routing(
    world, db, app, clock
):
    # sao_c's April report does not count; town_b's full-year report reached its executive.
    clock(date(2026, 12, 1))
    april = _report(world, world.sao_c, world.planner_c, "april")
    engine.fire("evaluation", april.id, "submit_to_executive", world.planner_c)
    town = _report(world, world.town_b, world.town_planner, "october")
    engine.fire("evaluation", town.id, "submit_to_executive", world.town_planner)

    clock(date(2026, 12, 17))  # 14 days before 31 December 2569
    reminders.run_deadline_checks()
    (reminder,) = _keys(world.planner, "evaluation_yearly")
    assert "ประจำปีงบประมาณ 2569" in reminder.subject and "31 ธันวาคม 2569" in reminder.subject
    assert len(_keys(world.planner_c, "evaluation_yearly")) == 1  # an April report is no excuse
    assert _keys(world.town_planner, "evaluation_yearly") == []

    clock(date(2027, 1, 1))
    reminders.run_deadline_checks()
    assert [n.kind for n in _keys(world.planner, "evaluation_not_announced")] == ["overdue"]
    # อบต. via the district: each district officer hears of its own LAOs only; the province of none.
    assert [n.organisation_id for n in _keys(world.district_officer, "evaluation_not_announced")] == [
        world.sao_a.id
    ]
    assert [n.organisation_id for n in _keys(world.district_officer_2, "evaluation_not_announced")] == [
        world.sao_c.id
    ]
    assert _keys(world.provincial_officer, "evaluation_not_announced") == []


def test_a_town_late_with_its_yearly_report_is_escalated_to_the_province_directly(world, db, app, clock):
    clock(date(2027, 1, 1))
    reminders.run_deadline_checks()
    escalated = _keys(world.provincial_officer, "evaluation_not_announced")
    assert [n.organisation_id for n in escalated] == [world.town_b.id]
    assert world.town_b.id not in [
        n.organisation_id for n in _keys(world.district_officer, "evaluation_not_announced")
    ]
    # The district office does not even see the town on its overdue list; the province does.
    assert world.town_b.id not in {i.organisation_id for i in overdue_items(world.district_officer)}
    assert world.town_b.id in {
        i.organisation_id
        for i in overdue_items(world.provincial_officer)
        if i.kind == "evaluation_not_announced"
    }


# -- the old rules ---------------------------------------------------------------------------------
def test_a_report_started_under_the_old_rules_finishes_under_them(world, db, app, clock):
    clock(date(2026, 4, 20))
    report = _report(world, world.sao_a, world.planner, "april")
    report.workflow_version = 1  # opened before the 2561 rules took effect here
    _db.session.commit()
    clock(date(2026, 12, 1))
    engine.fire("evaluation", report.id, "submit_to_executive", world.planner)
    _db.session.refresh(report)
    assert report.reported_on is None  # version 1 records no report to the executive
    clock(date(2026, 12, 10))
    engine.fire("evaluation", report.id, "present", world.executive, data=MEETING)
    # Version 1: 15 days from the presentation to the council (10 December → 25 December).
    assert service.deadlines(report)["announce_by"] == date(2026, 12, 25)
    clock(date(2026, 12, 24))
    engine.fire("evaluation", report.id, "announce", world.executive, data={"announced_on": "2026-12-24"})
    # And under version 1 an announced April report met the yearly duty.
    assert duties.yearly_evaluation(world.sao_a.id, 2569).met_by.id == report.id


# -- the pages -------------------------------------------------------------------------------------
def test_the_lao_results_page_shows_the_yearly_duty_in_thai(world, db, client, login_as, clock):
    clock(date(2026, 12, 6))
    login_as(world.planner)
    page = client.get(f"/results/laos/{world.sao_a.id}").get_data(as_text=True)
    assert "รายงานผลการติดตามและประเมินผลประจำปีงบประมาณ 2569 ต้องเสนอภายใน 31 ธันวาคม 2569" in page
    clock(date(2027, 1, 3))
    page = client.get("/overdue").get_data(as_text=True)
    assert "ยังไม่ได้เสนอรายงานผลการติดตามและประเมินผลประจำปีงบประมาณ 2569" in page
    assert f'href="/results/laos/{world.sao_a.id}"' in page


def test_the_home_page_and_the_report_page_show_the_duties_in_thai(world, db, client, login_as, clock):
    report = _reported(world, clock, date(2026, 12, 1))
    login_as(world.planner)
    home = client.get("/").get_data(as_text=True)
    assert "รายงานผลการติดตามและประเมินผลประจำปีงบประมาณ 2569 ต้องเสนอภายใน 31 ธันวาคม 2569" in home
    assert "ดำเนินการแล้วด้วย" in home  # the full-year report reached the executive
    page = client.get(f"/results/reports/{report.id}").get_data(as_text=True)
    assert "1 ธันวาคม 2569" in page and "16 ธันวาคม 2569" in page
    assert "ภายใน 15 วันนับแต่วันรายงานผลต่อผู้บริหารท้องถิ่น" in page
    assert "ถือว่าได้ดำเนินการตามหน้าที่ประจำปีแล้ว" in page
    clock(date(2026, 12, 5))
    engine.fire(
        "evaluation", report.id, "present", world.executive, data={**MEETING, "meeting_date": "2026-12-05"}
    )
    engine.fire("evaluation", report.id, "announce", world.executive, data={"announced_on": "2026-12-05"})
    engine.fire("evaluation", report.id, "post", world.support_secretary)
    page = client.get(f"/results/reports/{report.id}").get_data(as_text=True)
    assert "ต้องปิดประกาศไว้ไม่น้อยกว่า 30 วัน จนถึง 4 มกราคม 2570" in page
