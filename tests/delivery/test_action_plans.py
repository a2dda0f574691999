"""The action plan (แผนการดำเนินงาน, ข้อ 26–27) on real PostgreSQL: opened from the year's ordinance-funded
projects; drafted by the support committee's secretaries; announced by the executive within 30 days of
the budget ordinance's announcement; posted for at least 30 days; ผด.01 totals equal to its items."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from sqlalchemy import func, select

from eplan_flow.errors import CommentRequired, NotFound, PermissionDenied
from eplan_flow.models import ActionPlan, AuditEvent, Notification
from eplan_flow.services.delivery import action_plans as service
from eplan_flow.services.delivery import execution
from eplan_flow.services.planning import deadlines, reminders
from eplan_flow.services.platform import engine
from tests.factories import revisions
from workflows.action_plan import announce_deadline, posted_until

# An ordinance announced on Monday 28 September 2026 (B.E. 2569) for fiscal year 2570: day 30 is
# Wednesday 28 October 2026, a working day, so the deadline does not move.
ORDINANCE = "2026-09-28"
DAY_30 = date(2026, 10, 28)
DAY_31 = date(2026, 10, 29)


def _funded(world, *amounts: str):
    plan = revisions.announced_plan(world.sao_a, world.planner, projects=4, period_start_be=2566)
    rows = [
        execution.budget_project(world.planner, plan.id, no, 2570, amount)
        for no, amount in enumerate(amounts, 1)
    ]
    return plan, rows


def _opened(world, db, *amounts: str) -> ActionPlan:
    _funded(world, *(amounts or ("500000.00", "120000.00")))
    action_plan = service.open_action_plan(world.planner, world.sao_a.id, 2570, ORDINANCE)
    db.session.refresh(action_plan)
    return action_plan


def _ready(world, db, *amounts: str) -> ActionPlan:
    action_plan = _opened(world, db, *amounts)
    for item in action_plan.projects:
        service.set_months(world.support_secretary, action_plan.id, item.id, ["10", "11", "3"])
    engine.fire("action_plan", action_plan.id, "submit_to_executive", world.planner)
    db.session.refresh(action_plan)
    return action_plan


def _events(db, chain: str) -> list[str]:
    return list(
        db.session.scalars(select(AuditEvent.action).where(AuditEvent.chain == chain).order_by(AuditEvent.id))
    )


def test_the_rule_data_counts_30_days_from_the_ordinance_and_keeps_the_posting_30_days():
    assert announce_deadline(date(2026, 9, 28)) == DAY_30
    # 31 October 2026 is a Saturday: the deadline moves to Monday 2 November.
    assert announce_deadline(date(2026, 10, 1)) == date(2026, 11, 2)
    assert posted_until(date(2026, 11, 2)) == date(2026, 12, 2)


def test_opening_takes_every_ordinance_funded_project_of_the_year_with_its_budget(world, db):
    action_plan = _opened(world, db, "500000.00", "120000.00", "30000.00")
    assert (action_plan.status, action_plan.fiscal_year_be) == ("drafting", 2570)
    assert action_plan.ordinance_announced_on == date(2026, 9, 28)
    assert [(i.project_no, i.name, i.budget) for i in action_plan.projects] == [
        (1, "โครงการที่ 1", Decimal("500000.00")),
        (2, "โครงการที่ 2", Decimal("120000.00")),
        (3, "โครงการที่ 3", Decimal("30000.00")),
    ]
    assert all(i.strategy and i.programme and i.agency is None for i in action_plan.projects)
    with pytest.raises(service.ActionPlanExists):
        service.open_action_plan(world.support_secretary, world.sao_a.id, 2570, ORDINANCE)


def test_only_the_lao_secretaries_draft_and_other_laos_do_not_see_it(world, db):
    _funded(world, "100000.00")
    for outsider in (world.executive, world.council_secretary):
        with pytest.raises(PermissionDenied):
            service.open_action_plan(outsider, world.sao_a.id, 2570, ORDINANCE)
    for stranger in (world.nobody, world.planner_x):
        with pytest.raises(NotFound):
            service.open_action_plan(stranger, world.sao_a.id, 2570, ORDINANCE)
    action_plan = service.open_action_plan(world.planner, world.sao_a.id, 2570, ORDINANCE)
    item = action_plan.projects[0]
    with pytest.raises(PermissionDenied):
        service.set_months(world.executive, action_plan.id, item.id, ["10"])
    with pytest.raises(NotFound):
        service.remove_item(world.planner_x, action_plan.id, item.id)
    with pytest.raises(PermissionDenied):
        engine.fire("action_plan", action_plan.id, "submit_to_executive", world.executive)


def test_items_are_added_removed_and_given_months_with_an_audit_record_each(world, db):
    action_plan = _opened(world, db)
    first, second = action_plan.projects
    service.remove_item(world.planner, action_plan.id, second.id)
    assert [e.id for e in service.addable_executions(action_plan)] == [second.execution_id]
    again = service.add_execution_item(world.planner, action_plan.id, second.execution_id)
    with pytest.raises(service.ExecutionNotFunded):
        service.add_execution_item(world.planner, action_plan.id, second.execution_id)
    other = service.add_agency_item(
        world.support_secretary,
        action_plan.id,
        "ซ่อมสร้างถนนลาดยาง สาย บก.3012",
        "แขวงทางหลวงชนบทบึงกาฬ",
        "2,500,000.00",
    )
    assert (other.agency, other.budget, other.execution_id) == (
        "แขวงทางหลวงชนบทบึงกาฬ",
        Decimal("2500000.00"),
        None,
    )
    service.set_months(world.planner, action_plan.id, first.id, ["10", "12", "9"])
    db.session.refresh(first)
    assert first.months == 0b100000000101
    assert first.month_flags == [True, False, True] + [False] * 8 + [True]
    assert _events(db, f"action-plan-content:{action_plan.id}") == [
        "remove_item",
        "add_item",
        "add_item",
        "set_months",
    ]
    assert again.project_no == 2


def test_the_executive_receives_only_a_plan_whose_projects_all_have_months_and_may_return_it(world, db):
    action_plan = _opened(world, db)
    with pytest.raises(service.MonthsMissing):
        engine.fire("action_plan", action_plan.id, "submit_to_executive", world.planner)
    for item in action_plan.projects:
        service.set_months(world.planner, action_plan.id, item.id, ["4"])
    engine.fire("action_plan", action_plan.id, "submit_to_executive", world.support_secretary)
    db.session.refresh(action_plan)
    assert action_plan.status == "executive_review"
    item = action_plan.projects[0]
    with pytest.raises(service.ActionPlanNotDrafting):
        service.set_months(world.planner, action_plan.id, item.id, ["1"])
    with pytest.raises(CommentRequired):
        engine.fire("action_plan", action_plan.id, "return_for_revision", world.executive)
    with pytest.raises(PermissionDenied):
        engine.fire("action_plan", action_plan.id, "return_for_revision", world.planner, comment="แก้ไข")
    engine.fire(
        "action_plan", action_plan.id, "return_for_revision", world.executive, comment="เพิ่มเดือนที่ดำเนินการ"
    )
    db.session.refresh(action_plan)
    assert action_plan.status == "drafting"


def test_the_30_day_deadline_announcing_on_day_30_is_accepted_and_posted_for_30_days(world, db):
    action_plan = _ready(world, db)
    assert service.deadline_status(action_plan, DAY_30).overdue is False
    with pytest.raises(PermissionDenied):
        engine.fire(
            "action_plan", action_plan.id, "announce", world.planner, data={"announced_on": "2026-10-28"}
        )
    engine.fire(
        "action_plan", action_plan.id, "announce", world.executive, data={"announced_on": "2026-10-28"}
    )
    db.session.refresh(action_plan)
    assert (action_plan.status, action_plan.announced_on) == ("announced", DAY_30)
    # Announced: no longer chased, whatever the day.
    assert service.deadline_status(action_plan, date(2026, 12, 1)).overdue is False
    with pytest.raises(PermissionDenied):
        engine.fire("action_plan", action_plan.id, "post", world.executive)
    engine.fire("action_plan", action_plan.id, "post", world.support_secretary)
    db.session.refresh(action_plan)
    status = service.deadline_status(action_plan)
    assert action_plan.status == "posted"
    assert status.posted_until == action_plan.posted_on + (date(2026, 1, 31) - date(2026, 1, 1))
    assert [e.action for e in engine.history(action_plan)] == [
        "create",
        "submit_to_executive",
        "announce",
        "post",
    ]


def test_the_30_day_deadline_day_31_is_refused_late_and_the_plan_shows_overdue(world, db):
    action_plan = _ready(world, db)
    version = action_plan.version
    with pytest.raises(service.AnnouncementLate) as refused:
        engine.fire(
            "action_plan", action_plan.id, "announce", world.executive, data={"announced_on": "2026-10-29"}
        )
    assert refused.value.details["deadline"] == "28 ตุลาคม 2569"
    with pytest.raises(service.AnnouncedBeforeOrdinance):
        engine.fire(
            "action_plan", action_plan.id, "announce", world.executive, data={"announced_on": "2026-09-27"}
        )
    db.session.expire_all()
    action_plan = db.session.get(ActionPlan, action_plan.id)
    assert (action_plan.status, action_plan.version, action_plan.announced_on) == (
        "executive_review",
        version,
        None,
    )
    status = service.deadline_status(action_plan, DAY_31)
    assert (status.overdue, status.days_overdue, status.deadline) == (True, 1, DAY_30)

    # The shared overdue list (the overdue page's, the reminders') says the same from the day after.
    def overdue(today):
        return [
            i.action_plan_id
            for i in deadlines.all_overdue_items(today)
            if i.kind == "action_plan_not_announced"
        ]

    assert (overdue(DAY_31), overdue(DAY_30)) == ([action_plan.id], [])


def test_the_summary_form_totals_equal_the_items(world, db):
    action_plan = _opened(world, db, "500000.00", "120000.00", "30000.00")
    service.add_agency_item(world.planner, action_plan.id, "ขุดลอกหนองน้ำ", "กรมทรัพยากรน้ำ", "350000.00")
    db.session.refresh(action_plan)
    result = service.summary(action_plan)
    assert result.count == len(action_plan.projects) == 4
    assert result.budget == sum(i.budget for i in action_plan.projects) == Decimal("1000000.00")
    assert sum(r.count for r in result.rows) == result.count
    assert sum(r.budget for r in result.rows) == result.budget
    agency_rows = [r for r in result.rows if r.agency]
    assert [(r.agency, r.count, r.percent_budget) for r in agency_rows] == [
        ("กรมทรัพยากรน้ำ", 1, Decimal("35.00"))
    ]
    assert agency_rows == result.rows[-1:]
    assert db.session.scalar(select(func.count()).select_from(ActionPlan)) == 1


# -- the pages -------------------------------------------------------------------------------------
def _page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def test_a_secretary_opens_the_plan_ticks_months_and_prints_the_forms_in_thai(world, db, client, login_as):
    _funded(world, "500000.00", "120000.00")
    login_as(world.planner)
    listing = _page(client, f"/execution/laos/{world.sao_a.id}/action-plans")
    assert "จัดทำแผนการดำเนินงาน" in listing and "Open an action plan" not in listing
    # The ordinance's date is typed as pages show dates (B.E.), not picked in a Gregorian calendar.
    assert (
        'type="date"' not in listing
        and 'id="ordinance_announced_on" name="ordinance_announced_on"' in listing
    )
    response = client.post(
        f"/execution/laos/{world.sao_a.id}/action-plans",
        data={"fiscal_year_be": "2570", "ordinance_announced_on": "28/09/2569"},
    )
    assert response.status_code == 303
    action_plan = db.session.scalars(select(ActionPlan)).one()
    page = _page(client, response.headers["Location"])
    assert "แผนการดำเนินงาน ประจำปีงบประมาณ 2570" in page
    assert "ต้องประกาศแผนการดำเนินงานภายใน 28 ตุลาคม 2569" in page
    first = action_plan.projects[0]
    base = f"/execution/action-plans/{action_plan.id}"
    assert client.post(f"{base}/items/{first.id}/months", data={"months": ["10", "11"]}).status_code == 303
    client.post(
        f"{base}/agency-items", data={"name": "ขุดลอกหนองน้ำ", "agency": "กรมทรัพยากรน้ำ", "budget": "380000"}
    )
    db.session.expire_all()
    assert db.session.get(type(first), first.id).month_flags[:3] == [True, True, False]

    pd01 = _page(client, f"{base}/pd01")
    assert "ผด.01" in pd01 and "ยุทธศาสตร์ / แผนงาน" in pd01
    assert '<td class="num" id="pd01-count">3</td>' in pd01
    assert '<td class="num" id="pd01-budget">1,000,000.00</td>' in pd01
    assert "กรมทรัพยากรน้ำ" in pd01 and "38.00" in pd01
    pd02 = _page(client, f"{base}/pd02")
    assert "ผด.02" in pd02 and "ต.ค." in pd02 and "ก.ย." in pd02
    assert pd02.count('class="month ticked"') == 2
    assert '<td class="num" id="pd02-budget">1,000,000.00</td>' in pd02
    for text in (pd01, pd02, page):
        assert "Action plan" not in text and "Project of another agency" not in text
    steps = _page(client, f"/instances/action_plan/{action_plan.id}")
    assert "เสนอผู้บริหารท้องถิ่น" in steps


def test_the_lao_home_links_to_the_action_plan_of_the_year(world, db, client, login_as):
    _funded(world, "500000.00")
    login_as(world.planner)
    home = _page(client, "/")
    assert (
        f'href="/execution/laos/{world.sao_a.id}/action-plans">แผนการดำเนินงาน ประจำปีงบประมาณ 2570</a>' in home
    )


def test_readers_cannot_change_the_plan_and_a_late_announcement_is_shown_in_thai(world, db, client, login_as):
    action_plan = _ready(world, db)
    item = action_plan.projects[0]
    base = f"/execution/action-plans/{action_plan.id}"
    login_as(world.executive)
    assert client.post(f"{base}/items/{item.id}/months", data={"months": ["1"]}).status_code == 403
    assert client.post(f"{base}/items/{item.id}/remove").status_code == 403
    assert (
        client.post(
            f"/execution/laos/{world.sao_a.id}/action-plans", data={"fiscal_year_be": "2570"}
        ).status_code
        == 403
    )
    response = client.post(
        f"/instances/action_plan/{action_plan.id}/fire",
        data={
            "trigger": "announce",
            "expected_version": str(action_plan.version),
            "announced_on": "2026-10-29",
        },
    )
    assert response.status_code in (303, 422)
    page = client.get(f"/instances/action_plan/{action_plan.id}", follow_redirects=True).get_data(
        as_text=True
    )
    assert "ต้องประกาศแผนการดำเนินงานภายใน 30 วันนับแต่วันประกาศใช้ข้อบัญญัติงบประมาณ" in page
    db.session.expire_all()
    assert db.session.get(ActionPlan, action_plan.id).status == "executive_review"
    login_as(world.planner_x)
    assert client.get(base).status_code == 404


# -- the deadline's reminders and overdue notices ---------------------------------------------------
def _notices(db, kind: str) -> list[tuple[int, str, str | None]]:
    rows = db.session.scalars(
        select(Notification)
        .where(Notification.kind == kind, Notification.dedupe_key.contains("action_plan"))
        .order_by(Notification.user_id)
    )
    return [(n.user_id, n.subject, n.link) for n in rows]


def test_the_30_day_deadline_reminds_before_and_tells_the_lao_and_its_district_once_late(world, db):
    action_plan = _ready(world, db)
    link = f"/execution/action-plans/{action_plan.id}"
    reminders.run_deadline_checks(date(2026, 10, 25))  # 3 days left
    reminded = _notices(db, "reminder")
    assert {user for user, _, _ in reminded} == {
        world.planner.id,
        world.support_secretary.id,
        world.executive.id,
    }
    assert all("ประกาศแผนการดำเนินงาน ประจำปีงบประมาณ 2570" in subject for _, subject, _ in reminded)
    assert {n_link for _, _, n_link in reminded} == {link}
    # Day 30 is still within the deadline: nothing is overdue.
    reminders.run_deadline_checks(DAY_30)
    assert _notices(db, "overdue") == []
    # Day 31: overdue for the LAO, escalated to its district office; a rerun adds nothing.
    reminders.run_deadline_checks(DAY_31)
    reminders.run_deadline_checks(DAY_31)
    overdue = _notices(db, "overdue")
    assert {user for user, _, _ in overdue} == {
        world.planner.id,
        world.support_secretary.id,
        world.executive.id,
    }
    assert all("ยังไม่ได้ประกาศแผนการดำเนินงาน ประจำปีงบประมาณ 2570" in s for _, s, _ in overdue)
    assert [user for user, _, _ in _notices(db, "escalation")] == [world.district_officer.id]
    # Once announced its announcement is no longer chased; its posting is, until it is posted.
    engine.fire(
        "action_plan", action_plan.id, "announce", world.executive, data={"announced_on": "2026-10-28"}
    )
    chased = (
        select(func.count()).select_from(Notification).where(Notification.dedupe_key.contains("action_plan"))
    )
    before = db.session.scalar(chased)
    assert before == len(reminded) + len(overdue) + 1
    reminders.run_deadline_checks(date(2026, 11, 5))  # 7 days left to post it (by 12 November)
    posting = [n for n in _notices(db, "reminder") if n not in reminded]
    assert {user for user, _, _ in posting} == {
        world.planner.id,
        world.support_secretary.id,
        world.executive.id,
    }
    assert all("ปิดประกาศแผนการดำเนินงาน ประจำปีงบประมาณ 2570" in s for _, s, _ in posting)
    engine.fire("action_plan", action_plan.id, "post", world.planner)
    reminders.run_deadline_checks(date(2026, 11, 10))
    assert db.session.scalar(chased) == before + len(posting)


def test_the_workbook_holds_both_forms_with_totals_equal_to_the_items(world, db, client, login_as):
    action_plan = _opened(world, db, "500000.00", "120000.00")
    first = action_plan.projects[0]
    service.set_months(world.planner, action_plan.id, first.id, ["10", "1", "9"])
    service.add_agency_item(world.planner, action_plan.id, "ขุดลอกหนองน้ำ", "กรมทรัพยากรน้ำ", "380000.00")
    login_as(world.district_officer)
    response = client.get(f"/execution/action-plans/{action_plan.id}/pd.xlsx")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["ผด.01", "ผด.02"]
    pd01 = list(book["ผด.01"].iter_rows(values_only=True))
    total = next(row for row in pd01 if row[0] == "รวม")
    assert (total[1], Decimal(str(total[3]))) == (3, Decimal("1000000.00"))
    assert next(row for row in pd01 if row[5] == "กรมทรัพยากรน้ำ")[:2] == ("โครงการของหน่วยงานอื่น", 1)
    pd02 = list(book["ผด.02"].iter_rows(values_only=True))
    heads = next(row for row in pd02 if row[0] == "ที่")
    assert heads[5:] == (
        "ต.ค.",
        "พ.ย.",
        "ธ.ค.",
        "ม.ค.",
        "ก.พ.",
        "มี.ค.",
        "เม.ย.",
        "พ.ค.",
        "มิ.ย.",
        "ก.ค.",
        "ส.ค.",
        "ก.ย.",
    )
    ticked = next(row for row in pd02 if row[1] == first.name)
    assert [heads[5 + i] for i, v in enumerate(ticked[5:]) if v == "✓"] == ["ต.ค.", "ม.ค.", "ก.ย."]
    login_as(world.planner_x)
    assert client.get(f"/execution/action-plans/{action_plan.id}/pd.xlsx").status_code == 404
