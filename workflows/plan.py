"""The five-year local development plan: making it (ระเบียบ มท. ข้อ 17), versions 1 and 2.

Support committee drafts with the civic forum → development committee → council (where the LAO's
type requires it) → executive approves and announces → submitted to district and province.

Version 2 records the civic forum's meeting (ประชาคมท้องถิ่น, ข้อ 17(1)) before the draft leaves
the support committee; plans started under version 1 finish under it.
"""

import copy
from typing import Any

# What a committee or council step records: "ครั้งที่ 4/2562 เมื่อวันที่ …".
MEETING = {"meeting_date": "date", "resolution": "text"}

# Where the entry actions live (names only: this package imports no service).
_PLANS = "eplan_flow.services.planning.plans"
_FORUM = "eplan_flow.services.planning.civic_forum"

_GATE_RETURNS = [
    ("committee_review", ["devcom_secretary"]),
    ("council_review", ["council_secretary"]),
    ("executive_review", ["executive"]),
]

# The ข้อ 17 procedure after the support committee, shared by making a plan and reviewing one (a
# review follows it in full): development committee → council where the LAO's type requires it →
# executive approves and announces; each of them may return the draft.
ARTICLE_17_STATES: dict[str, Any] = {
    "committee_review": {"th": "เสนอคณะกรรมการพัฒนาท้องถิ่น", "en": "At the development committee"},
    "council_review": {"th": "เสนอสภาท้องถิ่น", "en": "At the council"},
    "executive_review": {"th": "เสนอผู้บริหารท้องถิ่น", "en": "At the executive"},
    "announced": {"th": "ประกาศใช้แล้ว", "en": "Announced"},
}
ARTICLE_17_TRIGGERS: dict[str, Any] = {
    "submit_to_committee": {"th": "เสนอคณะกรรมการพัฒนาท้องถิ่น", "en": "Submit to the development committee"},
    "endorse": {"th": "คณะกรรมการพัฒนาท้องถิ่นให้ความเห็นชอบ", "en": "Endorse (development committee)"},
    "approve_by_council": {"th": "สภาท้องถิ่นให้ความเห็นชอบ", "en": "Approve (council)"},
    "approve_and_announce": {"th": "ผู้บริหารอนุมัติและประกาศใช้", "en": "Approve and announce (executive)"},
    "return_for_revision": {"th": "ส่งกลับไปแก้ไข", "en": "Return for revision"},
}


def article_17_transitions() -> list[dict[str, Any]]:
    """The steps from the development committee to the announcement (a fresh copy each call)."""
    return [
        {
            "trigger": "endorse",
            "source": "committee_review",
            "dest": "council_review",
            "roles": ["devcom_secretary"],
            "guards": ["council_required"],
            "data": MEETING,
        },
        {
            "trigger": "endorse",
            "source": "committee_review",
            "dest": "executive_review",
            "roles": ["devcom_secretary"],
            "unless": ["council_required"],
            "data": MEETING,
        },
        {
            "trigger": "approve_by_council",
            "source": "council_review",
            "dest": "executive_review",
            "roles": ["council_secretary"],
            "data": MEETING,
        },
        {
            "trigger": "approve_and_announce",
            "source": "executive_review",
            "dest": "announced",
            "roles": ["executive"],
        },
        *[
            {
                "trigger": "return_for_revision",
                "source": source,
                "dest": "drafting",
                "roles": roles,
                "comment_required": True,
            }
            for source, roles in _GATE_RETURNS
        ],
    ]


def article_17_requires() -> dict[str, Any]:
    """The approvals a ข้อ 17 draft must have collected to stand at the executive and to be announced."""
    return {
        "executive_review": ["endorse", {"trigger": "approve_by_council", "when": "council_required"}],
        "announced": [
            "endorse",
            {"trigger": "approve_by_council", "when": "council_required"},
            "approve_and_announce",
        ],
    }


# Plain data (read by WorkflowDefinition, which checks it), so its values are of mixed types.
PLAN_V1: dict[str, Any] = {
    "name": "plan",
    "version": 1,
    "title": {
        "th": "การจัดทำ/ทบทวนแผนพัฒนาท้องถิ่น (ข้อ 17)",
        "en": "Make or review the local development plan (clause 17)",
    },
    "initial": "drafting",
    "rules": {"council_required_for": ["sao"]},
    "states": {
        "drafting": {"th": "ร่างแผน (คณะกรรมการสนับสนุนฯ)", "en": "Drafting (support committee)"},
        **ARTICLE_17_STATES,
        "submitted": {"th": "ส่งอำเภอ/จังหวัดแล้ว", "en": "Submitted to district and province"},
        "acknowledged": {"th": "อำเภอ/จังหวัดรับทราบแล้ว", "en": "Acknowledged by district and province"},
    },
    "triggers": {
        **ARTICLE_17_TRIGGERS,
        "submit_to_oversight": {"th": "ส่งอำเภอ/จังหวัด", "en": "Submit to district and province"},
        "acknowledge": {"th": "รับทราบ", "en": "Acknowledge"},
        "return_with_remarks": {"th": "ส่งคืนพร้อมข้อสังเกต", "en": "Return with remarks"},
    },
    "transitions": [
        {
            "trigger": "submit_to_committee",
            "source": "drafting",
            "dest": "committee_review",
            "roles": ["support_secretary", "planner"],
        },
        *article_17_transitions(),
        {"trigger": "submit_to_oversight", "source": "announced", "dest": "submitted", "roles": ["planner"]},
        {
            "trigger": "acknowledge",
            "source": "submitted",
            "dest": "acknowledged",
            "roles": ["district_officer", "provincial_officer"],
        },
        {
            "trigger": "return_with_remarks",
            "source": "submitted",
            "dest": "announced",
            "roles": ["district_officer", "provincial_officer"],
            "comment_required": True,
        },
    ],
    # Approvals a row must have collected, since it last left the initial state, to stand in a
    # state. A list entry names a trigger; a dict entry applies only when its guard holds.
    "requires": {
        **article_17_requires(),
        "submitted": ["approve_and_announce"],
        "acknowledged": ["approve_and_announce", "submit_to_oversight"],
    },
    # What entering a state does in the step's own transaction, in this order ("module:function",
    # resolved and checked when the app starts).
    "on_enter": {
        # The first announcement makes the draft version 1 (refused without projects).
        "announced": [f"{_PLANS}:make_first_version"],
        "submitted": [f"{_PLANS}:record_submission"],
    },
    # Each transition notifies whoever may act next.
    "effects": ["notify_next_actors"],
}


def _plan_v2() -> dict[str, Any]:
    data = copy.deepcopy(PLAN_V1)
    data["version"] = 2
    # The civic forum's meeting is recorded before the draft leaves the support committee (ข้อ 17(1)).
    data["rules"]["civic_forum"] = True
    data["states"]["drafting"] = {
        "th": "ร่างแผน (คณะกรรมการสนับสนุนฯ และประชาคมท้องถิ่น)",
        "en": "Drafting (support committee and civic forum)",
    }
    data["on_enter"] = {"committee_review": [f"{_FORUM}:require_civic_forum"], **data["on_enter"]}
    return data


PLAN_V2: dict[str, Any] = _plan_v2()
