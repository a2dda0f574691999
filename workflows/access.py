"""A person's access to one system (an OIDC client such as e-Plan) with one role, version 1.

An active account asks for a system with a role at its organisation → the approver named by the
same chain of trust as accounts approves (the role then reaches the system in the token claims) or
rejects with a reason. Approved access can be revoked; the person may withdraw a request or ask
again after a rejection. A transfer to another organisation ends the person's access and requests
at the old one (``ended``).
"""

from typing import Any

from workflows.account import ACCOUNT_V1, APPROVALS, APPROVER_GUARDS, DECIDED, TRANSFER_PAGE

_DECISION_TIME = f"{APPROVALS}:_record_decision_time"
_DROP_ROLE = f"{APPROVALS}:_drop_claimed_role"


def _by_approver(trigger: str, source: str, dest: str, **extra) -> list[dict]:
    return [
        {
            "trigger": trigger,
            "source": source,
            "dest": dest,
            "roles": [role],
            "guards": [guard],
            "not_by_applicant": True,
            **extra,
        }
        for role, guard in APPROVER_GUARDS.items()
    ]


# Plain data (read by WorkflowDefinition, which checks it), so its values are of mixed types.
ACCESS_V1: dict[str, Any] = {
    "name": "system_access",
    "version": 1,
    "title": {"th": "คำขอสิทธิ์เข้าใช้ระบบ", "en": "System access"},
    "initial": "requested",
    "states": {
        "requested": {"th": "รออนุมัติสิทธิ์", "en": "Requested"},
        "approved": {"th": "อนุมัติสิทธิ์แล้ว", "en": "Approved"},
        "rejected": {"th": "ไม่อนุมัติสิทธิ์", "en": "Rejected"},
        "revoked": {"th": "เพิกถอนสิทธิ์แล้ว", "en": "Revoked"},
        "withdrawn": {"th": "ยกเลิกคำขอ", "en": "Withdrawn"},
        "ended": {"th": "สิ้นสุดเมื่อย้ายสังกัด", "en": "Ended by a transfer"},
    },
    "triggers": {
        "approve": {"th": "อนุมัติสิทธิ์", "en": "Approve access"},
        "reject": {"th": "ไม่อนุมัติสิทธิ์", "en": "Reject access"},
        "revoke": {"th": "เพิกถอนสิทธิ์", "en": "Revoke access"},
        "withdraw": {"th": "ยกเลิกคำขอ", "en": "Withdraw the request"},
        "request_again": {"th": "ยื่นคำขอใหม่", "en": "Ask again"},
        "end_by_transfer": {"th": "สิ้นสุดสิทธิ์เพราะย้ายสังกัด", "en": "End with the transfer"},
    },
    "transitions": [
        *_by_approver("approve", "requested", "approved"),
        *_by_approver("reject", "requested", "rejected", comment_required=True),
        *_by_approver("revoke", "approved", "revoked", comment_required=True),
        {"trigger": "withdraw", "source": "requested", "dest": "withdrawn", "roles": ["applicant"]},
        # Asked again on the access page, which checks the account is active, the role still
        # requestable and the organisation still the person's (not one they transferred away from).
        {
            "trigger": "request_again",
            "source": "rejected",
            "dest": "requested",
            "roles": ["applicant"],
            "composite": "/sso/access",
        },
        # Moving to another organisation ends the rights held at the old one at once; the person's
        # own transfer takes this step, so no approver of the old organisation is needed (and it is
        # taken only as part of the transfer).
        *[
            {
                "trigger": "end_by_transfer",
                "source": source,
                "dest": "ended",
                "roles": ["applicant"],
                "composite": TRANSFER_PAGE,
            }
            for source in ("approved", "requested")
        ],
    ],
    # Access is approved by whoever approves accounts of that organisation (members' rule).
    "rules": {"approver": ACCOUNT_V1["rules"]["approver"]},
    # What entering a state does in the step's own transaction, in this order ("module:function",
    # resolved and checked when the app starts).
    "on_enter": {
        "requested": [f"{APPROVALS}:_ask_again"],
        # Approving access is granting its role: held to the same rule as any grant.
        "approved": [DECIDED, f"{APPROVALS}:_check_the_grant", _DECISION_TIME],
        "rejected": [DECIDED, _DECISION_TIME],
        "revoked": [DECIDED, _DECISION_TIME, _DROP_ROLE, f"{APPROVALS}:_end_sessions_of_revoked"],
        "ended": [_DECISION_TIME, _DROP_ROLE],
    },
    "effects": ["notify_next_actors", "notify_applicant"],
}
