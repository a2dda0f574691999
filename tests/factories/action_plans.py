"""Builders for action plan tests (แผนการดำเนินงาน). Each commits."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

from eplan_flow.extensions import db
from eplan_flow.models import ActionPlan, ActionPlanItem, Organisation, User
from eplan_flow.services.platform import engine

# Long-past fiscal years, one per call, so builders never collide on (LAO, year).
_years = itertools.count(2400)


def drafted(org: Organisation, actor: User) -> ActionPlan:
    """A drafting action plan of ``org`` with one project of another agency, its months ticked (so
    submitting it to the executive always passes), built directly."""
    action_plan = ActionPlan(
        organisation_id=org.id,
        fiscal_year_be=next(_years),
        ordinance_announced_on=date(2026, 9, 28),
        created_by_id=actor.id,
    )
    engine.start(action_plan, actor)
    db.session.add(
        ActionPlanItem(
            action_plan_id=action_plan.id,
            position=1,
            name="ขุดลอกหนองน้ำสาธารณะ",
            agency="กรมทรัพยากรน้ำ",
            budget=Decimal("350000.00"),
            months=0b111,
        )
    )
    db.session.commit()
    return action_plan
