"""The monitoring and evaluation report (รายงานผลการติดตามและประเมินผลแผนพัฒนาท้องถิ่น, ข้อ 28–30), version 1.

The committee (its secretaries: the LAO's planner and support-committee secretary) drafts the report
for a round, with figures computed from the data, its method, findings and recommendations → the
executive → the executive presents it to the council and the development committee (the meeting's
date is the presentation date) → announced within 15 days of the presentation → posted. The
executive, and after the presentation the council and the committee, return it with a reason.
``eplan_flow/services/delivery/evaluation.py`` freezes the figures on submission and enforces the 15 days
(rule data in ``workflows/deadlines.py``).
"""

import copy
from typing import Any

# Where the entry actions live (names only: this package imports no service).
_EVALUATION = "eplan_flow.services.delivery.evaluation"
SECRETARIES = ["planner", "support_secretary"]

# What the presentation records: the meeting at which the executive presented the report.
PRESENTATION = {"meeting_date": "date", "resolution": "text"}
# The date on the signed announcement; it must fall within 15 days of the presentation.
ANNOUNCEMENT = {"announced_on": "date"}

# Plain data (read by WorkflowDefinition, which checks it), so its values are of mixed types.
EVALUATION_V1: dict[str, Any] = {
    "name": "evaluation",
    "version": 1,
    "title": {
        "th": "รายงานผลการติดตามและประเมินผลแผนพัฒนาท้องถิ่น",
        "en": "Monitoring and evaluation report of the local development plan",
    },
    "initial": "drafting",
    "states": {
        "drafting": {"th": "คณะกรรมการติดตามและประเมินผลฯ จัดทำรายงาน", "en": "Drafting (evaluation committee)"},
        "executive_review": {"th": "เสนอผู้บริหารท้องถิ่น", "en": "At the executive"},
        "presented": {
            "th": "เสนอสภาท้องถิ่นและคณะกรรมการพัฒนาท้องถิ่นแล้ว",
            "en": "Presented to the council and the development committee",
        },
        "announced": {"th": "ประกาศผลการติดตามและประเมินผลแล้ว", "en": "Announced"},
        "posted": {"th": "ปิดประกาศให้ประชาชนทราบแล้ว", "en": "Posted for the public"},
    },
    "triggers": {
        "submit_to_executive": {"th": "เสนอผู้บริหารท้องถิ่น", "en": "Submit to the executive"},
        "present": {
            "th": "เสนอสภาท้องถิ่นและคณะกรรมการพัฒนาท้องถิ่น",
            "en": "Present to the council and the development committee",
        },
        "announce": {"th": "ประกาศผลการติดตามและประเมินผล", "en": "Announce the report"},
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
            "trigger": "present",
            "source": "executive_review",
            "dest": "presented",
            "roles": ["executive"],
            "data": PRESENTATION,
        },
        {
            "trigger": "announce",
            "source": "presented",
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
        # The council or the development committee may send the presented report back too.
        {
            "trigger": "return_for_revision",
            "source": "presented",
            "dest": "drafting",
            "roles": ["executive", "council_secretary", "devcom_secretary"],
            "comment_required": True,
        },
    ],
    "requires": {
        "presented": ["submit_to_executive"],
        "announced": ["submit_to_executive", "present"],
        "posted": ["submit_to_executive", "present", "announce"],
    },
    # What entering a state does in the step's own transaction, in this order ("module:function",
    # resolved and checked when the app starts).
    "on_enter": {
        # Submitting freezes the figures; the presentation and announcement dates are checked.
        "executive_review": [f"{_EVALUATION}:freeze_figures"],
        "presented": [f"{_EVALUATION}:record_presentation"],
        "announced": [f"{_EVALUATION}:require_timely_announcement"],
        # A returned report is drafted again with live figures.
        "drafting": [f"{_EVALUATION}:reopen"],
    },
    "effects": ["notify_next_actors"],
}


# Version 2 (issue 14, item 2: the 2561 amendment, rule data in ``workflows/deadlines.py``,
# ``DEADLINES_V3``): the committee's report reaches the executive on the day it is submitted, and the
# 15 days to announce count from that day; the day the announcement is posted is recorded, so the
# posting (at least 30 days) is tracked. A report started on version 1 finishes under it (15 days from
# the presentation to the council, any round meeting the yearly duty).
EVALUATION_V2: dict[str, Any] = copy.deepcopy(EVALUATION_V1)
EVALUATION_V2["version"] = 2
EVALUATION_V2["rules"] = {"deadlines_version": 3}
EVALUATION_V2["on_enter"]["executive_review"] = [
    f"{_EVALUATION}:freeze_figures",
    f"{_EVALUATION}:record_report_to_executive",
]
EVALUATION_V2["on_enter"]["posted"] = [f"{_EVALUATION}:record_posting"]
