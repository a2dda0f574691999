"""What committee and council steps record, and a plan ready to be announced. Each commits."""

from __future__ import annotations

from eplan_flow.models import Plan, User
from tests.factories import plans

# The facts PLAN_V1's committee and council steps record (ครั้งที่ 4/2569 เมื่อวันที่ 20 พ.ย. 2569).
MEETING = {"meeting_date": "2026-11-20", "resolution": "ครั้งที่ 4/2569"}
RECORDS_MEETING = frozenset({"endorse", "approve_by_council"})


def meeting_for(trigger: str) -> dict[str, str] | None:
    """The ``data`` to fire ``trigger`` with: the meeting for a committee or council step."""
    return dict(MEETING) if trigger in RECORDS_MEETING else None


def give_a_project(plan: Plan, actor: User) -> None:
    """Draft one project into ``plan`` (a plan without projects cannot be announced).

    Writes one audit event, on the plan's content chain.
    """
    plans.add_project(plan, actor, plans.strategy(plan), plans.programme())
