"""Fixtures for the back-office tests: a world with a plan and a grant in and out of scope."""

from __future__ import annotations

import pytest

from tests import factories


@pytest.fixture
def scoped(world, db):
    """Rows each admin view shows, one in sao_a (Bueng Kan 3801) and one in sao_x (Nakhon Ratchasima)."""
    from eplan_flow.models import AuditEvent, RoleGrant

    plan_a = factories.plan(world.sao_a, world.planner)
    plan_x = factories.plan(world.sao_x, world.planner_x)

    def grant_of(user):
        return db.session.query(RoleGrant).filter_by(user_id=user.id).one()

    def event_of(plan):
        return db.session.query(AuditEvent).filter_by(chain=f"plan:{plan.id}").one()

    return {
        "organisations": (world.sao_a.id, world.sao_x.id),
        "users": (world.planner.id, world.planner_x.id),
        "role_grants": (grant_of(world.planner).id, grant_of(world.planner_x).id),
        "plans": (plan_a.id, plan_x.id),
        "audit": (event_of(plan_a).id, event_of(plan_x).id),
    }
