"""Deadlines of the plan lifecycle (docs/DOMAIN.md §4), version 1: rule data and pure date arithmetic.

Reading of "make or review the plan by the end of October before the next fiscal year" against the
fiscal calendar (docs/DOMAIN.md §6: fiscal year B.E. N runs 1 October of CE N-544 to 30 September of CE
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
import copy
from datetime import date, timedelta
from typing import Any

from workflows import calendar as thai_calendar

BE_OFFSET = 543

_OCTOBER = {"month": 10, "fiscal_years_before": 1}

# Plain data (rules read by the functions below), so its values are of mixed types.
DEADLINES_V1: dict[str, Any] = {
    "version": 1,
    # Plans run five fiscal years, the current one from 2566; the periods before and after follow.
    "period": {"anchor_start_be": 2566, "years": 5},
    # Make or review the plan by the end of ``month`` in the fiscal year that lies
    # ``fiscal_years_before`` years before the period's first fiscal year (ข้อ 17 and docs/DOMAIN.md §4).
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
    # The monitoring and evaluation report (ข้อ 28–30, docs/DOMAIN.md §5): announced within
    # ``announce_within_days`` of its presentation to the council, posted at least ``posting_days``,
    # and at least once a year by ``yearly_by`` following the fiscal year's end. Many LAOs report
    # twice: the April round covers October–March, the October round the full fiscal year. A
    # round's ``from``/``to`` are month and day within its fiscal year; ``report_month`` is when it is
    # usually reported (uncertain; informative only).
    "evaluation": {
        "announce_within_days": 15,
        "posting_days": 30,
        "yearly_by": {"month": 12, "day": 31},
        "rounds": {
            "april": {
                "from": {"month": 10, "day": 1},
                "to": {"month": 3, "day": 31},
                "report_month": 4,
                "label": {"th": "รอบเดือนเมษายน (ตุลาคม–มีนาคม)", "en": "April round (October–March)"},
            },
            "october": {
                "from": {"month": 10, "day": 1},
                "to": {"month": 9, "day": 30},
                "report_month": 10,
                "label": {"th": "รอบเดือนตุลาคม (ทั้งปีงบประมาณ)", "en": "October round (the full fiscal year)"},
            },
        },
    },
    # Why an item is overdue, as a person reads it; the service fills in the formatted values.
    "reasons": {
        "plan_not_announced": {
            "th": "ยังไม่ได้ประกาศใช้แผนพัฒนาท้องถิ่น (พ.ศ. {start}–{end}) "
            "ซึ่งต้องจัดทำหรือทบทวนให้แล้วเสร็จภายใน {deadline}",
            "en": "The local development plan ({start}–{end}) is not announced; "
            "it had to be made or reviewed by {deadline}",
        },
        "plan_not_submitted": {
            "th": "ประกาศใช้แผนเมื่อ {announced} แต่ยังไม่ได้ส่งอำเภอและจังหวัดภายใน {days} วัน (ครบกำหนด {deadline})",
            "en": "Announced on {announced} but not submitted to the district and province "
            "within {days} days (due {deadline})",
        },
        "evaluation_not_announced": {
            "th": "ยังไม่ได้ประกาศรายงานผลการติดตามและประเมินผลแผนพัฒนาท้องถิ่น ปีงบประมาณ {year} "
            "ซึ่งต้องประกาศอย่างน้อยปีละหนึ่งครั้งภายใน {deadline}",
            "en": "The monitoring and evaluation report of fiscal year {year} is not announced; "
            "it had to be announced by {deadline}",
        },
        "evaluation_announcement_late": {
            "th": "เสนอรายงานผลการติดตามและประเมินผลต่อสภาท้องถิ่นเมื่อ {presented} "
            "แต่ยังไม่ได้ประกาศภายใน {days} วัน (ครบกำหนด {deadline})",
            "en": "The evaluation report was presented to the council on {presented} but not "
            "announced within {days} days (due {deadline})",
        },
    },
}


# Version 2 (issue 12, item 6 and 10): after announcing a plan *or a revision* the LAO sends copies to
# the council, the district and the province within 15 days and posts the announcement publicly for
# at least 30 days (ข้อ 24, ../shared/DOMAIN.md §7 [R]); a deadline that lands on a weekend or a
# holiday moves to the next working day (ประมวลกฎหมายแพ่งและพาณิชย์ มาตรา 193/8), counted on the
# government calendar of ``workflows.calendar``. Version 1's calendar-day arithmetic stays for
# announcements before ``effective_from``: an item started under version 1 finishes under it.
DEADLINES_V2: dict[str, Any] = copy.deepcopy(DEADLINES_V1)
DEADLINES_V2["version"] = 2
DEADLINES_V2["roll_past_holidays"] = True
DEADLINES_V2["announcement_duties"] = {
    # The day version 2 took effect: announcements (of plans and revisions) from this day on are
    # tracked under it; earlier ones finish under version 1 (a plan's submission only).
    "effective_from": "2026-12-07",
    # What each announced item owes. A plan's copies to the district and province are its
    # ``submit_to_oversight`` step (the plan workflow, tracked as "plan_not_submitted"), so a plan
    # owes only the posting here; a revision has no such step and owes both.
    "duties": {"plan": ("posting",), "revision": ("copies", "posting")},
    # Days after the announcement to do each (the posting starts within the same 15 days the LAO has
    # to inform: uncertain, rule data); ``keep_days`` is how long it must then stay up.
    "within_days": {"copies": 15, "posting": 15},
    "posting_keep_days": 30,
    "labels": {
        "copies": {
            "th": "ส่งสำเนาประกาศให้สภาท้องถิ่น อำเภอ และจังหวัด",
            "en": "Send copies to the council, the district and the province",
        },
        "posting": {
            "th": "ปิดประกาศโดยเปิดเผยไม่น้อยกว่า 30 วัน",
            "en": "Post the announcement publicly for at least 30 days",
        },
    },
}
DEADLINES_V2["reasons"]["duty_not_done"] = {
    "th": "{subject} ประกาศใช้เมื่อ {announced} แต่ยังไม่ได้{what}ภายใน {days} วัน (ครบกำหนด {deadline})",
    "en": "{subject}, announced on {announced}: not yet done within {days} days: {what} (due {deadline})",
}
DEADLINES = DEADLINES_V2


def roll_forward(day: date, rules: dict) -> date:
    """``day``, or the next working day when the rules move deadlines past weekends and holidays."""
    return thai_calendar.next_working_day(day) if rules.get("roll_past_holidays") else day


def duty_deadline(duty: str, announced_on: date, rules: dict = DEADLINES_V2) -> date:
    """The last day to do an announcement duty ("copies" or "posting") of ``announced_on``."""
    spec = rules["announcement_duties"]
    return roll_forward(announced_on + timedelta(days=spec["within_days"][duty]), rules)


def posted_until(posted_on: date, rules: dict = DEADLINES_V2) -> date:
    """The earliest day a notice posted on ``posted_on`` may come down (at least N days posted)."""
    return posted_on + timedelta(days=rules["announcement_duties"]["posting_keep_days"])


def duty_label(duty: str, locale: str = "th", rules: dict = DEADLINES_V2) -> str:
    """What a duty asks, as a person reads it (Thai unless English is asked for)."""
    labels = rules["announcement_duties"]["labels"][duty]
    return labels.get(locale, labels["th"])


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
    return roll_forward(announced_on + timedelta(days=rules["submission_days"]), rules)


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


def period_in_force(today: date, rules: dict = DEADLINES_V1) -> int:
    """The first year of the plan period that ``today``'s fiscal year falls in (the plan in force)."""
    fiscal_year_be = today.year + BE_OFFSET + (1 if today.month >= 10 else 0)
    years = rules["period"]["years"]
    anchor = rules["period"]["anchor_start_be"]
    return anchor + (fiscal_year_be - anchor) // years * years


