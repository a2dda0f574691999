from eplan_flow.services.platform import engine
from tests import factories


def test_a_plan_moves_from_drafting_to_committee_and_is_audited(world, db):
    plan = factories.plan(world.sao_a, world.planner)
    result = engine.fire("plan", plan.id, "submit_to_committee", world.planner)
    assert (result.from_state, result.to_state, result.version) == ("drafting", "committee_review", 2)
    events = engine.history(db.session.get(type(plan), plan.id))
    assert [e.action for e in events] == ["create", "submit_to_committee"]
