"""A changed definition never corrupts running instances: each follows the version it started on."""

from __future__ import annotations

import pytest

from eplan_flow.errors import TransitionNotAllowed
from eplan_flow.services.platform import engine
from tests import factories
from tests.factories import plan_v2
from workflows import Registry
from workflows.plan import PLAN_V1


@pytest.fixture
def registry(monkeypatch):
    registry = Registry(PLAN_V1)
    monkeypatch.setattr(engine, "REGISTRY", registry)
    return registry


def test_an_instance_started_on_v1_keeps_v1_rules_after_v2_is_registered(world, db, registry):
    old = factories.plan(world.sao_a, world.planner, period_start_be=2561)
    registry.register(plan_v2())
    new = factories.plan(world.sao_a, world.planner, period_start_be=2566)

    assert (old.workflow_name, old.workflow_version) == ("plan", 1)
    assert (new.workflow_name, new.workflow_version) == ("plan", 2)
    assert engine.definition_of(old).version == 1 and engine.definition_of(new).version == 2

    with pytest.raises(TransitionNotAllowed):
        engine.fire("plan", old.id, "hold_civic_forum", world.support_secretary)
    assert engine.fire("plan", old.id, "submit_to_committee", world.planner).to_state == "committee_review"

    with pytest.raises(TransitionNotAllowed):
        engine.fire("plan", new.id, "submit_to_committee", world.planner)
    assert engine.fire("plan", new.id, "hold_civic_forum", world.support_secretary).to_state == "civic_forum"
    assert engine.fire("plan", new.id, "submit_to_committee", world.planner).to_state == "committee_review"

    assert {e.workflow_version for e in engine.history(old)} == {1}
    assert {e.workflow_version for e in engine.history(new)} == {2}
    assert [s.trigger for s in engine.next_steps(old, world.devcom_secretary)] == [
        "endorse",
        "return_for_revision",
    ]


def test_the_diagram_of_an_old_instance_is_drawn_from_its_own_version(world, db, registry):
    old = factories.plan(world.sao_a, world.planner, period_start_be=2561)
    registry.register(plan_v2())
    assert "civic_forum" not in engine.definition_of(old).mermaid(current=old.status)
    assert "civic_forum" in registry.get("plan").mermaid()
