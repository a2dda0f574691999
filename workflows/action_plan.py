"""The action plan (แผนการดำเนินงาน, ข้อ 26–27), version 1, and its deadline rules.

Within 30 days of the budget ordinance's announcement the LAO makes its action plan for the fiscal
year from the plan's projects the ordinance funds (and projects of other agencies carried out in its
area), each with its months of implementation. The local development support committee (its
secretaries: the LAO's planner and support-committee secretary) drafts it → the executive announces it
(returning it with a reason instead, if need be) → it is posted for the public for at least 30 days.
``eplan_flow/services/delivery/action_plans.py`` checks the announcement's date against the rules below.
"""

from datetime import date, timedelta
from typing import Any

from workflows import calendar as thai_calendar

# Where the entry actions live (names only: this package imports no service).
_ACTION_PLANS = "eplan_flow.services.delivery.action_plans"
SECRETARIES = ["planner", "support_secretary"]

# The date on the executive's signed announcement; checked against the ordinance's announcement.
ANNOUNCEMENT = {"announced_on": "date"}

# Plain data (read by WorkflowDefinition, which checks it), so its values are of mixed types.
ACTION_PLAN_V1: dict[str, Any] = {
    "name": "action_plan",
    "version": 1,
    "title": {"th": "แผนการดำเนินงาน", "en": "Action plan"},
    "initial": "drafting",
    "states": {
        "drafting": {
            "th": "คณะกรรมการสนับสนุนการจัดทำแผนพัฒนาท้องถิ่นจัดทำร่าง",
            "en": "Drafting (support committee)",
        },
        "executive_review": {"th": "เสนอผู้บริหารท้องถิ่น", "en": "At the executive"},
        "announced": {"th": "ประกาศแผนการดำเนินงานแล้ว", "en": "Announced"},
        "posted": {"th": "ปิดประกาศให้ประชาชนทราบแล้ว", "en": "Posted for the public"},
    },
    "triggers": {
        "submit_to_executive": {"th": "เสนอผู้บริหารท้องถิ่น", "en": "Submit to the executive"},
        "announce": {"th": "ประกาศแผนการดำเนินงาน", "en": "Announce the action plan"},
        "post": {"th": "ปิดประกาศ", "en": "Post the announcement"},
        "return_for_revision": {"th": "ส่งกลับไปแก้ไข", "en": "Return for revision"},
    },
    "transitions": [
        {
            "trigger": "submit_to_executive",
            "source": "drafting",
            "dest": "executive_review",
            "roles": SECRETARIES,
        },
        {
            "trigger": "announce",
            "source": "executive_review",
            "dest": "announced",
            "roles": ["executive"],
            "data": ANNOUNCEMENT,
        },
        {"trigger": "post", "source": "announced", "dest": "posted", "roles": SECRETARIES},
        {
            "trigger": "return_for_revision",
            "source": "executive_review",
            "dest": "drafting",
            "roles": ["executive"],
            "comment_required": True,
        },
    ],
    "requires": {
        "announced": ["submit_to_executive"],
        "posted": ["submit_to_executive", "announce"],
    },
    # What entering a state does in the step's own transaction ("module:function").
    "on_enter": {
        "executive_review": [f"{_ACTION_PLANS}:require_items"],
        "announced": [f"{_ACTION_PLANS}:require_timely_announcement"],
        "posted": [f"{_ACTION_PLANS}:record_posting"],
        "drafting": [f"{_ACTION_PLANS}:reopen"],
    },
    "effects": ["notify_next_actors"],
}


