"""Deadlines of the plan lifecycle (DOMAIN.md §4), version 1: rule data and pure date arithmetic.

Reading of "make or review the plan by the end of October before the next fiscal year" against the
fiscal calendar (DOMAIN.md §6: fiscal year B.E. N runs 1 October of CE N-544 to 30 September of CE
N-543). The plan for 2566–2570 serves the budget of fiscal year 2566, whose ordinance goes to the
council by 15 August 2565 and is in force on 1 October 2565 (§5: only plan projects may be
budgeted). October 2565 is already inside fiscal year 2566, too late for its first budget; so the
October meant is the one of the fiscal year *before* the period's first, fiscal year 2565, i.e.
31 October 2564 (CE 2021-10-31). LAOs indeed held the civic forums for the 2561–2564 plan in
October 2559. The อบจ. month (June) is read the same way: 30 June 2565 (CE 2022-06-30), still before
the budget is drafted, and later than the LAOs' deadline because the อบจ. coordinates their plans.
Both the month and how many fiscal years before the period it falls are data (*uncertain*): a
ministry letter that moves them is a new version of this dict, not a code change.

Days are counted as Thai law counts them (the day of announcement is not counted): "within 15 days"
of an announcement on 1 March ends on 16 March; "at least 30 days" posted from 1 March ends on 31 March.
"""
from __future__ import annotations

import calendar
from datetime import date, timedelta

BE_OFFSET = 543

_OCTOBER = {"month": 10, "fiscal_years_before": 1}

DEADLINES_V1 = {
    "version": 1,
    # Plans run five fiscal years, the current one from 2566; the periods before and after follow.
    "period": {"anchor_start_be": 2566, "years": 5},
    # Make or review the plan by the end of ``month`` in the fiscal year that lies
    # ``fiscal_years_before`` years before the period's first fiscal year (ข้อ 17 and DOMAIN.md §4).
    "review": {
        "city_municipality": _OCTOBER,
        "town_municipality": _OCTOBER,
        "subdistrict_municipality": _OCTOBER,
        "sao": _OCTOBER,
        "pattaya": _OCTOBER,
        "pao": {"month": 6, "fiscal_years_before": 1},  # uncertain
    },
    # Inform the council, the district and the province within this many days of the announcement.
    "submission_days": 15,
    # Post the announcement publicly for at least this many days (uncertain for plans).
    "posting_days": 30,
    # Why an item is overdue, as a person reads it; the service fills in the formatted values.
    "reasons": {
        "plan_not_announced": {
            "th": "ยังไม่ได้ประกาศใช้แผนพัฒนาท้องถิ่น (พ.ศ. {start}–{end}) "
                  "ซึ่งต้องจัดทำหรือทบทวนให้แล้วเสร็จภายใน {deadline}",
            "en": "The local development plan ({start}–{end}) is not announced; "
                  "it had to be made or reviewed by {deadline}",
        },
        "plan_not_submitted": {
            "th": "ประกาศใช้แผนเมื่อ {announced} แต่ยังไม่ได้ส่งอำเภอและจังหวัดภายใน {days} วัน "
                  "(ครบกำหนด {deadline})",
            "en": "Announced on {announced} but not submitted to the district and province "
                  "within {days} days (due {deadline})",
        },
    },
}


class UnknownLaoType(ValueError):
    """The rules name no deadline for that LAO type."""


def _review_rule(lao_type: str, rules: dict) -> dict:
    try:
        return rules["review"][lao_type]
    except KeyError:
        raise UnknownLaoType(lao_type) from None


def review_deadline(lao_type: str, period_start_be: int, rules: dict = DEADLINES_V1) -> date:
    """The last day to make or review the plan whose period starts in fiscal year ``period_start_be``."""
    rule = _review_rule(lao_type, rules)
    fiscal_year_be = period_start_be - rule["fiscal_years_before"]
    month = rule["month"]
    # Fiscal year N's October to December fall in CE N-544, its January to September in CE N-543.
    ce = fiscal_year_be - BE_OFFSET - (1 if month >= 10 else 0)
    return date(ce, month, calendar.monthrange(ce, month)[1])


def submission_deadline(announced_on: date, rules: dict = DEADLINES_V1) -> date:
    """The last day to submit an announced plan to the district and the province."""
    return announced_on + timedelta(days=rules["submission_days"])


def posting_until(announced_on: date, rules: dict = DEADLINES_V1) -> date:
    """The last day an announcement must stay posted publicly."""
    return announced_on + timedelta(days=rules["posting_days"])


def days_overdue(deadline: date, today: date) -> int:
    """Whole days past ``deadline``; 0 on the deadline itself and before it."""
    return max(0, (today - deadline).days)


def due_period(lao_type: str, today: date, rules: dict = DEADLINES_V1) -> int:
    """The first year of the latest period whose plan ``today`` is already past the deadline of."""
    years = rules["period"]["years"]
    start = rules["period"]["anchor_start_be"]
    while review_deadline(lao_type, start, rules) >= today:
        start -= years
    while review_deadline(lao_type, start + years, rules) < today:
        start += years
    return start


def reason(kind: str, locale: str = "th", rules: dict = DEADLINES_V1, **values) -> str:
    """Why an item is overdue, in ``locale`` (Thai unless English is asked for)."""
    texts = rules["reasons"][kind]
    return texts.get(locale, texts["th"]).format(**values)
