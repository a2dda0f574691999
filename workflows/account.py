"""A person's Single Sign-On account (docs/DOMAIN.md §2), version 1.

register → confirm the email address → verify identity with ThaiD → ask for approval → the
approver named by the chain of trust approves (active) or rejects with a reason (the person fixes
and re-applies). Active ↔ suspended by the approver. A transfer moves an active account to another
organisation: rights at the old one end at once and the account waits for approval at the new one.

The chain of trust is rule data (*uncertain* in docs/DOMAIN.md): ``rules["approver"]`` names, for the
organisation kind the account belongs to and the role it asks for, the role that approves it, and
``rules["grants_on_activation"]`` the SSO role an approved account holds. The three ``approve``
transitions below differ only in their roles and the guard that reads this table.

The same two tables say who may grant which role (``eplan_flow.permissions.GRANT_AUTHORITY``): an
LAO's SSO admin grants the LAO's staff roles (through approved system access), the province grants
LAO SSO admins and district officers, DLA grants provincial officers and DLA admins; nobody grants
a role to themself (``not_by_applicant``).
"""

from typing import Any

# Where the entry actions live (names only: this package imports no service).
APPROVALS = "eplan_flow.services.identity.approvals"
_IDENTITY = "eplan_flow.services.identity.identity"
_THAID = "eplan_flow.services.identity.thaid_verification"
# An approver's decision is taken only on the approval pages, after a recent re-authentication.
DECIDED = f"{APPROVALS}:_decision_came_through_here"
# Where a transfer is taken: the account's step and the end of its system access, in one commit.
TRANSFER_PAGE = "/sso/transfer"

APPROVER_GUARDS = {
    "sso_admin": "approved_by_lao_admin",
    "provincial_officer": "approved_by_province",
    "dla_admin": "approved_by_dla",
}


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
ACCOUNT_V1: dict[str, Any] = {
    "name": "account",
    "version": 1,
    "title": {"th": "บัญชีผู้ใช้ระบบยืนยันตัวตนกลาง (SSO)", "en": "Single Sign-On account"},
    "initial": "registered",
    "states": {
        "registered": {"th": "ลงทะเบียนแล้ว รอยืนยันอีเมล", "en": "Registered, email not confirmed"},
        "email_confirmed": {
            "th": "ยืนยันอีเมลแล้ว รอยืนยันตัวตนด้วย ThaiD",
            "en": "Email confirmed, identity not verified",
        },
        "identity_verified": {"th": "ยืนยันตัวตนด้วย ThaiD แล้ว", "en": "Identity verified with ThaiD"},
        "awaiting_approval": {"th": "รอผู้ดูแลระบบอนุมัติ", "en": "Awaiting approval"},
        "active": {"th": "ใช้งานได้", "en": "Active"},
        "rejected": {"th": "ไม่อนุมัติ", "en": "Rejected"},
        "suspended": {"th": "ระงับการใช้งาน", "en": "Suspended"},
    },
    "triggers": {
        "confirm_email": {"th": "ยืนยันอีเมล", "en": "Confirm the email address"},
        "verify_identity": {"th": "ยืนยันตัวตนด้วย ThaiD", "en": "Verify identity with ThaiD"},
        "request_approval": {"th": "ขออนุมัติบัญชี", "en": "Ask for approval"},
        "approve": {"th": "อนุมัติบัญชี", "en": "Approve the account"},
        "reject": {"th": "ไม่อนุมัติบัญชี", "en": "Reject the account"},
        "reapply": {"th": "แก้ไขและยื่นขออนุมัติใหม่", "en": "Fix and apply again"},
        "suspend": {"th": "ระงับการใช้งาน", "en": "Suspend"},
        "reinstate": {"th": "คืนสิทธิ์การใช้งาน", "en": "Reinstate"},
        "transfer": {"th": "ย้ายสังกัด", "en": "Transfer to another organisation"},
    },
    "transitions": [
        # Composite steps (taken only on their own pages): the emailed link proves the address;
        # ThaiD's answer proves the identity and voids the number's other claims.
        {
            "trigger": "confirm_email",
            "source": "registered",
            "dest": "email_confirmed",
            "roles": ["applicant"],
            "composite": "/sso/confirm/<token>",
        },
        {
            "trigger": "verify_identity",
            "source": "email_confirmed",
            "dest": "identity_verified",
            "roles": ["applicant"],
            "composite": "/sso/verify/thaid",
        },
        {
            "trigger": "request_approval",
            "source": "identity_verified",
            "dest": "awaiting_approval",
            "roles": ["applicant"],
        },
        *_by_approver("approve", "awaiting_approval", "active"),
        *_by_approver("reject", "awaiting_approval", "rejected", comment_required=True),
        {"trigger": "reapply", "source": "rejected", "dest": "awaiting_approval", "roles": ["applicant"]},
        *_by_approver("suspend", "active", "suspended", comment_required=True),
        *_by_approver("reinstate", "suspended", "active"),
        # The new organisation's code is recorded with the step; the entry action moves the account.
        # Composite: the transfer page also ends the person's system access at the old one.
        {
            "trigger": "transfer",
            "source": "active",
            "dest": "awaiting_approval",
            "roles": ["applicant"],
            "data": {"to_organisation": "text"},
            "composite": TRANSFER_PAGE,
        },
    ],
    "rules": {
        # "<organisation kind>:<requested role>" → the role that approves (the chain of trust).
        "approver": {
            "lao:member": "sso_admin",
            "lao:sso_admin": "provincial_officer",
            "district_office:member": "provincial_officer",
            "district_office:sso_admin": "provincial_officer",
            "provincial_office:member": "dla_admin",
            "provincial_office:sso_admin": "dla_admin",
            "dla:member": "dla_admin",
            "dla:sso_admin": "dla_admin",
        },
        # "<organisation kind>:<requested role>" → the role an approved account holds there.
        "grants_on_activation": {
            "lao:sso_admin": "sso_admin",
            "district_office:sso_admin": "district_officer",
            "provincial_office:sso_admin": "provincial_officer",
            "dla:sso_admin": "dla_admin",
        },
    },
    # What entering a state does in the step's own transaction, in this order ("module:function",
    # resolved and checked when the app starts).
    "on_enter": {
        "email_confirmed": [f"{_IDENTITY}:_mark_email_confirmed"],
        "identity_verified": [f"{_THAID}:_clear_verification_error"],
        # A new round of waiting (a transfer moves the account here); a re-application's corrections.
        "awaiting_approval": [f"{APPROVALS}:_start_waiting", f"{_IDENTITY}:_apply_corrected_details"],
        "active": [DECIDED, f"{APPROVALS}:_grant_sso_role"],
        "rejected": [DECIDED],
        "suspended": [DECIDED, f"{APPROVALS}:_end_sso_grants", f"{APPROVALS}:_end_sessions_of_suspended"],
    },
    # The admins who decide next, and the applicant when someone else decided on their account.
    "effects": ["notify_next_actors", "notify_applicant"],
}