# Deadline rules of the action plan, version 1 (ข้อ 26–27, ../shared/DOMAIN.md §4 and §7 [V]). Days
# are counted as Thai law counts them (the day of the ordinance's announcement is not counted): an
# ordinance announced on 1 October leaves until 31 October; a deadline on a weekend or a holiday moves
# to the next working day (as ``workflows.deadlines.DEADLINES_V2`` does).
ACTION_PLAN_DEADLINES_V1: dict[str, Any] = {
    "version": 1,
    "announce_within_days": 30,
    # The announced plan is posted for the public within 15 days of its announcement (ข้อ 26 (2), as
    # the plan's own announcement, ``DEADLINES_V2["announcement_duties"]``) and stays up 30 days.
    "post_within_days": 15,
    "posting_days": 30,
    "roll_past_holidays": True,
    # The states in which the plan is not yet announced, so the deadline is chased (reminders before
    # it, overdue notices after: ``eplan_flow/services/planning/reminders.py``).
    "chased_states": ("drafting", "executive_review"),
    "texts": {
        "post": {
            "th": "ปิดประกาศแผนการดำเนินงาน ประจำปีงบประมาณ {year} (ประกาศเมื่อ {announced}) "
            "ให้ประชาชนทราบ ไม่น้อยกว่า 30 วัน",
            "en": "Post the action plan of fiscal year {year} (announced on {announced}) for the public "
            "for at least 30 days",
        },
        "announce": {
            "th": "ประกาศแผนการดำเนินงาน ประจำปีงบประมาณ {year} (ข้อบัญญัติงบประมาณประกาศใช้เมื่อ {ordinance})",
            "en": "Announce the action plan of fiscal year {year} "
            "(budget ordinance announced on {ordinance})",
        },
    },
    "reasons": {
        "action_plan_not_announced": {
            "th": "ยังไม่ได้ประกาศแผนการดำเนินงาน ประจำปีงบประมาณ {year} ซึ่งต้องประกาศภายใน {days} วัน "
            "นับแต่วันประกาศใช้ข้อบัญญัติงบประมาณ ({ordinance}) คือภายใน {deadline}",
            "en": "The action plan of fiscal year {year} is not announced; it had to be announced within "
            "{days} days of the budget ordinance's announcement ({ordinance}), that is by {deadline}",
        },
        "action_plan_not_posted": {
            "th": "ประกาศแผนการดำเนินงาน ประจำปีงบประมาณ {year} เมื่อ {announced} แต่ยังไม่ได้ปิดประกาศ"
            "ให้ประชาชนทราบภายใน {days} วัน คือภายใน {deadline}",
            "en": "The action plan of fiscal year {year} was announced on {announced} but not posted for "
            "the public within {days} days, that is by {deadline}",
        },
    },
}
# The rules in force (a ministry letter that changes them is a new version, not an edit of this one).
ACTION_PLAN_DEADLINES = ACTION_PLAN_DEADLINES_V1


def announce_deadline(ordinance_announced_on: date, rules: dict = ACTION_PLAN_DEADLINES_V1) -> date:
    """The last day to announce the action plan of an ordinance announced on ``ordinance_announced_on``."""
    deadline = ordinance_announced_on + timedelta(days=rules["announce_within_days"])
    return thai_calendar.next_working_day(deadline) if rules.get("roll_past_holidays") else deadline


def post_deadline(announced_on: date, rules: dict = ACTION_PLAN_DEADLINES_V1) -> date:
    """The last day to post the action plan announced on ``announced_on`` for the public."""
    deadline = announced_on + timedelta(days=rules["post_within_days"])
    return thai_calendar.next_working_day(deadline) if rules.get("roll_past_holidays") else deadline


def posted_until(posted_on: date, rules: dict = ACTION_PLAN_DEADLINES_V1) -> date:
    """The earliest day an announcement posted on ``posted_on`` may come down (at least N days up)."""
    return posted_on + timedelta(days=rules["posting_days"])


def reason(kind: str, locale: str = "th", rules: dict = ACTION_PLAN_DEADLINES_V1, **values) -> str:
    """Why an action plan is overdue, as a person reads it, in ``locale`` (Thai unless English)."""
    texts = rules["reasons"][kind]
    return texts.get(locale, texts["th"]).format(**values)


def text(kind: str, locale: str = "th", rules: dict = ACTION_PLAN_DEADLINES_V1, **values) -> str:
    """A sentence of the rules (``rules["texts"]``) in ``locale``, Thai unless English is asked for."""
    texts = rules["texts"][kind]
    return texts.get(locale, texts["th"]).format(**values)
