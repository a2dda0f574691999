"""Scheduled deadline jobs: reminders before, notices and escalation after. Each is idempotent."""
from __future__ import annotations

JOBS: dict = {}
