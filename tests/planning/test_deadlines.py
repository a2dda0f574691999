"""Overdue work, computed for a province's LAOs on the real database (docs/DOMAIN.md §4)."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from sqlalchemy import event

from eplan_flow.extensions import db
from eplan_flow.services.planning.deadlines import overdue_items
from tests import factories
from tests.factories.deadlines import bangkok, plan_in

# Three weeks into fiscal year 2570: the 2571–2575 plans of municipalities and SAOs were due on
# 31 October 2569; the อบจ.'s is due on 30 June 2570.
TODAY = date(2026, 11, 20)


@pytest.fixture
def province(world):
    """Bueng Kan's LAOs in several states, and one LAO in another province."""
    w = world
    w.pao = factories.lao("บึงกาฬ", "pao", "3802")
    # sao_a made its 2571 plan but has not sent it to the district and province (due 16 Oct).
    w.a_2571 = plan_in(w.sao_a, w.planner, 2571, "announced", announced_on=date(2026, 10, 1))
    plan_in(
        w.sao_a,
        w.planner,
        2566,
        "acknowledged",
        announced_on=date(2021, 10, 1),
        submitted_on=date(2021, 10, 8),
    )
    # town_b is still drafting its 2571 plan; its 2566 plan was announced and submitted long ago.
    w.b_2571 = plan_in(w.town_b, w.town_planner, 2571, "committee_review")
    plan_in(
        w.town_b,
        w.town_planner,
        2566,
        "submitted",
        announced_on=date(2021, 9, 1),
        submitted_on=date(2021, 9, 10),
    )
    # sao_c has nothing for 2571; its 2566 plan was announced ten days ago (not yet late to submit).
    w.c_2566 = plan_in(w.sao_c, w.planner_c, 2566, "announced", announced_on=TODAY - timedelta(days=10))
    # The อบจ.'s 2566 plan was acknowledged: it owes nothing until June.
    plan_in(w.pao, None, 2566, "acknowledged", announced_on=date(2022, 6, 1), submitted_on=date(2022, 6, 5))
    # sao_x, in Nakhon Ratchasima, has nothing either.
    return w


def keyed(items):
    return {(i.lao_code, i.kind): i for i in items}


def test_a_provincial_officer_sees_every_late_plan_and_submission_in_the_province(province):
    w = province
    items = overdue_items(w.provincial_officer, today=TODAY)
    found = keyed(items)
    assert set(found) == {
        (w.sao_a.code, "plan_not_submitted"),
        (w.town_b.code, "plan_not_announced"),
        (w.sao_c.code, "plan_not_announced"),
    }
    late_submission = found[(w.sao_a.code, "plan_not_submitted")]
    assert late_submission.deadline == date(2026, 10, 16)
    assert late_submission.days_overdue == 35
    assert late_submission.plan_id == w.a_2571.id
    assert late_submission.reason == (
        "ประกาศใช้แผนเมื่อ 1 ตุลาคม 2569 แต่ยังไม่ได้ส่งอำเภอและจังหวัดภายใน 15 วัน (ครบกำหนด 16 ตุลาคม 2569)"
    )

    drafting = found[(w.town_b.code, "plan_not_announced")]
    assert drafting.period_start_be == 2571
    assert drafting.deadline == date(2026, 10, 31)
    assert drafting.days_overdue == 20
    assert drafting.plan_id == w.b_2571.id  # the page links to the plan still under way
    assert drafting.reason.startswith("ยังไม่ได้ประกาศใช้แผนพัฒนาท้องถิ่น (พ.ศ. 2571–2575)")
    assert "31 ตุลาคม 2569" in drafting.reason

    missing = found[(w.sao_c.code, "plan_not_announced")]
    assert missing.plan_id is None and missing.days_overdue == 20

    # Longest overdue first.
    assert [i.days_overdue for i in items] == sorted((i.days_overdue for i in items), reverse=True)
    assert items[0].kind == "plan_not_submitted"


def test_the_english_reason_is_given_when_asked_for(province):
    w = province
    items = overdue_items(w.planner_c, today=TODAY, locale="en")
    assert [i.reason for i in items] == [
        "The local development plan (2571–2575) is not announced; it had to be made or reviewed by 31 October 2026"
    ]


def test_each_role_sees_only_the_laos_it_oversees(province):
    w = province

    def codes(user):
        return {i.lao_code for i in overdue_items(user, today=TODAY)}

    assert codes(w.planner) == {w.sao_a.code}
    assert codes(w.town_planner) == {w.town_b.code}
    # The district office oversees its อบต. only: the province deals with town_b (a ทม.) directly.
    assert codes(w.district_officer) == {w.sao_a.code}
    assert codes(w.district_officer_2) == {w.sao_c.code}
    assert codes(w.provincial_officer) == {w.sao_a.code, w.town_b.code, w.sao_c.code}
    assert codes(w.provincial_officer_30) == {w.sao_x.code}
    assert codes(w.dla_admin) == {w.sao_a.code, w.town_b.code, w.sao_c.code, w.sao_x.code}
    assert codes(w.nobody) == set()


