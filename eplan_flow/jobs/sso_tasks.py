"""Jobs of the SSO (approval notices and escalation). Each takes ids and is idempotent."""
from __future__ import annotations

JOBS: dict = {}
