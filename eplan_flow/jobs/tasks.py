"""Every job function. Each takes ids (or plain values), is idempotent, and runs inside an app context.

RQ finds a job by its dotted path, ``eplan_flow.jobs.tasks.<name>``; ``JOBS`` lists them by name,
and ``queues.JOB_NAMES`` (which the platform checks new jobs against) must name the same ones.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from datetime import date, datetime
from typing import Any

from eplan_flow.models._types import utcnow
from eplan_flow.services.documents import jobs as documents
from eplan_flow.services.identity import approvals, identity, tokens
from eplan_flow.services.oversight import rollups
from eplan_flow.services.planning import reminders
from eplan_flow.services.platform import housekeeping, mail, notifications


# -- workflow notices --------------------------------------------------------------------------------
def notify_next_actors(audit_event_id: int) -> int:
    """Tell everyone who may take the next step after an audited transition."""
    return notifications.notify_next_actors(audit_event_id)


# -- email -------------------------------------------------------------------------------------------
def send_email(message_id: int) -> str:
    """Deliver one queued email (or keep it when no mail server is set)."""
    return mail.deliver(message_id)


# -- SSO approvals and sessions ----------------------------------------------------------------------
def notify_applicant(audit_event_id: int) -> int:
    """Tell the applicant what an approver decided on their account or access request."""
    return approvals.notify_applicant(audit_event_id)


def escalate_waiting_approvals(now_iso: str | None = None) -> int:
    """Tell the provincial office about approvals waiting more than the allowed working days."""
    return approvals.escalate_waiting(datetime.fromisoformat(now_iso) if now_iso else None)


def send_backchannel_logout(client_id: str, issuer: str, sub: str, sid: str | None = None) -> bool:
    """Post a logout token to one relying party (OIDC Back-Channel Logout); retried on failure."""
    return tokens.send_backchannel_logout(client_id, issuer, sub, sid)


# -- deadlines ---------------------------------------------------------------------------------------
def run_deadline_checks(today_iso: str | None = None) -> dict:
    """Send the day's deadline reminders, overdue notices and escalations (each only once)."""
    today = date.fromisoformat(today_iso) if today_iso else None
    return reminders.run_deadline_checks(today).as_dict()


# -- documents ---------------------------------------------------------------------------------------
def render_document(document_job_id: int) -> str:
    """Render a long official document (a ผ.02 of thousands of projects) to its file, with progress."""
    return documents.run(document_job_id)


# -- housekeeping ------------------------------------------------------------------------------------
def purge_expired() -> dict:
    """Delete expired OIDC codes and tokens, old relayed outbox rows and old sent email (one commit),
    then void registrations ThaiD never verified in time (another)."""
    now = utcnow()
    purged = housekeeping.purge(now)
    purged.unverified_registrations = identity.expire_unverified_registrations(now)
    return asdict(purged)


# -- oversight -----------------------------------------------------------------------------------------
def refresh_oversight_figures() -> int:
    """Take the committed changes into the oversight rollups (every few seconds); return the LAOs."""
    return rollups.refresh_all()


JOBS: dict[str, Callable[..., Any]] = {
    "notify_next_actors": notify_next_actors,
    "purge_expired": purge_expired,
    "notify_applicant": notify_applicant,
    "escalate_waiting_approvals": escalate_waiting_approvals,
    "send_backchannel_logout": send_backchannel_logout,
    "run_deadline_checks": run_deadline_checks,
    "send_email": send_email,
    "render_document": render_document,
    "refresh_oversight_figures": refresh_oversight_figures,
}
