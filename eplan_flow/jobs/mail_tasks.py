"""Email delivery jobs. Each takes ids and is idempotent."""
from __future__ import annotations

from eplan_flow.services.platform import mail


def send_email(message_id: int) -> str:
    """Deliver one queued email (or keep it when no mail server is set)."""
    return mail.deliver(message_id)


JOBS = {"send_email": send_email}