def test_nothing_is_late_on_the_deadline_day_and_the_day_after_it_is(province):
    w = province
    on_the_day = keyed(overdue_items(w.provincial_officer, today=date(2026, 10, 31)))
    # The 2571 plans are not late yet; sao_a's submission (due 16 October) is.
    assert set(on_the_day) == {(w.sao_a.code, "plan_not_submitted")}
    day_after = keyed(overdue_items(w.provincial_officer, today=date(2026, 11, 1)))
    assert day_after[(w.sao_c.code, "plan_not_announced")].days_overdue == 1


def test_a_pao_is_late_only_after_june(province):
    w = province
    assert w.pao.code not in {
        i.lao_code
        for i in overdue_items(w.provincial_officer, today=date(2027, 6, 30))
        if i.kind == "plan_not_announced"  # (its yearly evaluation report of 2569 is late by then)
    }
    late = keyed(overdue_items(w.provincial_officer, today=date(2027, 7, 1)))[
        (w.pao.code, "plan_not_announced")
    ]
    assert late.period_start_be == 2571
    assert late.deadline == date(2027, 6, 30)
    assert late.days_overdue == 1


def test_submission_is_late_from_the_sixteenth_bangkok_day_after_announcement(world):
    w = world
    # Announced late in the evening Bangkok time on 1 November: due on 16 November, late on the 17th.
    plan = plan_in(
        w.sao_a, w.planner, 2566, "announced", announced_on=bangkok(date(2026, 11, 1), time(23, 30))
    )
    assert not [
        i for i in overdue_items(w.planner, today=date(2026, 11, 16)) if i.kind == "plan_not_submitted"
    ]
    late = [i for i in overdue_items(w.planner, today=date(2026, 11, 17)) if i.kind == "plan_not_submitted"]
    assert [(i.plan_id, i.days_overdue) for i in late] == [(plan.id, 1)]


def test_a_submitted_or_returned_plan_is_not_late_to_submit(world):
    w = world
    plan_in(
        w.sao_a, w.planner, 2566, "submitted", announced_on=date(2026, 1, 1), submitted_on=date(2026, 1, 5)
    )
    # Returned with remarks: back to announced, but it was submitted in time once.
    plan_in(
        w.town_b,
        w.town_planner,
        2566,
        "announced",
        announced_on=date(2026, 1, 1),
        submitted_on=date(2026, 1, 5),
    )
    assert not [i for i in overdue_items(w.dla_admin, today=TODAY) if i.kind == "plan_not_submitted"]


def test_a_late_plan_announced_since_is_no_longer_overdue(province):
    w = province
    w.b_2571.status = "announced"
    w.b_2571.announced_at = bangkok(TODAY - timedelta(days=1))
    db.session.commit()
    assert (w.town_b.code, "plan_not_announced") not in keyed(
        overdue_items(w.provincial_officer, today=TODAY)
    )


def test_a_whole_province_is_computed_in_a_fixed_number_of_queries(world):
    w = world
    for n in range(60):
        factories.lao(
            f"ทดสอบ{n}", "sao" if n % 3 else "subdistrict_municipality", "3801" if n % 2 else "3802"
        )
    user = w.provincial_officer
    overdue_items(user, today=TODAY)  # loads the officer's grants once

    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        items = overdue_items(user, today=TODAY)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(items) == 63  # the 60 new LAOs and sao_a, town_b and sao_c
    # Two for the plans, two for the plans and revisions owing copies or posting (none here), one for
    # evaluation reports owing their announcement or posting (the yearly report is not due yet), one
    # for action plans owing their announcement or posting.
    assert len(statements) == 6


def test_a_started_plan_of_the_period_in_force_stays_overdue_after_the_next_deadline(world):
    """On 6 December 2569 the 2571–2575 plans are due (31 October 2569) and the 2566–2570 plans are in
    force: one started and never announced is overdue since 31 October 2564; an LAO with no plan
    record for the period in force (kept outside e-Plan) is late for 2571 only."""
    today = date(2026, 12, 6)
    stuck = plan_in(world.sao_a, world.planner, 2566, "committee_review")
    plan_in(world.sao_a, world.planner, 2571, "drafting")

    items = overdue_items(world.provincial_officer, today=today)

    mine = sorted(
        (i.period_start_be, i.plan_id, i.deadline, i.days_overdue)
        for i in items
        if i.lao_code == world.sao_a.code
    )
    assert mine[0] == (2566, stuck.id, date(2021, 10, 31), (today - date(2021, 10, 31)).days)
    assert [m[0] for m in mine] == [2566, 2571]
    others = {(i.lao_code, i.period_start_be) for i in items if i.lao_code != world.sao_a.code}
    assert (world.sao_c.code, 2571) in others and (world.sao_c.code, 2566) not in others
    assert items[0].lao_code == world.sao_a.code and items[0].period_start_be == 2566  # longest overdue first
    assert "(พ.ศ. 2566–2570)" in items[0].reason
