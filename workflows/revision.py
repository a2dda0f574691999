"""Revising an announced plan (ระเบียบ มท. ข้อ 21, 22, 22/1, 22/2), version 1.

Which steps a revision takes is rule data, not code: each item kind says whether it goes to the
development committee (with the civic forum) and for which LAO types the council must approve; the
policy route (royal projects, ceremonies, government or MOI policy, ข้อ 22/2) goes to the executive
alone. A future regulation is a new version of this definition. Rows marked *uncertain* in
docs/DOMAIN.md (the council and civic forum for changes) are data here, so they can follow the ministry.
"""

from typing import Any

from workflows.plan import MEETING

# Fields a correction (ข้อ 21) may touch: wording and classification, never objective, budget or
# substance. *uncertain*: a rule version may narrow or widen this list.
CORRECTION_FIELDS = [
    "name",
    "target",
    "kpi",
    "expected_result",
    "responsible_unit",
    "strategy_id",
    "tactic_id",
    "programme_id",
    "links",
]

# Where the entry actions live (names only: this package imports no service).
_REVISIONS = "eplan_flow.services.planning.revisions"
_FORUM_CHECK = "eplan_flow.services.planning.civic_forum:require_civic_forum"

_GATES = [
    ("committee_review", ["devcom_secretary"]),
    ("council_review", ["council_secretary"]),
    ("executive_review", ["executive"]),
]

# Plain data (read by WorkflowDefinition, which checks it), so its values are of mixed types.
REVISION_V1: dict[str, Any] = {
    "name": "revision",
    "version": 1,
    "title": {"th": "การแก้ไข เพิ่มเติม เปลี่ยนแปลงแผนพัฒนาท้องถิ่น", "en": "Correct, add to or change the plan"},
    "initial": "drafting",
    "rules": {
        "kinds": {
            "correction": {"committee": False, "civic_forum": False, "council_for": []},
            "addition": {"committee": True, "civic_forum": True, "council_for": ["sao"]},
            "change": {"committee": True, "civic_forum": False, "council_for": ["sao"]},
        },
        "correction_fields": CORRECTION_FIELDS,
        # Items the policy route (ข้อ 22/2) may carry.
        "policy_kinds": ["addition", "change"],
        # Version 1: one counter per bundle label per calendar year, the same for every LAO; no
        # policy basis, any plan year, no corrected fact (see version 2).
        "numbering": {
            "year_basis": "calendar",
            "counter_scope": "bundle",
            "number_word": "ครั้งที่",
            "lao_settings": False,
        },
        "policy_bases": {},
        "earliest_year_offset": None,
        "item_requires": {"addition": ["reason"], "change": ["reason"]},
    },
    "states": {
        "drafting": {"th": "ร่าง (คณะกรรมการสนับสนุนฯ)", "en": "Drafting (support committee)"},
        "committee_review": {"th": "เสนอคณะกรรมการพัฒนาท้องถิ่น", "en": "At the development committee"},
        "council_review": {"th": "เสนอสภาท้องถิ่น", "en": "At the council"},
        "executive_review": {"th": "เสนอผู้บริหารท้องถิ่น", "en": "At the executive"},
        "announced": {"th": "ประกาศใช้แล้ว", "en": "Announced"},
        "withdrawn": {"th": "ยกเลิกร่าง", "en": "Withdrawn"},
    },
    "triggers": {
        "submit": {"th": "เสนอร่าง", "en": "Submit the draft"},
        "endorse": {"th": "คณะกรรมการพัฒนาท้องถิ่นให้ความเห็นชอบ", "en": "Endorse (development committee)"},
        "approve_by_council": {"th": "สภาท้องถิ่นให้ความเห็นชอบ", "en": "Approve (council)"},
        "approve_and_announce": {"th": "ผู้บริหารอนุมัติและประกาศใช้", "en": "Approve and announce (executive)"},
        "return_for_revision": {"th": "ส่งกลับไปแก้ไข", "en": "Return for revision"},
        "withdraw": {"th": "ยกเลิกร่าง", "en": "Withdraw the draft"},
    },
    "transitions": [
        {
            "trigger": "submit",
            "source": "drafting",
            "dest": "committee_review",
            "roles": ["support_secretary", "planner"],
            "guards": ["revision_has_items", "revision_needs_committee"],
        },
        {
            "trigger": "submit",
            "source": "drafting",
            "dest": "council_review",
            "roles": ["support_secretary", "planner"],
            "guards": ["revision_has_items", "revision_needs_council"],
            "unless": ["revision_needs_committee"],
        },
        {
            "trigger": "submit",
            "source": "drafting",
            "dest": "executive_review",
            "roles": ["support_secretary", "planner"],
            "guards": ["revision_has_items"],
            "unless": ["revision_needs_committee", "revision_needs_council"],
        },
        {
            "trigger": "endorse",
            "source": "committee_review",
            "dest": "council_review",
            "roles": ["devcom_secretary"],
            "guards": ["revision_needs_council"],
            "data": MEETING,
        },
        {
            "trigger": "endorse",
            "source": "committee_review",
            "dest": "executive_review",
            "roles": ["devcom_secretary"],
            "unless": ["revision_needs_council"],
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
            for source, roles in _GATES
        ],
        {
            "trigger": "withdraw",
            "source": "drafting",
            "dest": "withdrawn",
            "roles": ["support_secretary", "planner"],
            "comment_required": True,
        },
    ],
    "requires": {
        "council_review": [{"trigger": "endorse", "when": "revision_needs_committee"}],
        "executive_review": [
            {"trigger": "endorse", "when": "revision_needs_committee"},
            {"trigger": "approve_by_council", "when": "revision_needs_council"},
        ],
        "announced": [
            {"trigger": "endorse", "when": "revision_needs_committee"},
            {"trigger": "approve_by_council", "when": "revision_needs_council"},
            "approve_and_announce",
        ],
    },
    # What entering a state does in the step's own transaction, in this order ("module:function",
    # resolved and checked when the app starts).
    "on_enter": {
        # Leaving drafting: reasons and necessity written, items the route may carry.
        **{state: [f"{_REVISIONS}:_check_complete"] for state, _ in _GATES},
        # Announcing applies the revision as the plan's next version.
        "announced": [f"{_REVISIONS}:apply_revision"],
    },
    "effects": ["notify_next_actors"],
}


