"""Deadline rules of the plan lifecycle as data, and their date arithmetic (docs/DOMAIN.md §4 and §6)."""

from __future__ import annotations

import copy
from datetime import date

import pytest

from eplan_flow import thaidate
from workflows import deadlines
from workflows.deadlines import DEADLINES_V1

OCTOBER_TYPES = ["city_municipality", "town_municipality", "subdistrict_municipality", "sao", "pattaya"]


@pytest.mark.parametrize("lao_type", OCTOBER_TYPES)
def test_the_2566_plan_of_a_municipality_sao_or_pattaya_is_due_at_the_end_of_october_2564(lao_type):
    # 31 ต.ค. 2564: the October of fiscal year 2565, the year before the plan's first budget year.
    assert deadlines.review_deadline(lao_type, 2566) == date(2021, 10, 31)


def test_the_2566_plan_of_a_pao_is_due_at_the_end_of_june_2565():
    assert deadlines.review_deadline("pao", 2566) == date(2022, 6, 30)


@pytest.mark.parametrize("lao_type", [*OCTOBER_TYPES, "pao"])
@pytest.mark.parametrize("period_start_be", [2561, 2566, 2571])
def test_every_review_deadline_falls_in_the_fiscal_year_before_the_period_and_before_its_budget(
    lao_type, period_start_be
):
    deadline = deadlines.review_deadline(lao_type, period_start_be)
    assert thaidate.fiscal_year(deadline) == period_start_be - 1
    # Before the first budget of the period is drafted (by 15 August of the year before).
    first_fiscal_day, _ = thaidate.fiscal_year_bounds(period_start_be)
    assert deadline < date(first_fiscal_day.year, 8, 15)


def test_the_next_period_2571_is_due_on_31_october_2569():
    assert deadlines.review_deadline("sao", 2571) == date(2026, 10, 31)
    assert deadlines.review_deadline("pao", 2571) == date(2027, 6, 30)


def test_an_lao_type_without_a_rule_is_refused_by_name():
    with pytest.raises(deadlines.UnknownLaoType, match="district_office"):
        deadlines.review_deadline("district_office", 2566)


@pytest.mark.parametrize(
    ("today", "period"),
    [
        (date(2026, 9, 30), 2566),  # the last day of fiscal year 2569
        (date(2026, 10, 1), 2566),  # fiscal year 2570 begins; the 2571 plan is due within the month
        (date(2026, 10, 31), 2566),  # the deadline day itself is not late
        (date(2026, 11, 1), 2571),  # the day after: the 2571–2575 plan is late
        (date(2031, 11, 1), 2576),
        (date(2021, 11, 1), 2566),
        (date(2021, 10, 31), 2561),
    ],
)
def test_the_period_a_sao_is_late_for_turns_over_the_day_after_31_october(today, period):
    assert deadlines.due_period("sao", today) == period


@pytest.mark.parametrize(
    ("today", "period"),
    [(date(2027, 6, 30), 2566), (date(2027, 7, 1), 2571), (date(2026, 11, 1), 2566)],
)
def test_the_period_a_pao_is_late_for_turns_over_the_day_after_30_june(today, period):
    assert deadlines.due_period("pao", today) == period


def test_days_overdue_count_from_the_day_after_the_deadline():
    deadline = date(2026, 10, 31)
    assert deadlines.days_overdue(deadline, date(2026, 10, 30)) == 0
    assert deadlines.days_overdue(deadline, date(2026, 10, 31)) == 0
    assert deadlines.days_overdue(deadline, date(2026, 11, 1)) == 1
    assert deadlines.days_overdue(deadline, date(2026, 12, 31)) == 61


@pytest.mark.parametrize(
    ("announced_on", "due"),
    [
        (date(2026, 9, 15), date(2026, 9, 30)),
        (date(2026, 9, 16), date(2026, 10, 1)),  # across the fiscal year's turn
        (date(2026, 10, 16), date(2026, 10, 31)),
        (date(2026, 12, 20), date(2027, 1, 4)),  # across the calendar year
        (date(2028, 2, 20), date(2028, 3, 6)),  # a leap February
    ],
)
def test_an_announced_plan_is_due_at_the_district_and_province_15_days_later(announced_on, due):
    assert deadlines.submission_deadline(announced_on) == due


@pytest.mark.parametrize(
    ("announced_on", "until"),
    [
        (date(2026, 9, 30), date(2026, 10, 30)),
        (date(2026, 10, 1), date(2026, 10, 31)),
        (date(2026, 10, 31), date(2026, 11, 30)),
    ],
)
def test_an_announcement_stays_posted_at_least_30_days(announced_on, until):
    assert deadlines.posting_until(announced_on) == until


def test_a_new_rule_version_changes_the_dates_without_code():
    rules = copy.deepcopy(DEADLINES_V1)
    rules["version"] = 2
    rules["review"]["pao"] = {"month": 10, "fiscal_years_before": 1}
    rules["submission_days"] = 30
    rules["posting_days"] = 45
    assert deadlines.review_deadline("pao", 2566, rules) == date(2021, 10, 31)
    assert deadlines.submission_deadline(date(2026, 10, 1), rules) == date(2026, 10, 31)
    assert deadlines.posting_until(date(2026, 10, 1), rules) == date(2026, 11, 15)
    # The shipped version is untouched.
    assert deadlines.review_deadline("pao", 2566) == date(2022, 6, 30)


def test_reasons_are_thai_by_default_and_english_on_request():
    th = deadlines.reason("plan_not_announced", start=2571, end=2575, deadline="31 ตุลาคม 2569")
    assert th.startswith("ยังไม่ได้ประกาศใช้แผนพัฒนาท้องถิ่น (พ.ศ. 2571–2575)")
    assert "31 ตุลาคม 2569" in th
    en = deadlines.reason("plan_not_submitted", "en", announced="1 Oct 2026", days=15, deadline="16 Oct 2026")
    assert (
        en
        == "Announced on 1 Oct 2026 but not submitted to the district and province within 15 days (due 16 Oct 2026)"
    )


@pytest.mark.parametrize(
    "today, in_force, late",
    [
        (date(2026, 9, 30), 2566, [2566]),  # fiscal year 2569: only the plan in force
        (date(2026, 10, 31), 2566, [2566]),  # the 2571 deadline itself: not late yet
        (date(2026, 11, 1), 2566, [2566, 2571]),  # the plan in force and the next one
        (date(2027, 10, 1), 2571, [2571]),  # fiscal year 2571: the 2566 period has ended
    ],
)
def test_an_sao_is_late_for_the_plan_in_force_and_for_the_next_once_its_deadline_passed(
    today, in_force, late
):
    assert deadlines.period_in_force(today) == in_force
    assert deadlines.overdue_periods("sao", today) == late
