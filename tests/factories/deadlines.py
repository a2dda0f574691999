"""Builders for the deadline and posting tests: plans and revisions put straight into a state.

The workflows that lead there are other tests' business; these set status and dates directly.
"""

from __future__ import annotations

from datetime import date, datetime, time

from eplan_flow import thaidate
from eplan_flow.extensions import db
from eplan_flow.models import Organisation, Plan, Revision, User
from eplan_flow.services.platform import engine
from tests import factories


def bangkok(day: date, at: time = time(10, 0)) -> datetime:
    """An aware datetime at ``at`` o'clock Bangkok time on ``day``."""
    return datetime.combine(day, at, tzinfo=thaidate.BANGKOK)


def plan_in(
    org: Organisation,
    actor: User | None = None,
    period_start_be: int = 2566,
    status: str = "drafting",
    announced_on: date | datetime | None = None,
    submitted_on: date | None = None,
) -> Plan:
    row = factories.plan(org, actor, period_start_be=period_start_be, status=status)
    if announced_on is not None:
        row.announced_at = announced_on if isinstance(announced_on, datetime) else bangkok(announced_on)
        row.current_version = 1
    if submitted_on is not None:
        row.submitted_at = bangkok(submitted_on)
    db.session.commit()
    return row


def revision_of(
    plan: Plan,
    label: str,
    sequence: int | None,
    year_be: int,
    status: str = "announced",
    announced_on: date | None = None,
    actor: User | None = None,
) -> Revision:
    row = Revision(
        plan_id=plan.id,
        organisation_id=plan.organisation_id,
        base_version=plan.current_version,
        year_be=year_be,
        label=label,
        sequence=sequence,
        route="regular",
    )
    engine.start(row, actor)
    row.status = status
    if announced_on is not None:
        row.announced_at = bangkok(announced_on)
        row.result_version = plan.current_version + 1
    db.session.commit()
    return row
