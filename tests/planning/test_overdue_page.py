"""The overdue page: each person sees the late work of the LAOs they oversee, longest overdue first."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from eplan_flow import thaidate
from eplan_flow.services.planning import duties
from tests.factories.deadlines import plan_in
from workflows import deadlines


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def late(world):
    """Dated from the real today: sao_a announced its plan 20 days ago and has not submitted it;
    sao_c and sao_x have no plan for the period due; town_b's is done."""
    w = world
    w.today = thaidate.today_local()
    w.period = deadlines.due_period("sao", w.today)
    w.a_plan = plan_in(w.sao_a, w.planner, w.period, "announced", announced_on=w.today - timedelta(days=20))
    # It posted its announcement that day (ข้อ 24), a duty for announcements from 7 Dec 2569 on:
    # only the late submission is overdue here, whatever today is.
    if any(d.duty == "posting" for d in duties.duties_for(w.planner, "plan", w.a_plan.id)):
        duties.record_duty(w.planner, "plan", w.a_plan.id, "posting", w.today - timedelta(days=20))
    plan_in(
        w.town_b,
        w.town_planner,
        w.period,
        "acknowledged",
        announced_on=date(2000, 1, 1),
        submitted_on=date(2000, 1, 2),
    )
    return w


def rows(page: str) -> list[str]:
    return re.findall(r'<tr class="overdue [a-z_]+">(.*?)</tr>', page, flags=re.DOTALL)


def test_signing_in_is_required(client, late):
    response = client.get("/overdue")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login")


def test_a_planner_sees_only_their_own_lao(client, login_as, late):
    w = late
    login_as(w.planner)
    page = text(client.get("/overdue"))
    found = rows(page)
    assert len(found) == 1
    assert w.sao_a.code in found[0]
    assert "ยังไม่ได้ส่งอำเภอและจังหวัดภายใน 15 วัน" in found[0]
    assert f"/instances/plan/{w.a_plan.id}" in found[0]
    assert thaidate.format_date(w.today - timedelta(days=5)) in found[0]  # the day it fell due
    assert w.sao_c.code not in page


def test_a_district_officer_sees_the_districts_laos(client, login_as, late):
    w = late
    login_as(w.district_officer_2)
    found = rows(text(client.get("/overdue")))
    assert len(found) == 1 and w.sao_c.code in found[0]
    assert f"(พ.ศ. {w.period}–{w.period + 4})" in found[0]


def test_a_provincial_officer_sees_the_province_longest_overdue_first(client, login_as, late):
    w = late
    login_as(w.provincial_officer)
    found = rows(text(client.get("/overdue")))
    assert len(found) == 2
    assert not any(w.sao_x.code in row for row in found)
    c_days = deadlines.days_overdue(deadlines.review_deadline("sao", w.period), w.today)
    by_days = sorted([(5, w.sao_a.code), (c_days, w.sao_c.code)], key=lambda d: (-d[0], d[1]))
    for row, (days, code) in zip(found, by_days):
        assert code in row
        assert f'<td data-label="จำนวนวันที่เกินกำหนด">{days}</td>' in row


def test_a_person_with_nothing_late_is_told_so(client, login_as, late):
    login_as(late.town_planner)
    page = text(client.get("/overdue"))
    assert rows(page) == []
    assert 'class="panel"' in page


def test_a_plan_for_the_period_in_force_never_announced_shows_with_how_late_it_is(client, login_as, late, db):
    """ทม.บึงกาฬ's case: a 2566–2570 plan started and never announced stays overdue after the
    deadline of the next period has passed."""
    w = late
    in_force = deadlines.period_in_force(w.today)
    stuck = plan_in(w.sao_c, w.planner_c, in_force, "committee_review")
    login_as(w.district_officer_2)
    found = [row for row in rows(text(client.get("/overdue"))) if f"(พ.ศ. {in_force}–{in_force + 4})" in row]
    assert len(found) == 1 and w.sao_c.code in found[0]
    assert f"/instances/plan/{stuck.id}" in found[0]
    deadline = deadlines.review_deadline("sao", in_force)
    assert thaidate.format_date(deadline) in found[0]
    days = deadlines.days_overdue(deadline, w.today)
    assert f'<td data-label="จำนวนวันที่เกินกำหนด">{days}</td>' in found[0]
