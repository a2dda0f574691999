"""The action plan's duties (แผนการดำเนินงาน, ข้อ 26–27) on the shared overdue list, told once, on real
PostgreSQL: announced within 30 days of the budget ordinance's announcement, then posted for the
public. An LAO late with it shows on its district's and province's overdue page, linked to the action
plan; its people are reminded once per reminder point and told once it is late (its office too), by
the same path as every other duty; an LAO that announced in time shows nowhere and hears nothing."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from eplan_flow import thaidate
from eplan_flow.extensions import db as _db
from eplan_flow.models import ActionPlan, Notification
from eplan_flow.services.planning import deadlines, reminders
from eplan_flow.services.platform import engine
from tests.factories.action_plans import drafted
from workflows.action_plan import announce_deadline, post_deadline

# Monday 28 September 2026: day 30 is Wednesday 28 October, a working day.
ORDINANCE = date(2026, 9, 28)
DEADLINE = date(2026, 10, 28)


def _action_plan(org, planner, ordinance: date) -> ActionPlan:
    row = drafted(org, planner)
    row.ordinance_announced_on = ordinance
    _db.session.commit()
    return row


def _announce(row: ActionPlan, secretary, executive, on: date, *, post: bool = True) -> None:
    engine.fire("action_plan", row.id, "submit_to_executive", secretary)
    engine.fire("action_plan", row.id, "announce", executive, data={"announced_on": on.isoformat()})
    if post:
        engine.fire("action_plan", row.id, "post", secretary)


@pytest.fixture
def late_and_in_time(world, db):
    """sao_a opened its action plan and never announced it; town_b announced its own in time and
    posted it. Both ordinances were announced on the same day."""
    w = world
    w.late = _action_plan(w.sao_a, w.planner, ORDINANCE)
    w.in_time = _action_plan(w.town_b, w.town_planner, ORDINANCE)
    _announce(w.in_time, w.town_planner, w.town_executive, ORDINANCE + timedelta(days=20))
    return w


def _action_plan_items(today: date) -> list[deadlines.OverdueItem]:
    return [i for i in deadlines.all_overdue_items(today) if i.kind.startswith("action_plan_")]


def test_the_late_action_plan_is_on_the_shared_overdue_list_from_day_31_only(late_and_in_time):
    w = late_and_in_time
    assert announce_deadline(ORDINANCE) == DEADLINE
    assert _action_plan_items(DEADLINE) == []
    (item,) = _action_plan_items(DEADLINE + timedelta(days=1))
    assert (item.kind, item.organisation_id, item.action_plan_id) == (
        "action_plan_not_announced",
        w.sao_a.id,
        w.late.id,
    )
    assert (item.deadline, item.days_overdue, item.period_start_be) == (DEADLINE, 1, w.late.fiscal_year_be)
    assert item.plan_title == f"แผนการดำเนินงาน ประจำปีงบประมาณ {w.late.fiscal_year_be}"
    assert "ยังไม่ได้ประกาศแผนการดำเนินงาน" in item.reason and "28 ตุลาคม 2569" in item.reason


def _action_plan_notifications(db) -> list[Notification]:
    return list(
        db.session.scalars(
            select(Notification)
            .where(Notification.dedupe_key.contains("action_plan"))
            .order_by(Notification.id)
        )
    )


def test_every_daily_run_tells_each_person_once_per_reminder_point_and_once_when_late(
    late_and_in_time, db, app
):
    w = late_and_in_time
    assert app.config["REMINDER_DAYS_BEFORE"] == (14, 3)
    new_per_person_and_day: Counter = Counter()
    day = ORDINANCE
    while day <= DEADLINE + timedelta(days=8):
        before = {n.id for n in _action_plan_notifications(db)}
        reminders.run_deadline_checks(day)
        reminders.run_deadline_checks(day)  # a rerun the same day adds nothing
        for n in _action_plan_notifications(db):
            if n.id not in before:
                new_per_person_and_day[(n.user_id, day)] += 1
        day += timedelta(days=1)
    # Nobody is told twice on one day (the overdue list and the reminders share one path).
    assert max(new_per_person_and_day.values()) == 1
    told: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for n in _action_plan_notifications(db):
        told[n.user_id].append((n.kind, n.dedupe_key))
    key = f"{w.sao_a.id}:{w.late.fiscal_year_be}:{DEADLINE.isoformat()}"
    for person in (w.planner, w.support_secretary, w.executive):
        assert sorted(told.pop(person.id)) == [
            ("overdue", f"overdue:action_plan_not_announced:{w.sao_a.id}:{w.late.id}:{DEADLINE.isoformat()}"),
            ("reminder", f"reminder:action_plan:{key}:14d"),
            ("reminder", f"reminder:action_plan:{key}:3d"),
        ], person.username
    # An อบต.'s district office is told once it is late; town_b's people and office hear nothing.
    assert told == {
        w.district_officer.id: [
            (
                "escalation",
                f"escalation:action_plan_not_announced:{w.sao_a.id}:{w.late.id}:{DEADLINE.isoformat()}",
            )
        ]
    }
    notified = _action_plan_notifications(db)
    assert {n.link for n in notified} == {f"/execution/action-plans/{w.late.id}"}
    assert {n.organisation_id for n in notified} == {w.sao_a.id}


def test_an_announced_action_plan_not_posted_in_time_is_overdue_then_reminded_and_told_once(world, db):
    w = world
    row = _action_plan(w.sao_a, w.planner, ORDINANCE)
    announced = date(2026, 10, 20)
    _announce(row, w.planner, w.executive, announced, post=False)
    deadline = post_deadline(announced)
    assert deadline == date(2026, 11, 4)  # 15 days (a Wednesday)
    assert _action_plan_items(deadline) == []
    (item,) = _action_plan_items(deadline + timedelta(days=2))
    assert (item.kind, item.action_plan_id, item.days_overdue) == ("action_plan_not_posted", row.id, 2)
    assert "ยังไม่ได้ปิดประกาศ" in item.reason
    for today in (
        date(2026, 11, 1),
        date(2026, 11, 1),
        deadline + timedelta(days=1),
        deadline + timedelta(days=2),
    ):
        reminders.run_deadline_checks(today)
    kinds = Counter((n.user_id, n.kind) for n in _action_plan_notifications(db))
    for person in (w.planner, w.support_secretary, w.executive):
        assert (kinds[(person.id, "reminder")], kinds[(person.id, "overdue")]) == (1, 1)
    assert kinds[(w.district_officer.id, "escalation")] == 1
    # Posted: nothing more is owed.
    engine.fire("action_plan", row.id, "post", w.planner)
    assert _action_plan_items(deadline + timedelta(days=3)) == []


# -- the page, dated from the real today ---------------------------------------------------------------
@pytest.fixture
def late_today(world, db):
    """From the real today: sao_a's ordinance was announced 45 days ago and its action plan is still
    drafted; town_b announced its own 5 days after its ordinance and posted it."""
    w = world
    today = thaidate.today_local()
    w.late = _action_plan(w.sao_a, w.planner, today - timedelta(days=45))
    w.in_time = _action_plan(w.town_b, w.town_planner, today - timedelta(days=45))
    _announce(w.in_time, w.town_planner, w.town_executive, today - timedelta(days=40))
    return w


def _action_plan_rows(page: str) -> list[str]:
    return re.findall(r'<tr class="overdue action_plan_[a-z_]+">(.*?)</tr>', page, flags=re.DOTALL)


@pytest.mark.parametrize("office", ["district_officer", "provincial_officer"])
def test_the_late_lao_shows_on_its_offices_overdue_page_linked_to_its_action_plan(
    office, late_today, client, login_as
):
    w = late_today
    login_as(getattr(w, office))
    page = client.get("/overdue").get_data(as_text=True)
    (row,) = _action_plan_rows(page)
    assert w.sao_a.code in row and w.sao_a.display_name in row
    assert "ยังไม่ได้ประกาศแผนการดำเนินงาน" in row
    assert f'href="/execution/action-plans/{w.late.id}"' in row
    assert w.town_b.code not in "".join(_action_plan_rows(page))


def test_the_lao_sees_its_own_late_action_plan_and_others_do_not(late_today, client, login_as):
    w = late_today
    login_as(w.planner)
    assert len(_action_plan_rows(client.get("/overdue").get_data(as_text=True))) == 1
    for outsider in (w.town_planner, w.district_officer_2, w.planner_x):
        login_as(outsider)
        assert _action_plan_rows(client.get("/overdue").get_data(as_text=True)) == [], outsider.username