def overdue_periods(lao_type: str, today: date, rules: dict = DEADLINES_V1) -> list[int]:
    """The periods whose plan ``today`` is past the deadline of and which have not ended: the period
    in force, and the next one once its own deadline has passed (``due_period``), in order."""
    due = due_period(lao_type, today, rules)
    in_force = period_in_force(today, rules)
    return sorted({start for start in (in_force, due) if start <= due})


def reason(kind: str, locale: str = "th", rules: dict = DEADLINES_V1, **values) -> str:
    """Why an item is overdue, in ``locale`` (Thai unless English is asked for)."""
    texts = rules["reasons"][kind]
    return texts.get(locale, texts["th"]).format(**values)


# -- the monitoring and evaluation report ----------------------------------------------------------
class UnknownRound(ValueError):
    """The rules name no evaluation round by that name."""


def _month_day(fiscal_year_be: int, month_day: dict) -> date:
    # Fiscal year N's October to December fall in CE N-544, its January to September in CE N-543.
    month = month_day["month"]
    ce = fiscal_year_be - BE_OFFSET - (1 if month >= 10 else 0)
    return date(ce, month, month_day["day"])


def evaluation_round_period(
    fiscal_year_be: int, round_name: str, rules: dict = DEADLINES_V1
) -> tuple[date, date]:
    """The first and last day an evaluation round of fiscal year ``fiscal_year_be`` covers."""
    try:
        spec = rules["evaluation"]["rounds"][round_name]
    except KeyError:
        raise UnknownRound(round_name) from None
    return _month_day(fiscal_year_be, spec["from"]), _month_day(fiscal_year_be, spec["to"])


