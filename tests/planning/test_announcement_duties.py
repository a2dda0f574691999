"""After announcing a plan or a revision (ข้อ 24): copies to the council, the district and the province
within 15 days and posting for at least 30, tracked with reminders, overdue notices and escalation
along the province's routing (issue 12, items 6 and 9), on the real database."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from eplan_flow import text as text_rules
from eplan_flow import thaidate
from eplan_flow.errors import InvalidInput, NotFound, PermissionDenied
from eplan_flow.extensions import db as _db
from eplan_flow.models import AnnouncementDuty, AuditEvent, Notification
from eplan_flow.permissions import can_read
from eplan_flow.services.planning import duties, reminders
from eplan_flow.services.planning.deadlines import overdue_items
from eplan_flow.services.platform import engine
from tests import factories
from tests.factories.deadlines import plan_in, revision_of

# B.E. 2570: announced on Tuesday 30 March, the 15 days end on Wednesday 14 April, in Songkran
# (13–15 April), so the duties are due on Friday 16 April.
ANNOUNCED = date(2027, 3, 30)
DUE = date(2027, 4, 16)


@pytest.fixture
def clock(monkeypatch):
    def _set(day: date) -> None:
        monkeypatch.setattr(thaidate, "today_local", lambda: day)
        monkeypatch.setattr(text_rules, "today_local", lambda: day)  # typed dates: not a day to come

    return _set


@pytest.fixture
def announced(world):
    """sao_a's plan (acknowledged, announced before version 2 took effect) and a revision of it
    announced on 30 March 2570."""
    w = world
    w.plan = plan_in(w.sao_a, w.planner, 2566, "acknowledged", announced_on=date(2022, 10, 1))
    w.revision = revision_of(w.plan, "เพิ่มเติม", 1, 2570, announced_on=ANNOUNCED, actor=w.planner)
    return w


def owed(actor, subject, subject_id):
    return {d.duty: d for d in duties.duties_for(actor, subject, subject_id)}


def test_a_revision_owes_copies_and_posting_due_after_songkran(announced):
    w = announced
    found = owed(w.planner, "revision", w.revision.id)
    assert set(found) == {"copies", "posting"}
    assert {d.deadline for d in found.values()} == {DUE}
    assert all(not d.done for d in found.values())
    # The plan was announced before version 2: it owes nothing here (its submission was tracked).
    assert owed(w.planner, "plan", w.plan.id) == {}


def test_a_plan_announced_under_version_2_owes_its_posting(world):
    w = world
    plan = plan_in(w.sao_c, w.planner_c, 2571, "submitted", announced_on=ANNOUNCED)
    found = owed(w.planner_c, "plan", plan.id)
    assert set(found) == {"posting"}
    assert found["posting"].deadline == DUE


def test_recording_the_copies_and_the_posting_closes_them_with_an_audit_event(announced, clock):
    w = announced
    clock(date(2027, 4, 20))
    duties.record_duty(w.planner, "revision", w.revision.id, "copies", date(2027, 4, 2))
    duties.record_duty(w.support_secretary, "revision", w.revision.id, "posting", date(2027, 4, 19))
    found = owed(w.planner, "revision", w.revision.id)
    assert found["copies"].done_on == date(2027, 4, 2) and found["copies"].on_time
    assert found["posting"].done_on == date(2027, 4, 19) and found["posting"].on_time is False
    assert found["posting"].posted_until == date(2027, 5, 19)
    events = _db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "record_announcement_duty")
    ).scalars()
    assert sorted(e.data["duty"] for e in events) == ["copies", "posting"]
    assert not [i for i in overdue_items(w.planner, today=date(2027, 4, 20)) if i.kind == "duty_not_done"]


def test_only_the_lao_s_planning_staff_record_and_only_once_and_never_a_day_to_come(announced, clock):
    w = announced
    clock(date(2027, 4, 5))
    with pytest.raises(PermissionDenied):
        duties.record_duty(w.executive, "revision", w.revision.id, "copies", date(2027, 4, 2))
    with pytest.raises(PermissionDenied):
        duties.record_duty(w.district_officer, "revision", w.revision.id, "copies", date(2027, 4, 2))
    with pytest.raises(NotFound):
        duties.record_duty(w.planner_x, "revision", w.revision.id, "copies", date(2027, 4, 2))
    with pytest.raises(InvalidInput) as future:
        duties.record_duty(w.planner, "revision", w.revision.id, "copies", date(2027, 4, 6))
    assert future.value.details["reason"] == "date_in_future"
    with pytest.raises(InvalidInput) as early:
        duties.record_duty(w.planner, "revision", w.revision.id, "copies", date(2027, 3, 29))
    assert early.value.details["reason"] == "before_announcement"
    duties.record_duty(w.planner, "revision", w.revision.id, "copies", date(2027, 4, 2))
    with pytest.raises(InvalidInput) as twice:
        duties.record_duty(w.planner, "revision", w.revision.id, "copies", date(2027, 4, 3))
    assert twice.value.details["reason"] == "already_recorded"
    with pytest.raises(InvalidInput):
        duties.record_duty(w.planner, "plan", w.plan.id, "posting", date(2027, 4, 3))  # owes none
    assert _db.session.scalar(select(AnnouncementDuty.done_on)) == date(2027, 4, 2)


def test_unrecorded_duties_are_overdue_the_day_after_they_are_due(announced):
    w = announced
    assert not [i for i in overdue_items(w.planner, today=DUE) if i.kind == "duty_not_done"]
    late = [i for i in overdue_items(w.planner, today=date(2027, 4, 20)) if i.kind == "duty_not_done"]
    assert len(late) == 2
    assert {i.days_overdue for i in late} == {4}
    assert {i.revision_id for i in late} == {w.revision.id}
    assert all("16 เมษายน 2570" in i.reason and "30 มีนาคม 2570" in i.reason for i in late)
    assert any("ส่งสำเนาประกาศให้สภาท้องถิ่น อำเภอ และจังหวัด" in i.reason for i in late)


def notices(user, kind=None):
    query = select(Notification).where(Notification.user_id == user.id)
    if kind:
        query = query.where(Notification.kind == kind)
    return list(_db.session.execute(query).scalars())


def test_the_lao_is_reminded_before_the_duties_are_due_and_its_office_told_after(announced, app):
    w = announced
    # 13 April: 3 days left (a reminder point), whatever the holidays in between.
    reminders.run_deadline_checks(date(2027, 4, 13))
    reminded = [n for n in notices(w.planner, "reminder") if "announcement_duty:revision" in n.dedupe_key]
    assert len(reminded) == 2
    assert all("อีก 3 วันครบกำหนด" in n.subject for n in reminded)
    assert all(n.link == f"/announced/revision/{w.revision.id}" for n in reminded)
    # Once only.
    reminders.run_deadline_checks(date(2027, 4, 13))
    assert len([n for n in notices(w.planner, "reminder") if "announcement_duty" in n.dedupe_key]) == 2
    # 20 April: overdue; an อบต. escalates to its district office, not the province.
    reminders.run_deadline_checks(date(2027, 4, 20))
    assert len([n for n in notices(w.planner, "overdue") if "duty_not_done" in n.dedupe_key]) == 2
    assert len([n for n in notices(w.district_officer, "escalation") if "duty_not_done" in n.dedupe_key]) == 2
    assert not [n for n in notices(w.provincial_officer, "escalation") if "duty_not_done" in n.dedupe_key]


ROUTES = [
    ("sao", "via_district"),
    ("subdistrict_municipality", "via_district"),
    ("town_municipality", "direct"),
    ("city_municipality", "direct"),
    ("pao", "direct"),
]


@pytest.mark.parametrize(("lao_type", "route"), ROUTES)
def test_reminders_escalation_and_visibility_follow_the_province_s_routing(world, app, lao_type, route):
    """The province writes to the district for ทต. and อบต., directly to the อบจ., ทม. and ทน."""
    w = world
    org = factories.lao(f"ทดสอบ {lao_type}", lao_type, "3801")
    planner = factories.user(org, "planner", username=f"p_{lao_type}")
    _db.session.commit()
    plan = plan_in(org, planner, 2571, "submitted", announced_on=ANNOUNCED)
    via = route == "via_district"
    # Who sees it: the district office only for the LAOs the province reaches through it.
    assert can_read(w.district_officer, org) is via
    assert can_read(w.provincial_officer, org)
    assert (
        org.code in {i.lao_code for i in overdue_items(w.district_officer, today=date(2027, 4, 20))}
    ) is via
    assert org.code in {i.lao_code for i in overdue_items(w.provincial_officer, today=date(2027, 4, 20))}
    # Who is reminded: the LAO's own staff, whatever the route.
    reminders.run_deadline_checks(date(2027, 4, 13))
    assert [n for n in notices(planner, "reminder") if "announcement_duty:plan" in n.dedupe_key]
    # Who is told when it is late: the district office or the province, never both.
    reminders.run_deadline_checks(date(2027, 4, 20))
    to_district = [n for n in notices(w.district_officer, "escalation") if n.organisation_id == org.id]
    to_province = [n for n in notices(w.provincial_officer, "escalation") if n.organisation_id == org.id]
    assert bool(to_district) is via
    assert bool(to_province) is not via
    # Who acknowledges the submission: the district office for its LAOs, the province for the rest.
    if via:
        engine.fire("plan", plan.id, "acknowledge", w.district_officer)
    else:
        with pytest.raises((NotFound, PermissionDenied)):
            engine.fire("plan", plan.id, "acknowledge", w.district_officer)
        engine.fire("plan", plan.id, "acknowledge", w.provincial_officer)
    assert _db.session.get(type(plan), plan.id).status == "acknowledged"


def text(response) -> str:
    return response.get_data(as_text=True)


def test_the_planner_records_the_copies_on_the_revision_s_page(announced, client, login_as, clock):
    w = announced
    clock(date(2027, 4, 20))
    page = f"/announced/revision/{w.revision.id}"
    login_as(w.planner)
    shown = text(client.get(page))
    assert "ส่งสำเนาประกาศให้สภาท้องถิ่น อำเภอ และจังหวัด" in shown
    assert "16 เมษายน 2570" in shown
    assert page in text(client.get(f"/revisions/{w.revision.id}"))  # linked from the revision
    response = client.post(f"{page}/copies", data={"copies-done_on": "02/04/2570"})
    assert response.status_code == 303
    assert "2 เมษายน 2570" in text(client.get(page))
    refused = client.post(f"{page}/posting", data={"posting-done_on": "2027-04-30"})
    assert refused.status_code == 422
    assert "posting" not in {
        d.duty for d in duties.duties_for(w.planner, "revision", w.revision.id) if d.done
    }
    # The overdue page lists the posting still owed, linked to this page.
    assert page in text(client.get("/overdue"))
    # Readers who do not record: the district office sees the page without a form and may not post.
    login_as(w.district_officer)
    assert "<form" not in text(client.get(page)).split("<main", 1)[-1].split("</main>", 1)[0]
    assert client.post(f"{page}/posting", data={"posting-done_on": "19/04/2570"}).status_code == 403
    # Outsiders: no such page.
    login_as(w.planner_x)
    assert client.get(page).status_code == 404
    assert client.post(f"{page}/posting", data={"posting-done_on": "19/04/2570"}).status_code == 404
