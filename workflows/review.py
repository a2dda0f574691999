"""Reviewing a plan in force (ทบทวน, ระเบียบ มท. ข้อ 17; หนังสือ มท 0810.3/ว 2931), version 1.

A review follows the full ข้อ 17 cycle of making a plan: the support committee drafts it with the
civic forum (ประชาคมท้องถิ่น) → the development committee → the council where the LAO's type
requires it → the executive approves and announces. It may change strategies, tactics, their links
and projects; announcing it makes the plan's next version (older versions stay readable).
"""

from typing import Any

from workflows.plan import ARTICLE_17_STATES, ARTICLE_17_TRIGGERS, article_17_requires, article_17_transitions

# Where the entry actions live (names only: this package imports no service).
_REVIEWS = "eplan_flow.services.planning.reviews"
_FORUM = "eplan_flow.services.planning.civic_forum"

# Plain data (read by WorkflowDefinition, which checks it), so its values are of mixed types.
REVIEW_V1: dict[str, Any] = {
    "name": "review",
    "version": 1,
    "title": {"th": "การทบทวนแผนพัฒนาท้องถิ่น (ข้อ 17)", "en": "Review the local development plan (clause 17)"},
    "initial": "drafting",
    "rules": {
        # The same LAO types as making the plan (ข้อ 17): an อบต.'s council approves.
        "council_required_for": ["sao"],
        # The civic forum's meeting is recorded before the draft leaves the support committee.
        "civic_forum": True,
    },
    "states": {
        "drafting": {
            "th": "ร่างการทบทวน (คณะกรรมการสนับสนุนฯ และประชาคมท้องถิ่น)",
            "en": "Drafting (support committee and civic forum)",
        },
        **ARTICLE_17_STATES,
        "withdrawn": {"th": "ยกเลิกร่าง", "en": "Withdrawn"},
    },
    "triggers": {
        **ARTICLE_17_TRIGGERS,
        "withdraw": {"th": "ยกเลิกร่าง", "en": "Withdraw the draft"},
    },
    "transitions": [
        {
            "trigger": "submit_to_committee",
            "source": "drafting",
            "dest": "committee_review",
            "roles": ["support_secretary", "planner"],
            "guards": ["review_has_items"],
        },
        *article_17_transitions(),
        {
            "trigger": "withdraw",
            "source": "drafting",
            "dest": "withdrawn",
            "roles": ["support_secretary", "planner"],
            "comment_required": True,
        },
    ],
    "requires": article_17_requires(),
    "on_enter": {
        # Leaving drafting: the civic forum's meeting is on record (ข้อ 17(1)).
        "committee_review": [f"{_FORUM}:require_civic_forum"],
        # Announcing applies the review as the plan's next version and numbers it.
        "announced": [f"{_REVIEWS}:apply_review"],
    },
    "effects": ["notify_next_actors"],
}