def evaluation_round_label(round_name: str, locale: str = "th", rules: dict = DEADLINES_V1) -> str:
    """A round's name as a person reads it (Thai unless English is asked for)."""
    try:
        labels = rules["evaluation"]["rounds"][round_name]["label"]
    except KeyError:
        raise UnknownRound(round_name) from None
    return labels.get(locale, labels["th"])


def evaluation_announce_deadline(presented_on: date, rules: dict = DEADLINES_V1) -> date:
    """The last day to announce an evaluation report presented to the council on ``presented_on``."""
    return presented_on + timedelta(days=rules["evaluation"]["announce_within_days"])


def evaluation_posting_until(announced_on: date, rules: dict = DEADLINES_V1) -> date:
    """The last day an announced evaluation report must stay posted."""
    return announced_on + timedelta(days=rules["evaluation"]["posting_days"])


def evaluation_yearly_deadline(fiscal_year_be: int, rules: dict = DEADLINES_V1) -> date:
    """The last day to announce fiscal year ``fiscal_year_be``'s report: 31 December after its end."""
    by = rules["evaluation"]["yearly_by"]
    # The fiscal year ends on 30 September of CE N-543; the first such month-day after that.
    ce = fiscal_year_be - BE_OFFSET
    deadline = date(ce, by["month"], by["day"])
    return deadline if deadline > date(ce, 9, 30) else date(ce + 1, by["month"], by["day"])


