"""Dates are typed as every page shows them: day/month/year of the Buddhist Era (issue 11, item 5).

A page's date box (``eplan_flow.text.parse_typed_date``) reads dd/mm/yyyy B.E., refuses a Gregorian
year typed by mistake and still reads ISO ``YYYY-MM-DD``; it shows a date back as dd/mm/yyyy B.E.
(``format_date_input``, ``ThaiDateField``). The services and the JSON API keep ISO (``parse_date``).
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from flask_wtf import FlaskForm
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from eplan_flow import text
from eplan_flow.form_input import BE_DATE_PATTERN, ThaiDateField
from eplan_flow.thaidate import today_local


def reason_of(raw: str, **kwargs) -> str:
    with pytest.raises(text.InputRefused) as refused:
        text.parse_typed_date(raw, field="meeting_date", **kwargs)
    return refused.value.reason


@pytest.mark.parametrize(
    ("typed", "day"),
    [
        ("15/01/2569", date(2026, 1, 15)),
        ("5/1/2569", date(2026, 1, 5)),
        ("15.01.2569", date(2026, 1, 15)),
        ("15-01-2569", date(2026, 1, 15)),
        (" 15 / 01 / 2569 ", date(2026, 1, 15)),
        ("15/01/2569 พ.ศ.", date(2026, 1, 15)),
        ("๑๕/๐๑/๒๕๖๙", date(2026, 1, 15)),
        ("29/02/2567", date(2024, 2, 29)),  # B.E. 2567 is 2024, a leap year
        ("2026-01-15", date(2026, 1, 15)),  # ISO, Gregorian: what the API sends
        ("2569-01-15", date(2026, 1, 15)),  # ISO order with a B.E. year is still B.E.
    ],
)
def test_a_date_typed_day_month_buddhist_year_is_the_gregorian_day_it_names(typed, day):
    assert text.parse_typed_date(typed, field="meeting_date") == day


@pytest.mark.parametrize("typed", ["31/04/2569", "29/02/2569", "00/01/2569", "15/13/2569", "15/01/69"])
def test_a_day_that_does_not_exist_is_refused_as_not_a_date(typed):
    assert reason_of(typed) == "not_a_date"


def test_the_services_and_the_api_keep_iso_dates():
    assert text.parse_date("2026-01-15", field="paid_on") == date(2026, 1, 15)
    with pytest.raises(text.InputRefused) as refused:
        text.parse_date("15/01/2569", field="paid_on")
    assert refused.value.reason == "not_a_date"


def test_a_gregorian_year_typed_in_a_date_box_is_refused_with_the_buddhist_year_to_write():
    with pytest.raises(text.InputRefused) as refused:
        text.parse_typed_date("15/01/2026", field="meeting_date")
    assert refused.value.reason == "gregorian_year"
    assert (refused.value.details["year"], refused.value.details["be_year"]) == (2026, 2569)
    # Never read as B.E. 2026 (Gregorian 1483): a year before 2400 in dd/mm/yyyy is a mistake.
    assert reason_of("01/01/1957") == "gregorian_year"


def test_the_limits_of_the_rule_hold_in_the_buddhist_era_too():
    assert reason_of("31/12/2499") == "date_too_early"
    assert text.parse_typed_date("01/01/2500", field="meeting_date") == date(1957, 1, 1)
    tomorrow = today_local() + timedelta(days=1)
    assert reason_of(text.format_date_input(tomorrow)) == "date_in_future"
    assert text.parse_typed_date(text.format_date_input(tomorrow), field="due", not_future=False) == tomorrow


def test_a_date_box_shows_the_day_and_month_with_two_digits_and_the_buddhist_year():
    assert text.format_date_input(date(2026, 1, 5)) == "05/01/2569"
    assert text.format_date_input(None) == ""


@given(st.dates(min_value=date(1957, 1, 1), max_value=date(2100, 12, 31)))
def test_any_date_shown_in_a_date_box_reads_back_as_the_same_day(day):
    assert text.parse_typed_date(text.format_date_input(day), field="d", not_future=False) == day


@given(st.dates(min_value=date(1957, 1, 1), max_value=date(2100, 12, 31)))
def test_the_browser_pattern_lets_through_what_a_date_box_shows(day):
    assert re.fullmatch(BE_DATE_PATTERN, text.format_date_input(day))


# -- the form field -------------------------------------------------------------------------------
class MeetingForm(FlaskForm):
    class Meta:
        csrf = False

    meeting_date = ThaiDateField("Meeting date")


def submitted(app, typed: str) -> MeetingForm:
    with app.test_request_context("/", method="POST", data={"meeting_date": typed}):
        form = MeetingForm(formdata=MultiDict({"meeting_date": typed}))
        form.validate()
        form.rendered = form.meeting_date()  # type: ignore[attr-defined]
        return form


def test_the_field_reads_a_buddhist_date_and_renders_it_back_the_same_way(app):
    form = submitted(app, "๑๕/๑/๒๕๖๙")
    assert form.meeting_date.data == date(2026, 1, 15) and not form.meeting_date.errors
    assert 'value="15/01/2569"' in form.rendered
    # A text box for B.E. digits, never a Gregorian date picker.
    assert 'type="text"' in form.rendered and 'inputmode="numeric"' in form.rendered
    assert 'type="date"' not in form.rendered and "pattern=" in form.rendered


def test_the_field_refuses_a_gregorian_year_in_thai_and_keeps_what_was_typed(app):
    form = submitted(app, "15/01/2026")
    assert form.meeting_date.data is None
    assert form.meeting_date.errors == ["โปรดระบุปีเป็นพุทธศักราช (พ.ศ.) คือ 2569 ไม่ใช่ 2026"]
    assert 'value="15/01/2026"' in form.rendered


def test_the_field_refuses_a_day_that_does_not_exist_in_thai(app):
    form = submitted(app, "31/04/2569")
    assert form.meeting_date.errors == ["โปรดระบุวันที่ที่มีอยู่จริงเป็น วัน/เดือน/ปี พ.ศ. เช่น 15/01/2569"]


def test_an_empty_field_has_no_date_and_no_error(app):
    form = submitted(app, "  ")
    assert form.meeting_date.data is None and not form.meeting_date.errors


def test_a_date_from_the_record_renders_in_the_buddhist_era(app):
    with app.test_request_context("/"):
        form = MeetingForm(formdata=None, data={"meeting_date": date(2026, 11, 20)})
        assert 'value="20/11/2569"' in form.meeting_date()
