"""Jobs of the SSO (approval notices and escalation). Each takes ids and is idempotent."""
from __future__ import annotations

from datetime import datetime


def notify_applicant(audit_event_id: int) -> int:
    """Tell the applicant what an approver decided on their account or access request."""
    from eplan_flow.services.identity import approvals

    return approvals.notify_applicant(audit_event_id)


def escalate_waiting_approvals(now_iso: str | None = None) -> int:
    """Tell the provincial office about approvals waiting more than the allowed working days."""
    from eplan_flow.services.identity import approvals

    return approvals.escalate_waiting(datetime.fromisoformat(now_iso) if now_iso else None)


JOBS: dict = {
    "notify_applicant": notify_applicant,
    "escalate_waiting_approvals": escalate_waiting_approvals,
}