# Version 2 (issue 12): numbering, the policy basis, the years a revision may touch and the fact a
# correction states are rules. Revisions started on version 1 keep its rules (each row pins the
# version it started on); new revisions follow these.
REVISION_V2: dict[str, Any] = {
    **REVISION_V1,
    "version": 2,
    "rules": {
        **REVISION_V1["rules"],
        # How announced revisions are numbered, the national default each LAO may override
        # (revision numbering settings): by fiscal or calendar B.E. year; one counter per bundle label
        # ("เพิ่มเติมและเปลี่ยนแปลง ครั้งที่ 1/2568") or per kind inside a bundle ("เปลี่ยนแปลง
        # ฉบับที่ 1/2565 และเพิ่มเติม ฉบับที่ 2/2565"); the word before the number.
        "numbering": {
            "year_basis": "calendar",
            "counter_scope": "bundle",
            "number_word": "ครั้งที่",
            "year_bases": ["fiscal", "calendar"],
            "counter_scopes": ["bundle", "kind"],
            "number_words": ["ครั้งที่", "ฉบับที่"],
            "lao_settings": True,
        },
        # The bases of the policy route (ข้อ 22/2), one of which it records with the letter's number
        # and date.
        "policy_bases": {
            "royal_project": "โครงการอันเนื่องมาจากพระราชดำริ",
            "royal_ceremony": "งานพระราชพิธี",
            "state_ceremony": "งานรัฐพิธี",
            "government_policy": "นโยบายรัฐบาล",
            "moi_policy": "นโยบายกระทรวงมหาดไทย",
        },
        # The earliest plan year an item may touch, relative to the current fiscal year (0: from the
        # current fiscal year on; e-Plan from 2 October 2566 took revisions for FY2567-2570 only).
        "earliest_year_offset": 0,
        # What each kind of item must state: additions and changes their reason, a correction the
        # fact it corrects ("ข้อเท็จจริงคือ ...").
        "item_requires": {"addition": ["reason"], "change": ["reason"], "correction": ["fact"]},
    },
    "on_enter": {
        # Leaving drafting: as version 1, and no item touches a closed year (checked again when
        # announcing, so a draft that crossed into a new fiscal year is caught).
        # An addition (ข้อ 22(2)) is drafted with the civic forum: its meeting is on record before
        # the draft leaves drafting (``kinds.<kind>.civic_forum``; changes and ข้อ 22/2 need none).
        **{
            state: [f"{_REVISIONS}:_check_complete", f"{_REVISIONS}:check_years", _FORUM_CHECK]
            for state, _ in _GATES
        },
        "announced": [f"{_REVISIONS}:check_years", f"{_REVISIONS}:apply_revision"],
    },
}
