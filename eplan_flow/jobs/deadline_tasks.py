"""Scheduled deadline jobs: reminders before, notices and escalation after. Each is idempotent."""
from __future__ import annotations

from datetime import date


def run_deadline_checks(today_iso: str | None = None) -> dict:
    """Send the day's deadline reminders, overdue notices and escalations (each only once)."""
    from eplan_flow.services.planning import reminders

    today = date.fromisoformat(today_iso) if today_iso else None
    return reminders.run_deadline_checks(today).as_dict()


JOBS: dict = {
    "run_deadline_checks": run_deadline_checks,
}