# Version 3 (issue 14, item 2): the monitoring rule of the 2561 amendment (ข้อ 29(3) and ข้อ 30 as
# amended by ระเบียบ มท ฉบับที่ 3 พ.ศ. 2561, ../shared/DOMAIN.md §7 [V]). The committee reports to the
# executive at least once a year, within December, with a report covering the whole fiscal year; the
# report is announced within 15 days of that report to the executive (version 1 counted from the
# presentation to the council) and posted for at least 30 days. The April round (October–March) stays
# possible but no longer meets the yearly duty. Reports follow the rules their workflow version names
# (``EVALUATION_V2["rules"]["deadlines_version"]``): a report started on ``EVALUATION_V1`` finishes
# under version 1's evaluation rules.
DEADLINES_V3: dict[str, Any] = copy.deepcopy(DEADLINES_V2)
DEADLINES_V3["version"] = 3
DEADLINES_V3["evaluation"].update(
    {
        # The 15 days count from the day the committee reported to the executive ("executive");
        # version 1 counted from the presentation to the council ("council").
        "announce_from": "executive",
        # The announcement is posted within the same 15 days and stays up at least ``posting_days``.
        "post_within_days": 15,
        # What meets the yearly duty: a report of one of these rounds (covering the whole fiscal
        # year) reported to the executive by ``yearly_by`` following the fiscal year's end.
        "yearly_rounds": ("october",),
        "yearly_step": "executive",
        # The first fiscal year whose yearly report the app chases (earlier years were on paper).
        "chased_from_fiscal_year_be": 2569,
    }
)
DEADLINES_V3["evaluation"]["rounds"]["october"]["label"] = {
    "th": "ประจำปีงบประมาณ (ตุลาคม–กันยายน ทั้งปีงบประมาณ)",
    "en": "Yearly report (the full fiscal year, October–September)",
}
DEADLINES_V3["reasons"].update(
    {
        "evaluation_not_announced": {
            "th": "ยังไม่ได้เสนอรายงานผลการติดตามและประเมินผลประจำปีงบประมาณ {year} (ทั้งปีงบประมาณ) "
            "ต่อผู้บริหารท้องถิ่น ซึ่งต้องเสนอภายใน {deadline}",
            "en": "The yearly monitoring and evaluation report of fiscal year {year} (the full year) "
            "has not been reported to the executive; it had to be by {deadline}",
        },
        "evaluation_announcement_late": {
            "th": "รายงานผลการติดตามและประเมินผลต่อผู้บริหารท้องถิ่นเมื่อ {presented} "
            "แต่ยังไม่ได้ประกาศภายใน {days} วัน (ครบกำหนด {deadline})",
            "en": "The evaluation report was reported to the executive on {presented} but not "
            "announced within {days} days (due {deadline})",
        },
        "evaluation_not_posted": {
            "th": "ประกาศรายงานผลการติดตามและประเมินผลเมื่อ {announced} แต่ยังไม่ได้ปิดประกาศ"
            "ให้ประชาชนทราบ (ครบกำหนด {deadline})",
            "en": "The evaluation report was announced on {announced} but not posted for the public "
            "(due {deadline})",
        },
    }
)
DEADLINES_V3["texts"] = {
    # What the LAO's results page and home say of the yearly duty.
    "evaluation_yearly_duty": {
        "th": "รายงานผลการติดตามและประเมินผลประจำปีงบประมาณ {year} ต้องเสนอภายใน {deadline}",
        "en": "The monitoring and evaluation report of fiscal year {year} must be reported by {deadline}",
    },
}

# Each version by number: a report's workflow names the version its deadlines follow.
DEADLINES_BY_VERSION: dict[int, dict[str, Any]] = {1: DEADLINES_V1, 2: DEADLINES_V2, 3: DEADLINES_V3}
# The rules a newly opened evaluation report follows (its workflow's latest version names it too).
EVALUATION_DEADLINES = DEADLINES_V3


def rules_version(version: int) -> dict[str, Any]:
    """The deadline rules of ``version`` (1 for a number no version has: the rules before any)."""
    return DEADLINES_BY_VERSION.get(version, DEADLINES_V1)


def evaluation_counts_from(rules: dict) -> str:
    """Which step the announcement's 15 days count from: "council" (version 1) or "executive"."""
    return rules["evaluation"].get("announce_from", "council")


def evaluation_meets_yearly(round_name: str, rules: dict) -> bool:
    """Whether a report of ``round_name`` can meet the yearly duty under ``rules``."""
    return round_name in rules["evaluation"].get("yearly_rounds", tuple(rules["evaluation"]["rounds"]))


def evaluation_post_deadline(reported_on: date, rules: dict) -> date:
    """The last day to post a report reported to the executive on ``reported_on`` (version 3)."""
    days = rules["evaluation"].get("post_within_days", rules["evaluation"]["announce_within_days"])
    return reported_on + timedelta(days=days)


def text(kind: str, locale: str = "th", rules: dict = DEADLINES_V3, **values) -> str:
    """A sentence of the rules (``rules["texts"]``) in ``locale``, Thai unless English is asked for."""
    texts = rules["texts"][kind]
    return texts.get(locale, texts["th"]).format(**values)
