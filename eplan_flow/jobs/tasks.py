"""Job functions. Each takes ids, is idempotent, and runs inside an app context."""
from __future__ import annotations

from eplan_flow.services import notifications


def notify_next_actors(audit_event_id: int) -> int:
    """Tell everyone who may take the next step after an audited transition."""
    return notifications.notify_next_actors(audit_event_id)


JOBS = {
    "notify_next_actors": notify_next_actors,
}
