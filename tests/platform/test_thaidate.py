"""Buddhist-Era dates and the Thai fiscal year (docs/DOMAIN.md §6)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from eplan_flow import thaidate


@pytest.mark.parametrize(
    ("day", "fiscal_year"),
    [
        (date(2026, 9, 30), 2569),  # the last day of FY 2569
        (date(2026, 10, 1), 2570),  # the first day of FY 2570
        (date(2026, 11, 26), 2570),
        (date(2027, 1, 1), 2570),
        (date(2027, 9, 30), 2570),
        (date(2027, 10, 1), 2571),
    ],
)
def test_the_fiscal_year_turns_over_between_30_september_and_1_october(day, fiscal_year):
    assert thaidate.fiscal_year(day) == fiscal_year


def test_a_fiscal_year_runs_from_1_october_to_30_september():
    assert thaidate.fiscal_year_bounds(2570) == (date(2026, 10, 1), date(2027, 9, 30))
    first, last = thaidate.fiscal_year_bounds(2570)
    assert thaidate.fiscal_year(first) == thaidate.fiscal_year(last) == 2570
    assert thaidate.fiscal_year(first - timedelta(days=1)) == 2569


def test_buddhist_era_is_common_era_plus_543_both_ways():
    assert thaidate.be_year(2026) == 2569
    assert thaidate.ce_year(2569) == 2026


def test_dates_are_written_with_thai_month_names_and_the_buddhist_era():
    assert thaidate.format_date(date(2026, 11, 26)) == "26 พฤศจิกายน 2569"
    assert thaidate.format_date(date(2027, 1, 1), short=True) == "1 ม.ค. 2570"
    assert [thaidate.format_date(date(2026, m, 1)).split()[1] for m in (2, 7, 12)] == [
        "กุมภาพันธ์",
        "กรกฎาคม",
        "ธันวาคม",
    ]


def test_english_dates_keep_the_common_era():
    assert thaidate.format_date(date(2026, 11, 26), "en") == "26 November 2026"
    assert thaidate.format_date(date(2026, 11, 26), "en", short=True) == "26 Nov 2026"


def test_times_are_shown_in_bangkok_so_a_late_utc_evening_is_the_next_thai_day():
    late = datetime(2026, 9, 30, 18, 30, tzinfo=UTC)  # 01:30 on 1 October in Bangkok
    assert thaidate.format_datetime(late) == "1 ตุลาคม 2569 01:30 น."
    assert thaidate.format_date(late) == "1 ตุลาคม 2569"
    assert thaidate.fiscal_year(thaidate.to_local(late).date()) == 2570


def test_empty_dates_render_as_nothing():
    assert thaidate.format_date(None) == ""
    assert thaidate.format_datetime(None) == ""
