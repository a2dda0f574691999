"""Job functions. Each takes ids, is idempotent, and runs inside an app context."""
from __future__ import annotations

from dataclasses import asdict

from eplan_flow.services.platform import housekeeping, notifications


def notify_next_actors(audit_event_id: int) -> int:
    """Tell everyone who may take the next step after an audited transition."""
    return notifications.notify_next_actors(audit_event_id)


def purge_expired() -> dict:
    """Delete expired OIDC codes and tokens, old relayed outbox rows and old sent email."""
    return asdict(housekeeping.purge())


JOBS = {
    "notify_next_actors": notify_next_actors,
    "purge_expired": purge_expired,
}

from eplan_flow.jobs.deadline_tasks import JOBS as _DEADLINE_JOBS  # noqa: E402
from eplan_flow.jobs.mail_tasks import JOBS as _MAIL_JOBS  # noqa: E402
from eplan_flow.jobs.sso_tasks import JOBS as _SSO_JOBS  # noqa: E402
from eplan_flow.jobs.session_tasks import JOBS as _SESSION_JOBS  # noqa: E402

JOBS.update(_SSO_JOBS)
JOBS.update(_SESSION_JOBS)
JOBS.update(_DEADLINE_JOBS)
JOBS.update(_MAIL_JOBS)
# RQ imports a job by its dotted path (eplan_flow.jobs.tasks.<name>): each merged job is an attribute.
globals().update(JOBS)
