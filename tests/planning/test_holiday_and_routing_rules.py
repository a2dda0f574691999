"""The government calendar, deadlines counted across it, and the province's routing, as rule data
(no database): issue 12, items 6, 9 and 10."""

from __future__ import annotations

import copy
from datetime import date

import pytest

from workflows import calendar, deadlines, routing
from workflows.calendar import HOLIDAYS_V1, HOLIDAYS_V2


def test_the_cabinet_special_holiday_and_the_ploughing_ceremony_of_2569_are_holidays():
    assert calendar.holiday_name(date(2026, 1, 2)) is not None  # วันหยุดพิเศษ (cabinet), 2 Jan 2569
    assert calendar.holiday_name(date(2026, 5, 13)) == "วันพืชมงคล"  # a government holiday
    assert not calendar.is_working_day(date(2026, 1, 2))
    assert not calendar.is_working_day(date(2026, 5, 13))
    # Version 1, entered by hand, missed both: that is why deadlines fell a day early.
    assert calendar.is_working_day(date(2026, 1, 2), HOLIDAYS_V1)
    assert calendar.is_working_day(date(2026, 5, 13), HOLIDAYS_V1)


def test_labour_day_is_a_working_day_for_government_offices():
    assert calendar.holiday_name(date(2026, 5, 1)) is None  # a Friday
    assert calendar.is_working_day(date(2026, 5, 1))
    # Nor is its substitute day: 1 May 2575 is a Saturday, and Monday 3 May stays a working day.
    assert calendar.is_working_day(date(2032, 5, 3))


def test_every_year_has_its_holidays_not_only_the_years_once_entered_by_hand():
    assert calendar.covered_years() is None  # every year, from the package
    assert calendar.holiday_name(date(2032, 4, 13)) == "วันสงกรานต์"  # B.E. 2575
    assert calendar.holiday_name(date(2032, 12, 10)) == "วันรัฐธรรมนูญ"
    assert not calendar.is_working_day(date(2032, 12, 10))  # a Friday
    # Version 1 counted Monday to Friday only outside 2569–2570.
    assert calendar.is_working_day(date(2032, 12, 10), HOLIDAYS_V1)


def test_a_late_cabinet_day_in_the_local_list_is_a_holiday():
    with_local = copy.deepcopy(HOLIDAYS_V2)
    with_local["local"] = {"2032-03-08": "วันหยุดราชการเพิ่มเป็นกรณีพิเศษ"}
    assert calendar.is_working_day(date(2032, 3, 8))
    assert calendar.holiday_name(date(2032, 3, 8), with_local) == "วันหยุดราชการเพิ่มเป็นกรณีพิเศษ"
    assert not calendar.is_working_day(date(2032, 3, 8), with_local)
    # The package's days are still there.
    assert calendar.holiday_name(date(2032, 4, 13), with_local) == "วันสงกรานต์"


def test_working_days_are_counted_across_the_new_holidays():
    # Wednesday 31 December 2568 to Tuesday 6 January 2569: 1 and 2 January are holidays.
    assert calendar.working_days_between(date(2025, 12, 31), date(2026, 1, 6)) == 2
    # Tuesday 12 to Friday 15 May 2569: พืชมงคล on Wednesday the 13th.
    assert calendar.working_days_between(date(2026, 5, 12), date(2026, 5, 15)) == 2


@pytest.mark.parametrize(
    ("announced_on", "due", "why"),
    [
        # 15 days land on Friday 2 January 2569, the cabinet's special holiday: Monday the 5th.
        (date(2025, 12, 18), date(2026, 1, 5), "cabinet special holiday"),
        # 15 days land on Wednesday 13 May 2569, พืชมงคล: Thursday the 14th.
        (date(2026, 4, 28), date(2026, 5, 14), "ploughing ceremony"),
        # 15 days land on Friday 1 May 2569, Labour Day: government offices work, it stays.
        (date(2026, 4, 16), date(2026, 5, 1), "labour day is not a government holiday"),
        # 15 days land on Wednesday 14 April 2570, in Songkran: Friday the 16th.
        (date(2027, 3, 30), date(2027, 4, 16), "songkran"),
        # 15 days land on Tuesday 13 April 2575, Songkran, in a year never entered by hand: Friday the 16th.
        (date(2032, 3, 29), date(2032, 4, 16), "a year never entered by hand"),
    ],
)
def test_a_15_day_deadline_ending_on_a_holiday_moves_to_the_next_working_day(announced_on, due, why):
    assert deadlines.duty_deadline("copies", announced_on) == due, why
    assert deadlines.duty_deadline("posting", announced_on) == due, why


def test_version_1_submission_keeps_counting_calendar_days():
    # An item started under version 1 finishes under it: no move past the holiday.
    assert deadlines.submission_deadline(date(2025, 12, 18)) == date(2026, 1, 2)
    assert deadlines.submission_deadline(date(2025, 12, 18), deadlines.DEADLINES_V2) == date(2026, 1, 5)


def test_a_posting_must_stay_up_at_least_30_days():
    assert deadlines.posted_until(date(2027, 4, 1)) == date(2027, 5, 1)


def test_a_plan_owes_its_posting_and_a_revision_its_copies_and_posting():
    duties = deadlines.DEADLINES_V2["announcement_duties"]["duties"]
    # A plan's copies to the district and the province are its submit_to_oversight step.
    assert duties["plan"] == ("posting",)
    assert duties["revision"] == ("copies", "posting")


@pytest.mark.parametrize(
    ("lao_type", "route", "escalates_to"),
    [
        ("sao", "via_district", "district_officer"),
        ("subdistrict_municipality", "via_district", "district_officer"),
        ("town_municipality", "direct", "provincial_officer"),
        ("city_municipality", "direct", "provincial_officer"),
        ("pao", "direct", "provincial_officer"),
        ("pattaya", "direct", "provincial_officer"),
        (None, "direct", "provincial_officer"),
    ],
)
def test_the_province_works_through_the_district_for_tt_and_sao_and_directly_with_the_others(
    lao_type, route, escalates_to
):
    assert routing.route(lao_type) == route
    assert routing.escalation_role(lao_type) == escalates_to
    assert (lao_type in routing.district_lao_types()) == (route == "via_district")
